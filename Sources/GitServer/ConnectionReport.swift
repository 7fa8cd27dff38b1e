import Logging

/// What one connection did, logged as one structured line when it ends: who (key fingerprint and user),
/// which project, and whether the push was accepted (with receive-pack's exit status) or refused and why.
struct ConnectionReport {
    enum Outcome {
        /// receive-pack ran and ended with this SSH exit status.
        case accepted(exitStatus: UInt32)
        /// The server refused the connection or its request.
        case refused(Refusal)
        /// The connection ended before a decision: the client left, key exchange failed, ...
        case ended(String)
    }

    let peer: String
    var sshUser: String?
    var username: String?
    var fingerprint: String?
    var project: String?
    var outcome: Outcome = .ended("client disconnected before running a command")
    var bytesReceived = 0
    /// What happened along the way without deciding the outcome: requests refused (pty, a password
    /// attempt, a locale variable), the client leaving during a push, ...
    var notes: [String] = []

    /// Records the first refusal: later ones (e.g. the disconnect that follows) do not hide the cause.
    mutating func refuse(_ refusal: Refusal) {
        if case .refused = outcome { return }
        outcome = .refused(refusal)
    }

    func log(to logger: Logger, duration: Duration) {
        var metadata: Logger.Metadata = [
            "peer": "\(peer)",
            "duration_ms": "\(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)",
        ]
        if let sshUser { metadata["ssh_user"] = "\(sshUser)" }
        if let username { metadata["user"] = "\(username)" }
        if let fingerprint { metadata["key"] = "\(fingerprint)" }
        if let project { metadata["project"] = "\(project)" }
        if bytesReceived > 0 { metadata["received_bytes"] = "\(bytesReceived)" }
        if !notes.isEmpty { metadata["notes"] = "\(notes.joined(separator: ","))" }
        switch outcome {
        case .accepted(let status):
            metadata["outcome"] = "accepted"
            metadata["exit_status"] = "\(status)"
            logger.info("git push served", metadata: metadata)
        case .refused(let refusal):
            metadata["outcome"] = "refused"
            metadata["reason"] = "\(refusal.reason)"
            logger.notice("ssh connection refused", metadata: metadata)
        case .ended(let reason):
            metadata["outcome"] = "ended"
            metadata["reason"] = "\(reason)"
            logger.info("ssh connection ended", metadata: metadata)
        }
    }
}

import Systemd

/// nft could not be run, or refused the script: what was attempted, nft's exit status and its messages.
public struct FirewallError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was attempted, e.g. `apply table inet paastech`.
    public let operation: String
    /// nft's exit status; nil when it could not be started or did not exit normally.
    public let exitStatus: Int32?
    /// What nft printed (its error messages point at the failing line of the script).
    public let output: String
    /// The system call that failed, when nft could not be run at all.
    public let systemCallError: SystemCallError?

    init(operation: String, exitStatus: Int32?, output: String = "", systemCallError: SystemCallError? = nil) {
        self.operation = operation
        self.exitStatus = exitStatus
        self.output = output
        self.systemCallError = systemCallError
    }

    public var description: String {
        if let systemCallError {
            return "cannot \(operation): \(systemCallError)"
        }
        var text = "cannot \(operation): nft " + (exitStatus.map { "exited with status \($0)" } ?? "did not exit normally")
        let trimmed = output.trimmingSpaces
        if !trimmed.isEmpty { text += ": \(trimmed)" }
        if output.contains("No such file or directory") {
            text += "; the table may not exist yet: apply the firewall first"
        } else if output.contains("Operation not permitted") {
            text += "; changing the firewall needs CAP_NET_ADMIN: run pomegranate as root"
        }
        return text
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}

import CSSH
import Foundation
import Glibc
import InternalAPIClient

/// What the connection answers to each request of the client. Authentication is by public key only; the
/// only command is `git-receive-pack` on a repository the key's owner owns.
extension GitSSHConnection {
    /// A public key is offered (`signatureState` NONE: "would this key do?") or used (VALID: signed).
    /// Only keys the API knows get the "pk ok" answer; only a valid signature authenticates.
    func publicKeyOffered(_ key: OpaquePointer?, user: String?, signatureState: Int32) -> Int32 {
        report.sshUser = user
        guard let key, let publicKey = LibSSH.publicKey(key) else {
            // A key type the platform does not accept cannot belong to anyone.
            countAuthenticationAttempt(what: "unsupported-key")
            return denied()
        }
        let fingerprint = publicKey.fingerprint
        guard signatureState == Int32(SSH_PUBLICKEY_STATE_NONE.rawValue) || signatureState == Int32(SSH_PUBLICKEY_STATE_VALID.rawValue) else {
            report.notes.append("bad-signature")
            return Int32(SSH_AUTH_DENIED.rawValue)
        }
        let owner: InternalAPIClient.KeyOwner?
        if let known = keyOwners[fingerprint] {
            owner = known
        } else {
            guard countAuthenticationAttempt(what: nil) else { return denied() }
            let api = settings.api
            do {
                owner = try BlockingCall.run { try await api.keyOwner(fingerprint: fingerprint) }
            } catch {
                settings.logger.error("looking up an SSH key failed", metadata: ["key": "\(fingerprint)", "error": "\(error)"])
                pendingDisconnect = .internalError
                return Int32(SSH_AUTH_DENIED.rawValue)
            }
            keyOwners[fingerprint] = .some(owner)
        }
        guard let owner else {
            if report.fingerprint == nil { report.fingerprint = fingerprint }
            return denied()
        }
        report.fingerprint = fingerprint
        report.username = owner.username
        if signatureState == Int32(SSH_PUBLICKEY_STATE_VALID.rawValue) {
            self.owner = owner
        }
        return Int32(SSH_AUTH_SUCCESS.rawValue)
    }

    /// Counts an authentication attempt against `max_auth_attempts`; false once the limit is passed.
    @discardableResult
    func countAuthenticationAttempt(what: String?) -> Bool {
        if let what { report.notes.append(what) }
        authenticationAttempts += 1
        return authenticationAttempts <= settings.limits.maxAuthAttempts
    }

    /// Refuses an attempt; after the last allowed one the connection ends with the reason. Ending it here,
    /// rather than when the next attempt comes, lets the message reach a client that has more keys to try.
    func denied() -> Int32 {
        if authenticationAttempts >= settings.limits.maxAuthAttempts {
            pendingDisconnect = pendingDisconnect ?? .tooManyAuthenticationAttempts
        }
        return Int32(SSH_AUTH_DENIED.rawValue)
    }

    /// One session channel per connection, only once authenticated.
    func sessionChannelRequested() -> ssh_channel? {
        guard owner != nil, channel == nil, case .authenticating = phase, let channel = ssh_channel_new(session) else {
            report.notes.append("extra-channel")
            return nil
        }
        ssh_set_channel_callbacks(channel, channelCallbacks)
        self.channel = channel
        return channel
    }

    /// `exec`, `shell` or `subsystem`. Always answered with success when it is the first command, so that
    /// a refusal reaches the client as one stderr line and exit status 1 rather than OpenSSH's own
    /// "exec request failed" (``pendingRefusal``, sent after this callback returns).
    func commandRequested(_ request: CommandRequest) -> Int32 {
        guard case .authenticating = phase, pendingRefusal == nil, let owner else { return SSH_ERROR }
        switch decide(request, owner: owner) {
        case .success(let push):
            self.push = push
            phase = .pushing
            // From now on only the session limit applies to blocking libssh calls.
            var remaining = max(1, Int((sessionDeadline - .now).components.seconds))
            ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &remaining)
        case .failure(let refusal):
            pendingRefusal = refusal
        }
        return SSH_OK
    }

    /// Only `GIT_PROTOCOL` (git's protocol version) is taken. `LANG` and `LC_*` are declined without ending
    /// the connection: OpenSSH's default client configuration sends them with every connection. Any other
    /// variable makes the command fail.
    func environmentRequested(_ name: String, value: String) -> Int32 {
        if name == "GIT_PROTOCOL", Self.isValidGitProtocol(value) {
            gitProtocol = value
            return SSH_OK
        }
        if name == "LANG" || name.hasPrefix("LC_") {
            report.notes.append("env-locale")
            return SSH_ERROR
        }
        earlyRefusal = earlyRefusal ?? .environment(name)
        return SSH_ERROR
    }

    /// Refused (OpenSSH then prints "PTY allocation request failed"); the shell request that follows gets
    /// the real explanation.
    func terminalRequested() -> Int32 {
        report.notes.append("pty")
        return SSH_ERROR
    }

    /// Agent forwarding is never set up, and the command is refused with the reason.
    func agentForwardingRequested() {
        earlyRefusal = earlyRefusal ?? .agentForwarding
    }

    /// Everything without a callback. Returning 1 makes libssh send its default refusal: an auth failure
    /// listing only `publickey`, a channel-open failure ("administratively prohibited"), a request failure.
    func unhandledMessage(_ message: ssh_message?) -> Int32 {
        guard let message else { return 1 }
        let subtype = ssh_message_subtype(message)
        switch ssh_message_type(message) {
        case Int32(SSH_REQUEST_AUTH.rawValue):
            if let user = ssh_message_auth_user(message) { report.sshUser = String(cString: user) }
            // "none" is how clients ask which methods exist; it is not an attempt.
            if subtype != Int32(SSH_AUTH_METHOD_NONE) {
                countAuthenticationAttempt(what: Self.authenticationMethodName(subtype))
                _ = denied()
            }
        case Int32(SSH_REQUEST_CHANNEL_OPEN.rawValue):
            if subtype == Int32(SSH_CHANNEL_DIRECT_TCPIP.rawValue) || subtype == Int32(SSH_CHANNEL_FORWARDED_TCPIP.rawValue) {
                refusePortForwarding()
            } else {
                report.notes.append("channel-type-\(subtype)")
            }
        case Int32(SSH_REQUEST_CHANNEL.rawValue):
            if subtype == Int32(SSH_CHANNEL_REQUEST_X11.rawValue) {
                earlyRefusal = earlyRefusal ?? .x11Forwarding
            }
        case Int32(SSH_REQUEST_GLOBAL.rawValue):
            if subtype == Int32(SSH_GLOBAL_REQUEST_TCPIP_FORWARD.rawValue) {
                refusePortForwarding()
            }
        default:
            break
        }
        return 1
    }

    /// Port forwarding is refused; a connection that is not pushing is ended with the reason (it has no
    /// channel to print it on), a running push is left to finish.
    private func refusePortForwarding() {
        if case .pushing = phase {
            report.notes.append("port-forwarding")
        } else {
            pendingDisconnect = .portForwarding
        }
    }

    /// The whole decision for a command: what it is, whose project, whether its repository exists; then
    /// receive-pack starts.
    private func decide(_ request: CommandRequest, owner: InternalAPIClient.KeyOwner) -> Result<PushSession, Refusal> {
        if let earlyRefusal { return .failure(earlyRefusal) }
        let command: PushCommand
        switch request {
        case .shell:
            return .failure(.shell)
        case .subsystem(let name):
            return .failure(.subsystem(name))
        case .exec(let text):
            switch PushCommand.parse(text) {
            case .success(let parsed): command = parsed
            case .failure(let refusal): return .failure(refusal)
            }
        }
        report.project = "\(command.owner)/\(command.project)"
        // Another user's project and a missing one get the same answer (see Refusal.repositoryNotFound).
        let notFound = Refusal.repositoryNotFound(owner: command.owner, project: command.project)
        guard command.owner == owner.username else { return .failure(notFound) }
        let project: InternalAPIClient.Project?
        do {
            let api = settings.api
            project = try BlockingCall.run { try await api.project(owner: command.owner, name: command.project) }
        } catch {
            settings.logger.error("looking up a project failed", metadata: ["project": "\(report.project ?? "")", "error": "\(error)"])
            return .failure(.internalError)
        }
        guard let project, project.owner == owner.username else { return .failure(notFound) }

        let repository = settings.repositoriesDirectory + "/" + project.idString + ".git"
        var status = stat()
        guard stat(repository, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { return .failure(.noRepository) }
        do {
            let process = try ReceivePackProcess.start(
                executable: settings.gitExecutable, arguments: ["receive-pack", repository],
                environment: receivePackEnvironment(owner: owner, project: project))
            return .success(PushSession(process: process, repository: repository))
        } catch {
            settings.logger.error("starting git receive-pack failed", metadata: ["repository": "\(repository)", "error": "\(error)"])
            return .failure(.internalError)
        }
    }

    /// A minimal environment: what git and the pre-receive hook (`paastech hook pre-receive`) need.
    private func receivePackEnvironment(owner: InternalAPIClient.KeyOwner, project: InternalAPIClient.Project) -> [String: String] {
        var environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PAASTECH_USER": owner.username,
            "PAASTECH_PROJECT_ID": project.idString,
        ]
        if let gitProtocol { environment["GIT_PROTOCOL"] = gitProtocol }
        if let path = settings.configurationPath { environment["PAASTECH_CONFIG"] = path }
        return environment
    }

    /// `version=2`, or several `key=value` pairs joined by `:`; nothing a shell or git could misread.
    static func isValidGitProtocol(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 128 && value.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "=:._-".utf8.contains(byte)
        }
    }

    private static func authenticationMethodName(_ method: Int32) -> String {
        switch UInt32(bitPattern: method) {
        case SSH_AUTH_METHOD_PASSWORD: "password"
        case SSH_AUTH_METHOD_INTERACTIVE: "keyboard-interactive"
        case SSH_AUTH_METHOD_HOSTBASED: "hostbased"
        case SSH_AUTH_METHOD_GSSAPI_MIC: "gssapi"
        default: "auth-method-\(method)"
        }
    }
}

/// Why a connection or a request is refused: a short `reason` for the log, and the one line the client sees
/// on stderr (or as the disconnect message) before a non-zero exit status.
struct Refusal: Error, Sendable, Equatable {
    /// A stable, short name for logs and metrics, e.g. `shell` or `not-owner`.
    let reason: String
    /// The line shown to the person pushing, without a trailing newline.
    let message: String

    private init(_ reason: String, _ message: String) {
        self.reason = reason
        self.message = "paastech: " + message
    }

    private static let onlyPush = "this server only accepts git push"

    static let shell = Refusal("shell", "interactive shells are not available; \(onlyPush)")
    static func fetchNotAvailable(_ program: String) -> Refusal {
        Refusal("fetch", "\(printable(program)) is not available (cloning and fetching are not offered); \(onlyPush)")
    }
    static func commandNotAllowed(_ program: String) -> Refusal {
        Refusal("command", "command '\(printable(program))' is not allowed; \(onlyPush)")
    }
    static func invalidPath(_ path: String) -> Refusal {
        Refusal("invalid-path", "invalid repository path '\(printable(path))'; push to <user>/<project>.git")
    }
    /// The same words for a project that does not exist and one owned by someone else, so that a key
    /// cannot be used to find out which projects exist.
    static func repositoryNotFound(owner: String, project: String) -> Refusal {
        Refusal("not-found", "repository '\(owner)/\(project).git' does not exist or you may not push to it")
    }
    static let noRepository = Refusal("no-repository", "project has no repository")
    static func subsystem(_ name: String) -> Refusal {
        Refusal("subsystem", "subsystem '\(printable(name))' is not available; \(onlyPush)")
    }
    static func environment(_ name: String) -> Refusal {
        Refusal("env", "environment variable '\(printable(name))' is not accepted (only GIT_PROTOCOL)")
    }
    static let agentForwarding = Refusal("agent-forwarding", "agent forwarding is not available; \(onlyPush)")
    static let x11Forwarding = Refusal("x11-forwarding", "X11 forwarding is not available; \(onlyPush)")
    static let portForwarding = Refusal("port-forwarding", "port forwarding is not available; \(onlyPush)")
    static func pushTooLarge(limitMiB: Int) -> Refusal {
        Refusal("push-too-large", "push refused: it sends more than the limit of \(limitMiB) MiB")
    }
    static func sessionTimeLimit(seconds: Int) -> Refusal {
        Refusal("time-limit", "connection closed: it lasted longer than the limit of \(seconds) seconds")
    }
    static func loginTimeout(seconds: Int) -> Refusal {
        Refusal("login-timeout", "no command within \(seconds) seconds of connecting")
    }
    static let internalError = Refusal("internal-error", "internal error; try again later (the server log has the details)")
    static let shuttingDown = Refusal("shutting-down", "the server is restarting; try again in a moment")
    static let tooManyConnections = Refusal("too-many-connections", "too many connections; try again in a moment")
    /// Logged only: the client is told by the SSH protocol ("Permission denied (publickey)").
    static let authenticationFailed = Refusal("unknown-key", "no registered public key was offered")
    static let tooManyAuthenticationAttempts = Refusal("too-many-auth-attempts", "too many authentication attempts")

    /// Client-supplied text echoed back: at most 100 printable ASCII characters, so a message stays one line.
    private static func printable(_ text: String) -> String {
        let visible = text.unicodeScalars.prefix(100).map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7f ? Character($0) : "?" }
        return String(visible) + (text.unicodeScalars.count > 100 ? "..." : "")
    }
}

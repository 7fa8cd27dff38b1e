/// The SSH git server could not start or keep serving: what was attempted, why, and how to fix it.
public struct GitServerError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was attempted, e.g. `generate the ed25519 host key /var/lib/paastech/git/ssh_host_ed25519_key`.
    public let operation: String
    /// Why it failed (libssh's error text, or the system call's).
    public let reason: String
    /// How to fix it, when known.
    public let hint: String?

    /// - Parameters:
    ///   - operation: What was attempted, with the path or value that identifies it.
    ///   - reason: Why it failed.
    ///   - hint: How to fix it.
    public init(operation: String, reason: String, hint: String? = nil) {
        self.operation = operation
        self.reason = reason
        self.hint = hint
    }

    public var description: String {
        var text = "paastech gitd: cannot \(operation): \(reason)"
        if let hint { text += "; \(hint)" }
        return text
    }
}

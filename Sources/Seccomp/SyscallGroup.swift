/// System calls grouped by purpose (file I/O, memory, signals, ...), like systemd's `@system-service`
/// sets, so a reader can review the policy one concern at a time.
public struct SyscallGroup: Sendable, Equatable {
    /// A short title, e.g. "Memory".
    public let name: String
    /// Why these calls are allowed or denied.
    public let purpose: String
    /// The group's rules.
    public let rules: [SyscallRule]

    /// - Parameters:
    ///   - name: A short title.
    ///   - purpose: Why these calls are allowed or denied.
    ///   - allow: System calls allowed whatever their arguments.
    ///   - deny: System calls denied with the policy's `deniedErrno`.
    ///   - rules: Rules with conditions or a specific errno.
    public init(_ name: String, _ purpose: String, allow: [String] = [], deny: [String] = [],
                rules: [SyscallRule] = []) {
        self.name = name
        self.purpose = purpose
        self.rules = allow.map { SyscallRule.allow($0) } + deny.map(SyscallRule.deny) + rules
    }
}

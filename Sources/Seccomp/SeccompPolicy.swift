import CSeccomp
import Glibc

/// Which system calls a sandboxed process may make: an allow-list of `SyscallRule`s in readable
/// groups, compiled to BPF by `SeccompProgram.compile(_:)`.
///
/// A call is answered, in order:
/// - from a non-native architecture (i386 `int 0x80`, x32): fails with `deniedErrno`;
/// - matched by a rule: that rule's action;
/// - numbered above every system call the policy names, up to `newerSyscallLimit`: fails with
///   `newerSyscallErrno` (ENOSYS), so programs take the fallback they already have for kernels
///   that lack the call, instead of reporting a permission error;
/// - anything else: fails with `deniedErrno` (EPERM).
public struct SeccompPolicy: Sendable, Equatable {
    /// The rules, grouped by purpose.
    public var groups: [SyscallGroup]
    /// The errno of denied calls.
    public var deniedErrno: Int32
    /// The errno of calls newer than the policy.
    public var newerSyscallErrno: Int32
    /// The highest system call number answered with `newerSyscallErrno`. libseccomp cannot
    /// express "every number above N", so each number gets a rule; 1023 leaves room for decades
    /// of new calls at about twenty a year, for roughly 600 extra BPF instructions.
    public var newerSyscallLimit: Int32

    /// - Parameters:
    ///   - groups: The rules, grouped by purpose.
    ///   - deniedErrno: The errno of denied calls.
    ///   - newerSyscallErrno: The errno of calls numbered above every call the policy names.
    ///   - newerSyscallLimit: The highest number answered with `newerSyscallErrno`.
    public init(groups: [SyscallGroup], deniedErrno: Int32 = EPERM, newerSyscallErrno: Int32 = ENOSYS,
                newerSyscallLimit: Int32 = 1023) {
        self.groups = groups
        self.deniedErrno = deniedErrno
        self.newerSyscallErrno = newerSyscallErrno
        self.newerSyscallLimit = newerSyscallLimit
    }

    /// Every rule of every group, in order.
    public var rules: [SyscallRule] { groups.flatMap(\.rules) }

    /// The rules for one system call.
    public func rules(for syscall: String) -> [SyscallRule] {
        rules.filter { $0.syscall == syscall }
    }

    /// Rejects what libseccomp would refuse, or worse, silently drop.
    func validate() throws(SeccompError) {
        var rulesBySyscall: [String: [SyscallRule]] = [:]
        for rule in rules { rulesBySyscall[rule.syscall, default: []].append(rule) }
        for (syscall, rules) in rulesBySyscall.sorted(by: { $0.key < $1.key }) {
            // libseccomp lets an unconditional rule absorb every other rule of the same call.
            if rules.count > 1, let unconditional = rules.first(where: \.conditions.isEmpty) {
                throw SeccompError(.invalidPolicy,
                                   operation: "\(syscall) has the unconditional rule \"\(unconditional)\" beside \(rules.count - 1) other rule(s)",
                                   hint: "libseccomp would drop the others; give the catch-all rule a condition such as .atLeast(1, 0)")
            }
            for rule in rules {
                if case let .fail(errno) = rule.action, errno == deniedErrno {
                    throw SeccompError(.invalidPolicy, operation: "\"\(rule)\" repeats the default errno \(errno)",
                                       hint: "use SyscallRule.deny, or leave the call out")
                }
                if let condition = rule.conditions.first(where: { $0.argument > 5 }) {
                    throw SeccompError(.invalidPolicy, operation: "\"\(rule)\" tests argument \(condition.argument)",
                                       hint: "system calls have arguments 0 to 5")
                }
            }
        }
    }
}

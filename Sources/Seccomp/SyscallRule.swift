/// One line of a seccomp policy: what happens when a sandboxed process makes `syscall`, either
/// always or only when its arguments satisfy every condition.
///
/// Conditional rules for one system call are alternatives (any matching `allow` rule allows it);
/// a call that matches none of them gets the policy's `deniedErrno`.
public struct SyscallRule: Sendable, Equatable, CustomStringConvertible {
    /// What the filter does with a matching call.
    public enum Action: Sendable, Equatable {
        /// The call runs.
        case allow
        /// The call fails with the policy's `deniedErrno` (EPERM). This is what every system call
        /// the policy does not allow gets; listing it documents the decision and keeps the name
        /// from falling into the "newer than the policy" range.
        case deny
        /// The call fails with this errno, which must differ from the policy's `deniedErrno`.
        case fail(errno: Int32)
    }

    /// A test of one system call argument (`a0` to `a5`) against a constant.
    public struct Condition: Sendable, Equatable, CustomStringConvertible {
        /// How the argument is compared.
        public enum Comparison: Sendable, Equatable {
            /// `argument & mask == value`.
            case maskedEqual(mask: UInt64, value: UInt64)
            /// `argument >= value`, as unsigned 64-bit numbers.
            case atLeast(UInt64)
        }

        /// The argument's position, 0 to 5.
        public let argument: UInt32
        /// The comparison that must hold.
        public let comparison: Comparison

        /// A C `int` or `unsigned int` argument equals `value`. Only the low 32 bits are compared:
        /// the kernel ignores the upper half of such arguments, so comparing all 64 bits would let
        /// a caller slip past a rule by setting them.
        public static func int(_ argument: UInt32, equals value: Int32) -> Condition {
            Condition(argument: argument, comparison: .maskedEqual(mask: 0xFFFF_FFFF, value: UInt64(UInt32(bitPattern: value))))
        }

        /// A C `unsigned int` argument, such as a personality, equals `value` (low 32 bits only, as above).
        public static func uint(_ argument: UInt32, equals value: UInt32) -> Condition {
            Condition(argument: argument, comparison: .maskedEqual(mask: 0xFFFF_FFFF, value: UInt64(value)))
        }

        /// `argument & mask == value`.
        public static func bits(_ argument: UInt32, masked mask: UInt64, equal value: UInt64) -> Condition {
            Condition(argument: argument, comparison: .maskedEqual(mask: mask, value: value))
        }

        /// `argument >= value`; with 0, true for every call. libseccomp checks masked comparisons of
        /// the same argument first, so this serves as "any other value" beside more specific rules.
        public static func atLeast(_ argument: UInt32, _ value: UInt64) -> Condition {
            Condition(argument: argument, comparison: .atLeast(value))
        }

        public var description: String {
            switch comparison {
            case let .maskedEqual(mask, value) where mask == UInt64.max:
                "a\(argument) == \(hex(value))"
            case let .maskedEqual(mask, value):
                "a\(argument) & \(hex(mask)) == \(hex(value))"
            case let .atLeast(value):
                "a\(argument) >= \(hex(value))"
            }
        }

        private func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
    }

    /// The system call's name, as libseccomp spells it (`newfstatat`, `rt_sigaction`).
    public let syscall: String
    /// What happens to a matching call.
    public let action: Action
    /// Every condition must hold for the rule to match; empty means always.
    public let conditions: [Condition]

    /// Allows `syscall`, always or only when every condition holds.
    public static func allow(_ syscall: String, when conditions: Condition...) -> SyscallRule {
        SyscallRule(syscall: syscall, action: .allow, conditions: conditions)
    }

    /// Denies `syscall` with the policy's `deniedErrno`.
    public static func deny(_ syscall: String) -> SyscallRule {
        SyscallRule(syscall: syscall, action: .deny, conditions: [])
    }

    /// Fails `syscall` with `errno`, always or only when every condition holds.
    public static func fail(_ syscall: String, errno: Int32, when conditions: Condition...) -> SyscallRule {
        SyscallRule(syscall: syscall, action: .fail(errno: errno), conditions: conditions)
    }

    public var description: String {
        let verb = switch action {
        case .allow: "allow"
        case .deny: "deny"
        case let .fail(errno): "fail with errno \(errno)"
        }
        let when = conditions.isEmpty ? "" : " when " + conditions.map(\.description).joined(separator: " && ")
        return "\(syscall): \(verb)\(when)"
    }
}

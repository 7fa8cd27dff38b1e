import Glibc

/// Compiling a seccomp policy failed: a libseccomp call or system call returned an error, or the
/// policy itself is contradictory. The description says what was attempted and how to fix it.
public struct SeccompError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, broadly.
    public enum Kind: Sendable, Equatable {
        /// A libseccomp function returned a negative errno.
        case libseccompCallFailed
        /// A system call (memfd_create, pread, ...) failed.
        case systemCallFailed
        /// The policy cannot be compiled as written; `operation` says which rule and why.
        case invalidPolicy
    }

    /// What went wrong, broadly.
    public let kind: Kind
    /// What was attempted, e.g. `seccomp_rule_add_array(socket, allow when a0 == 1)`.
    public let operation: String
    /// The positive errno reported, when a call failed.
    public let errno: Int32?
    /// How to fix it, when known.
    public let hint: String?

    init(_ kind: Kind, operation: String, errno: Int32? = nil, hint: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.errno = errno
        self.hint = hint
    }

    public var description: String {
        var text: String
        switch kind {
        case .invalidPolicy:
            text = "invalid seccomp policy: \(operation)"
        case .libseccompCallFailed, .systemCallFailed:
            text = "\(operation) failed"
            if let errno { text += ": \(String(cString: strerror(errno))) (errno \(errno))" }
        }
        if let hint { text += "; \(hint)" }
        return text
    }

    /// Checks a libseccomp result, which reports failure as a negative errno.
    static func checkLibseccomp(_ result: Int32, _ operation: @autoclosure () -> String) throws(SeccompError) {
        guard result < 0 else { return }
        throw SeccompError(.libseccompCallFailed, operation: operation(), errno: -result,
                           hint: libseccompHint(errno: -result))
    }

    private static func libseccompHint(errno: Int32) -> String? {
        switch errno {
        case EACCES: "libseccomp refuses a rule whose action equals the default action: use SyscallRule.deny"
        case EINVAL: "check the argument index (0...5) and the action of the rule"
        case EOPNOTSUPP: "the installed libseccomp is too old for this option: install libseccomp 2.5 or newer"
        default: nil
        }
    }
}

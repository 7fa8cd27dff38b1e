import CSeccomp
import Glibc

/// A libseccomp filter being built for the native architecture: every call checked, released on deinit.
final class SeccompFilterContext {
    private let context: scmp_filter_ctx

    /// A filter whose unmatched calls fail with `defaultErrno`.
    init(defaultErrno: Int32) throws(SeccompError) {
        guard let context = seccomp_init(Self.errnoAction(defaultErrno)) else {
            throw SeccompError(.libseccompCallFailed, operation: "seccomp_init(SCMP_ACT_ERRNO(\(defaultErrno)))",
                               hint: "out of memory, or an invalid default action")
        }
        self.context = context
    }

    deinit {
        seccomp_release(context)
    }

    /// `SCMP_ACT_ERRNO(errno)`, a C macro Swift cannot call.
    static func errnoAction(_ errno: Int32) -> UInt32 {
        0x0005_0000 | (UInt32(bitPattern: errno) & 0xFFFF)
    }

    /// `SCMP_ACT_ALLOW`.
    static let allowAction: UInt32 = 0x7FFF_0000

    func setAttribute(_ attribute: scmp_filter_attr, _ value: UInt32, _ name: String) throws(SeccompError) {
        try SeccompError.checkLibseccomp(seccomp_attr_set(context, attribute, value),
                                         "seccomp_attr_set(\(name), \(value))")
    }

    /// Adds one rule; `description` names it in errors.
    func addRule(action: UInt32, syscall number: Int32, conditions: [SyscallRule.Condition],
                 description: @autoclosure () -> String) throws(SeccompError) {
        let comparisons = conditions.map { condition in
            switch condition.comparison {
            case let .maskedEqual(mask, value):
                scmp_arg_cmp(arg: condition.argument, op: SCMP_CMP_MASKED_EQ, datum_a: mask, datum_b: value)
            case let .atLeast(value):
                scmp_arg_cmp(arg: condition.argument, op: SCMP_CMP_GE, datum_a: value, datum_b: 0)
            }
        }
        let result = comparisons.withUnsafeBufferPointer { buffer in
            seccomp_rule_add_array(context, action, number, UInt32(buffer.count), buffer.baseAddress)
        }
        try SeccompError.checkLibseccomp(result, "seccomp_rule_add_array(\(description()))")
    }

    /// The finished BPF program, as raw `struct sock_filter` bytes. libseccomp 2.5 exports only to a
    /// file descriptor, so it writes into a memfd that is then read back.
    func exportBPF() throws(SeccompError) -> [UInt8] {
        let fd = try Self.retryingInterrupts("memfd_create(seccomp-bpf)") {
            paastech_memfd_create("seccomp-bpf", UInt32(MFD_CLOEXEC))
        }
        defer { _ = Glibc.close(fd) }
        try SeccompError.checkLibseccomp(seccomp_export_bpf(context, fd), "seccomp_export_bpf(memfd \(fd))")

        var status = stat()
        try Self.retryingInterrupts("fstat(memfd \(fd))") { fstat(fd, &status) }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = try Self.retryingInterrupts("pread(memfd \(fd), offset \(offset))") {
                bytes.withUnsafeMutableBytes { buffer in
                    let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[offset...])
                    return pread(fd, rest.baseAddress, rest.count, off_t(offset))
                }
            }
            guard count > 0 else {
                throw SeccompError(.systemCallFailed, operation: "pread(memfd \(fd)) ended at \(offset) of \(bytes.count) bytes")
            }
            offset += count
        }
        return bytes
    }

    /// Runs `call` until it does not fail with EINTR; -1 throws with the errno.
    @discardableResult
    private static func retryingInterrupts<Result: BinaryInteger>(
        _ operation: @autoclosure () -> String, _ call: () -> Result
    ) throws(SeccompError) -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let error = Glibc.errno
            if error == EINTR { continue }
            throw SeccompError(.systemCallFailed, operation: operation(), errno: error)
        }
    }
}

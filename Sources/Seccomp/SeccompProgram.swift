import CSeccomp
import Glibc

/// A seccomp policy compiled to a classic BPF program, ready for `seccomp(SECCOMP_SET_MODE_FILTER)`.
///
/// Compile once in the parent; the spawned child installs it right before `execve` (after
/// `PR_SET_NO_NEW_PRIVS`), so compiling never runs after `clone`.
public struct SeccompProgram: Sendable, Equatable {
    /// The raw `struct sock_filter` array in native byte order, 8 bytes per instruction.
    public let filter: [UInt8]
    /// The highest system call number the policy names on this architecture; calls above it (up
    /// to the policy's `newerSyscallLimit`) fail with the policy's `newerSyscallErrno`.
    public let newestPolicySyscall: Int32
    /// Names in the policy the installed libseccomp does not know, or that do not exist on this
    /// architecture; they were left out (their numbers, if any, get the default answer).
    public let unresolvedSyscalls: [String]

    /// The number of BPF instructions; at most `BPF_MAXINSNS` (4096) for the kernel to accept it.
    public var instructionCount: Int { filter.count / MemoryLayout<sock_filter>.size }

    /// Compiles `policy` for the native architecture.
    ///
    /// Non-native architectures (i386 through `int 0x80`, x32) are not in the filter: their calls fail
    /// with the policy's `deniedErrno` rather than killing the process, so a 32-bit program reports an
    /// error instead of dying with SIGSYS. Sandboxes run 64-bit programs only.
    public static func compile(_ policy: SeccompPolicy = .default) throws(SeccompError) -> SeccompProgram {
        try policy.validate()
        let context = try SeccompFilterContext(defaultErrno: policy.deniedErrno)
        // Real errnos from libseccomp instead of a blanket ECANCELED.
        try context.setAttribute(SCMP_FLTATR_API_SYSRAWRC, 1, "SCMP_FLTATR_API_SYSRAWRC")
        try context.setAttribute(SCMP_FLTATR_ACT_BADARCH, SeccompFilterContext.errnoAction(policy.deniedErrno),
                                 "SCMP_FLTATR_ACT_BADARCH")
        // The child sets no_new_privs itself; libseccomp only applies this when it loads the filter.
        try context.setAttribute(SCMP_FLTATR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP")
        // A binary search over syscall numbers: every call costs O(log n) comparisons, not O(n).
        try context.setAttribute(SCMP_FLTATR_CTL_OPTIMIZE, 2, "SCMP_FLTATR_CTL_OPTIMIZE")

        let (numbers, unresolved) = resolveNumbers(of: policy)
        guard let newest = numbers.values.max() else {
            throw SeccompError(.invalidPolicy, operation: "no system call of the policy is known to libseccomp")
        }

        for rule in policy.rules {
            guard let number = numbers[rule.syscall] else { continue }
            let action: UInt32
            switch rule.action {
            case .allow: action = SeccompFilterContext.allowAction
            case .deny: continue  // the default action; libseccomp refuses a rule that repeats it
            case let .fail(errno): action = SeccompFilterContext.errnoAction(errno)
            }
            try context.addRule(action: action, syscall: number, conditions: rule.conditions,
                                description: "\(rule) [\(number)]")
        }
        // Calls newer than the policy are answered by a short prefix (newerCallsPrefix) instead of one
        // libseccomp rule per number: about 600 fewer instructions for the kernel to check, convert and
        // JIT-compile in every sandbox's child (~0.1 ms of each start).
        var filter = try context.exportBPF()
        if newest < policy.newerSyscallLimit {
            filter = Self.newerCallsPrefix(newest: UInt32(newest), limit: UInt32(policy.newerSyscallLimit),
                                           errno: policy.newerSyscallErrno) + filter
        }
        let size = MemoryLayout<sock_filter>.size
        guard !filter.isEmpty, filter.count % size == 0, filter.count / size <= Int(BPF_MAXINSNS) else {
            throw SeccompError(.invalidPolicy, operation: "libseccomp produced \(filter.count) bytes of BPF",
                               hint: "the kernel accepts 1 to \(BPF_MAXINSNS) instructions of \(size) bytes; lower newerSyscallLimit")
        }
        return SeccompProgram(filter: filter, newestPolicySyscall: newest, unresolvedSyscalls: unresolved)
    }

    /// Instructions put before libseccomp's program: on the native architecture, a call numbered
    /// `newest + 1 ... limit` fails with `errno`; everything else (other architectures, x32 numbers,
    /// numbers above `limit`) falls through to libseccomp's program unchanged. Classic BPF jumps are
    /// relative, so the program after it needs no fixing up.
    static func newerCallsPrefix(newest: UInt32, limit: UInt32, errno: Int32) -> [UInt8] {
        let load = UInt16(BPF_LD | BPF_W | BPF_ABS), greater = UInt16(BPF_JMP | BPF_JGT | BPF_K)
        let instructions: [sock_filter] = [
            sock_filter(code: load, jt: 0, jf: 0, k: 4),  // seccomp_data.arch
            sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 4, k: seccomp_arch_native()),
            sock_filter(code: load, jt: 0, jf: 0, k: 0),  // seccomp_data.nr
            sock_filter(code: greater, jt: 0, jf: 2, k: newest),
            sock_filter(code: greater, jt: 1, jf: 0, k: limit),
            sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: SeccompFilterContext.errnoAction(errno)),
        ]
        return instructions.withUnsafeBytes { Array($0) }
    }

    /// Each name's number on the native architecture, and the names without one.
    private static func resolveNumbers(of policy: SeccompPolicy) -> (numbers: [String: Int32], unresolved: [String]) {
        var numbers: [String: Int32] = [:]
        var unresolved: [String] = []
        for rule in policy.rules where numbers[rule.syscall] == nil && !unresolved.contains(rule.syscall) {
            let number = seccomp_syscall_resolve_name(rule.syscall)
            // Negative: unknown (__NR_SCMP_ERROR) or a pseudo number for a call this architecture lacks.
            if number < 0 { unresolved.append(rule.syscall) } else { numbers[rule.syscall] = number }
        }
        return (numbers, unresolved)
    }

    /// Calls `body` with a `struct sock_fprog` for `seccomp(2)`, valid only during the call.
    public func withUnsafeFilterProgram<Result, Failure: Error>(
        _ body: (UnsafePointer<sock_fprog>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // Copy into typed, aligned storage: an [UInt8] promises no alignment for sock_filter.
        let instructions = UnsafeMutableBufferPointer<sock_filter>.allocate(capacity: instructionCount)
        defer { instructions.deallocate() }
        filter.withUnsafeBytes { bytes in
            UnsafeMutableRawBufferPointer(instructions).copyMemory(from: bytes)
        }
        var program = sock_fprog(len: UInt16(instructionCount), filter: instructions.baseAddress)
        return try body(&program)
    }
}

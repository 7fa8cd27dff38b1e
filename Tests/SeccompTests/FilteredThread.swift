import CSeccomp
import Glibc
import Seccomp

/// A system call made on a filtered thread, and the answer the default policy should give.
struct SyscallProbe: CustomStringConvertible {
    enum Expected: Equatable {
        /// The filter lets it through and the kernel performs it.
        case succeeds
        /// The filter answers with this errno; the kernel never sees the call.
        case refusedByFilter(errno: Int32)
        /// The filter lets it through and the kernel refuses it (invalid arguments, on purpose).
        case refusedByKernel(errno: Int32)
    }

    let name: String
    let number: Int
    let arguments: [Int]
    let expected: Expected
    /// The result is a new descriptor to close.
    let returnsDescriptor: Bool

    init(_ name: String, _ number: Int32, _ arguments: Int..., expected: Expected, returnsDescriptor: Bool = false) {
        self.name = name
        self.number = Int(number)
        self.arguments = arguments + Array(repeating: 0, count: 6 - arguments.count)
        self.expected = expected
        self.returnsDescriptor = returnsDescriptor
    }

    var description: String { "\(name) [\(number)]" }

    /// The raw result: a value, or -errno.
    func call() -> Int {
        let result = paastech_raw_syscall(number, arguments[0], arguments[1], arguments[2], arguments[3],
                                          arguments[4], arguments[5])
        if returnsDescriptor && result >= 0 { _ = close(Int32(result)) }
        return result
    }

    /// Whether `result` is what the filter should answer.
    func matches(_ result: Int) -> Bool {
        switch expected {
        case .succeeds: result >= 0
        case let .refusedByFilter(errno), let .refusedByKernel(errno): result == -Int(errno)
        }
    }
}

/// Runs work on a fresh pthread that installs a seccomp filter first. A filter installed without
/// SECCOMP_FILTER_FLAG_TSYNC binds only its own thread, and dies with it; no_new_privs is per
/// thread too. So the test process itself stays unfiltered.
enum FilteredThread {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The probes' raw results, in order. With `program` nil the thread runs unfiltered.
    static func run(_ program: SeccompProgram?, _ probes: [SyscallProbe],
                    extra: @escaping @Sendable () -> Int = { 0 }) throws -> (installResult: Int, results: [Int], extra: Int) {
        final class Work: @unchecked Sendable {  // handed to exactly one thread, read after join
            let program: SeccompProgram?
            let probes: [SyscallProbe]
            let extra: @Sendable () -> Int
            var installResult = 0
            var results: [Int] = []
            var extraResult = 0
            init(_ program: SeccompProgram?, _ probes: [SyscallProbe], _ extra: @escaping @Sendable () -> Int) {
                self.program = program
                self.probes = probes
                self.extra = extra
            }
        }
        let work = Work(program, probes, extra)
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let work = Unmanaged<Work>.fromOpaque(argument).takeUnretainedValue()
            if let program = work.program {
                // As the sandbox's child does: no_new_privs, then the filter, then nothing else but the work.
                work.installResult = paastech_raw_syscall(Int(SYS_prctl), Int(PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0, 0)
                if work.installResult == 0 {
                    work.installResult = program.withUnsafeFilterProgram { filter in
                        paastech_raw_syscall(Int(SYS_seccomp), Int(SECCOMP_SET_MODE_FILTER), 0, Int(bitPattern: filter), 0, 0, 0)
                    }
                }
                guard work.installResult == 0 else { return nil }
            }
            work.results = work.probes.map { $0.call() }
            work.extraResult = work.extra()
            return nil
        }, Unmanaged.passUnretained(work).toOpaque())
        guard created == 0 else { throw Failure(description: "pthread_create failed with errno \(created)") }
        let joined = pthread_join(thread, nil)
        guard joined == 0 else { throw Failure(description: "pthread_join failed with errno \(joined)") }
        return (work.installResult, work.results, work.extraResult)
    }
}

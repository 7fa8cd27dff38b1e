import CSeccomp
import Glibc
import Seccomp
import Testing

/// The default program installed in the kernel, on a thread of its own, answering real system calls.
/// Every denied probe is one the kernel would answer differently (and harmlessly) without the filter:
/// the unfiltered run checks that, so a filter that lets a call through cannot pass unnoticed.
@Suite("The default seccomp program in the kernel", .serialized)
struct FilteredThreadTests {
    /// Descriptors and buffers the probes point at, made before the filter and released after.
    final class Fixtures {
        let devNull: Int32
        let pipe: (read: Int32, write: Int32)
        let path = strdup("/dev/null")
        let buffer = UnsafeMutablePointer<Int32>.allocate(capacity: 2)

        init() throws {
            devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            var fds: [Int32] = [-1, -1]
            let piped = Glibc.pipe(&fds)
            pipe = (fds[0], fds[1])
            guard devNull >= 0, piped == 0, path != nil else {
                throw FilteredThread.Failure(description: "fixtures: errno \(errno)")
            }
        }

        deinit {
            close(devNull)
            close(pipe.read)
            close(pipe.write)
            free(path)
            buffer.deallocate()
        }
    }

    let fixtures: Fixtures
    let probes: [SyscallProbe]

    init() throws {
        let f = try Fixtures()  // short: the probes below refer to it often
        fixtures = f
        let path = Int(bitPattern: f.path), buffer = Int(bitPattern: f.buffer)
        let nowhere = 0x3FFF_FFFF  // a pid that does not exist
        let newest = try SeccompProgram.compile().newestPolicySyscall
        probes = [
            SyscallProbe("getpid", Int32(SYS_getpid), expected: .succeeds),
            SyscallProbe("openat /dev/null", Int32(SYS_openat), Int(AT_FDCWD), path, Int(O_RDONLY | O_CLOEXEC),
                         expected: .succeeds, returnsDescriptor: true),
            SyscallProbe("ioctl FIONREAD on a pipe", Int32(SYS_ioctl), Int(f.pipe.read), Int(FIONREAD), buffer,
                         expected: .succeeds),
            SyscallProbe("ioctl TIOCSTI", Int32(SYS_ioctl), Int(f.devNull), Int(TIOCSTI), buffer, expected: .refusedByFilter(errno: EIO)),
            SyscallProbe("ioctl TIOCSTI, upper bits set", Int32(SYS_ioctl), Int(f.devNull), Int(TIOCSTI) | 1 << 32, buffer,
                         expected: .refusedByFilter(errno: EIO)),
            SyscallProbe("mount", Int32(SYS_mount), 0, 0, 0, 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("umount2", Int32(SYS_umount2), 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("unshare(CLONE_NEWNS)", Int32(SYS_unshare), Int(CLONE_NEWNS), expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("setns", Int32(SYS_setns), -1, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("ptrace(PTRACE_GETREGS)", Int32(SYS_ptrace), 12, nowhere, 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("process_vm_readv", Int32(SYS_process_vm_readv), nowhere, 0, 0, 0, 0, 1,
                         expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("bpf", Int32(SYS_bpf), 0xFFFF, 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("perf_event_open", Int32(SYS_perf_event_open), 0, 0, -1, -1, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("keyctl", Int32(SYS_keyctl), 0xFFFF, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("add_key", Int32(SYS_add_key), 0, 0, 0, 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("init_module", Int32(SYS_init_module), 0, 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("reboot with a wrong magic", Int32(SYS_reboot), 0, 0, 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("swapoff", Int32(SYS_swapoff), 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("userfaultfd", Int32(SYS_userfaultfd), 0xFFFF, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("io_uring_setup", Int32(SYS_io_uring_setup), 0, 0, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("socket(AF_INET)", Int32(SYS_socket), Int(AF_INET), Int(SOCK_STREAM.rawValue), 0,
                         expected: .succeeds, returnsDescriptor: true),
            SyscallProbe("socket(AF_NETLINK, NETLINK_ROUTE)", Int32(SYS_socket), Int(AF_NETLINK), Int(SOCK_RAW.rawValue),
                         Int(NETLINK_ROUTE), expected: .succeeds, returnsDescriptor: true),
            SyscallProbe("socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT)", Int32(SYS_socket), Int(AF_NETLINK),
                         Int(SOCK_RAW.rawValue), Int(NETLINK_KOBJECT_UEVENT), expected: .refusedByFilter(errno: EPERM), returnsDescriptor: true),
            SyscallProbe("socket(AF_PACKET)", Int32(SYS_socket), Int(AF_PACKET), Int(SOCK_RAW.rawValue), 0,
                         expected: .refusedByFilter(errno: EPERM), returnsDescriptor: true),
            SyscallProbe("socketpair(AF_INET)", Int32(SYS_socketpair), Int(AF_INET), Int(SOCK_STREAM.rawValue), 0, buffer,
                         expected: .refusedByFilter(errno: EPERM)),
            // Invalid flag sets, so that even a filter that let them through would create nothing:
            // CLONE_NEWNS with CLONE_FS, and CLONE_SIGHAND without CLONE_VM, are EINVAL in the kernel.
            SyscallProbe("clone(CLONE_NEWNS | CLONE_FS)", Int32(SYS_clone), Int(CLONE_NEWNS | CLONE_FS), 0, 0, 0, 0,
                         expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("clone(CLONE_SIGHAND)", Int32(SYS_clone), Int(CLONE_SIGHAND), 0, 0, 0, 0,
                         expected: .refusedByKernel(errno: EINVAL)),
            SyscallProbe("clone3", Int32(SYS_clone3), 0, 0, expected: .refusedByFilter(errno: ENOSYS)),
            SyscallProbe("personality(ADDR_NO_RANDOMIZE)", Int32(SYS_personality), 0x0004_0000, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("personality query", Int32(SYS_personality), 0xFFFF_FFFF, expected: .succeeds),
            SyscallProbe("the first call newer than the policy", newest + 1, 0, 0, 0, 0, expected: .refusedByFilter(errno: ENOSYS)),
            SyscallProbe("an unused number below the newest", 400, expected: .refusedByFilter(errno: EPERM)),
            SyscallProbe("x32 getpid", Int32(SYS_getpid) | 0x4000_0000, expected: .refusedByFilter(errno: EPERM)),
        ]
    }

    @Test("each probe gets the policy's answer, and getifaddrs works (netlink route)")
    func filteredAnswers() throws {
        let program = try SeccompProgram.compile()
        let run = try FilteredThread.run(program, probes) { Self.countInterfaces() }
        try #require(run.installResult == 0, "installing the filter: \(run.installResult)")
        for (probe, result) in zip(probes, run.results) {
            #expect(probe.matches(result), "\(probe): got \(Self.describe(result)), expected \(probe.expected)")
        }
        #expect(run.extra > 0, "getifaddrs under the filter found \(run.extra) interfaces")
    }

    // Unprivileged, the kernel itself answers EPERM to several probes.
    @Test("without the filter, the kernel answers every refused probe differently", .enabled(if: geteuid() == 0))
    func unfilteredAnswersDiffer() throws {
        let run = try FilteredThread.run(nil, probes)
        for (probe, result) in zip(probes, run.results) {
            switch probe.expected {
            case .succeeds, .refusedByKernel:
                #expect(probe.matches(result), "\(probe): the kernel said \(Self.describe(result))")
            case let .refusedByFilter(errno):
                // A kernel without the newer call gives its own ENOSYS: the same answer, nothing to compare.
                if errno == ENOSYS && result == -Int(ENOSYS) { continue }
                #expect(!probe.matches(result), "\(probe): the kernel alone says \(Self.describe(result)) too")
            }
        }
    }

    /// How many interfaces getifaddrs reports (it asks netlink route); -errno on failure.
    @Sendable static func countInterfaces() -> Int {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return -Int(errno) }
        defer { freeifaddrs(list) }
        var count = 0
        var entry = list
        while let current = entry {
            count += 1
            entry = current.pointee.ifa_next
        }
        return count
    }

    static func describe(_ result: Int) -> String {
        result >= 0 ? "\(result)" : "errno \(-result) (\(String(cString: strerror(Int32(-result)))))"
    }
}

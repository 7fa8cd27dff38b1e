import CSeccomp
import Glibc
import Seccomp
import Testing

/// The compiled default policy, checked instruction by instruction with `SeccompFilterEvaluator`.
@Suite("The compiled default seccomp program")
struct SeccompProgramTests {
    let program: SeccompProgram
    let filter: SeccompFilterEvaluator

    init() throws {
        program = try SeccompProgram.compile()
        filter = SeccompFilterEvaluator(program)
    }

    private func number(_ name: String) throws -> Int32 {
        let number = seccomp_syscall_resolve_name(name)
        try #require(number >= 0, "\(name) does not resolve")
        return number
    }

    private func verdict(_ name: String, _ arguments: UInt64...) throws -> SeccompFilterEvaluator.Verdict {
        try filter.evaluate(number(name), arguments: arguments)
    }

    @Test("fits the kernel's limit of 4096 instructions and is whole instructions")
    func size() throws {
        let elapsed = try ContinuousClock().measure { _ = try SeccompProgram.compile() }
        print("seccomp: the default policy compiles to \(program.instructionCount) BPF instructions in \(elapsed)")
        #expect(program.instructionCount > 0)
        #expect(program.instructionCount < 4096)
        #expect(program.filter.count == program.instructionCount * 8)
        #expect(program.unresolvedSyscalls.isEmpty)
    }

    @Test("allows every unconditionally allowed call and denies every denied one with EPERM")
    func everyRuleOfThePolicy() throws {
        for rule in SeccompPolicy.default.rules where rule.conditions.isEmpty {
            let expected: SeccompFilterEvaluator.Verdict = switch rule.action {
            case .allow: .allow
            case .deny: .errno(EPERM)
            case let .fail(errno): .errno(errno)
            }
            #expect(try verdict(rule.syscall) == expected, "\(rule)")
        }
    }

    @Test("calls newer than the policy get ENOSYS; unnamed older numbers and the rest get EPERM")
    func numbersOutsideThePolicy() throws {
        let newest = program.newestPolicySyscall
        #expect(newest == SeccompPolicy.default.rules.map { seccomp_syscall_resolve_name($0.syscall) }.max())
        for number in (newest + 1)...SeccompPolicy.default.newerSyscallLimit {
            #expect(try filter.evaluate(number) == .errno(ENOSYS), "system call \(number)")
        }
        #expect(try filter.evaluate(SeccompPolicy.default.newerSyscallLimit + 1) == .errno(EPERM))
        #expect(try filter.evaluate(0x3FFF_FFFF) == .errno(EPERM))
        #expect(try filter.evaluate(-1) == .errno(EPERM))
        // x86_64 leaves 335...423 unused: below the newest call, so EPERM.
        #expect(try filter.evaluate(400) == .errno(EPERM))
    }

    @Test("x32 and i386 calls fail with EPERM, even for calls allowed on x86_64")
    func otherArchitectures() throws {
        let getpid = try number("getpid")
        #expect(try filter.evaluate(getpid) == .allow)
        #expect(try filter.evaluate(getpid | 0x4000_0000) == .errno(EPERM))  // __X32_SYSCALL_BIT
        #expect(try filter.evaluate(20, architecture: SeccompFilterEvaluator.i386) == .errno(EPERM))  // i386 getpid
    }

    @Test("clone: processes and threads yes, any namespace no; clone3 ENOSYS")
    func clone() throws {
        let thread = UInt64(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
            | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)
        #expect(try verdict("clone", thread) == .allow)
        #expect(try verdict("clone", UInt64(SIGCHLD)) == .allow)  // fork
        #expect(try verdict("clone", UInt64(CLONE_VM | CLONE_VFORK | SIGCHLD)) == .allow)  // posix_spawn
        for flag in [CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP] {
            #expect(try verdict("clone", UInt64(flag)) == .errno(EPERM), "flag 0x\(String(flag, radix: 16))")
            #expect(try verdict("clone", UInt64(flag) | UInt64(SIGCHLD)) == .errno(EPERM))
        }
        #expect(try verdict("clone3") == .errno(ENOSYS))
    }

    @Test("socket: Unix, IPv4, IPv6 and route netlink only; socketpair: Unix only")
    func sockets() throws {
        for family in [AF_UNIX, AF_INET, AF_INET6] {
            #expect(try verdict("socket", UInt64(family), UInt64(SOCK_STREAM.rawValue), 0) == .allow)
        }
        #expect(try verdict("socket", UInt64(AF_NETLINK), UInt64(SOCK_RAW.rawValue), UInt64(NETLINK_ROUTE)) == .allow)
        for proto in [NETLINK_KOBJECT_UEVENT, NETLINK_SOCK_DIAG, NETLINK_AUDIT, NETLINK_NETFILTER, NETLINK_GENERIC] {
            #expect(try verdict("socket", UInt64(AF_NETLINK), UInt64(SOCK_RAW.rawValue), UInt64(proto)) == .errno(EPERM))
        }
        for family in [AF_PACKET, AF_VSOCK, AF_ALG, AF_BLUETOOTH, AF_KEY, AF_XDP] {
            #expect(try verdict("socket", UInt64(family), UInt64(SOCK_RAW.rawValue), 0) == .errno(EPERM), "family \(family)")
        }
        // The kernel reads an int: upper bits cannot disguise AF_PACKET.
        #expect(try verdict("socket", UInt64(AF_PACKET) | 1 << 32, UInt64(SOCK_RAW.rawValue), 0) == .errno(EPERM))
        #expect(try verdict("socketpair", UInt64(AF_UNIX), UInt64(SOCK_STREAM.rawValue), 0) == .allow)
        #expect(try verdict("socketpair", UInt64(AF_INET), UInt64(SOCK_STREAM.rawValue), 0) == .errno(EPERM))
    }

    @Test("personality: only Docker's harmless values, so no one turns off address randomisation")
    func personality() throws {
        for value: UInt64 in [0, 0x0008, 0x2_0000, 0x2_0008, 0xFFFF_FFFF] {
            #expect(try verdict("personality", value) == .allow, "0x\(String(value, radix: 16))")
        }
        for value: UInt64 in [0x0004_0000 /* ADDR_NO_RANDOMIZE */, 0x0006 /* PER_BSD */, 0x0040_0000 /* READ_IMPLIES_EXEC */] {
            #expect(try verdict("personality", value) == .errno(EPERM), "0x\(String(value, radix: 16))")
        }
    }

    @Test("ioctl: everything but TIOCSTI and TIOCLINUX, whatever the upper bits")
    func ioctl() throws {
        let tiocsti = UInt64(TIOCSTI), tioclinux = UInt64(TIOCLINUX)
        #expect(try verdict("ioctl", 0, tiocsti) == .errno(EIO))
        #expect(try verdict("ioctl", 0, tioclinux) == .errno(EIO))
        #expect(try verdict("ioctl", 0, tiocsti | 0xFFFF_FFFF_0000_0000) == .errno(EIO))
        #expect(try verdict("ioctl", 0, tiocsti | 1 << 40) == .errno(EIO))
        for request in [UInt64(FIONREAD), UInt64(TCGETS), UInt64(TIOCGWINSZ), 0xFFFF_FFFF_8008_6601 /* sign-extended FS_IOC_GETFLAGS */] {
            #expect(try verdict("ioctl", 0, request) == .allow, "0x\(String(request, radix: 16))")
        }
    }

    @Test("compiling twice gives the same program")
    func deterministic() throws {
        #expect(try SeccompProgram.compile() == program)
    }
}

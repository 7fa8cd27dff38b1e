import CSeccomp
import Glibc
import Seccomp
import Testing

@Suite("The default seccomp policy")
struct SeccompPolicyTests {
    let policy = SeccompPolicy.default

    /// What the issue requires to be denied, plus systemd's @obsolete set as it exists on x86_64.
    static let requiredDenials = [
        "mount", "umount2", "pivot_root", "ptrace", "process_vm_readv", "process_vm_writev", "bpf",
        "perf_event_open", "keyctl", "add_key", "request_key", "kexec_load", "init_module", "finit_module",
        "delete_module", "reboot", "swapon", "swapoff", "setns", "unshare", "open_by_handle_at",
        "userfaultfd", "acct",
        "_sysctl", "afs_syscall", "create_module", "get_kernel_syms", "getpmsg", "putpmsg", "query_module",
        "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver",
    ]

    @Test("every name in the policy is a system call this libseccomp knows on this machine")
    func everyNameResolves() {
        for rule in policy.rules {
            #expect(seccomp_syscall_resolve_name(rule.syscall) >= 0, "\(rule.syscall) does not resolve")
        }
    }

    @Test("the required system calls are denied, and nothing else is said about them")
    func requiredDenials() {
        for name in Self.requiredDenials {
            let rules = policy.rules(for: name)
            #expect(rules == [.deny(name)], "\(name): \(rules)")
        }
    }

    @Test("clone, socket, socketpair and personality are allowed only with conditions")
    func conditionalCalls() {
        for name in ["clone", "socket", "socketpair", "personality", "ioctl"] {
            let rules = policy.rules(for: name)
            #expect(!rules.isEmpty)
            #expect(rules.allSatisfy { !$0.conditions.isEmpty }, "\(name): \(rules)")
        }
        #expect(policy.rules(for: "clone3") == [.fail("clone3", errno: ENOSYS)])
    }

    @Test("every x86_64 system call up to the newest the policy names is allowed or denied explicitly")
    func policyIsCompleteUpToItsNewestCall() throws {
        let named = Set(policy.rules.map(\.syscall))
        let newest = try #require(named.map { seccomp_syscall_resolve_name($0) }.max())
        var unclassified: [String] = []
        for number in 0...newest {
            guard let name = seccomp_syscall_resolve_num_arch(seccomp_arch_native(), number) else { continue }
            defer { free(name) }
            if !named.contains(String(cString: name)) { unclassified.append("\(String(cString: name)) (\(number))") }
        }
        #expect(unclassified.isEmpty, "add these to SeccompPolicy+Default.swift: \(unclassified)")
    }

    @Test("every group has a name, a purpose and rules, and no system call sits in two groups")
    func groupsAreDistinct() {
        var groupOfSyscall: [String: String] = [:]
        for group in policy.groups {
            #expect(!group.name.isEmpty && !group.purpose.isEmpty && !group.rules.isEmpty)
            for name in Set(group.rules.map(\.syscall)) {
                #expect(groupOfSyscall[name] == nil, "\(name) is in \(groupOfSyscall[name] ?? "") and \(group.name)")
                groupOfSyscall[name] = group.name
            }
        }
    }

    @Test("an unconditional rule beside other rules of the same call is rejected, not silently merged")
    func unconditionalRuleBesideOthersIsRejected() {
        let policy = SeccompPolicy(groups: [SyscallGroup("test", "test", allow: ["ioctl"], rules: [
            .fail("ioctl", errno: EIO, when: .uint(1, equals: UInt32(TIOCSTI))),
        ])])
        #expect(throws: SeccompError.self) { try SeccompProgram.compile(policy) }
        let conflicting = SeccompPolicy(groups: [SyscallGroup("test", "test", allow: ["mount"], deny: ["mount"])])
        let error = #expect(throws: SeccompError.self) { try SeccompProgram.compile(conflicting) }
        #expect(error?.kind == .invalidPolicy)
        #expect(error?.description.contains("mount") == true)
    }

    @Test("a rule that repeats the default errno, or tests a seventh argument, is rejected")
    func invalidRulesAreRejected() {
        let repeatsDefault = SeccompPolicy(groups: [SyscallGroup("test", "test", rules: [.fail("mount", errno: EPERM)])])
        #expect(throws: SeccompError.self) { try SeccompProgram.compile(repeatsDefault) }
        let seventhArgument = SeccompPolicy(groups: [SyscallGroup("test", "test", rules: [
            .allow("socket", when: .int(6, equals: AF_UNIX)),
        ])])
        #expect(throws: SeccompError.self) { try SeccompProgram.compile(seventhArgument) }
    }

    @Test("names this libseccomp does not know are reported and left out, not fatal")
    func unknownNamesAreSkipped() throws {
        let policy = SeccompPolicy(groups: [SyscallGroup("test", "test", allow: ["getpid", "no_such_call"])])
        let program = try SeccompProgram.compile(policy)
        #expect(program.unresolvedSyscalls == ["no_such_call"])
        #expect(program.newestPolicySyscall == seccomp_syscall_resolve_name("getpid"))
    }
}

import CSeccomp
import Glibc

extension SeccompPolicy {
    /// The policy of every app and build sandbox, written for x86_64.
    ///
    /// In the spirit of Docker's default profile and systemd's `@system-service`: what glibc, Python,
    /// Node, Go, the JVM, git, gcc/clang, pip and npm use is allowed; what reaches beyond the
    /// sandbox (mounts, namespaces, other processes' memory, kernel modules, BPF, keyrings, the
    /// host's clock and name) is denied with EPERM. Every x86_64 system call up to the newest one
    /// listed here (`futex_requeue`, 456) is listed, allowed or denied; later ones get ENOSYS.
    public static let `default` = SeccompPolicy(groups: [
        // MARK: Allowed

        SyscallGroup("File I/O", "read and write open files, pipes and sockets", allow: [
            "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2",
            "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "flock", "pipe", "pipe2",
            "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate", "fadvise64", "readahead",
            "ftruncate", "truncate", "sendfile", "splice", "tee", "vmsplice", "copy_file_range", "cachestat",
        ]),
        SyscallGroup("Files and directories", "open, inspect, create, rename and remove paths", allow: [
            "open", "openat", "openat2", "creat", "stat", "fstat", "lstat", "newfstatat", "statx",
            "access", "faccessat", "faccessat2", "statfs", "fstatfs", "getdents", "getdents64",
            "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir", "rename", "renameat", "renameat2",
            "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat",
            "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "umask",
            "utime", "utimes", "utimensat", "futimesat",
            // Without CAP_MKNOD only FIFOs and sockets: no device nodes.
            "mknod", "mknodat",
            // A handle is useless without open_by_handle_at, which is denied.
            "name_to_handle_at",
            "setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
            "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
            "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
        ]),
        SyscallGroup("Event loops", "wait for many descriptors: libuv, asyncio, Netty, Go's netpoller", allow: [
            "poll", "ppoll", "select", "pselect6",
            "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
            "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_gettime",
            // Linux AIO (libaio, databases). io_uring is denied below.
            "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
        ]),
        SyscallGroup("Memory", "map, protect and advise the process's own memory", allow: [
            "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "msync", "mincore", "remap_file_pages",
            "mlock", "mlock2", "munlock", "mlockall", "munlockall",  // bounded by RLIMIT_MEMLOCK
            "membarrier", "memfd_create", "memfd_secret", "pkey_alloc", "pkey_free", "pkey_mprotect",
            "map_shadow_stack",
        ]),
        SyscallGroup("Processes", "start programs and wait for them; threads are clone without namespaces",
            allow: [
                "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
                "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "process_mrelease",
                "prctl", "arch_prctl", "get_thread_area", "set_thread_area", "set_tid_address", "restart_syscall",
                // Programs may restrict themselves further (filters only ever add restrictions).
                "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
            ],
            rules: [
                // A new process or thread, but no new namespace: the sandbox's are the only ones.
                // CLONE_NEWTIME is absent: clone() reads its bit (0x80) as part of the exit signal.
                .allow("clone", when: .bits(0, masked: namespaceFlags, equal: 0)),
                // Flags in memory, where seccomp cannot look: ENOSYS makes glibc and Go fall back to clone.
                .fail("clone3", errno: ENOSYS),
                // Only the execution domains Docker allows: Linux, 32-bit uname, and querying.
                .allow("personality", when: .uint(0, equals: 0)),  // PER_LINUX
                .allow("personality", when: .uint(0, equals: 0x0008)),  // PER_LINUX32
                .allow("personality", when: .uint(0, equals: 0x2_0000)),  // UNAME26
                .allow("personality", when: .uint(0, equals: 0x2_0008)),  // UNAME26 | PER_LINUX32
                .allow("personality", when: .uint(0, equals: 0xFFFF_FFFF)),  // query only
            ]),
        SyscallGroup("Threads and synchronisation", "what pthreads, Go and the JVM need", allow: [
            "futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
            "set_robust_list", "get_robust_list", "rseq",
        ]),
        SyscallGroup("Scheduling", "priorities and CPU affinity; raising either needs CAP_SYS_NICE", allow: [
            "sched_yield", "sched_setparam", "sched_getparam", "sched_setscheduler", "sched_getscheduler",
            "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
            "sched_setaffinity", "sched_getaffinity", "sched_setattr", "sched_getattr", "getcpu",
            "getpriority", "setpriority", "ioprio_get", "ioprio_set",
        ]),
        SyscallGroup("Identity", "read ids, and drop them: without capabilities no call can gain one", allow: [
            "getpid", "getppid", "gettid", "getpgrp", "getpgid", "setpgid", "getsid", "setsid",
            "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
            "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
            "capget", "capset",
        ]),
        SyscallGroup("Resources and system information", "limits, usage, uname, random numbers", allow: [
            "getrlimit", "setrlimit", "prlimit64", "getrusage", "times", "sysinfo", "uname", "getrandom",
        ]),
        SyscallGroup("Time", "clocks, sleeps and timers; setting the clock is denied below", allow: [
            "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep", "gettimeofday", "time",
            "alarm", "getitimer", "setitimer", "pause",
            "timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete",
            // Read-only without CAP_SYS_TIME (ntp_gettime uses adjtimex).
            "adjtimex", "clock_adjtime",
        ]),
        SyscallGroup("Signals", "handlers, masks and delivery", allow: [
            "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait",
            "rt_sigqueueinfo", "rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack",
        ]),
        SyscallGroup("Network", "IPv4, IPv6 and Unix sockets; netlink only for reading interfaces",
            allow: [
                "connect", "accept", "accept4", "bind", "listen", "shutdown", "getsockname", "getpeername",
                "setsockopt", "getsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
            ],
            rules: [
                .allow("socket", when: .int(0, equals: AF_UNIX)),
                .allow("socket", when: .int(0, equals: AF_INET)),
                .allow("socket", when: .int(0, equals: AF_INET6)),
                // NETLINK_ROUTE only: getifaddrs (Node's os.networkInterfaces, Python's if_nameindex);
                // changing routes or addresses needs CAP_NET_ADMIN, which sandboxes lack.
                // AF_PACKET and every other family and netlink protocol are denied.
                .allow("socket", when: .int(0, equals: AF_NETLINK), .int(2, equals: NETLINK_ROUTE)),
                .allow("socketpair", when: .int(0, equals: AF_UNIX)),
            ]),
        SyscallGroup("Inter-process communication", "System V and POSIX IPC, private to the sandbox's IPC namespace", allow: [
            "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semtimedop", "semctl",
            "msgget", "msgsnd", "msgrcv", "msgctl",
            "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
        ]),
        SyscallGroup("Terminals and devices", "ioctl, except injecting input into a terminal", rules: [
            // TIOCSTI types into the terminal, TIOCLINUX pastes on a virtual console: both can run
            // commands as whoever reads that terminal. EIO, as Linux 6.2+ answers TIOCSTI when
            // dev.tty.legacy_tiocsti=0 (EPERM is the default action, which libseccomp will not repeat).
            .fail("ioctl", errno: EIO, when: .uint(1, equals: UInt32(TIOCSTI))),
            .fail("ioctl", errno: EIO, when: .uint(1, equals: UInt32(TIOCLINUX))),
            // Every other request (checked after the two above).
            .allow("ioctl", when: .atLeast(1, 0)),
        ]),

        // MARK: Denied (EPERM)

        SyscallGroup("Mounts and file systems", "the sandbox's mounts are final before exec", deny: [
            "mount", "umount2", "pivot_root", "chroot", "mount_setattr", "move_mount", "open_tree",
            "fsopen", "fsconfig", "fsmount", "fspick", "swapon", "swapoff", "quotactl", "quotactl_fd",
            // Opens any file on a file system by handle, bypassing directory permissions.
            "open_by_handle_at",
        ]),
        SyscallGroup("Namespaces", "the sandbox's namespaces are the only ones (see clone)", deny: [
            "unshare", "setns",
        ]),
        SyscallGroup("Other processes", "no tracing, reading or stealing from other processes", deny: [
            "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp",
        ]),
        SyscallGroup("Kernel", "large attack surface or host-wide effect", deny: [
            "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
            "bpf", "perf_event_open", "userfaultfd", "add_key", "request_key", "keyctl", "acct", "syslog",
            "fanotify_init", "fanotify_mark",
            // Docker denies io_uring too; libuv and others fall back to epoll and threads.
            "io_uring_setup", "io_uring_enter", "io_uring_register",
        ]),
        SyscallGroup("Host settings and hardware", "the clock, host name and I/O ports belong to the host", deny: [
            "settimeofday", "clock_settime", "sethostname", "setdomainname", "iopl", "ioperm", "vhangup",
            // 16-bit segments, for Wine and DOS emulators only; a long history of kernel bugs.
            "modify_ldt",
        ]),
        SyscallGroup("Memory placement", "NUMA policy and page migration (Docker requires CAP_SYS_NICE)", deny: [
            "mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node", "migrate_pages", "move_pages",
        ]),
        SyscallGroup("Obsolete", "systemd's @obsolete and calls x86_64 never implemented", deny: [
            "_sysctl", "uselib", "ustat", "sysfs", "create_module", "get_kernel_syms", "query_module",
            "nfsservctl", "getpmsg", "putpmsg", "afs_syscall", "tuxcall", "security", "vserver",
            "lookup_dcookie", "epoll_ctl_old", "epoll_wait_old",
        ]),
    ])

    /// Every namespace a `clone` flag can create.
    static let namespaceFlags = UInt64(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
        | CLONE_NEWNET | CLONE_NEWCGROUP)
}

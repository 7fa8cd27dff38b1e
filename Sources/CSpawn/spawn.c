// The child side of sandbox spawning: everything after clone3 runs here, using only
// async-signal-safe calls on memory the parent prepared. The fixed order at the end follows
// bubblewrap: die-with-parent → identity / capabilities → no_new_privs → fds → seccomp LAST → execve.
#define _GNU_SOURCE
#include "spawn.h"
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct report { int stage; int detail; int error; };

static _Noreturn void fail(int fd, int stage, int detail) {
    struct report report = { stage, detail, errno };
    (void)!write(fd, &report, sizeof report);
    _exit(127);
}

/// Moves the planned fds to 0, 1, 2, 3, ... without one dup2 clobbering another source.
static int place_fds(const int *fds, size_t count) {
    int copies[64];
    if (count > 64) { errno = EMFILE; return -1; }
    // Copies numbered count and up, so the dup2s into 0..count-1 below never overwrite one. (Not a fixed
    // high number: F_DUPFD fails with EINVAL at or above RLIMIT_NOFILE, 1024 under systemd.)
    for (size_t i = 0; i < count; i++) {
        copies[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, (int)count);
        if (copies[i] < 0) return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if (dup2(copies[i], (int)i) < 0) return -1;  // dup2 clears FD_CLOEXEC on the target
    }
    // Everything else is closed at execve (the report pipe stays open until then).
    return (int)syscall(SYS_close_range, (unsigned)count, ~0U, CLOSE_RANGE_CLOEXEC);
}

static int bring_up_loopback(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    memcpy(request.ifr_name, "lo", 3);
    int result = ioctl(fd, SIOCGIFFLAGS, &request);
    if (result == 0) {
        request.ifr_flags |= IFF_UP;
        result = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    close(fd);
    return result;
}

static int drop_capabilities(int last_capability) {
    for (int cap = 0; cap <= last_capability; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    }
    return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

static int clear_capability_sets(void) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    return (int)syscall(SYS_capset, &header, data);
}

/// A new sandbox's own namespaces: its root filesystem, host name and loopback.
static int build_root(const struct paastech_spawn_plan *plan, struct failure *failure) {
    if (plan->unshare_after_release && unshare(plan->unshare_after_release) < 0) FAIL(failure, PAASTECH_STAGE_UNSHARE, 0);
    if (plan->template_fd >= 0 ? join_template(plan, failure) : build_new_root(plan, failure)) return -1;
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0) FAIL(failure, PAASTECH_STAGE_HOSTNAME, 0);
    if (plan->loopback_up && bring_up_loopback() < 0) FAIL(failure, PAASTECH_STAGE_LOOPBACK, 0);
    return 0;
}

/// cgroup v1: the child moves itself into its leaves ("0" is the writer), so the parent need not.
static void attach_to_cgroups(const struct paastech_spawn_plan *plan, int report_fd) {
    for (size_t i = 0; i < plan->attach_cgroup_count; i++) {
        int fd = openat(plan->attach_cgroup_fds[i], "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (fd < 0) fail(report_fd, PAASTECH_STAGE_CGROUP, (int)i);
        ssize_t n;
        do { n = write(fd, "0", 1); } while (n < 0 && errno == EINTR);
        if (n != 1) fail(report_fd, PAASTECH_STAGE_CGROUP, (int)i);
        close(fd);
    }
}

static _Noreturn void child_main(const struct paastech_spawn_plan *plan, int release_fd, int report_fd) {
    // Signals: defaults and nothing blocked (a Swift parent ignores or blocks some for itself). The
    // parent blocked every signal around the clone, so no handler of its runs here before this.
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; signal++) (void)sigaction(signal, &action, NULL);
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) fail(report_fd, PAASTECH_STAGE_SIGNALS, 0);
    if (plan->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) fail(report_fd, PAASTECH_STAGE_SIGNALS, 1);

    if (release_fd >= 0) {
        char go;
        ssize_t n;
        do { n = read(release_fd, &go, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) { errno = n == 0 ? ECANCELED : errno; fail(report_fd, PAASTECH_STAGE_WAIT_FOR_PARENT, 0); }
        close(release_fd);
    }
    attach_to_cgroups(plan, report_fd);
    if (plan->network_fd >= 0 && setns(plan->network_fd, CLONE_NEWNET) < 0) fail(report_fd, PAASTECH_STAGE_NETWORK, 0);
    if (plan->join_pidfd >= 0) {
        // A session: born in the target's pid namespace (see paastech_spawn), it enters the rest of the
        // target's namespaces in one step. Entering the mount namespace also moves root and cwd to its
        // root, which is the target's pivoted root.
        if (setns(plan->join_pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP) < 0)
            fail(report_fd, PAASTECH_STAGE_JOIN, 0);
    } else {
        struct failure failure;
        if (build_root(plan, &failure) < 0) fail(report_fd, failure.stage, failure.detail);
    }

    if (place_fds(plan->fds, plan->fd_count) < 0) fail(report_fd, PAASTECH_STAGE_FDS, 0);

    // Identity: empty bounding set while still privileged, then the project's uid/gid, then no caps at all.
    // Raw syscalls: glibc's wrappers would try to synchronise the parent's other threads, which the
    // clone does not have, and wait for them forever.
    if (drop_capabilities(plan->last_capability > 0 ? plan->last_capability : 63) < 0) fail(report_fd, PAASTECH_STAGE_CAPABILITIES, 0);
    if (syscall(SYS_setgroups, 1, &plan->gid) < 0 || syscall(SYS_setresgid, plan->gid, plan->gid, plan->gid) < 0
        || syscall(SYS_setresuid, plan->uid, plan->uid, plan->uid) < 0)
        fail(report_fd, PAASTECH_STAGE_IDENTITY, 0);
    if (clear_capability_sets() < 0) fail(report_fd, PAASTECH_STAGE_CAPABILITIES, 1);
    if (plan->cwd && chdir(plan->cwd) < 0) fail(report_fd, PAASTECH_STAGE_CHDIR, 0);

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(report_fd, PAASTECH_STAGE_NO_NEW_PRIVS, 0);
    // Seccomp last, so the filter need not allow anything the setup above does.
    if (plan->filter) {
        struct sock_fprog program = { plan->filter_length, (struct sock_filter *)plan->filter };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) fail(report_fd, PAASTECH_STAGE_SECCOMP, 0);
    }
    execve(plan->path, plan->argv, plan->envp);
    fail(report_fd, PAASTECH_STAGE_EXEC, 0);
}

struct vm_child_arguments {
    const struct paastech_spawn_plan *plan;
    int report_fd;
};

/// Entry of a CLONE_VM child, on its own stack. It shares the parent's memory (the parent thread is
/// suspended by CLONE_VFORK until it execs or exits), so it only reads the plan and writes nothing
/// the parent uses: its changes to errno land in the suspended thread's TLS, which nobody reads.
static int vm_child(void *argument) {
    const struct vm_child_arguments *arguments = argument;
    child_main(arguments->plan, -1, arguments->report_fd);
}

#if defined(__x86_64__)
/// clone3 for a CLONE_VM child on a stack of its own: the kernel switches the child to args->stack, so
/// it cannot return into C code; it calls fn(arg) and exits with its result. (glibc's clone3.S, in small.)
/// long paastech_clone3_vm(struct clone_args *args, size_t size, int (*fn)(void *), void *arg)
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".hidden paastech_clone3_vm\n"
    ".globl paastech_clone3_vm\n"
    ".type paastech_clone3_vm, @function\n"
    "paastech_clone3_vm:\n"
    "    mov %rdx, %r8\n"          // fn and arg survive the syscall in r8 and r9
    "    mov %rcx, %r9\n"
    "    mov $435, %eax\n"         // SYS_clone3
    "    syscall\n"
    "    test %rax, %rax\n"
    "    jnz 1f\n"                 // the parent, or an error
    "    xor %ebp, %ebp\n"         // the child: outermost frame
    "    mov %r9, %rdi\n"
    "    call *%r8\n"
    "    mov %eax, %edi\n"
    "    mov $60, %eax\n"          // SYS_exit
    "    syscall\n"
    "    hlt\n"
    "1:  ret\n"
    ".size paastech_clone3_vm, .-paastech_clone3_vm\n");
long paastech_clone3_vm(struct clone_args *args, size_t size, int (*fn)(void *), void *arg);
#define PAASTECH_HAVE_CLONE3_VM 1
#endif

/// The CLONE_VM child's stack: a buffer in paastech_spawn's own frame, which stays put while CLONE_VFORK
/// suspends the calling thread. No mmap/munmap per spawn (the munmap of a multi-threaded process
/// interrupts its other CPUs to flush their TLBs). The child needs a few KB.
enum { vm_child_stack_size = 64 * 1024 };

int paastech_spawn(const struct paastech_spawn_plan *plan, struct paastech_child *child) {
    int report[2], release[2] = { -1, -1 };
    if (pipe2(report, O_CLOEXEC) < 0) return -errno;
    if (plan->wait_for_parent && pipe2(release, O_CLOEXEC) < 0) {
        int error = errno;
        close(report[0]); close(report[1]);
        return -error;
    }
    int pidfd = -1;
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = plan->clone_flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    if (plan->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)plan->cgroup_fd;
    }
    // Like posix_spawn: when the parent has nothing to do before the exec, share its memory instead of
    // copying its page tables (a Swift server's are large), and wait for the exec.
#ifdef PAASTECH_HAVE_CLONE3_VM
    _Alignas(64) char vm_child_stack[vm_child_stack_size];
    int share_memory = !plan->wait_for_parent;
#endif
    // A session is born in the target's pid namespace: setns(CLONE_NEWPID) changes only where this
    // thread's children are born. The thread's own namespace is restored right after the clone (and
    // Swift calls this from a thread that exits afterwards anyway).
    int own_pid_namespace = -1;
    if (plan->join_pidfd >= 0) {
        own_pid_namespace = open("/proc/thread-self/ns/pid", O_RDONLY | O_CLOEXEC);
        if (own_pid_namespace < 0 || setns(plan->join_pidfd, CLONE_NEWPID) < 0) {
            int error = errno;
            if (own_pid_namespace >= 0) close(own_pid_namespace);
            close(report[0]); close(report[1]);
            if (release[0] >= 0) { close(release[0]); close(release[1]); }
            return -error;
        }
    }
    // No handler of the parent may run in the child before it resets them all.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    long pid;
#ifdef PAASTECH_HAVE_CLONE3_VM
    if (share_memory) {
        args.flags |= CLONE_VM | CLONE_VFORK;
        args.stack = (uint64_t)(uintptr_t)vm_child_stack;
        args.stack_size = vm_child_stack_size;
        struct vm_child_arguments arguments = { plan, report[1] };
        pid = paastech_clone3_vm(&args, sizeof args, vm_child, &arguments);
        if (pid < 0) { errno = (int)-pid; pid = -1; }
    } else
#endif
    {
        pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid == 0) {
            close(report[0]);
            if (release[1] >= 0) close(release[1]);
            child_main(plan, release[0], report[1]);
        }
    }
    int error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (own_pid_namespace >= 0) {
        (void)setns(own_pid_namespace, CLONE_NEWPID);  // our own namespace: always allowed
        close(own_pid_namespace);
    }
    close(report[1]);
    if (release[0] >= 0) close(release[0]);
    if (pid < 0) {
        close(report[0]);
        if (release[1] >= 0) close(release[1]);
        return -error;
    }
    child->pid = (pid_t)pid;
    child->pidfd = pidfd;
    child->release_fd = release[1];
    child->report_fd = report[0];
    return 0;
}

int paastech_release(struct paastech_child *child) {
    if (child->release_fd < 0) return 0;
    char go = 1;
    ssize_t n;
    do { n = write(child->release_fd, &go, 1); } while (n < 0 && errno == EINTR);
    int error = errno;
    close(child->release_fd);
    child->release_fd = -1;
    return n == 1 ? 0 : -error;
}

int paastech_wait_for_exec(struct paastech_child *child, int *stage, int *detail, int *error) {
    struct report report;
    size_t got = 0;
    while (got < sizeof report) {
        ssize_t n = read(child->report_fd, (char *)&report + got, sizeof report - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { int e = errno; close(child->report_fd); child->report_fd = -1; return -e; }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(child->report_fd);
    child->report_fd = -1;
    if (got == 0) return 0;  // end-of-file: execve succeeded and closed the pipe
    *stage = report.stage;
    *detail = report.detail;
    *error = report.error;
    return 1;
}

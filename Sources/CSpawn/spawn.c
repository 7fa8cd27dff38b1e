// The child side of sandbox spawning: everything after clone3 runs here, using only
// async-signal-safe calls on memory the parent prepared. The fixed order at the end follows
// bubblewrap: die-with-parent → identity / capabilities → no_new_privs → fds → seccomp LAST → execve.
#define _GNU_SOURCE
#include "spawn.h"

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
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct report { int stage; int detail; int error; };

static void fail(int fd, int stage, int detail) {
    struct report report = { stage, detail, errno };
    (void)!write(fd, &report, sizeof report);
    _exit(127);
}

static int run_operation(const struct paastech_operation *operation) {
    switch (operation->kind) {
    case PAASTECH_MKDIR:
        return (mkdir(operation->target, operation->mode) == 0 || errno == EEXIST) ? 0 : -1;
    case PAASTECH_TOUCH: {
        int fd = open(operation->target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return -1;
        close(fd);
        return 0;
    }
    case PAASTECH_MOUNT:
        return mount(operation->source, operation->target, operation->fstype, operation->flags, operation->data);
    case PAASTECH_SYMLINK:
        return symlink(operation->source, operation->target);
    case PAASTECH_WRITE: {
        int fd = open(operation->target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, operation->mode);
        if (fd < 0) return -1;
        size_t written = 0;
        while (written < operation->length) {
            ssize_t n = write(fd, operation->data + written, operation->length - written);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) { close(fd); return -1; }
            written += (size_t)n;
        }
        close(fd);
        return 0;
    }
    default:
        errno = EINVAL;
        return -1;
    }
}

/// Moves the planned fds to 0, 1, 2, 3, ... without one dup2 clobbering another source.
static int place_fds(const int *fds, size_t count) {
    enum { high = 1024 };
    int copies[64];
    if (count > 64) { errno = EMFILE; return -1; }
    for (size_t i = 0; i < count; i++) {
        copies[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, high);
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

static int drop_capabilities(void) {
    for (int cap = 0; cap <= 63; cap++) {
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

static void child_main(const struct paastech_spawn_plan *plan, int release_fd, int report_fd) {
    // Signals: defaults and nothing blocked (a Swift parent ignores or blocks some for itself).
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
    if (plan->unshare_after_release && unshare(plan->unshare_after_release) < 0) fail(report_fd, PAASTECH_STAGE_UNSHARE, 0);

    // Filesystem: a private mount tree, a fresh tmpfs root built from the plan, pivot_root into it.
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(report_fd, PAASTECH_STAGE_MOUNT_PRIVATE, 0);
    if (mount("tmpfs", plan->root, "tmpfs", MS_NOSUID | MS_NODEV, plan->root_options) < 0)
        fail(report_fd, PAASTECH_STAGE_ROOT_TMPFS, 0);
    for (size_t i = 0; i < plan->operation_count; i++) {
        if (run_operation(&plan->operations[i]) < 0) fail(report_fd, PAASTECH_STAGE_OPERATION, (int)i);
    }
    // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the new root.
    if (chdir(plan->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        fail(report_fd, PAASTECH_STAGE_PIVOT_ROOT, 0);
    if (plan->readonly_root && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        fail(report_fd, PAASTECH_STAGE_READONLY_ROOT, 0);
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0) fail(report_fd, PAASTECH_STAGE_HOSTNAME, 0);
    if (plan->loopback_up && bring_up_loopback() < 0) fail(report_fd, PAASTECH_STAGE_LOOPBACK, 0);

    if (place_fds(plan->fds, plan->fd_count) < 0) fail(report_fd, PAASTECH_STAGE_FDS, 0);

    // Identity: empty bounding set while still privileged, then the project's uid/gid, then no caps at all.
    // Raw syscalls: glibc's wrappers would try to synchronise the parent's other threads, which the
    // clone does not have, and wait for them forever.
    if (drop_capabilities() < 0) fail(report_fd, PAASTECH_STAGE_CAPABILITIES, 0);
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
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
        close(report[0]);
        if (release[1] >= 0) close(release[1]);
        child_main(plan, release[0], report[1]);
    }
    int error = errno;
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

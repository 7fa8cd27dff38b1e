// The child side of sandbox spawning. Swift builds the whole plan as data (C strings, the mount
// list, the compiled seccomp BPF, fds); paastech_spawn() clones the child, which only executes
// the plan with async-signal-safe calls and reports (stage, errno) over a close-on-exec pipe.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>  // CLONE_NEW*, for Swift

/// One step of building the sandbox's root filesystem. Paths are absolute host paths under the
/// staging root (Swift prefixes them), executed in order before pivot_root, with umask 0 (modes are
/// exactly as planned).
enum paastech_operation_kind {
    PAASTECH_MKDIR = 1,    // mkdir(target, mode); EEXIST is fine
    PAASTECH_TOUCH = 2,    // create an empty file (a bind-mount target)
    PAASTECH_MOUNT = 3,    // mount(source, target, fstype, flags, data)
    PAASTECH_SYMLINK = 4,  // symlink(source, target)
    PAASTECH_WRITE = 5,    // write data[0..<length] to a new file target with mode
    PAASTECH_MKNOD = 6,    // mknod(target, S_IFCHR | mode, flags): a character device, flags = its dev_t
};

struct paastech_operation {
    int kind;
    const char *source;
    const char *target;
    const char *fstype;
    unsigned long flags;
    const char *data;
    size_t length;
    unsigned int mode;
};

/// Where a failed child stopped. Reported with errno; end-of-file on the pipe means execve succeeded.
enum paastech_stage {
    PAASTECH_STAGE_NONE = 0,
    PAASTECH_STAGE_SIGNALS,
    PAASTECH_STAGE_WAIT_FOR_PARENT,
    PAASTECH_STAGE_UNSHARE,
    PAASTECH_STAGE_MOUNT_PRIVATE,
    PAASTECH_STAGE_ROOT_TMPFS,
    PAASTECH_STAGE_OPERATION,  // + index in `detail`
    PAASTECH_STAGE_PIVOT_ROOT,
    PAASTECH_STAGE_READONLY_ROOT,
    PAASTECH_STAGE_HOSTNAME,
    PAASTECH_STAGE_LOOPBACK,
    PAASTECH_STAGE_FDS,
    PAASTECH_STAGE_CAPABILITIES,
    PAASTECH_STAGE_IDENTITY,
    PAASTECH_STAGE_CHDIR,
    PAASTECH_STAGE_NO_NEW_PRIVS,
    PAASTECH_STAGE_SECCOMP,
    PAASTECH_STAGE_EXEC,
    PAASTECH_STAGE_JOIN,       // setns into the target's namespaces (a session)
    PAASTECH_STAGE_CGROUP,     // the child moving itself into its cgroup v1 leaves (+ index in `detail`)
    PAASTECH_STAGE_NETWORK,    // setns into the prepared network namespace
    PAASTECH_STAGE_TEMPLATE,   // entering and copying the template mount namespace
    PAASTECH_STAGE_MOVE_MOUNT, // attaching a detached mount of a host directory (+ index in `detail`)
};

struct paastech_spawn_plan {
    uint64_t clone_flags;          // CLONE_NEW* (CLONE_PIDFD is always added)
    int cgroup_fd;                 // >= 0: CLONE_INTO_CGROUP (cgroup v2); -1: none
    int wait_for_parent;           // the child waits for paastech_release() (the parent wires its network)
    int unshare_after_release;     // CLONE_NEW* to unshare once in its cgroup: the cgroup namespace on cgroup v1,
                                   // so that its root is the cgroup the child has just moved itself into
    const char *root;              // an empty directory: a fresh tmpfs is mounted here and pivoted into
    int template_fd;               // >= 0: a template mount namespace (paastech_build_template) the child copies
                                   // instead; `root` is then unused and operations' paths are inside the root
    const int *moved_mount_fds;    // template only: detached mounts of host directories (paastech_clone_mount),
    char *const *moved_mount_targets;  // attached at these paths after the operations
    size_t moved_mount_count;
    const char *root_options;      // tmpfs options for the root, e.g. "mode=0755,size=16m"
    const struct paastech_operation *operations;
    size_t operation_count;
    int readonly_root;
    const char *hostname;
    int loopback_up;               // bring up `lo` in the new network namespace (it starts down)
    uid_t uid;
    gid_t gid;
    int last_capability;           // /proc/sys/kernel/cap_last_cap: the bounding set is cleared up to it (0: up to 63)
    const int *fds;                // fds[0...2] become stdin/out/err, fds[3...] become 3, 4, ...
    size_t fd_count;
    const void *filter;            // struct sock_filter[filter_length]; NULL: no seccomp
    unsigned short filter_length;
    const char *cwd;               // inside the new root
    const char *path;              // executable inside the new root
    char *const *argv;
    char *const *envp;
    int die_with_parent;
    const int *attach_cgroup_fds;  // cgroup v1: leaf directory fds the child moves itself into (writes "0" to
    size_t attach_cgroup_count;    // cgroup.procs) before anything else; then no parent work is needed
    int network_fd;                // >= 0: a prepared network namespace the child joins (setns) instead of a new one
    int join_pidfd;                // >= 0: a session: the child is born in this process's pid namespace and
                                   // joins its mount, uts, ipc, net and cgroup namespaces; root, operations,
                                   // hostname and loopback are then ignored. -1: a new sandbox.
};

struct paastech_child {
    pid_t pid;
    int pidfd;
    int release_fd;   // parent's end of the go pipe (-1 unless wait_for_parent)
    int report_fd;    // parent's end of the report pipe
};

/// Clones the child. Returns 0, or -errno if clone3 failed (the child does not exist).
///
/// Without `wait_for_parent` the child is made like posix_spawn makes it (CLONE_VM | CLONE_VFORK, on a
/// stack of its own): the big parent's page tables are not copied, and this returns once the child
/// has exec'd or failed.
int paastech_spawn(const struct paastech_spawn_plan *plan, struct paastech_child *child);

/// Builds a template root on the calling thread, which must be one that exits afterwards (it moves into
/// a mount namespace of its own): the plan's root, operations and readonly_root as for a sandbox. Returns
/// an fd of that mount namespace, which keeps it alive, or -errno with the stage and operation index.
int paastech_build_template(const struct paastech_spawn_plan *plan, int *stage, int *detail);

/// Lets a child that waits for its parent continue. Returns 0 or -errno.
int paastech_release(struct paastech_child *child);

/// Reads the report: 0 when execve succeeded, 1 when the child failed (stage, detail, errno filled;
/// the child has exited and must still be reaped), -errno if the pipe could not be read.
int paastech_wait_for_exec(struct paastech_child *child, int *stage, int *detail, int *error);

/// syscall(2) without varargs (Swift cannot call variadic C functions). Returns the result, or -errno
/// like the kernel does, so the caller need not read errno on the same thread.
static inline long paastech_spawn_syscall(long number, long a0, long a1, long a2, long a3, long a4) {
    long result = syscall(number, a0, a1, a2, a3, a4);
    return result == -1 ? -errno : result;
}

/// pidfd_open(2): a close-on-exec pidfd of `pid`, or -errno.
static inline int paastech_pidfd_open(pid_t pid) {
    return (int)paastech_spawn_syscall(SYS_pidfd_open, pid, 0, 0, 0, 0);
}

/// pidfd_getfd(2): a close-on-exec copy of fd `target` of the process behind `pidfd`, or -errno.
static inline int paastech_pidfd_getfd(int pidfd, int target) {
    return (int)paastech_spawn_syscall(SYS_pidfd_getfd, pidfd, target, 0, 0, 0);
}

/// pidfd_send_signal(2): 0 or -errno. Signal 0 checks that the process is still alive.
static inline int paastech_pidfd_send_signal(int pidfd, int signal) {
    return (int)paastech_spawn_syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0, 0);
}

/// Reaps our child behind `pidfd` with waitid(P_PIDFD). Returns 0 with `*status` the exit status or
/// 128 + signal; -errno on failure (ECHILD: not our child, or already reaped). `nohang`: WNOHANG, and
/// -EAGAIN when the child is still running.
static inline int paastech_reap_pidfd(int pidfd, int nohang, int *status) {
    siginfo_t info;
    for (;;) {
        info.si_pid = 0;
        long result = syscall(SYS_waitid, 3 /* P_PIDFD */, pidfd, &info, WEXITED | (nohang ? WNOHANG : 0), NULL);
        if (result == -1 && errno == EINTR) continue;
        if (result == -1) return -errno;
        break;
    }
    if (info.si_pid == 0) return -EAGAIN;
    *status = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
    return 0;
}

/// A detached copy of the mount tree at `path` (open_tree(OPEN_TREE_CLONE | AT_RECURSIVE)), read-only,
/// nosuid and nodev when `readonly`, else nosuid and nodev: a bind that a child attaches inside another
/// mount namespace with move_mount. A close-on-exec fd, or -errno.
static inline int paastech_clone_mount(const char *path, int readonly) {
    int fd = (int)paastech_spawn_syscall(428 /* open_tree */, -100 /* AT_FDCWD */, (long)path,
                                         1 /* OPEN_TREE_CLONE */ | 02000000 /* OPEN_TREE_CLOEXEC */ | 0x8000 /* AT_RECURSIVE */, 0, 0);
    if (fd < 0) return fd;
    // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }: RDONLY 0x1, NOSUID 0x2, NODEV 0x4.
    uint64_t attributes[4] = { (readonly ? 0x1u : 0u) | 0x2u | 0x4u, 0, 0, 0 };
    long result = paastech_spawn_syscall(442 /* mount_setattr */, fd, (long)"", 0x1000 /* AT_EMPTY_PATH */ | 0x8000 /* AT_RECURSIVE */,
                                         (long)attributes, sizeof attributes);
    if (result < 0) {
        close(fd);
        return (int)result;
    }
    return fd;
}

/// The event loop of the process watcher: an epoll set of pidfds, each registered one-shot.
int paastech_watch_create(void);
/// Adds `fd` (one-shot, readable) to the set, its own number as the key. 0 or -errno.
int paastech_watch_add(int epoll_fd, int fd);
/// Removes `fd` from the set. 0 or -errno.
int paastech_watch_remove(int epoll_fd, int fd);
/// Waits for readable fds (EINTR retried); writes up to `capacity` of them to `ready`. Count or -errno.
int paastech_watch_wait(int epoll_fd, int *ready, int capacity);

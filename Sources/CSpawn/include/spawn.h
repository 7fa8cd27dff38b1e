// The child side of sandbox spawning. Swift builds the whole plan as data (C strings, the mount
// list, the compiled seccomp BPF, fds); paastech_spawn() clones the child, which only executes
// the plan with async-signal-safe calls and reports (stage, errno) over a close-on-exec pipe.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/sched.h>  // CLONE_NEW*, for Swift

/// One step of building the sandbox's root filesystem. Paths are absolute host paths under the
/// staging root (Swift prefixes them), executed in order before pivot_root.
enum paastech_operation_kind {
    PAASTECH_MKDIR = 1,    // mkdir(target, mode); EEXIST is fine
    PAASTECH_TOUCH = 2,    // create an empty file (a bind-mount target)
    PAASTECH_MOUNT = 3,    // mount(source, target, fstype, flags, data)
    PAASTECH_SYMLINK = 4,  // symlink(source, target)
    PAASTECH_WRITE = 5,    // write data[0..<length] to a new file target with mode
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
};

struct paastech_spawn_plan {
    uint64_t clone_flags;          // CLONE_NEW* (CLONE_PIDFD is always added)
    int cgroup_fd;                 // >= 0: CLONE_INTO_CGROUP (cgroup v2); -1: none
    int wait_for_parent;           // the child waits for paastech_release() (cgroup v1 attach, network)
    int unshare_after_release;     // CLONE_NEW* to unshare once released: the cgroup namespace on cgroup v1,
                                   // so that its root is the cgroup the parent just moved the child into
    const char *root;              // an empty directory: a fresh tmpfs is mounted here and pivoted into
    const char *root_options;      // tmpfs options for the root, e.g. "mode=0755,size=16m"
    const struct paastech_operation *operations;
    size_t operation_count;
    int readonly_root;
    const char *hostname;
    int loopback_up;               // bring up `lo` in the new network namespace (it starts down)
    uid_t uid;
    gid_t gid;
    const int *fds;                // fds[0...2] become stdin/out/err, fds[3...] become 3, 4, ...
    size_t fd_count;
    const void *filter;            // struct sock_filter[filter_length]; NULL: no seccomp
    unsigned short filter_length;
    const char *cwd;               // inside the new root
    const char *path;              // executable inside the new root
    char *const *argv;
    char *const *envp;
    int die_with_parent;
};

struct paastech_child {
    pid_t pid;
    int pidfd;
    int release_fd;   // parent's end of the go pipe (-1 unless wait_for_parent)
    int report_fd;    // parent's end of the report pipe
};

/// Clones the child. Returns 0, or -errno if clone3 failed (the child does not exist).
int paastech_spawn(const struct paastech_spawn_plan *plan, struct paastech_child *child);

/// Lets a child that waits for its parent continue. Returns 0 or -errno.
int paastech_release(struct paastech_child *child);

/// Reads the report: 0 when execve succeeded, 1 when the child failed (stage, detail, errno filled;
/// the child has exited and must still be reaped), -errno if the pipe could not be read.
int paastech_wait_for_exec(struct paastech_child *child, int *stage, int *detail, int *error);

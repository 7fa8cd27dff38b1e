// Building a sandbox's root filesystem, for the child (spawn.c) and for template roots: mounts,
// directories and files from the plan, async-signal-safe calls only.
#define _GNU_SOURCE
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    case PAASTECH_MKNOD:
        return mknod(operation->target, S_IFCHR | operation->mode, (dev_t)operation->flags);
    default:
        errno = EINVAL;
        return -1;
    }
}

/// Runs the plan's operations with umask 0 (modes exactly as planned: device nodes 0666).
static int run_operations(const struct paastech_spawn_plan *plan, struct failure *failure) {
    mode_t umask_before = umask(0);
    for (size_t i = 0; i < plan->operation_count; i++) {
        if (run_operation(&plan->operations[i]) < 0) {
            int error = errno;
            umask(umask_before);
            errno = error;
            FAIL(failure, PAASTECH_STAGE_OPERATION, (int)i);
        }
    }
    umask(umask_before);
    return 0;
}

/// A fresh root: a private mount tree, a tmpfs at plan->root built from the operations, pivot_root
/// into it, the old root detached, the new one read-only.
int build_new_root(const struct paastech_spawn_plan *plan, struct failure *failure) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) FAIL(failure, PAASTECH_STAGE_MOUNT_PRIVATE, 0);
    if (mount("tmpfs", plan->root, "tmpfs", MS_NOSUID | MS_NODEV, plan->root_options) < 0)
        FAIL(failure, PAASTECH_STAGE_ROOT_TMPFS, 0);
    if (run_operations(plan, failure) < 0) return -1;
    // pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the new root.
    if (chdir(plan->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        FAIL(failure, PAASTECH_STAGE_PIVOT_ROOT, 0);
    if (plan->readonly_root && mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        FAIL(failure, PAASTECH_STAGE_READONLY_ROOT, 0);
    return 0;
}

/// A copy of the template: its (private, read-only) root with everything static already mounted;
/// entering it also makes its root our root and cwd. Only the sandbox's own mounts are left to do.
int join_template(const struct paastech_spawn_plan *plan, struct failure *failure) {
    if (setns(plan->template_fd, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0) FAIL(failure, PAASTECH_STAGE_TEMPLATE, 0);
    if (run_operations(plan, failure) < 0) return -1;
    for (size_t i = 0; i < plan->moved_mount_count; i++) {
        if (syscall(429 /* move_mount */, plan->moved_mount_fds[i], "", AT_FDCWD, plan->moved_mount_targets[i],
                    0x4 /* MOVE_MOUNT_F_EMPTY_PATH */) < 0)
            FAIL(failure, PAASTECH_STAGE_MOVE_MOUNT, (int)i);
    }
    return 0;
}

int paastech_build_template(const struct paastech_spawn_plan *plan, int *stage, int *detail) {
    struct failure failure = { 0, 0 };
    // Only this thread: its own fs_struct (root, cwd, umask) and mount namespace.
    if (unshare(CLONE_FS | CLONE_NEWNS) < 0) { *stage = PAASTECH_STAGE_UNSHARE; *detail = 0; return -errno; }
    // Opened now: after pivot_root there is no /proc. It is the same namespace throughout.
    int fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (fd < 0) { *stage = PAASTECH_STAGE_TEMPLATE; *detail = 0; return -errno; }
    if (build_new_root(plan, &failure) < 0) {
        int error = errno;
        close(fd);
        *stage = failure.stage;
        *detail = failure.detail;
        return -error;
    }
    return fd;
}


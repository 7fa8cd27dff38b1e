// Every header of this C library that Swift code uses.
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-bus.h>

// Linux-only declarations that glibc hides behind _GNU_SOURCE, which Swift's Glibc module does not define.
#include <spawn.h>
#include <sys/types.h>

/// Layout of Linux `struct ucred`, the value of getsockopt(SOL_SOCKET, SO_PEERCRED).
struct csystemd_peer_credentials {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/// glibc >= 2.34: close every fd >= `from` in the child, after the preceding file actions.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

/// glibc >= 2.29: change the child's working directory, before the later file actions.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *restrict actions, const char *restrict path);

#include <sys/syscall.h>
#include <unistd.h>

/// pidfd_open(2) (Linux 5.3), which glibc 2.36 does not wrap: an fd that becomes readable when the
/// process exits. Close-on-exec always. Returns -1 with errno set on failure.
static inline int csystemd_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

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

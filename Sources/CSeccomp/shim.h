// Every header of this C library that Swift code uses.
#include <seccomp.h>

// Constants the seccomp policy names (Swift's Glibc is built without _GNU_SOURCE, so it lacks some).
#include <linux/filter.h>   // struct sock_filter, struct sock_fprog
#include <linux/netlink.h>  // NETLINK_ROUTE
#include <linux/sched.h>    // CLONE_NEW*
#include <linux/memfd.h>    // MFD_CLOEXEC
#include <sys/ioctl.h>      // TIOCSTI, TIOCLINUX
#include <sys/prctl.h>      // PR_SET_NO_NEW_PRIVS
#include <sys/socket.h>     // AF_*
#include <sys/syscall.h>    // SYS_*
#include <errno.h>
#include <unistd.h>

/// memfd_create(2): glibc declares it only under _GNU_SOURCE, which Swift's Glibc module lacks.
static inline int paastech_memfd_create(const char *name, unsigned int flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}

/// syscall(2) without varargs (Swift cannot call variadic C functions). Returns the result, or
/// -errno like the kernel does, so the caller need not read errno on the same thread.
static inline long paastech_raw_syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
    long result = syscall(number, a0, a1, a2, a3, a4, a5);
    return result == -1 ? -errno : result;
}

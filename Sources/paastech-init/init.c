// paastech-init: PID 1 of every sandbox (like tini). It runs the app as its child, forwards
// SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to it, reaps every zombie
// (orphans are re-parented to PID 1), and exits with the app's status. It runs under the sandbox's
// seccomp filter.
//
//   /init [--hold=N] /absolute/path/to/program [argument...]
//
// --hold=N: fds 3 ... 3+N-1 are held by init alone and closed in the app before it runs. Pomegranate
// parks the read ends of the app's log pipes there, so they outlive a pomegranate restart (the app
// never gets EPIPE) and the restarted pomegranate takes them back with pidfd_getfd(2).
//
// Every sandbox start execs this program, so it makes system calls directly instead of through libc:
// built with -nostdlib (PAASTECH_INIT_NO_LIBC, see the Makefile) it starts in a quarter of the time a
// static glibc program needs here (0.09 ms against 0.36 ms). SwiftPM builds the same file with libc.
#include <asm/signal.h>
#include <asm/unistd.h>
#include <linux/wait.h>

typedef unsigned long word;

#if defined(__x86_64__)
static inline __attribute__((always_inline)) long sys(long n, long a, long b, long c, long d) {
    register long r10 __asm__("r10") = d;
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return result;
}
#elif defined(__aarch64__)
static inline __attribute__((always_inline)) long sys(long n, long a, long b, long c, long d) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
    return x0;
}
#else
#error "paastech-init: add the system call convention of this architecture"
#endif

/// The kernel's sigset_t: one bit per signal, 64 signals.
typedef unsigned long long signal_set;
enum { signal_set_size = sizeof(signal_set) };
#define BIT(signal) (1ULL << ((signal) - 1))

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

static word length(const char *text) {
    word n = 0;
    while (text[n]) n++;
    return n;
}

static void say(const char *text) {
    (void)sys(__NR_write, 2, (long)text, (long)length(text), 0);
}

static const char *describe(long error) {
    switch (error) {
    case 2: return "No such file or directory";
    case 13: return "Permission denied";
    case 8: return "Exec format error";
    case 20: return "Not a directory";
    case 1: return "Operation not permitted";
    case 12: return "Cannot allocate memory";
    default: return "cannot execute";
    }
}

static int usage(void) {
    say("usage: paastech-init [--hold=N] /absolute/path/to/program [argument...]\n");
    return 127;
}

/// --hold=N: N from 0 to 64, or -1 when the argument is not a number.
static long held_count(const char *text) {
    long value = 0;
    if (!*text) return -1;
    for (; *text; text++) {
        if (*text < '0' || *text > '9' || value > 64) return -1;
        value = value * 10 + (*text - '0');
    }
    return value <= 64 ? value : -1;
}

static int run(int argc, char **argv, char **envp) {
    int first = 1;
    long held = 0;
    const char *hold = "--hold=";
    if (argc > 1) {
        int i = 0;
        while (hold[i] && argv[1][i] == hold[i]) i++;
        if (!hold[i]) {
            held = held_count(argv[1] + i);
            if (held < 0) return usage();
            first = 2;
        }
    }
    if (argc <= first || argv[first][0] != '/') return usage();

    signal_set all = ~0ULL, previous = 0;
    sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&previous, signal_set_size);

    long app = sys(__NR_clone, SIGCHLD, 0, 0, 0);  // fork(): arguments past the flags are unused
    if (app < 0) {
        say("paastech-init: cannot fork\n");
        return 127;
    }
    if (app == 0) {
        sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&previous, 0, signal_set_size);
        sys(__NR_setpgid, 0, 0, 0, 0);
        for (long fd = 3; fd < 3 + held; fd++) sys(__NR_close, fd, 0, 0, 0);
        long error = -sys(__NR_execve, (long)argv[first], (long)(argv + first), (long)envp, 0);
        say("paastech-init: cannot run ");
        say(argv[first]);
        say(": ");
        say(describe(error));
        say("\n");
        sys(__NR_exit_group, 127, 0, 0, 0);
    }

    signal_set waited = BIT(SIGCHLD);
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) waited |= BIT(forwarded[i]);
    for (;;) {
        long signal = sys(__NR_rt_sigtimedwait, (long)&waited, 0, 0, signal_set_size);
        if (signal < 0) continue;  // EINTR
        if (signal != SIGCHLD) {
            sys(__NR_kill, app, signal, 0, 0);
            continue;
        }
        int status;
        long pid;
        while ((pid = sys(__NR_wait4, -1, (long)&status, WNOHANG, 0)) > 0) {
            if (pid != app) continue;  // a reaped orphan
            // Without WUNTRACED a child is only ever reported exited or killed.
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        }
    }
}

#ifdef PAASTECH_INIT_NO_LIBC
// The process entry: argc, argv and envp are on the stack.
__attribute__((used)) static void start(long *stack) {
    int argc = (int)stack[0];
    char **argv = (char **)(stack + 1);
    sys(__NR_exit_group, run(argc, argv, argv + argc + 1), 0, 0, 0);
    for (;;) {}
}
#if defined(__x86_64__)
__asm__(".text\n.globl _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start\n\thlt\n");
#elif defined(__aarch64__)
__asm__(".text\n.globl _start\n_start:\n\tmov x29, #0\n\tmov x30, #0\n\tmov x0, sp\n\tbl start\n\tbrk #0\n");
#endif
#else
int main(int argc, char **argv, char **envp) {
    return run(argc, argv, envp);
}
#endif

// paastech-init: PID 1 of every sandbox (like tini). It runs the app as its child, forwards
// SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to it, reaps every zombie
// (orphans are re-parented to PID 1), and exits with the app's status. Kept tiny and in C so a
// sandbox starts in about a millisecond: it runs under the sandbox's seccomp filter.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

int main(int argc, char **argv) {
    if (argc < 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: paastech-init /absolute/path/to/program [argument...]\n");
        return 127;
    }
    sigset_t all, previous;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &previous);

    pid_t app = fork();
    if (app < 0) { perror("paastech-init: fork"); return 127; }
    if (app == 0) {
        sigprocmask(SIG_SETMASK, &previous, NULL);
        setpgid(0, 0);
        execv(argv[1], argv + 1);
        fprintf(stderr, "paastech-init: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }

    sigset_t waited;
    sigemptyset(&waited);
    sigaddset(&waited, SIGCHLD);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&waited, forwarded[i]);
    for (;;) {
        siginfo_t info;
        int signal = sigwaitinfo(&waited, &info);
        if (signal < 0) continue;
        if (signal != SIGCHLD) {
            kill(app, signal);
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != app) continue;  // a reaped orphan
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
        }
    }
}

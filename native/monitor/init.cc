#include "init.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tsctr {
namespace {

// Raised by the kernel for a fault of the process itself: not something to pass on.
bool synchronous(int sig) {
    return sig == SIGFPE || sig == SIGILL || sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT ||
           sig == SIGTRAP || sig == SIGSYS || sig == SIGKILL || sig == SIGSTOP;
}

void noop(int) {}

} // namespace

void init_main(char **argv) {
    // A handler for each forwarded signal, though they stay blocked and are taken by
    // sigwaitinfo: the CLI reads /proc/1/status's SigCgt to learn which signals pid 1 acts on.
    sigset_t all, wanted, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    sigemptyset(&wanted);
    struct sigaction sa = {};
    sa.sa_handler = noop;
    for (int sig = 1; sig < SIGRTMIN; sig++) {
        if (synchronous(sig) || sig == SIGTTIN || sig == SIGTTOU)
            continue;
        sigaction(sig, &sa, nullptr);
        sigaddset(&wanted, sig);
    }
    pid_t child = fork();
    if (child < 0) {
        static const char msg[] = "init: fork failed\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(125);
    }
    if (child == 0) {
        for (int sig = 1; sig < SIGRTMIN; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, nullptr);
        execvp(argv[0], argv);
        int err = errno;
        const char *why = strerror(err);
        (void)!write(2, "init: exec ", 11);
        (void)!write(2, argv[0], strlen(argv[0]));
        (void)!write(2, ": ", 2);
        (void)!write(2, why, strlen(why));
        (void)!write(2, "\n", 1);
        _exit(err == ENOENT ? 127 : 126);
    }
    prctl(PR_SET_NAME, "init");
    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&wanted, &info);
        if (sig < 0)
            continue;
        if (sig != SIGCHLD) {
            kill(child, sig);
            continue;
        }
        for (;;) {
            int st;
            pid_t pid = waitpid(-1, &st, WNOHANG);
            if (pid <= 0)
                break;
            if (pid == child)
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        }
    }
}

} // namespace tsctr

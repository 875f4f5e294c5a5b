#include "spawn.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tsctr {

namespace {

// Everything the child needs, laid out before clone so the child never allocates.
struct ChildPlan {
    const char *file;
    char *const *argv;
    char *const *envp;
    const int *stdio;
    int nstdio;
    bool setsid;
    int go_read;
    int go_write; // the parent's ends: the child closes its copies at once
    int err_write;
    int err_read;
};

[[noreturn]] void child_fail(int err_write, int err) {
    (void)!write(err_write, &err, sizeof err);
    _exit(127);
}

[[noreturn]] void run_child(ChildPlan p) {
    // Handlers installed by Node must not run here; an ignored SIGPIPE would also survive exec.
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    // The fork copied the parent's ends of both pipes; while the child holds the go pipe's write
    // end, a parent that closes its own (to abandon the child) would never make read() see EOF.
    close(p.go_write);
    close(p.err_read);
    if (p.setsid && setsid() < 0)
        child_fail(p.err_write, errno);

    char go = 0;
    ssize_t n;
    do {
        n = read(p.go_read, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(1); // the parent gave up (or died) before mapping us

    // The error pipe must survive the dup2s below: move it above the stdio range if needed.
    if (p.err_write < p.nstdio) {
        int moved = fcntl(p.err_write, F_DUPFD_CLOEXEC, p.nstdio);
        if (moved < 0)
            _exit(127);
        p.err_write = moved;
    }
    // Move the stdio fds out of the way first so that e.g. stdio = {1, 0} swaps correctly.
    int tmp[64];
    if (p.nstdio > 64)
        child_fail(p.err_write, EINVAL);
    for (int i = 0; i < p.nstdio; i++) {
        tmp[i] = fcntl(p.stdio[i], F_DUPFD_CLOEXEC, p.nstdio);
        if (tmp[i] < 0)
            child_fail(p.err_write, errno);
    }
    for (int i = 0; i < p.nstdio; i++)
        if (dup2(tmp[i], i) < 0)
            child_fail(p.err_write, errno);
    // Node holds many descriptors; none of them may leak into a helper that outlives it.
    if (syscall(SYS_close_range, p.nstdio, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
        for (int fd = p.nstdio; fd < 4096; fd++)
            if (fd != p.err_write)
                fcntl(fd, F_SETFD, FD_CLOEXEC);

    execve(p.file, p.argv, p.envp);
    child_fail(p.err_write, errno);
}

std::vector<char *> c_strings(const std::vector<std::string> &v) {
    std::vector<char *> out;
    out.reserve(v.size() + 1);
    for (const auto &s : v)
        out.push_back(const_cast<char *>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

} // namespace

int spawn_held(const SpawnRequest &req, HeldChild &out, const char *&syscall_name) {
    int go[2], err[2];
    syscall_name = "pipe2";
    if (pipe2(go, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(err, O_CLOEXEC) < 0) {
        int e = errno;
        close(go[0]);
        close(go[1]);
        errno = e;
        return -1;
    }
    std::vector<char *> argv = c_strings(req.argv);
    std::vector<char *> envp = c_strings(req.env);
    ChildPlan plan{req.file.c_str(),
                   argv.data(),
                   envp.data(),
                   req.stdio.data(),
                   static_cast<int>(req.stdio.size()),
                   req.setsid,
                   go[0],
                   go[1],
                   err[1],
                   err[0]};

    // Block every signal across the clone so none is delivered to Node's handlers in the child
    // before it resets them (what posix_spawn does).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // Without CLONE_VM and with a null stack, clone behaves like fork: the child gets a
    // copy-on-write image. CLONE_NEWUSER is allowed here because the new process, not Node,
    // is the one placed in the new namespaces.
    long pid = syscall(SYS_clone, req.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0)
        run_child(plan);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);

    close(go[0]);
    close(err[1]);
    if (pid < 0) {
        close(go[1]);
        close(err[0]);
        syscall_name = "clone";
        errno = clone_errno;
        return -1;
    }
    out.pid = static_cast<pid_t>(pid);
    out.go_fd = go[1];
    out.err_fd = err[0];
    return 0;
}

int release_held(int go_fd, int err_fd) {
    char go = 1;
    ssize_t n;
    do {
        n = write(go_fd, &go, 1);
    } while (n < 0 && errno == EINTR);
    close(go_fd);
    int child_errno = 0;
    size_t got = 0;
    while (got < sizeof child_errno) {
        n = read(err_fd, reinterpret_cast<char *>(&child_errno) + got, sizeof child_errno - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<size_t>(n);
    }
    close(err_fd);
    // EOF with nothing read: the exec succeeded and closed the pipe. A child that died before
    // reading the go byte leaves nothing either; the caller sees that through waitpid.
    return got == sizeof child_errno ? child_errno : 0;
}

} // namespace tsctr

// tsctr-monitor: one per container, conmon's role. (With --exec it instead runs one process in a
// running container and follows it: native/monitor/exec.h.) The CLI starts it (already root
// inside the container's user namespace, see src/runtime/monitor.ts) with:
//
//   argv:  tsctr-monitor SPEC_FILE
//   fd 0-2 the container's stdio, passed through untouched; with a log file in the spec (a
//          detached container) its stdout and stderr are pipes the monitor copies into the log
//   fd 3   status pipe to the CLI; one line per event:
//            STARTED <pid>                      the command was exec'd; pid as the host sees it
//            ERROR <stage> <errno> <detail>     setup or exec failed; nothing ran
//            EXITED <code> <signal>             the container ended (after --rm cleanup)
//
// It clones the container's first process into new mount/pid/uts/ipc(/net) namespaces, relays
// whether it started, forwards termination signals sent to the monitor, reaps it, writes the
// exit file and removes what the spec marks remove-on-exit. The mounts live only in the
// container's mount namespace, so they vanish with it: there is nothing to unmount.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "exec.h"
#include "fdio.h"
#include "log.h"
#include "rmtree.h"
#include "security.h"
#include "spec.h"

namespace {

constexpr int kStatusFd = 3;
volatile sig_atomic_t g_child = 0;

void forward_signal(int sig) {
    if (g_child > 0)
        kill(g_child, sig);
}

void status(const std::string &line) {
    // The CLI may be gone (killed, or a detached run); the container's fate is still recorded in
    // the exit file, so a failed write here is not an error.
    tsctr::write_line(kStatusFd, line);
}

std::string one_line(std::string s) {
    for (char &c : s)
        if (c == '\n' || c == '\t')
            c = ' ';
    return s;
}

void write_exit_file(const std::string &path, const std::string &line) {
    if (path.empty())
        return;
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    tsctr::write_line(fd, line);
    close(fd);
    rename(tmp.c_str(), path.c_str());
}

void cleanup(const tsctr::Spec &spec) {
    for (const std::string &p : spec.remove_on_exit)
        if (tsctr::remove_tree(p) < 0)
            status("WARNING remove " + p + ": " + strerror(errno));
}

} // namespace

int main(int argc, char **argv) {
    bool exec_mode = argc == 3 && strcmp(argv[1], "--exec") == 0;
    if (argc != 2 && !exec_mode) {
        static const char usage[] = "usage: tsctr-monitor [--exec] SPEC_FILE (started by tsctr)\n";
        (void)!write(2, usage, sizeof usage - 1);
        return 2;
    }
    prctl(PR_SET_NAME, "tsctr-monitor");
    fcntl(kStatusFd, F_SETFD, FD_CLOEXEC);
    syscall(SYS_close_range, kStatusFd + 1, ~0U, CLOSE_RANGE_CLOEXEC);
    signal(SIGPIPE, SIG_IGN);

    tsctr::Spec spec;
    std::string err;
    if (!tsctr::read_spec(argv[argc - 1], spec, err)) {
        status("ERROR spec " + std::to_string(EINVAL) + " " + one_line(err));
        return 1;
    }
    if (exec_mode != (spec.join_pid != 0)) {
        status("ERROR spec " + std::to_string(EINVAL) + " join-pid goes with --exec, and only");
        return 1;
    }
    tsctr::SecurityError se;
    if (!tsctr::prepare_seccomp(spec.security, se)) {
        if (!exec_mode)
            cleanup(spec);
        status(std::string("ERROR ") + se.stage + " " + std::to_string(se.err) + " " +
               one_line(se.detail));
        return 1;
    }
    if (exec_mode)
        return tsctr::exec_main(spec);

    struct sigaction sa = {};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
        sigaction(sig, &sa, nullptr);

    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0) {
        status("ERROR pipe " + std::to_string(errno) + " error pipe");
        return 1;
    }
    // A detached container: its stdout and stderr are pipes into the log.
    int log_fd = -1, outpipe[2] = {-1, -1}, errout[2] = {-1, -1};
    if (!spec.log_file.empty()) {
        log_fd = open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log_fd < 0 || pipe2(outpipe, O_CLOEXEC) < 0 || pipe2(errout, O_CLOEXEC) < 0) {
            status("ERROR pipe " + std::to_string(errno) + " log " + one_line(spec.log_file));
            cleanup(spec);
            return 1;
        }
    }
    // No forwarded signal may reach the setup child before it resets its handlers.
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    long pid = syscall(SYS_clone, spec.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) {
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
            signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, nullptr);
        close(errpipe[0]);
        if (log_fd >= 0) {
            // dup2 clears close-on-exec on fds 1 and 2 only; the pipes' other ends go at exec.
            dup2(outpipe[1], 1);
            dup2(errout[1], 2);
        }
        tsctr::container_main(spec, errpipe[1]);
    }
    int clone_errno = errno;
    if (pid > 0)
        g_child = static_cast<pid_t>(pid); // before unblocking: no signal is lost
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
        status("ERROR clone " + std::to_string(clone_errno) + " clone container process");
        cleanup(spec);
        return 1;
    }
    close(errpipe[1]);
    if (log_fd >= 0) {
        close(outpipe[1]);
        close(errout[1]);
    }

    std::string report;
    char buf[4096];
    for (;;) {
        ssize_t n = read(errpipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        report.append(buf, static_cast<size_t>(n));
    }
    close(errpipe[0]);

    if (!report.empty()) {
        // "STAGE\tERRNO\tDETAIL\n" from container_main.
        if (report.back() == '\n')
            report.pop_back();
        size_t a = report.find('\t'), b = report.find('\t', a + 1);
        std::string stage = report.substr(0, a);
        std::string no = a == std::string::npos ? "0" : report.substr(a + 1, b - a - 1);
        std::string detail = b == std::string::npos ? "" : report.substr(b + 1);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        cleanup(spec);
        status("ERROR " + stage + " " + no + " " + one_line(detail));
        return 1;
    }
    status("STARTED " + std::to_string(pid));
    if (log_fd >= 0)
        tsctr::relay_logs(outpipe[0], errout[0], log_fd);

    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            status("ERROR waitpid " + std::to_string(errno) + " reap container");
            return 1;
        }
    }
    g_child = 0;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    std::string line = "EXITED " + std::to_string(code) + " " + std::to_string(sig);
    write_exit_file(spec.exit_file, line);
    cleanup(spec);
    status(line);
    return 0;
}

#include "exec.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "fdio.h"
#include "io.h"
#include "pty.h"
#include "status.h"

namespace tsctr {

namespace {

int error(const char *stage, int err, const std::string &detail) {
    status(std::string("ERROR ") + stage + " " + std::to_string(err) + " " + one_line(detail));
    return 1;
}

struct Ns {
    const char *name;
    int flag;
    int fd = -1;
};

// Joins the init's namespaces, user namespace first. A namespace the container shares with us
// (the host's network with --network host) is skipped: joining it again needs privileges
// over the namespace we already are in.
bool join(const Spec &s, std::string &detail, int &err) {
    Ns ns[] = {{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},
               {"net", CLONE_NEWNET},   {"cgroup", CLONE_NEWCGROUP}, {"pid", CLONE_NEWPID},
               {"mnt", CLONE_NEWNS}};
    std::string base = "/proc/" + std::to_string(s.join_pid) + "/ns/";
    bool ok = true;
    // Every descriptor is opened before any is joined: after the mount namespace changes, /proc
    // is the container's.
    for (Ns &n : ns) {
        n.fd = open((base + n.name).c_str(), O_RDONLY | O_CLOEXEC);
        if (n.fd < 0) {
            err = errno;
            detail = base + n.name;
            ok = false;
            break;
        }
        struct stat theirs, ours;
        std::string self = std::string("/proc/self/ns/") + n.name;
        if (fstat(n.fd, &theirs) == 0 && stat(self.c_str(), &ours) == 0 &&
            theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
            close(n.fd);
            n.fd = -1;
        }
    }
    // The descriptors pin the namespaces; a pid reused since the CLI looked is another process.
    if (ok && !s.join_start.empty() && start_time(s.join_pid) != s.join_start) {
        err = ESRCH;
        detail = "the container's process is gone";
        ok = false;
    }
    for (Ns &n : ns) {
        if (ok && n.fd >= 0 && setns(n.fd, n.flag) < 0) {
            err = errno;
            detail = std::string("setns ") + n.name;
            ok = false;
        }
        if (n.fd >= 0)
            close(n.fd);
    }
    return ok;
}

} // namespace

int exec_main(const Spec &spec) {
    // Until exec, this process runs our binary inside the container's namespaces: keep its
    // memory and /proc/PID/exe out of reach of the container (the CVE-2019-5736 class).
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // The container's cgroup, opened while its path is still the host's (the mount namespace
    // joined below has its own /sys/fs/cgroup): the process joins it before it runs anything,
    // as docker's exec processes are in the container's cgroup.
    int cgroup_procs = -1;
    if (!spec.cgroup.empty()) {
        cgroup_procs = open((spec.cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (cgroup_procs < 0)
            return error("cgroup", errno, spec.cgroup);
    }
    std::string detail;
    int err = 0;
    if (!join(spec, detail, err))
        return error("join", err, detail);

    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0)
        return error("pipe", errno, "error pipe");
    int console[2] = {-1, -1};
    if (spec.terminal && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0)
        return error("pipe", errno, "console socket");

    relay_signals();
    sigset_t old;
    // The pid namespace joined above applies to children only: the process is forked into it.
    pid_t pid = fork_blocked(old);
    if (pid == 0) {
        reset_child_signals(old);
        close(errpipe[0]);
        close(kStatusFd);
        if (cgroup_procs >= 0 && write(cgroup_procs, "0", 1) != 1) {
            write_line(errpipe[1], "cgroup\t" + std::to_string(errno) +
                                       "\tjoin the container's cgroup " + spec.cgroup);
            _exit(125);
        }
        if (console[0] >= 0)
            close(console[0]);
        process_main(spec, errpipe[1], console[1]);
    }
    int fork_errno = errno;
    if (cgroup_procs >= 0)
        close(cgroup_procs);
    if (pid > 0)
        g_child = pid;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0)
        return error("fork", fork_errno, "fork into the container");
    close(errpipe[1]);
    int master = -1;
    if (console[0] >= 0) {
        close(console[1]);
        master = receive_terminal(console[0], spec.terminal_rows, spec.terminal_cols);
        close(console[0]);
    }

    std::string report = read_setup_error(errpipe[0]);
    close(errpipe[0]);
    if (!report.empty()) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        status(report);
        return 1;
    }
    status("STARTED " + std::to_string(pid));
    if (spec.exec_detach)
        return 0;
    // A terminal is relayed to the CLI as a container's is (io.h): the CLI is a client, and may
    // detach; the process then goes on, its terminal drained here until it ends.
    Io io;
    if (master >= 0) {
        io.terminal = true;
        io.out = master;
        io.in = spec.stdin_open ? master : -1;
        if (spec.client_fd >= 0)
            io_add_client(io, spec.client_fd);
        io_run(io);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return error("waitpid", errno, "reap the process");
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    int sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    io_finish(io, code, sig);
    status("EXITED " + std::to_string(code) + " " + std::to_string(sig));
    return 0;
}

} // namespace tsctr

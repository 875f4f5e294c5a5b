// tsctr-monitor: one per container, conmon's role. (With --exec it instead runs one process in a
// running container and follows it: native/monitor/exec.h. As `/dev/init -- CMD…` in a
// container it is the --init reaper: native/monitor/init.h.) The CLI starts it (already root
// inside the container's user namespace, see src/runtime/monitor.ts) with:
//
//   argv:  tsctr-monitor SPEC_FILE
//   fd 0-2 /dev/null
//   fd 3   status pipe to the CLI; one line per event:
//            STARTED <pid>                      the command was exec'd; pid as the host sees it
//            ERROR <stage> <errno> <detail>     setup or exec failed; nothing ran
//            EXITED <code> <signal>             the container ended (after --rm cleanup)
//   fd N   (the spec's client-fd) the foreground CLI's end of a socket: a client (io.h)
//
// It clones the container's first process into new mount/pid/uts/ipc(/net) namespaces, relays
// whether it started, holds its stdio (log, attached clients, stdin: io.h), forwards
// termination signals sent to the monitor, reaps it, writes the exit file and removes what the
// spec marks remove-on-exit. The mounts live only in the container's mount namespace, so they
// vanish with it: there is nothing to unmount.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <linux/close_range.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "exec.h"
#include "fdio.h"
#include "forward.h"
#include "init.h"
#include "io.h"
#include "joinns.h"
#include "keeper.h"
#include "net.h"
#include "pty.h"
#include "rmtree.h"
#include "security.h"
#include "spec.h"
#include "status.h"

namespace {

using tsctr::g_child;
using tsctr::kStatusFd;
using tsctr::status;

// The container's network, when a helper provides it: made once, joined by every run.
tsctr::Network g_net;
// Its published ports, on a user network.
tsctr::Forwarder g_fw;

void cleanup(const tsctr::Spec &spec) {
    for (const std::string &p : spec.remove_on_exit)
        if (tsctr::remove_tree(p) < 0)
            status("WARNING remove " + p + ": " + strerror(errno));
}

// One run of the container: clone it, relay its setup result, its log or terminal, reap it.
struct Run {
    bool started = false;
    std::string error; // the ERROR status line when it did not start
    int code = 0;
    int sig = 0;
    long ran_ms = 0;
};

long now_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void sleep_ms(long ms) {
    timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr); // EINTR ends it early: the caller checks why
}

bool stop_requested(const tsctr::Spec &spec) {
    return !spec.stop_file.empty() && access(spec.stop_file.c_str(), F_OK) == 0;
}

// docker's policies: always and unless-stopped restart on any exit, on-failure on a non-zero
// one up to its count; none after a stop.
bool should_restart(const tsctr::Spec &spec, const Run &last, int restarts) {
    if (spec.restart_policy.empty() || spec.restart_policy == "no" || stop_requested(spec))
        return false;
    if (spec.restart_policy == "on-failure") {
        if (last.code == 0 && last.sig == 0)
            return false;
        return spec.restart_max == 0 || restarts < static_cast<int>(spec.restart_max);
    }
    return spec.restart_policy == "always" || spec.restart_policy == "unless-stopped";
}

// "RUNNING …" or "RESTARTING …" (native/common/spec.h, state_file), replaced atomically.
void write_state(const std::string &path, const std::string &line) {
    tsctr::replace_file(path, line);
}

// The start time recorded with a pid ("0" when it cannot be read).
std::string proc_start(pid_t pid) {
    std::string t = tsctr::start_time(pid);
    return t.empty() ? "0" : t;
}

Run run_once(const tsctr::Spec &spec, tsctr::Io &io, int restarts = 0) {
    Run r;
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0) {
        r.error = "ERROR pipe " + std::to_string(errno) + " error pipe";
        return r;
    }
    // With a terminal, the container sends its pty's master back on this socket.
    int console[2] = {-1, -1};
    if (spec.terminal && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0) {
        r.error = "ERROR pipe " + std::to_string(errno) + " console socket";
        return r;
    }
    // Without a terminal, stdout and stderr are pipes the monitor reads (and stdin one it
    // writes, with -i); with one, its master is all three.
    int outpipe[2] = {-1, -1}, errout[2] = {-1, -1}, inpipe[2] = {-1, -1};
    if (!spec.terminal && (pipe2(outpipe, O_CLOEXEC) < 0 || pipe2(errout, O_CLOEXEC) < 0 ||
                           (spec.stdin_open && pipe2(inpipe, O_CLOEXEC) < 0))) {
        r.error = "ERROR pipe " + std::to_string(errno) + " stdio pipes";
        return r;
    }
    // The container's process joins its cgroup before anything else, by writing 0 ("this
    // process") to cgroup.procs, opened here: it runs nothing outside it, while the monitor
    // stays where it is, outside.
    int cgroup_procs = -1;
    if (!spec.cgroup.empty()) {
        cgroup_procs = open((spec.cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (cgroup_procs < 0) {
            r.error = "ERROR cgroup " + std::to_string(errno) + " " + spec.cgroup;
            return r;
        }
    }
    // No forwarded signal may reach the setup child before it resets its handlers.
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    long pid = syscall(SYS_clone, spec.clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) {
        for (int sig : tsctr::kRelayedSignals)
            signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, nullptr);
        close(errpipe[0]);
        if (cgroup_procs >= 0 && write(cgroup_procs, "0", 1) != 1) {
            tsctr::write_line(errpipe[1], "cgroup\t" + std::to_string(errno) +
                                              "\tjoin the container's cgroup " + spec.cgroup);
            _exit(125);
        }
        if (console[0] >= 0)
            close(console[0]);
        if (!spec.terminal) {
            // dup2 clears close-on-exec on fds 0-2 only; the pipes' other ends go at exec.
            if (inpipe[0] >= 0)
                dup2(inpipe[0], 0);
            dup2(outpipe[1], 1);
            dup2(errout[1], 2);
        }
        if (!tsctr::net_enter(g_net)) {
            tsctr::write_line(errpipe[1], "network\t" + std::to_string(errno) +
                                              "\tjoin the container's network namespace");
            _exit(125);
        }
        tsctr::container_main(spec, errpipe[1], console[1]);
    }
    int clone_errno = errno;
    if (cgroup_procs >= 0)
        close(cgroup_procs);
    if (pid > 0)
        g_child = static_cast<pid_t>(pid); // before unblocking: no signal is lost
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
        r.error = "ERROR clone " + std::to_string(clone_errno) + " clone container process";
        return r;
    }
    long started_at = now_ms();
    close(errpipe[1]);
    if (outpipe[1] >= 0) {
        close(outpipe[1]);
        close(errout[1]);
    }
    if (inpipe[0] >= 0)
        close(inpipe[0]);
    // The master arrives before the exec (or never, when setup failed first: then EOF).
    int master = -1;
    if (console[0] >= 0) {
        close(console[1]);
        master = tsctr::receive_terminal(console[0], spec.terminal_rows, spec.terminal_cols);
        close(console[0]);
    }

    std::string report = tsctr::read_setup_error(errpipe[0]);
    close(errpipe[0]);
    if (!report.empty()) {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        g_child = 0;
        for (int fd : {outpipe[0], errout[0], inpipe[1], master})
            if (fd >= 0)
                close(fd);
        r.error = report;
        return r;
    }
    r.started = true;
    // Recorded here, not only by the CLI: a CLI killed right after the start must not leave a
    // running container that nothing knows the pid of.
    write_state(spec.state_file,
                "RUNNING " + std::to_string(pid) + " " + proc_start(static_cast<pid_t>(pid)) + " " +
                    std::to_string(restarts) + " " + std::to_string(getpid()) + " " +
                    proc_start(getpid()) + " " + (spec.cgroup.empty() ? "-" : spec.cgroup));
    if (restarts == 0) {
        status("STARTED " + std::to_string(pid));
        tsctr::shed_setup_memory();
    }
    io.terminal = master >= 0;
    io.out = master >= 0 ? master : outpipe[0];
    io.err = errout[0];
    io.in = master >= 0 ? (spec.stdin_open ? master : -1) : inpipe[1];
    tsctr::io_run(io);

    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            st = 0;
            break;
        }
    }
    g_child = 0;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    r.ran_ms = now_ms() - started_at;
    return r;
}

} // namespace

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "--") == 0)
        tsctr::init_main(argv + 2);
    bool exec_mode = argc == 3 && strcmp(argv[1], "--exec") == 0;
    bool keeper_mode = argc == 3 && strcmp(argv[1], "--network") == 0;
    bool connect_mode = argc == 3 && strcmp(argv[1], "--connect") == 0;
    if (argc != 2 && !exec_mode && !keeper_mode && !connect_mode) {
        static const char usage[] =
            "usage: tsctr-monitor [--exec | --network | --connect] SPEC_FILE (started by tsctr)\n";
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
        status("ERROR spec " + std::to_string(EINVAL) + " " + tsctr::one_line(err));
        return 1;
    }
    if (keeper_mode != !spec.keeper_listen.empty()) {
        status("ERROR spec " + std::to_string(EINVAL) +
               " keeper-listen goes with --network, and only");
        return 1;
    }
    if (keeper_mode)
        return tsctr::keeper_main(spec);
    if (connect_mode)
        return tsctr::keeper_connect_main(spec);
    if (exec_mode != (spec.join_pid != 0)) {
        status("ERROR spec " + std::to_string(EINVAL) + " join-pid goes with --exec, and only");
        return 1;
    }
    tsctr::SecurityError se;
    if (!tsctr::prepare_seccomp(spec.security, se)) {
        if (!exec_mode)
            cleanup(spec);
        status(std::string("ERROR ") + se.stage + " " + std::to_string(se.err) + " " +
               tsctr::one_line(se.detail));
        return 1;
    }
    if (exec_mode)
        return tsctr::exec_main(spec);
    if (!tsctr::join_namespaces(spec, err)) {
        cleanup(spec);
        status(err);
        return 1;
    }

    tsctr::relay_signals();

    // The log, the attach socket and the clients stay across restarts.
    tsctr::Io io;
    io.stdin_once = spec.stdin_once;
    if (spec.client_fd >= 0)
        tsctr::io_add_client(io, spec.client_fd);
    if (!spec.log_file.empty() &&
        !io.log.open(spec.log_file, spec.log_max_size, spec.log_max_file)) {
        status("ERROR pipe " + std::to_string(errno) + " log " + tsctr::one_line(spec.log_file));
        cleanup(spec);
        return 1;
    }
    if (!spec.attach_socket.empty() && !tsctr::io_listen(io, spec.attach_socket)) {
        status("ERROR pipe " + std::to_string(errno) + " attach socket " +
               tsctr::one_line(spec.attach_socket));
        cleanup(spec);
        return 1;
    }

    if ((!spec.net_helper.empty() && !tsctr::net_start(spec, g_net, err)) ||
        !tsctr::forward_listen(spec, g_fw, err) ||
        (!spec.keeper_socket.empty() && !tsctr::keeper_join(spec, g_net, err)) ||
        !tsctr::forward_start(spec, g_fw, g_net.netns_fd, err)) {
        tsctr::forward_stop(g_fw);
        tsctr::net_stop(spec, g_net);
        if (!spec.attach_socket.empty())
            unlink(spec.attach_socket.c_str());
        cleanup(spec);
        status(err);
        return 1;
    }
    Run first = run_once(spec, io);
    if (!first.started) {
        tsctr::forward_stop(g_fw);
        tsctr::net_stop(spec, g_net);
        if (!spec.attach_socket.empty())
            unlink(spec.attach_socket.c_str());
        cleanup(spec);
        status(first.error);
        return 1;
    }
    // --restart: the container runs again after docker's back-off (100 ms, doubled each time up
    // to a minute, back to 100 ms after a run of 10 s or more) until the policy says no, its
    // stop file appears (`stop`, `kill`, `rm -f`), or a restart fails to start.
    Run last = first;
    int restarts = 0;
    long delay_ms = 100;
    while (should_restart(spec, last, restarts)) {
        if (last.ran_ms >= 10000)
            delay_ms = 100;
        write_state(spec.state_file, "RESTARTING " + std::to_string(last.code) + " " +
                                         std::to_string(last.sig) + " " + std::to_string(restarts) +
                                         " " + std::to_string(getpid()) + " " +
                                         proc_start(getpid()));
        sleep_ms(delay_ms); // a signal (stop) cuts it short
        if (stop_requested(spec))
            break;
        delay_ms = std::min(delay_ms * 2, 60000L);
        restarts++;
        Run next = run_once(spec, io, restarts);
        if (!next.started) {
            last.code = 125;
            last.sig = 0;
            status("WARNING restart failed: " + next.error);
            break;
        }
        last = next;
    }
    tsctr::forward_stop(g_fw);
    tsctr::net_signal_stop(g_net);
    std::string line = "EXITED " + std::to_string(last.code) + " " + std::to_string(last.sig);
    if (!spec.attach_socket.empty())
        unlink(spec.attach_socket.c_str());
    tsctr::io_finish(io, last.code, last.sig);
    cleanup(spec);
    // The exit file tells `stop`, `rm -f` and `wait` that the container is done: only once its
    // published ports are free again.
    tsctr::net_stop(spec, g_net);
    tsctr::replace_file(spec.exit_file, line);
    status(line);
    return 0;
}

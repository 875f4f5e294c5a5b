#include "net.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "status.h"

namespace tsctr {

namespace {

constexpr long kReadyTimeoutMs = 15000;

long now_ms() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

std::string error_line(int err, const std::string &detail) {
    return "ERROR network " + std::to_string(err) + " " + one_line(detail);
}

// The helper's last words: the last line of its log that is not about the system log (pasta
// reports every message it cannot send there).
std::string last_words(const std::string &log) {
    int fd = open(log.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    std::string text;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 && text.size() < 65536)
        text.append(buf, static_cast<size_t>(n));
    close(fd);
    std::string last;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.rfind("Failed to send", 0) != 0)
            last = line;
        start = end + 1;
    }
    return last;
}

bool file_filled(const std::string &path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

// A network namespace owned by the monitor's user namespace, as an fd: a child makes it and
// is gone once the fd holds it (the monitor itself must stay in the host's, where the helper
// starts, and could not setns back).
} // namespace

int net_make_ns(std::string &error) {
    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0) {
        error = error_line(errno, "pipe");
        return -1;
    }
    pid_t child = fork();
    if (child < 0) {
        error = error_line(errno, "fork");
        close(sync[0]);
        close(sync[1]);
        return -1;
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        unsigned char err = unshare(CLONE_NEWNET) < 0 ? static_cast<unsigned char>(errno) : 0;
        (void)!write(sync[1], &err, 1);
        for (;;)
            pause();
    }
    close(sync[1]);
    unsigned char err = 0;
    ssize_t n;
    while ((n = read(sync[0], &err, 1)) < 0 && errno == EINTR) {
    }
    close(sync[0]);
    int fd = -1;
    if (n == 1 && err == 0) {
        std::string path = "/proc/" + std::to_string(child) + "/ns/net";
        fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            error = error_line(errno, "open " + path);
    } else {
        error = error_line(n == 1 ? err : EIO, "create the network namespace");
    }
    kill(child, SIGKILL);
    while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
    return fd;
}

namespace {

// Sends one request line to the helper's API socket and reads its answer; "" when it did not
// answer with an error. The socket's path may be too long for a socket address, so it is
// reached through its directory's fd.
std::string api_request(const std::string &socket_path, const std::string &request) {
    size_t slash = socket_path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : socket_path.substr(0, slash);
    std::string name = slash == std::string::npos ? socket_path : socket_path.substr(slash + 1);
    int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::string answer;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = "/proc/self/fd/" + std::to_string(dfd) + "/" + name;
    if (dfd < 0 || s < 0 || path.size() >= sizeof addr.sun_path) {
        answer = std::string("cannot reach the API socket: ") + strerror(errno);
    } else {
        memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        if (connect(s, reinterpret_cast<sockaddr *>(&addr), sizeof addr) < 0) {
            answer = "connect " + socket_path + ": " + strerror(errno);
        } else {
            std::string line = request + "\n";
            if (write(s, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
                answer = std::string("write: ") + strerror(errno);
            } else {
                shutdown(s, SHUT_WR);
                char buf[4096];
                ssize_t n;
                std::string reply;
                while ((n = read(s, buf, sizeof buf)) > 0 && reply.size() < 65536)
                    reply.append(buf, static_cast<size_t>(n));
                if (reply.find("\"error\"") != std::string::npos || reply.empty())
                    answer = reply.empty() ? "no answer to " + request : reply;
            }
        }
    }
    if (s >= 0)
        close(s);
    if (dfd >= 0)
        close(dfd);
    return answer;
}

} // namespace

bool net_start(const Spec &spec, Network &net, std::string &error) {
    net.netns_fd = net_make_ns(error);
    if (net.netns_fd < 0)
        return false;
    if (!spec.net_pidfile.empty())
        unlink(spec.net_pidfile.c_str());
    int log = open(spec.net_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log < 0) {
        error = error_line(errno, "open " + spec.net_log);
        return false;
    }
    size_t slash = spec.net_log.rfind('/');
    std::string dir = slash == 0 || slash == std::string::npos ? std::string(1, '/')
                                                               : spec.net_log.substr(0, slash);
    // Watched before the start, so the pid file cannot be written unseen.
    int watch = -1;
    if (!spec.net_pidfile.empty()) {
        watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        std::string pdir = spec.net_pidfile.substr(0, spec.net_pidfile.rfind('/'));
        if (watch >= 0)
            inotify_add_watch(watch, pdir.empty() ? "/" : pdir.c_str(),
                              IN_CLOSE_WRITE | IN_MOVED_TO);
    }
    int ready[2] = {-1, -1}, quit[2] = {-1, -1};
    if ((spec.net_ready_fd && pipe2(ready, O_CLOEXEC) < 0) ||
        (spec.net_exit_fd && pipe2(quit, O_CLOEXEC) < 0)) {
        error = error_line(errno, "pipe");
        close(log);
        return false;
    }

    std::vector<char *> argv;
    argv.push_back(const_cast<char *>(spec.net_helper.c_str()));
    for (const std::string &a : spec.net_args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    pid_t monitor = getpid();
    sigset_t old;
    pid_t pid = fork_blocked(old);
    if (pid == 0) {
        reset_child_signals(old);
        signal(SIGPIPE, SIG_DFL); // the monitor ignores it, and exec keeps an ignored signal
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != monitor)
            _exit(1);
        // Every source moves above the fds it goes to first: any of them may be 3, 4 or 5.
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int src[4] = {log, net.netns_fd, ready[1], quit[0]};
        for (int &fd : src)
            if (fd >= 0)
                fd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(src[0], 2) < 0 ||
            dup2(src[1], 3) < 0 || (src[2] >= 0 && dup2(src[2], 4) < 0) ||
            (src[3] >= 0 && dup2(src[3], 5) < 0) || chdir(dir.c_str()) < 0)
            _exit(126);
        execv(argv[0], argv.data());
        std::string msg = "exec " + spec.net_helper + ": " + strerror(errno) + "\n";
        (void)!write(2, msg.data(), msg.size());
        _exit(127);
    }
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    close(log);
    for (int fd : {ready[1], quit[0]})
        if (fd >= 0)
            close(fd);
    net.exit_fd = quit[1];
    if (pid < 0) {
        for (int fd : {watch, ready[0]})
            if (fd >= 0)
                close(fd);
        error = error_line(fork_errno, "fork");
        return false;
    }
    net.helper = pid;

    long deadline = now_ms() + kReadyTimeoutMs;
    bool is_ready = false;
    bool ready_eof = false;
    for (;;) {
        if (!spec.net_pidfile.empty() && file_filled(spec.net_pidfile)) {
            is_ready = true;
            break;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            net.helper = -1;
            std::string why = last_words(spec.net_log);
            if (why.empty())
                why = spec.net_helper + " exited with " +
                      (WIFEXITED(st) ? std::to_string(WEXITSTATUS(st))
                                     : "signal " + std::to_string(WTERMSIG(st)));
            error = error_line(EIO, why);
            break;
        }
        long left = deadline - now_ms();
        if (left <= 0) {
            error = error_line(ETIMEDOUT, spec.net_helper + " did not get ready in " +
                                              std::to_string(kReadyTimeoutMs / 1000) + " s");
            break;
        }
        // Woken by the pid file or the ready byte; the short period also notices an exit.
        int fd = spec.net_ready_fd ? (ready_eof ? -1 : ready[0]) : watch;
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, fd >= 0 ? 1 : 0, static_cast<int>(left < 20 ? left : 20)) > 0) {
            char buf[4096];
            ssize_t n = read(fd, buf, sizeof buf);
            if (spec.net_ready_fd && n > 0) {
                is_ready = true;
                break;
            }
            if (spec.net_ready_fd && n == 0)
                ready_eof = true; // it closed the pipe unready: its exit follows
            while (!spec.net_ready_fd && read(watch, buf, sizeof buf) > 0) {
            }
        }
    }
    for (int fd : {watch, ready[0]})
        if (fd >= 0)
            close(fd);
    if (!is_ready)
        return false;
    for (const std::string &req : spec.net_api_requests) {
        std::string failed = api_request(spec.net_api_socket, req);
        if (!failed.empty()) {
            error = error_line(EIO, spec.net_helper + ": " + failed);
            return false;
        }
    }
    return true;
}

bool net_enter(const Network &net) {
    return net.netns_fd < 0 || setns(net.netns_fd, CLONE_NEWNET) == 0;
}

void net_signal_stop(Network &net) {
    if (net.exit_fd >= 0)
        close(net.exit_fd);
    net.exit_fd = -1;
    if (net.helper > 0)
        kill(net.helper, SIGTERM);
}

void net_stop(const Spec &spec, Network &net) {
    if (net.exit_fd >= 0) {
        close(net.exit_fd);
        net.exit_fd = -1;
    }
    if (net.helper > 0) {
        kill(net.helper, SIGTERM);
        // pasta ends on TERM (its exit takes ~30 ms); one that does not is killed after 2 s.
        long deadline = now_ms() + 2000;
        int st;
        while (waitpid(net.helper, &st, WNOHANG) == 0) {
            if (now_ms() >= deadline) {
                kill(net.helper, SIGKILL);
                while (waitpid(net.helper, &st, 0) < 0 && errno == EINTR) {
                }
                break;
            }
            usleep(2000);
        }
        net.helper = -1;
    }
    if (net.keeper_fd >= 0) {
        // BYE, and its answer, which comes once the keeper is done if this was its last member.
        static const char bye[] = "BYE\n";
        if (write(net.keeper_fd, bye, sizeof bye - 1) == sizeof bye - 1) {
            pollfd p{net.keeper_fd, POLLIN, 0};
            char buf[16];
            if (poll(&p, 1, 5000) > 0)
                (void)!read(net.keeper_fd, buf, sizeof buf);
        }
        close(net.keeper_fd);
        net.keeper_fd = -1;
    }
    if (net.netns_fd >= 0) {
        close(net.netns_fd);
        net.netns_fd = -1;
    }
    if (!spec.net_pidfile.empty())
        unlink(spec.net_pidfile.c_str());
}

} // namespace tsctr

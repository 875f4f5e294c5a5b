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
#include <sys/stat.h>
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
int make_netns(std::string &error) {
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

} // namespace

bool net_start(const Spec &spec, Network &net, std::string &error) {
    net.netns_fd = make_netns(error);
    if (net.netns_fd < 0)
        return false;
    unlink(spec.net_pidfile.c_str());
    int log = open(spec.net_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log < 0) {
        error = error_line(errno, "open " + spec.net_log);
        return false;
    }
    // Watched before the start, so the pid file cannot be written unseen.
    int watch = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    std::string dir = spec.net_pidfile.substr(0, spec.net_pidfile.rfind('/'));
    if (watch >= 0)
        inotify_add_watch(watch, dir.empty() ? "/" : dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);

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
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(log, 2) < 0 ||
            dup2(net.netns_fd, 3) < 0)
            _exit(126);
        execv(argv[0], argv.data());
        std::string msg = "exec " + spec.net_helper + ": " + strerror(errno) + "\n";
        (void)!write(2, msg.data(), msg.size());
        _exit(127);
    }
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    close(log);
    if (pid < 0) {
        if (watch >= 0)
            close(watch);
        error = error_line(fork_errno, "fork");
        return false;
    }
    net.helper = pid;

    long deadline = now_ms() + kReadyTimeoutMs;
    bool ready = false;
    for (;;) {
        if (file_filled(spec.net_pidfile)) {
            ready = true;
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
        // Woken by the pid file; the short period also notices an exit without one.
        pollfd p{watch, POLLIN, 0};
        if (poll(&p, watch >= 0 ? 1 : 0, static_cast<int>(left < 20 ? left : 20)) > 0) {
            char buf[4096];
            while (read(watch, buf, sizeof buf) > 0) {
            }
        }
    }
    if (watch >= 0)
        close(watch);
    return ready;
}

bool net_enter(const Network &net) {
    return net.netns_fd < 0 || setns(net.netns_fd, CLONE_NEWNET) == 0;
}

void net_signal_stop(const Network &net) {
    if (net.helper > 0)
        kill(net.helper, SIGTERM);
}

void net_stop(const Spec &spec, Network &net) {
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
    if (net.netns_fd >= 0) {
        close(net.netns_fd);
        net.netns_fd = -1;
    }
    if (!spec.net_pidfile.empty())
        unlink(spec.net_pidfile.c_str());
}

} // namespace tsctr

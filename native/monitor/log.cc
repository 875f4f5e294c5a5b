#include "log.h"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <poll.h>
#include <string>
#include <unistd.h>

#include "fdio.h"

namespace tsctr {
namespace {

constexpr size_t kMaxLine = 16 * 1024;

std::string now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    tm utc{};
    gmtime_r(&ts.tv_sec, &utc);
    char buf[64];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
    return buf;
}

struct Stream {
    int fd;
    const char *name;
    std::string pending;
};

void record(int log_fd, const Stream &s, const std::string &text, bool full) {
    std::string rec = now() + " " + s.name + (full ? " F " : " P ") + text + "\n";
    // A full disk loses log lines, never the container.
    (void)write_full(log_fd, rec.data(), rec.size());
}

void drain(int log_fd, Stream &s, const char *data, size_t len) {
    s.pending.append(data, len);
    size_t start = 0;
    for (size_t nl; (nl = s.pending.find('\n', start)) != std::string::npos; start = nl + 1)
        record(log_fd, s, s.pending.substr(start, nl - start), true);
    s.pending.erase(0, start);
    while (s.pending.size() >= kMaxLine) {
        record(log_fd, s, s.pending.substr(0, kMaxLine), false);
        s.pending.erase(0, kMaxLine);
    }
}

} // namespace

void relay_logs(int out_fd, int err_fd, int log_fd) {
    Stream streams[2] = {{out_fd, "stdout", {}}, {err_fd, "stderr", {}}};
    char buf[16 * 1024];
    int open_count = (out_fd >= 0) + (err_fd >= 0); // a terminal has one stream
    while (open_count > 0) {
        pollfd p[2] = {{streams[0].fd, POLLIN, 0}, {streams[1].fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            Stream &s = streams[i];
            if (s.fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(s.fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n > 0) {
                drain(log_fd, s, buf, static_cast<size_t>(n));
                continue;
            }
            if (!s.pending.empty())
                record(log_fd, s, s.pending, false);
            s.pending.clear();
            close(s.fd);
            s.fd = -1; // poll ignores negative fds
            open_count--;
        }
    }
}

} // namespace tsctr

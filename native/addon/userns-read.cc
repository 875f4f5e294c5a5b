#include "userns-read.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tsctr {

namespace {

constexpr size_t kMax = 16384;

// In the child: write(2) until done, no allocation.
bool put(int fd, const void *p, size_t n) {
    const char *c = static_cast<const char *>(p);
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// The child's whole life: join, then for each path a record `int32 len` (or -errno) and bytes.
[[noreturn]] void child(int ns_fd, int out, const std::vector<const char *> &paths) {
    int32_t joined = setns(ns_fd, CLONE_NEWUSER) == 0 ? 0 : -errno;
    if (joined < 0) {
        for (size_t i = 0; i < paths.size(); i++)
            put(out, &joined, sizeof joined);
        _exit(0);
    }
    static char buf[kMax];
    for (const char *p : paths) {
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        int32_t len = 0;
        if (fd < 0) {
            len = -errno;
        } else {
            for (;;) {
                ssize_t r = read(fd, buf + len, kMax - static_cast<size_t>(len));
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0) {
                    len = -errno;
                    break;
                }
                if (r == 0 || (len += static_cast<int32_t>(r)) == static_cast<int32_t>(kMax))
                    break;
            }
            close(fd);
        }
        if (!put(out, &len, sizeof len) || (len > 0 && !put(out, buf, static_cast<size_t>(len))))
            _exit(1);
    }
    _exit(0);
}

} // namespace

std::vector<ReadResult> read_in_userns(pid_t ns_pid, const std::vector<std::string> &paths) {
    std::vector<ReadResult> out(paths.size());
    auto fail_all = [&](int err) {
        for (ReadResult &r : out)
            r.err = err;
        return out;
    };
    std::string ns = "/proc/" + std::to_string(ns_pid) + "/ns/user";
    int ns_fd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0)
        return fail_all(errno);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        int err = errno;
        close(ns_fd);
        return fail_all(err);
    }
    // Everything the child touches exists before the fork.
    std::vector<const char *> cpaths;
    for (const std::string &s : paths)
        cpaths.push_back(s.c_str());
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        child(ns_fd, p[1], cpaths);
    }
    int fork_errno = errno;
    close(ns_fd);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return fail_all(fork_errno);
    }
    std::string bytes;
    char chunk[65536];
    for (;;) {
        ssize_t r = read(p[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        bytes.append(chunk, static_cast<size_t>(r));
    }
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    size_t at = 0;
    for (ReadResult &r : out) {
        int32_t len;
        if (at + sizeof len > bytes.size()) {
            r.err = EIO;
            continue;
        }
        std::memcpy(&len, bytes.data() + at, sizeof len);
        at += sizeof len;
        if (len < 0) {
            r.err = -len;
        } else if (at + static_cast<size_t>(len) <= bytes.size()) {
            r.data.assign(bytes, at, static_cast<size_t>(len));
            at += static_cast<size_t>(len);
        } else {
            r.err = EIO;
        }
    }
    return out;
}

} // namespace tsctr

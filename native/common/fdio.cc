#include "fdio.h"

#include <cerrno>
#include <unistd.h>

namespace tsctr {

int read_full(int fd, void *buf, size_t len) {
    auto *p = static_cast<char *>(buf);
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            if (got == 0)
                return 0;
            errno = EPIPE;
            return -1;
        }
        got += static_cast<size_t>(n);
    }
    return 1;
}

int write_full(int fd, const void *buf, size_t len) {
    auto *p = static_cast<const char *>(buf);
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= static_cast<size_t>(n);
    }
    return 0;
}

int write_line(int fd, const std::string &line) {
    std::string s = line;
    s.push_back('\n');
    return write_full(fd, s.data(), s.size());
}

} // namespace tsctr

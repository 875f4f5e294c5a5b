#include "fdio.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace tsctr {

namespace {

// read(2), retried on EINTR.
ssize_t read_some(int fd, void *buf, size_t len) {
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

// The end of input after `got` bytes of a record: 0 between records, an error (EPIPE) within.
int eof_after(size_t got) {
    if (got == 0)
        return 0;
    errno = EPIPE;
    return -1;
}

} // namespace

int read_full(int fd, void *buf, size_t len) {
    auto *p = static_cast<char *>(buf);
    size_t got = 0;
    while (got < len) {
        ssize_t n = read_some(fd, p + got, len - got);
        if (n < 0)
            return -1;
        if (n == 0)
            return eof_after(got);
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

int Reader::read_full(void *dst, size_t len) {
    auto *p = static_cast<char *>(dst);
    size_t got = 0;
    while (got < len) {
        if (pos_ < end_) {
            size_t n = std::min(len - got, end_ - pos_);
            memcpy(p + got, buf_.data() + pos_, n);
            pos_ += n;
            got += n;
            continue;
        }
        if (len - got >= buf_.size()) {
            int r = tsctr::read_full(fd_, p + got, len - got);
            return r == 0 ? eof_after(got) : r;
        }
        ssize_t n = read_some(fd_, buf_.data(), buf_.size());
        if (n < 0)
            return -1;
        if (n == 0)
            return eof_after(got);
        pos_ = 0;
        end_ = static_cast<size_t>(n);
    }
    return 1;
}

int write_line(int fd, const std::string &line) {
    std::string s = line;
    s.push_back('\n');
    return write_full(fd, s.data(), s.size());
}

} // namespace tsctr

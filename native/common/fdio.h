// Whole-buffer reads and writes that survive EINTR and short transfers.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace tsctr {

// Reads exactly `len` bytes. Returns 1 on success, 0 on EOF before any byte, -1 on error or a
// truncated read (errno is set; EPIPE stands for "EOF in the middle").
int read_full(int fd, void *buf, size_t len);

// Writes all of `len` bytes; returns 0 or -1 with errno.
int write_full(int fd, const void *buf, size_t len);

// Writes a whole line (a trailing '\n' is added) in one write so lines from one writer never
// interleave on a pipe (PIPE_BUF atomicity).
int write_line(int fd, const std::string &line);

// read_full over a buffer: many small records (the layer writer's headers, paths and small
// files) cost one read(2) per buffer instead of one per record. Large reads bypass it.
class Reader {
  public:
    explicit Reader(int fd, size_t size = 256 * 1024) : fd_(fd), buf_(size) {}
    // As read_full above.
    int read_full(void *dst, size_t len);

  private:
    int fd_;
    std::vector<char> buf_;
    size_t pos_ = 0;
    size_t end_ = 0;
};

} // namespace tsctr

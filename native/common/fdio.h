// Whole-buffer reads and writes that survive EINTR and short transfers.
#pragma once
#include <cstddef>
#include <string>

namespace tsctr {

// Reads exactly `len` bytes. Returns 1 on success, 0 on EOF before any byte, -1 on error or a
// truncated read (errno is set; EPIPE stands for "EOF in the middle").
int read_full(int fd, void *buf, size_t len);

// Writes all of `len` bytes; returns 0 or -1 with errno.
int write_full(int fd, const void *buf, size_t len);

// Writes a whole line (a trailing '\n' is added) in one write so lines from one writer never
// interleave on a pipe (PIPE_BUF atomicity).
int write_line(int fd, const std::string &line);

} // namespace tsctr

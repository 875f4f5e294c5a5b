// A container's stdout and stderr, written by its monitor into one log file in podman's
// k8s-file format, a line a record:
//
//   2026-12-04T16:13:34.123456789Z stdout F hello
//
// "F" ends a line, "P" is part of one: a line longer than the buffer, or the last bytes when the
// container ended without a newline. `tsctr logs` reads it back (src/runtime/logs.ts), the
// rotated files (LOG.N … LOG.1) before LOG.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace tsctr {

class Log {
  public:
    // Opens (appends to) `path`; past `max_size` bytes (0: never) the file is rotated so that
    // `max_file` files are kept in all, as docker's json-file does. False with errno on failure.
    bool open(const std::string &path, uint64_t max_size, unsigned max_file);
    // Bytes the container wrote on stream 1 (stdout) or 2 (stderr); whole lines are recorded.
    void add(int stream, const char *data, size_t len);
    // The stream reached its end: what is left of a line is recorded as a part ("P").
    void end(int stream);

  private:
    void record(int stream, const std::string &text, bool full);
    void rotate();
    int fd_ = -1;
    std::string path_;
    uint64_t size_ = 0, max_size_ = 0;
    unsigned max_file_ = 1;
    std::string pending_[2];
};

} // namespace tsctr

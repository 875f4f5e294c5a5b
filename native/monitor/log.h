// A detached container's stdout and stderr, written by its monitor into one log file in
// podman's k8s-file format, a line a record:
//
//   2026-12-04T16:13:34.123456789Z stdout F hello
//
// "F" ends a line, "P" is part of one: a line longer than the buffer, or the last bytes when the
// container ended without a newline. `tsctr logs` reads it back (src/runtime/logs.ts).
#pragma once

namespace tsctr {

// Copies both pipes into `log_fd` until both reach EOF (the container and everything it started
// are gone). Signals may interrupt; the copy goes on. With a terminal, `out_fd` is its master
// (read until EIO, when the last slave closes) and `err_fd` is -1.
void relay_logs(int out_fd, int err_fd, int log_fd);

} // namespace tsctr

#pragma once
#include "spec.h"

namespace tsctr {

// Runs in the container's first process, right after clone(2) put it in its new mount, pid,
// uts, ipc (and network) namespaces: mounts the rootfs and the API filesystems, pivots into the
// rootfs, sets the hostname, drops to the container user and execs the command. Any failure is
// written to `err_fd` as one line "STAGE\tERRNO\tDETAIL" and the process exits; a successful
// exec closes `err_fd` (it is close-on-exec), which is how the monitor knows it started.
// With a terminal in the spec, `console_fd` is the socket the pty's master goes back on.
[[noreturn]] void container_main(const Spec &spec, int err_fd, int console_fd);

// The part of a container process's start shared with `exec`: attaches the terminal (when
// `console_fd` >= 0), confines the process (capability sets, seccomp, ids; see security.h),
// enters the working directory, restores default signal handling and execs the command.
// Failures are reported on `err_fd` as above.
[[noreturn]] void process_main(const Spec &spec, int err_fd, int console_fd);

} // namespace tsctr

// Running short host programs to completion from the addon: newuidmap and newgidmap on every
// container start. Node's child_process costs ~3 ms a program on the main thread (pipes,
// handles, a SIGCHLD round trip) against ~1 for posix_spawn; the two run in parallel and are
// waited for together.
#pragma once
#include <string>
#include <vector>

namespace tsctr {

struct HelperRun {
    std::vector<std::string> argv; // argv[0] is the absolute path
    // Results: the exit code (-1 when killed), the signal, the errno of a failed spawn, and
    // what the program wrote on stderr (its first 64 KiB).
    int code = -1, signal = 0, spawn_errno = 0;
    std::string stderr_text;
};

// Starts every program (stdin and stdout /dev/null, stderr a pipe, the caller's environment),
// then reads their stderr and reaps them all. Blocks until the last one exits.
void run_helpers(std::vector<HelperRun> &runs);

} // namespace tsctr

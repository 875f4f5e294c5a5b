// Reading files as the owner of a user namespace sees them from inside it. /proc/PID/io is mode
// 0400 for its process's uid; a container process running as a user other than root has a
// subordinate uid on the host, so its file is unreadable from outside the container's user
// namespace, however the user owns that namespace. Inside, the user holds CAP_DAC_READ_SEARCH
// over the uids it maps, and can read it.
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

namespace tsctr {

struct ReadResult {
    int err = 0;      // errno of the open or read, 0 when `data` holds the file
    std::string data; // its first 16 KiB
};

// Forks a child (single-threaded, as setns(CLONE_NEWUSER) requires) that joins the user
// namespace of `ns_pid` and sends each file back over a pipe; only async-signal-safe calls run
// in it. `err` is set for every path when the namespace cannot be joined.
std::vector<ReadResult> read_in_userns(pid_t ns_pid, const std::vector<std::string> &paths);

} // namespace tsctr

// Starting a process in new namespaces from the multithreaded Node process.
//
// The kernel refuses unshare(CLONE_NEWUSER) and setns() into a user namespace from a
// multithreaded process, so Node never enters a namespace itself: clone(2) makes a child (which
// has one thread) directly in the new namespaces. That child runs only async-signal-safe system
// calls — no malloc, no locks, everything it touches is prepared before the clone — and waits on
// a pipe until the parent has written its uid/gid maps (newuidmap/newgidmap need its pid), then
// execs the helper. The exec result comes back over a close-on-exec pipe: EOF means the exec
// succeeded, four bytes are the errno of a failed one.
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

namespace tsctr {

struct SpawnRequest {
    std::string file;
    std::vector<std::string> argv;
    std::vector<std::string> env;
    unsigned long clone_flags = 0;
    std::vector<int> stdio; // parent fds that become 0, 1, 2, … in the child
    bool setsid = false;
};

struct HeldChild {
    pid_t pid = -1;
    int go_fd = -1;  // write one byte to let the child exec; close it to make the child exit
    int err_fd = -1; // read the exec result here
};

// Returns 0, or -1 with errno and the failing syscall's name in `syscall_name`.
int spawn_held(const SpawnRequest &req, HeldChild &out, const char *&syscall_name);

// Lets the held child exec. Returns 0 when the exec succeeded, else the errno it failed with.
int release_held(int go_fd, int err_fd);

} // namespace tsctr

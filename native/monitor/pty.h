// The container's terminal (`-t`), made the way runc makes it: inside the container, from its
// own devpts instance (so `tty` names /dev/pts/0 there), with the master sent back to the
// monitor over a socket (SCM_RIGHTS). The monitor relays the master to its clients (io.h), a
// container's and an exec's alike; a resize a client sends is set on the master, and the
// kernel signals the process group in the terminal's foreground.
#pragma once
#include <string>
#include <sys/types.h>

namespace tsctr {

// In the container's process, after pivot_root (or the exec's join of the mount namespace):
// opens a pty pair, sends the master over `sock`, makes the slave the controlling terminal of a
// new session and fds 0-2, owned by `uid`. Returns false with errno set and `what` naming the step.
bool attach_terminal(int sock, uid_t uid, const char *&what);

// In the monitor: receives the master sent by attach_terminal, gives it the window size
// `rows` x `cols` (unless 0) and lets the container go on; -1 when the socket closed without one
// (the container failed before it; its error pipe says why).
int receive_terminal(int sock, unsigned short rows, unsigned short cols);

} // namespace tsctr

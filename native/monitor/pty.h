// The container's terminal (`-t`), made the way runc makes it: inside the container, from its
// own devpts instance (so `tty` names /dev/pts/0 there), with the master sent back to the
// monitor over a socket (SCM_RIGHTS). The monitor then copies between its own stdio (the CLI's
// terminal, already in raw mode) and the master, and passes window-size changes on: the CLI
// forwards SIGWINCH to the monitor, which reads the size of its stdio's terminal and sets it on
// the master, and the kernel signals the container's foreground process group. (That is how
// `exec -t` relays; a container's terminal is relayed to its clients by io.h.)
#pragma once
#include <string>
#include <sys/ioctl.h>
#include <sys/types.h>

namespace tsctr {

// In the container's process, after pivot_root (or the exec's join of the mount namespace):
// opens a pty pair, sends the master over `sock`, makes the slave the controlling terminal of a
// new session and fds 0-2, owned by `uid`. Returns false with errno set and `what` naming the step.
bool attach_terminal(int sock, uid_t uid, const char *&what);

// In the monitor: receives the master sent by attach_terminal, gives it the window size `ws`
// (or, when that is null or 0 x 0, the monitor's stdio's) and lets the container go on; -1 when
// the socket closed without one (the container failed before it; its error pipe says why).
int receive_terminal(int sock, const winsize *ws = nullptr);

// In the monitor: copies fd 0 to the master and the master to fd 1 until the master reports
// EIO (every slave closed: the container and all it started are gone). A stdin at EOF stops
// being read. Sets the initial window size from fd 0 or 1.
void relay_terminal(int master);

// SIGWINCH handler work: the size of the monitor's terminal onto the master.
void resize_terminal(int master);

} // namespace tsctr

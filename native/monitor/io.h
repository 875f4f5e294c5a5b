// The container's stdio, as the monitor holds it: what the container writes goes to its log and
// to every attached client; what clients send goes to its stdin. The foreground CLI is a client
// from the start (the spec's client-fd); `tsctr attach` connects to the spec's attach-socket.
//
// A client speaks in frames, on a stream socket: one byte of type, a 4-byte big-endian length,
// then the payload.
//
//   monitor → client   1 stdout bytes    2 stderr bytes    3 exit: "CODE SIGNAL"
//   client → monitor   0 stdin bytes     4 end of stdin    5 window size: rows, cols (u16 BE)
//
// A client leaves by closing its socket (a detach); the container goes on. Output is never
// dropped for a slow client: while one has more than a megabyte unread, the monitor stops
// reading the container (which then blocks on its full pipe, as it would on a terminal).
#pragma once
#include <string>
#include <vector>

#include "log.h"

namespace tsctr {

struct Client {
    int fd;
    std::string rx; // bytes of an incomplete frame
    std::string tx; // frames not yet written
};

struct Io {
    // One run's: the container's stdout and stderr (a terminal's master is `out`, with `err`
    // -1), and its stdin (a pipe's write end, or the master), -1 when it has none.
    int out = -1, err = -1, in = -1;
    bool terminal = false;
    // With stdin_once, the first end of a client's input (or its leaving) closes the stdin.
    bool stdin_once = false;
    std::string in_pending;
    bool in_closing = false; // close `in` once in_pending is written
    // The monitor's whole life.
    Log log;
    int listen_fd = -1;
    std::vector<Client> clients;
};

// Listens on `path` (mode 0600). The path may be longer than a sockaddr_un holds: it is bound
// through /proc/self/fd of its directory. False with errno on failure.
bool io_listen(Io &io, const std::string &path);

// Adds a connected client.
void io_add_client(Io &io, int fd);

// Relays until the container's output ends (the container and all it started are gone).
void io_run(Io &io);

// Tells every client the container's exit, flushes what they have not read, and lets them go.
void io_finish(Io &io, int code, int sig);

} // namespace tsctr

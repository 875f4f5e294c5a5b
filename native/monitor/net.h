// The container's network when a userspace helper joins it to the outside (pasta; the spec's
// net-helper). The monitor makes one network namespace, owned by the container's user namespace,
// and keeps it for its whole life, so port forwards survive --restart; every run of the container
// joins it (net_enter) instead of cloning a namespace of its own.
//
// The helper contract (arguments are policy, written by src/netns/):
//   fd 3     the container's network namespace (the arguments name it /proc/self/fd/3: a path
//            the helper can open although the namespace's holder has more capabilities)
//   fd 0, 1  /dev/null;  fd 2  the spec's net-log file;  cwd  the directory of that file
//   fd 4     with net-ready-fd: a pipe it writes a byte to once ready (slirp4netns --ready-fd);
//            otherwise it is ready once it has written net-pidfile (pasta -f -P FILE)
//   fd 5     with net-exit-fd: a pipe the monitor holds the other end of; EOF means exit
//            (slirp4netns --exit-fd), so it goes with the monitor however the monitor ends
//   api      once it is ready, each net-api-request line is sent to net-api-socket on a
//            connection of its own and must not be answered with an "error" (slirp4netns's
//            add_hostfwd: the published ports)
//   stops    on EOF on fd 5 and SIGTERM from the monitor, or when the monitor dies
//            (PR_SET_PDEATHSIG), so a killed monitor leaves no helper behind
#pragma once
#include <string>
#include <sys/types.h>

#include "spec.h"

namespace tsctr {

struct Network {
    int netns_fd = -1;
    pid_t helper = -1;
    int exit_fd = -1;   // the monitor's end of the helper's fd 5
    int keeper_fd = -1; // a user network's keeper (keeper.h): the membership lasts while open
};

// A new network namespace owned by our user namespace, as an fd (-1 with an ERROR line).
int net_make_ns(std::string &error);

// Makes the namespace and starts the helper; false with an ERROR status line in `error`.
bool net_start(const Spec &spec, Network &net, std::string &error);

// In the container's setup child: joins the namespace; false (errno set) on failure.
bool net_enter(const Network &net);

// Asks the helper to stop (EOF on its fd 5, SIGTERM) without waiting: its exit takes ~30 ms (the
// kernel tears its tap device down), which overlaps the monitor's own cleanup this way.
void net_signal_stop(Network &net);

// Stops the helper, waits for it (its ports are free once this returns), lets the namespace go.
void net_stop(const Spec &spec, Network &net);

} // namespace tsctr

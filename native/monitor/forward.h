// Published ports of a container on user networks (the spec's `forward` lines): the
// monitor binds each host port in the host's network namespace before the container starts (so a
// port in use fails the start), then forks one forwarder that joins the container's network
// namespace. Sockets keep the namespace they were made in, so the forwarder accepts on the host's
// ports and connects, from inside, to the container's address on its first network; each
// connection's bytes move with splice(2) through a pipe per direction and never enter user
// space. docker's userland proxy and podman's rootlessport copy them through their own buffers.
// A UDP port gets a socket in the container's namespace per peer, connected to the container,
// so the answers find their way back; a peer quiet for 90 s is forgotten.
//
// The forwarder is single-threaded (epoll), dies with the monitor (PR_SET_PDEATHSIG) and is
// killed when the container ends; the listening sockets stay with the monitor across restarts.
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

#include "spec.h"

namespace tsctr {

struct Forwarder {
    std::vector<int> listeners;
    pid_t pid = -1;
};

// Binds every forwarded port; false with an ERROR status line in `error`.
bool forward_listen(const Spec &spec, Forwarder &fw, std::string &error);

// Forks the forwarder into the network namespace `netns_fd`.
bool forward_start(const Spec &spec, Forwarder &fw, int netns_fd, std::string &error);

// Kills it, waits for it and closes the ports.
void forward_stop(Forwarder &fw);

// The user networks' way to the host's loopback (native/monitor/keeper.h): connections that an
// iptables REDIRECT in the keeper's namespace brings to `listener` go to the same port on
// 127.0.0.1 of this process's network namespace, the host's, with the same splice relay.
[[noreturn]] void host_proxy(int listener);

} // namespace tsctr

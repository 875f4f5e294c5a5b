// User networks: the per-user network namespace that holds one bridge per network, and the
// process that keeps it (podman's rootless-netns, without a pause process).
//
// The keeper is `tsctr-monitor --network SPEC`, started by the CLI (src/netns/keeper.ts) as root
// in a new user namespace, like a container's monitor. It makes a network namespace (R), starts
// pasta or slirp4netns on it exactly as a container's monitor does (net.h), moves into R for
// good, turns on forwarding, runs the spec's keeper-setup command there once (iptables'
// MASQUERADE rule for traffic leaving through the helper's tap0), listens on keeper-listen and
// writes "READY <pid>" on fd 3. It exits, stopping the helper, once its last client has gone
// (or when none came within 10 s of its start), so it lives exactly as long as the containers
// on user networks: a client connection is a membership, and the kernel closes it however the
// client ends, kill -9 included.
//
// A container on user networks has its monitor join R's user namespace (spec join-ns user), so
// R and the container's own network namespace have one owner and the keeper may plumb both. The
// monitor makes that namespace, connects, and sends its keeper-join lines, each with two fds
// (SCM_RIGHTS): the namespace and its /etc/hosts file. Requests, one line each, fields split by
// tabs; every request gets "OK [PID START]" or "ERROR <errno> <detail>":
//
//   HOLD                      a membership with no network: the CLI's while a container starts
//   JOIN <bridge> <gateway> <prefix> <ip> <ifname> <veth> <route 0|1> <id> <mac> <names…>
//                             the bridge (made when missing, gateway/prefix, up); a veth pair,
//                             <veth> on the bridge, <ifname> in the container with <ip>/<prefix>
//                             and <mac>, and with route 1 the default route
//                             via the gateway. <names> (space-separated) then resolve to <ip> in
//                             the /etc/hosts of every member of the bridge, its own included:
//                             the keeper rewrites each file in place (it is bind-mounted) below
//                             the line "# tsctr network members" whenever one joins or leaves.
//                             A JOIN for an id that already has a membership (`network connect`)
//                             lasts as long as that first one.
//   BYE                       ends the client's memberships; answered at once, or, when it was
//                             the last client, once the keeper has stopped its helper and is
//                             about to exit (a monitor says it before its exit file, so `stop`,
//                             `rm` and `run --rm` return with nothing of the network left)
//   LEAVE <bridge> <id>       removes the container's interface on that bridge, and its names;
//                             a bridge goes with its last member
#pragma once
#include <string>

#include "net.h"
#include "spec.h"

namespace tsctr {

int keeper_main(const Spec &spec);

// In a container's monitor: makes its network namespace and joins the keeper with the spec's
// requests; false with an ERROR status line in `error`.
// (With net.netns_fd already open, that namespace.)
bool keeper_join(const Spec &spec, Network &net, std::string &error);

// `tsctr-monitor --connect SPEC` (`network connect` and `disconnect` of a running container):
// joins the container's user and network namespaces (join-ns), sends the keeper-join requests
// (JOIN or LEAVE) with that namespace and the hosts file, and reports "OK" or the ERROR line on
// fd 3.
int keeper_connect_main(const Spec &spec);

} // namespace tsctr

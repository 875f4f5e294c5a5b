// Joining another process's namespaces before the container is made (the spec's join-ns): a
// container that shares another's network joins that container's user namespace (the network
// namespace belongs to it, and setns into a namespace needs CAP_SYS_ADMIN over its owner) and
// then its network namespace, which every run inherits.
//
// The monitor starts in the host's user namespace as the user who owns those namespaces, so the
// kernel lets it join them (the owner of a user namespace holds every capability in it). It is
// single-threaded, as setns(CLONE_NEWUSER) requires.
#pragma once
#include <string>

#include "spec.h"

namespace tsctr {

// Joins them all, user first; false with an ERROR status line in `error`.
bool join_namespaces(const Spec &spec, std::string &error);

} // namespace tsctr

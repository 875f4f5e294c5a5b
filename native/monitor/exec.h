#pragma once
#include "spec.h"

namespace tsctr {

// `tsctr-monitor --exec SPEC_FILE`: runs one more process in a running container (`exec`).
// Started by the CLI in the user's own namespaces, it joins every namespace of the container's
// init (the user namespace first: only then may it join the others), forks the process into the
// container's pid namespace, confines it exactly as the container's first process and execs the
// command. Status lines on fd 3 as the monitor's (STARTED, ERROR, EXITED); with exec-detach it
// returns after STARTED and the process is left to the container's init, as docker's `exec -d`.
int exec_main(const Spec &spec);

} // namespace tsctr

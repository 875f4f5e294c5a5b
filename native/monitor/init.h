// `--init`: this binary, copied to /dev/init in the container (container.cc, install_init),
// runs as the container's pid 1 as `/dev/init -- COMMAND…`, docker-init's (tini's) job:
//
// - It starts COMMAND as its child and exits with its status (128+N when killed by signal N).
// - It reaps every process orphaned into the container, so none stays a zombie.
// - Signals sent to it go on to COMMAND. As pid 1 it would otherwise be immune to any signal it
//   has no handler for; COMMAND, no longer pid 1, gets default actions (a TERM ends it).
#pragma once

namespace tsctr {

[[noreturn]] void init_main(char **argv);

} // namespace tsctr

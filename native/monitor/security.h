#pragma once
#include <string>

#include "spec.h"

namespace tsctr {

// Confines the calling process as `sec` says, in the order the kernel allows. The process must
// still be root with every capability of its user namespace; `become_user` switches ids in the
// middle (after the bounding set and, without no_new_privs, the seccomp filter: loading one
// needs CAP_SYS_ADMIN or no_new_privs). On failure returns false with the stage, errno and
// detail set; nothing is undone (the caller exits).
struct SecurityError {
    const char *stage = "";
    int err = 0;
    std::string detail;
};

// Compiles the spec's seccomp rules (or reads the program kept from an earlier build) into
// sec.seccomp_program. Runs in the monitor before it clones, where the cache path resolves.
bool prepare_seccomp(Security &sec, SecurityError &e);

bool confine(const Security &sec, bool (*become_user)(const void *ctx, SecurityError &),
             const void *ctx, SecurityError &e);

} // namespace tsctr

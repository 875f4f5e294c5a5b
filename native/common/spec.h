// The container spec the CLI writes for tsctr-monitor. Policy (which mounts, which user, which
// namespaces) is decided in TypeScript (src/runtime/spec.ts); this is only its reader.
//
// Format: a sequence of NUL-terminated tokens. Each record is a keyword followed by a fixed
// number of arguments (see kArity in spec.cc). Values may hold any byte but NUL, so argv and env
// pass through unescaped. docs/ARCHITECTURE.md documents every keyword.
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

namespace tsctr {

struct MountSpec {
    std::string source;
    std::string target; // inside the rootfs; "/" mounts the rootfs itself
    std::string fstype;
    unsigned long flags = 0;
    std::string data;
    std::string make; // "dir", "file" or "none": what to create at target first
};

struct Spec {
    unsigned long clone_flags = 0;
    std::string rootfs;    // host path the container's root is mounted on and pivoted into
    std::string mount_cwd; // directory to chdir to before mounting (short relative lowerdirs)
    std::vector<MountSpec> mounts;
    std::vector<std::pair<std::string, std::string>> symlinks; // target, link path in rootfs
    std::vector<std::string> masked;                           // paths hidden from the container
    std::vector<std::string> readonly;                         // paths made read-only
    std::string hostname;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::vector<std::string> remove_on_exit;
    std::string exit_file;
    // Set for a detached container: its stdout and stderr go through the monitor into this file
    // (podman's k8s-file format), instead of being the monitor's own fds 1 and 2.
    std::string log_file;
};

// Reads and validates the spec file. On failure returns false with a message in `err`.
bool read_spec(const char *path, Spec &spec, std::string &err);

} // namespace tsctr

// The container spec the CLI writes for tsctr-monitor. Policy (which mounts, which user, which
// namespaces) is decided in TypeScript (src/runtime/spec.ts); this is only its reader.
//
// Format: a sequence of NUL-terminated tokens. Each record is a keyword followed by a fixed
// number of arguments (see kArity in spec.cc). Values may hold any byte but NUL, so argv and env
// pass through unescaped. docs/ARCHITECTURE.md documents every keyword.
#pragma once
#include <cstdint>
#include <linux/filter.h>
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
    // What to create at target first: "dir", "file" or "none"; "seed" is "dir" for a volume
    // whose source, when empty, first takes the image's files at target (native/monitor/seed.h).
    std::string make;
};

struct SeccompArg {
    unsigned index = 0;
    std::string op; // ne lt le eq ge gt masked_eq
    uint64_t value = 0, value2 = 0;
};

struct SeccompRule {
    std::string action; // allow errno kill kill_process trap trace log
    unsigned errno_ret = 0;
    std::string name;
    std::vector<SeccompArg> args;
};

// What confines the process; decided in src/runtime/security/, applied by security.cc.
struct Security {
    bool has_caps = false;
    uint64_t cap_bounding = 0, cap_effective = 0, cap_permitted = 0, cap_inheritable = 0;
    bool no_new_privs = false;
    bool seccomp = false;
    std::string seccomp_default;
    unsigned seccomp_errno = 0;
    std::vector<std::string> seccomp_arches;
    std::vector<SeccompRule> seccomp_rules;
    // Where the filter compiled from these rules is kept (named by their hash): building it
    // with libseccomp takes ~10 ms, loading a kept one well under one.
    std::string seccomp_cache;
    // The compiled program, made by prepare_seccomp (native/monitor/security.h) before the
    // container's process is cloned: inside it the cache path no longer resolves.
    std::vector<sock_filter> seccomp_program;
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
    // The container's stdout and stderr go through the monitor into this file (podman's k8s-file
    // format) and to attached clients; unset (exec), they are the monitor's own fds 1 and 2.
    std::string log_file;
    Security security;
    // `exec` only: the process whose namespaces to join, its start time (/proc/PID/stat field
    // 22, so a reused pid is refused; empty skips the check), and whether to return at once.
    pid_t join_pid = 0;
    std::string join_start;
    bool exec_detach = false;
    // `-t`: the process gets a pty made in the container (native/monitor/pty.h), of this size
    // from the start (0 x 0: left as the kernel makes it, or taken from the monitor's stdio).
    bool terminal = false;
    unsigned short terminal_rows = 0, terminal_cols = 0;
    // The log's bounds (--log-opt max-size, max-file): past max_size bytes it is rotated,
    // keeping max_file files in all (LOG, LOG.1, …); 0 is unbounded.
    uint64_t log_max_size = 0;
    unsigned log_max_file = 1;
    // `-i`: the container's stdin is a pipe the monitor holds, fed by attached clients; with
    // stdin_once (a foreground `run -i`), it closes when the first client's input ends.
    bool stdin_open = false, stdin_once = false;
    // Where the monitor listens for `attach` (native/monitor/io.h), and the fd (>= 4) of the
    // client it starts with (the foreground CLI), if any.
    std::string attach_socket;
    int client_fd = -1;
    // --init: the container's first process is this binary as a reaper (native/monitor/init.h),
    // mounted at /dev/init from a sealed copy the container cannot write.
    bool init = false;
    // --restart: "no", "on-failure" (up to restart_max times, 0 = no limit), "always" or
    // "unless-stopped"; the monitor stops restarting once stop_file exists. It records every
    // start (and the back-off between restarts) in state_file.
    std::string restart_policy;
    unsigned long restart_max = 0;
    std::string state_file;
    // The container's cgroup (a cgroup v2 directory), which its process is cloned into:
    // empty where the user has no delegated cgroup.
    std::string cgroup;
    std::string stop_file;
    // --read-only: the rootfs is remounted read-only after everything is mounted in it.
    bool readonly_rootfs = false;
    // --ulimit: resource (RLIMIT_* number), soft, hard; set before the ids change.
    struct Rlimit {
        int resource;
        uint64_t soft, hard;
    };
    std::vector<Rlimit> rlimits;
    // A network of its own joined to the outside by a helper (native/monitor/net.h): its
    // executable and arguments, and its stderr; how it says it is ready (the file it writes its
    // pid to, or a byte on its fd 4), whether fd 5 is a pipe whose end tells it to exit, and
    // requests (one JSON line each) to send to its API socket once it is ready.
    std::string net_helper;
    std::vector<std::string> net_args;
    std::string net_pidfile;
    bool net_ready_fd = false;
    bool net_exit_fd = false;
    std::string net_log;
    std::string net_api_socket;
    std::vector<std::string> net_api_requests;
    // Namespaces of another process the monitor joins before anything else (user first): a
    // container that shares another's network (--network container:NAME) joins that container's
    // user and network namespaces. The start time (/proc/PID/stat field 22) refuses a reused pid.
    struct JoinNs {
        std::string kind; // "user" or "net"
        pid_t pid;
        std::string start;
    };
    std::vector<JoinNs> join_ns;
    // User networks (native/monitor/keeper.h). The keeper's own spec: the socket it listens on,
    // the commands run once in its network namespace (keeper-setup words, each command ended by
    // keeper-setup-end: the NAT rules), and the port its host proxy listens on there. A
    // container's: the keeper's socket, its /etc/hosts file, and one JOIN request per network.
    std::string keeper_listen;
    std::vector<std::vector<std::string>> keeper_setup;
    bool keeper_setup_done = false;
    uint16_t keeper_proxy = 0;
    std::string keeper_socket;
    std::string keeper_hosts;
    std::vector<std::string> keeper_joins;
    // Published ports of a container on user networks (native/monitor/forward.h): protocol
    // (tcp, udp), host address ("" for all), host port, container port; to forward_target.
    struct Forward {
        std::string proto;
        std::string host_ip;
        uint16_t host_port, container_port;
    };
    std::vector<Forward> forwards;
    std::string forward_target;
};

// Reads and validates the spec file. On failure returns false with a message in `err`.
bool read_spec(const char *path, Spec &spec, std::string &err);

} // namespace tsctr

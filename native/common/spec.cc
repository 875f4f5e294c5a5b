#include "spec.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tsctr {

namespace {

struct Keyword {
    const char *name;
    size_t arity;
};

constexpr Keyword kArity[] = {
    {"version", 1},
    {"clone-flags", 1},
    {"rootfs", 1},
    {"mount-cwd", 1},
    {"mount", 6},
    {"symlink", 2},
    {"masked", 1},
    {"readonly", 1},
    {"hostname", 1},
    {"user", 2},
    {"group", 1},
    {"arg", 1},
    {"env", 1},
    {"cwd", 1},
    {"remove-on-exit", 1},
    {"exit-file", 1},
    {"log-file", 1},
    {"caps", 4},
    {"no-new-privs", 0},
    {"seccomp", 2},
    {"join-pid", 2},
    {"exec-detach", 0},
    {"seccomp-arch", 1},
    {"seccomp-rule", 3},
    {"seccomp-arg", 4},
    {"seccomp-cache", 1},
    {"terminal", 0},
    {"restart", 2},
    {"state-file", 1},
    {"cgroup", 1},
    {"stop-file", 1},
    {"readonly-rootfs", 0},
    {"rlimit", 3},
    {"log-rotate", 2},
    {"stdin", 1},
    {"attach-socket", 1},
    {"client-fd", 1},
    {"terminal-size", 2},
    {"init", 0},
    {"net-helper", 1},
    {"net-arg", 1},
    {"net-pidfile", 1},
    {"net-log", 1},
    {"net-ready-fd", 0},
    {"net-exit-fd", 0},
    {"net-api-socket", 1},
    {"net-api-request", 1},
    {"join-ns", 3},
    {"keeper-listen", 1},
    {"keeper-setup", 1},
    {"keeper-setup-end", 0},
    {"keeper-proxy", 1},
    {"keeper-socket", 1},
    {"keeper-hosts", 1},
    {"keeper-join", 1},
    {"forward", 4},
    {"forward-target", 1},
};

bool to_ulong(const std::string &s, unsigned long &out) {
    if (s.empty())
        return false;
    char *end = nullptr;
    errno = 0;
    out = strtoul(s.c_str(), &end, 10);
    return errno == 0 && end && *end == '\0';
}

bool to_u64(const std::string &s, uint64_t &out) {
    if (s.empty())
        return false;
    char *end = nullptr;
    errno = 0;
    out = strtoull(s.c_str(), &end, 10);
    return errno == 0 && end && *end == '\0';
}

bool slurp(const char *path, std::string &out, std::string &err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = std::string("open ") + path + ": " + strerror(errno);
        return false;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = std::string("read ") + path + ": " + strerror(errno);
            close(fd);
            return false;
        }
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return true;
}

} // namespace

bool read_spec(const char *path, Spec &spec, std::string &err) {
    std::string text;
    if (!slurp(path, text, err))
        return false;
    if (!text.empty() && text.back() != '\0') {
        err = "spec is truncated (no final NUL)";
        return false;
    }
    std::vector<std::string> tok;
    for (size_t i = 0; i < text.size();) {
        size_t j = text.find('\0', i);
        tok.emplace_back(text, i, j - i);
        i = j + 1;
    }
    bool versioned = false;
    for (size_t i = 0; i < tok.size();) {
        const std::string &kw = tok[i];
        size_t arity = SIZE_MAX;
        for (const auto &k : kArity)
            if (kw == k.name)
                arity = k.arity;
        if (arity == SIZE_MAX) {
            err = "unknown spec keyword '" + kw + "'";
            return false;
        }
        if (i + arity >= tok.size()) {
            err = "spec keyword '" + kw + "' lacks arguments";
            return false;
        }
        const std::string *a = &tok[i + 1];
        unsigned long n = 0;
        if (kw == "version") {
            if (a[0] != "1") {
                err = "unsupported spec version " + a[0];
                return false;
            }
            versioned = true;
        } else if (kw == "clone-flags") {
            if (!to_ulong(a[0], spec.clone_flags))
                goto bad_number;
        } else if (kw == "rootfs") {
            spec.rootfs = a[0];
        } else if (kw == "mount-cwd") {
            spec.mount_cwd = a[0];
        } else if (kw == "mount") {
            MountSpec m;
            m.source = a[0];
            m.target = a[1];
            m.fstype = a[2];
            if (!to_ulong(a[3], m.flags))
                goto bad_number;
            m.data = a[4];
            m.make = a[5];
            if (m.make != "dir" && m.make != "file" && m.make != "none" && m.make != "seed") {
                err = "mount target kind must be dir, file, seed or none, not '" + m.make + "'";
                return false;
            }
            spec.mounts.push_back(std::move(m));
        } else if (kw == "symlink") {
            spec.symlinks.emplace_back(a[0], a[1]);
        } else if (kw == "masked") {
            spec.masked.push_back(a[0]);
        } else if (kw == "readonly") {
            spec.readonly.push_back(a[0]);
        } else if (kw == "hostname") {
            spec.hostname = a[0];
        } else if (kw == "user") {
            unsigned long g = 0;
            if (!to_ulong(a[0], n) || !to_ulong(a[1], g))
                goto bad_number;
            spec.uid = static_cast<uid_t>(n);
            spec.gid = static_cast<gid_t>(g);
        } else if (kw == "group") {
            if (!to_ulong(a[0], n))
                goto bad_number;
            spec.groups.push_back(static_cast<gid_t>(n));
        } else if (kw == "arg") {
            spec.args.push_back(a[0]);
        } else if (kw == "env") {
            spec.env.push_back(a[0]);
        } else if (kw == "cwd") {
            spec.cwd = a[0];
        } else if (kw == "remove-on-exit") {
            spec.remove_on_exit.push_back(a[0]);
        } else if (kw == "exit-file") {
            spec.exit_file = a[0];
        } else if (kw == "log-file") {
            spec.log_file = a[0];
        } else if (kw == "caps") {
            Security &sec = spec.security;
            uint64_t v[4];
            for (int k = 0; k < 4; k++)
                if (!to_u64(a[k], v[k]))
                    goto bad_number;
            sec.has_caps = true;
            sec.cap_bounding = v[0];
            sec.cap_effective = v[1];
            sec.cap_permitted = v[2];
            sec.cap_inheritable = v[3];
        } else if (kw == "join-pid") {
            if (!to_ulong(a[0], n) || n == 0)
                goto bad_number;
            spec.join_pid = static_cast<pid_t>(n);
            spec.join_start = a[1];
        } else if (kw == "join-ns") {
            if (a[0] != "user" && a[0] != "net") {
                err = "join-ns joins a user or a net namespace, not '" + a[0] + "'";
                return false;
            }
            if (!to_ulong(a[1], n) || n == 0)
                goto bad_number;
            spec.join_ns.push_back({a[0], static_cast<pid_t>(n), a[2]});
        } else if (kw == "keeper-listen") {
            spec.keeper_listen = a[0];
        } else if (kw == "keeper-setup") {
            if (spec.keeper_setup.empty() || spec.keeper_setup_done)
                spec.keeper_setup.emplace_back();
            spec.keeper_setup_done = false;
            spec.keeper_setup.back().push_back(a[0]);
        } else if (kw == "keeper-setup-end") {
            spec.keeper_setup_done = true;
        } else if (kw == "keeper-proxy") {
            if (!to_ulong(a[0], n) || n == 0 || n > 65535)
                goto bad_number;
            spec.keeper_proxy = static_cast<uint16_t>(n);
        } else if (kw == "keeper-socket") {
            spec.keeper_socket = a[0];
        } else if (kw == "keeper-hosts") {
            spec.keeper_hosts = a[0];
        } else if (kw == "forward") {
            unsigned long hp, cp;
            if (a[0] != "tcp" && a[0] != "udp") {
                err = "forward is tcp or udp, not '" + a[0] + "'";
                return false;
            }
            if (!to_ulong(a[2], hp) || !to_ulong(a[3], cp) || hp == 0 || hp > 65535 || cp == 0 ||
                cp > 65535)
                goto bad_number;
            spec.forwards.push_back(
                {a[0], a[1], static_cast<uint16_t>(hp), static_cast<uint16_t>(cp)});
        } else if (kw == "forward-target") {
            spec.forward_target = a[0];
        } else if (kw == "keeper-join") {
            spec.keeper_joins.push_back(a[0]);
        } else if (kw == "restart") {
            if (a[0] != "no" && a[0] != "on-failure" && a[0] != "always" &&
                a[0] != "unless-stopped") {
                err = "unknown restart policy '" + a[0] + "'";
                return false;
            }
            spec.restart_policy = a[0];
            if (!to_ulong(a[1], spec.restart_max))
                goto bad_number;
        } else if (kw == "rlimit") {
            uint64_t soft = 0, hard = 0;
            if (!to_ulong(a[0], n) || !to_u64(a[1], soft) || !to_u64(a[2], hard))
                goto bad_number;
            spec.rlimits.push_back({static_cast<int>(n), soft, hard});
        } else if (kw == "readonly-rootfs") {
            spec.readonly_rootfs = true;
        } else if (kw == "state-file") {
            spec.state_file = a[0];
        } else if (kw == "cgroup") {
            spec.cgroup = a[0];
        } else if (kw == "stop-file") {
            spec.stop_file = a[0];
        } else if (kw == "terminal") {
            spec.terminal = true;
        } else if (kw == "terminal-size") {
            unsigned long cols = 0;
            if (!to_ulong(a[0], n) || !to_ulong(a[1], cols) || n > 65535 || cols > 65535)
                goto bad_number;
            spec.terminal_rows = static_cast<unsigned short>(n);
            spec.terminal_cols = static_cast<unsigned short>(cols);
        } else if (kw == "log-rotate") {
            if (!to_u64(a[0], spec.log_max_size) || !to_ulong(a[1], n) || n == 0 || n > 1000)
                goto bad_number;
            spec.log_max_file = static_cast<unsigned>(n);
        } else if (kw == "stdin") {
            if (a[0] != "open" && a[0] != "once") {
                err = "stdin must be open or once, not '" + a[0] + "'";
                return false;
            }
            spec.stdin_open = true;
            spec.stdin_once = a[0] == "once";
        } else if (kw == "attach-socket") {
            spec.attach_socket = a[0];
        } else if (kw == "client-fd") {
            if (!to_ulong(a[0], n) || n < 4 || n > 1000)
                goto bad_number;
            spec.client_fd = static_cast<int>(n);
        } else if (kw == "init") {
            spec.init = true;
        } else if (kw == "net-helper") {
            spec.net_helper = a[0];
        } else if (kw == "net-arg") {
            spec.net_args.push_back(a[0]);
        } else if (kw == "net-pidfile") {
            spec.net_pidfile = a[0];
        } else if (kw == "net-log") {
            spec.net_log = a[0];
        } else if (kw == "net-ready-fd") {
            spec.net_ready_fd = true;
        } else if (kw == "net-exit-fd") {
            spec.net_exit_fd = true;
        } else if (kw == "net-api-socket") {
            spec.net_api_socket = a[0];
        } else if (kw == "net-api-request") {
            spec.net_api_requests.push_back(a[0]);
        } else if (kw == "exec-detach") {
            spec.exec_detach = true;
        } else if (kw == "no-new-privs") {
            spec.security.no_new_privs = true;
        } else if (kw == "seccomp") {
            spec.security.seccomp = true;
            spec.security.seccomp_default = a[0];
            if (!to_ulong(a[1], n))
                goto bad_number;
            spec.security.seccomp_errno = static_cast<unsigned>(n);
        } else if (kw == "seccomp-cache") {
            spec.security.seccomp_cache = a[0];
        } else if (kw == "seccomp-arch") {
            spec.security.seccomp_arches.push_back(a[0]);
        } else if (kw == "seccomp-rule") {
            SeccompRule r;
            r.action = a[0];
            if (!to_ulong(a[1], n))
                goto bad_number;
            r.errno_ret = static_cast<unsigned>(n);
            r.name = a[2];
            spec.security.seccomp_rules.push_back(std::move(r));
        } else if (kw == "seccomp-arg") {
            if (spec.security.seccomp_rules.empty()) {
                err = "seccomp-arg before any seccomp-rule";
                return false;
            }
            SeccompArg sa;
            uint64_t v = 0, v2 = 0;
            if (!to_ulong(a[0], n) || !to_u64(a[2], v) || !to_u64(a[3], v2))
                goto bad_number;
            sa.index = static_cast<unsigned>(n);
            sa.op = a[1];
            sa.value = v;
            sa.value2 = v2;
            spec.security.seccomp_rules.back().args.push_back(std::move(sa));
        }
        i += 1 + arity;
        continue;
    bad_number:
        err = "spec keyword '" + kw + "' needs a decimal number";
        return false;
    }
    if (!versioned) {
        err = "spec has no version record";
        return false;
    }
    if (!spec.net_helper.empty() &&
        (spec.net_log.empty() || spec.net_pidfile.empty() == !spec.net_ready_fd ||
         (spec.clone_flags & CLONE_NEWNET) ||
         (spec.net_api_socket.empty() != spec.net_api_requests.empty()))) {
        err = "net-helper needs net-log, one of net-pidfile and net-ready-fd, api requests with "
              "an api socket, and clone-flags without CLONE_NEWNET";
        return false;
    }
    for (const Spec::JoinNs &j : spec.join_ns) {
        if (spec.join_pid != 0 ||
            (j.kind == "net" && ((spec.clone_flags & CLONE_NEWNET) || !spec.net_helper.empty()))) {
            err = "join-ns is for a container's monitor, and join-ns net for one without a network "
                  "namespace of its own";
            return false;
        }
    }
    if (!spec.keeper_socket.empty() &&
        (spec.keeper_joins.empty() || spec.keeper_hosts.empty() || !spec.net_helper.empty() ||
         (spec.clone_flags & CLONE_NEWNET))) {
        err = "keeper-socket needs keeper-join and keeper-hosts, no net-helper and clone-flags "
              "without CLONE_NEWNET";
        return false;
    }
    if (!spec.forwards.empty() && (spec.forward_target.empty() || spec.keeper_socket.empty())) {
        err = "forward needs forward-target and keeper-socket";
        return false;
    }
    if (!spec.keeper_listen.empty()) {
        if (spec.net_helper.empty()) {
            err = "keeper-listen needs a net-helper";
            return false;
        }
        return true; // the network keeper runs no container
    }
    if (!spec.keeper_socket.empty() && spec.rootfs.empty() && spec.args.empty())
        return true; // `--connect`: requests for a running container, no container to make
    if ((spec.rootfs.empty() && spec.join_pid == 0) || spec.args.empty()) {
        err = "spec needs rootfs (or join-pid) and at least one arg";
        return false;
    }
    return true;
}

} // namespace tsctr

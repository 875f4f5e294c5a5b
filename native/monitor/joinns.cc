#include "joinns.h"

#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include "status.h"

namespace tsctr {

bool join_namespaces(const Spec &spec, std::string &error) {
    // Every descriptor is opened first: the pid is checked once they pin the namespaces.
    struct Open {
        const Spec::JoinNs *ns;
        int fd;
    };
    std::vector<Open> fds;
    for (const char *kind : {"user", "net"}) {
        for (const Spec::JoinNs &j : spec.join_ns) {
            if (j.kind != kind)
                continue;
            std::string path = "/proc/" + std::to_string(j.pid) + "/ns/" + j.kind;
            int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || (!j.start.empty() && start_time(j.pid) != j.start)) {
                int err = fd < 0 ? errno : ESRCH;
                error = "ERROR network " + std::to_string(err) +
                        " the container whose namespaces to join is gone (" + path + ")";
                if (fd >= 0)
                    close(fd);
                for (Open &o : fds)
                    close(o.fd);
                return false;
            }
            fds.push_back({&j, fd});
        }
    }
    bool ok = true;
    for (Open &o : fds) {
        if (ok && setns(o.fd, o.ns->kind == "user" ? CLONE_NEWUSER : CLONE_NEWNET) < 0) {
            error = "ERROR network " + std::to_string(errno) + " setns " + o.ns->kind + " of pid " +
                    std::to_string(o.ns->pid);
            ok = false;
        }
        close(o.fd);
    }
    return ok;
}

} // namespace tsctr

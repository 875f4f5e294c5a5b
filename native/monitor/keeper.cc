#include "keeper.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "forward.h"
#include "joinns.h"
#include "netlink.h"
#include "status.h"

namespace tsctr {

namespace {

constexpr const char *kMarker = "# tsctr network members\n";
constexpr long kFirstClientMs = 10000;

long now_ms() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t end = s.find(sep, start);
        out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            return out;
        start = end + 1;
    }
}

// A unix socket address for a path that may be longer than sun_path: through its directory's fd.
struct UnixPath {
    int dir = -1;
    sockaddr_un addr{};
    bool ok = false;
    std::string name;
    explicit UnixPath(const std::string &path) {
        size_t slash = path.rfind('/');
        std::string d = slash == std::string::npos ? "." : path.substr(0, slash);
        name = slash == std::string::npos ? path : path.substr(slash + 1);
        dir = open(d.empty() ? "/" : d.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        std::string p = "/proc/self/fd/" + std::to_string(dir) + "/" + name;
        addr.sun_family = AF_UNIX;
        ok = dir >= 0 && p.size() < sizeof addr.sun_path;
        if (ok)
            memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    }
    ~UnixPath() {
        if (dir >= 0)
            close(dir);
    }
    sockaddr *sa() { return reinterpret_cast<sockaddr *>(&addr); }
};

ssize_t send_line(int fd, const std::string &line, const int *fds, int nfds) {
    iovec iov{const_cast<char *>(line.data()), line.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    if (nfds > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    ssize_t n;
    while ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    return n;
}

// One line from a blocking socket (the client's side: short replies).
bool read_line(int fd, std::string &line) {
    line.clear();
    char ch;
    for (;;) {
        ssize_t n = read(fd, &ch, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        if (ch == '\n')
            return true;
        line += ch;
    }
}

struct Member {
    int owner; // the connection the membership lasts as long as
    std::string id, bridge, ip, ifname;
    std::vector<std::string> names;
    int netns = -1, hosts = -1;
};

struct Client {
    std::string buf;
    std::vector<int> fds; // received with the bytes in buf, for the next request
};

struct Keeper {
    const Spec &spec;
    Network net;
    int listener = -1;
    int bye = -1; // a client that said BYE and waits for the answer
    std::map<int, Client> clients;
    std::vector<Member> members;

    explicit Keeper(const Spec &s) : spec(s) {}

    // The hosts file of each member: what was there above the marker, then every other member
    // that shares one of its bridges. Written in place (the container binds this inode), the
    // new text first and the length after, so a reader never sees an empty file.
    void rewrite_hosts() {
        for (const Member &m : members) {
            if (m.hosts < 0)
                continue;
            std::string text;
            char buf[4096];
            ssize_t n;
            off_t off = 0;
            while ((n = pread(m.hosts, buf, sizeof buf, off)) > 0 && text.size() < (1 << 20)) {
                text.append(buf, static_cast<size_t>(n));
                off += n;
            }
            size_t cut = text.find(kMarker);
            if (cut != std::string::npos)
                text.resize(cut);
            std::string peers;
            // Its own names too: a container resolves its own name and aliases, as docker's
            // DNS answers them.
            for (const Member &o : members) {
                if (o.names.empty())
                    continue; // on docker's default bridge: no names
                bool shared = false;
                for (const Member &mine : members)
                    if (mine.id == m.id && mine.bridge == o.bridge)
                        shared = true;
                if (!shared)
                    continue;
                peers += o.ip;
                for (const std::string &name : o.names)
                    peers += "\t" + name;
                peers += "\n";
            }
            if (!peers.empty())
                text += kMarker + peers;
            if (pwrite(m.hosts, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()))
                (void)!ftruncate(m.hosts, static_cast<off_t>(text.size()));
        }
    }

    // Plumbing inside a container's namespace, and back to R.
    int in_container(int netns, const Member &m, uint32_t ip, int prefix, uint32_t gw, bool route) {
        if (setns(netns, CLONE_NEWNET) < 0)
            return -errno;
        int err;
        {
            nl::Socket c;
            err = c.ok() ? 0 : -errno;
            int idx = err == 0 ? c.index(m.ifname) : 0;
            if (err == 0 && idx == 0)
                err = -ENODEV;
            if (err == 0)
                err = c.up(c.index("lo"));
            if (err == 0)
                err = c.add_address(idx, ip, prefix);
            if (err == 0)
                err = c.up(idx);
            if (err == 0 && route)
                err = c.default_route(gw);
        }
        if (setns(net.netns_fd, CLONE_NEWNET) < 0)
            return -errno; // cannot happen: R belongs to our user namespace
        return err;
    }

    std::string join(int client, const std::vector<std::string> &f, std::vector<int> &fds) {
        // JOIN bridge gateway prefix ip ifname veth route id mac names
        uint8_t mac[6];
        if (f.size() < 11 || fds.size() != 2 ||
            sscanf(f[9].c_str(), "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2],
                   &mac[3], &mac[4], &mac[5]) != 6)
            return "ERROR " + std::to_string(EINVAL) + " malformed JOIN";
        uint32_t gw = 0, ip = 0;
        int prefix = atoi(f[3].c_str());
        if (!nl::parse_ipv4(f[2], gw) || !nl::parse_ipv4(f[4], ip) || prefix < 1 || prefix > 30)
            return "ERROR " + std::to_string(EINVAL) + " malformed address in JOIN";
        Member m;
        m.owner = client;
        for (const Member &o : members)
            if (o.id == f[8])
                m.owner = o.owner;
        m.bridge = f[1];
        m.ip = f[4];
        m.ifname = f[5];
        m.id = f[8];
        for (const std::string &name : split(f[10], ' '))
            if (!name.empty())
                m.names.push_back(name);
        nl::Socket s;
        int err = s.ok() ? s.bridge(m.bridge, gw, prefix) : -errno;
        std::string what = "bridge " + m.bridge;
        if (err == 0) {
            // A veth left by an earlier membership of this container (its monitor was killed
            // while the namespace lived on) is replaced.
            int stale = s.index(f[6]);
            if (stale)
                s.remove(stale);
            what = "veth " + f[6];
            err = s.veth(f[6], s.index(m.bridge), m.ifname, fds[0], mac);
        }
        if (err == 0) {
            what = m.ifname + " in the container";
            err = in_container(fds[0], m, ip, prefix, gw, f[7] == "1");
        }
        if (err < 0) {
            for (int fd : fds)
                close(fd);
            fds.clear();
            return "ERROR " + std::to_string(-err) + " " + what + ": " + strerror(-err);
        }
        m.netns = fds[0];
        m.hosts = fds[1];
        fds.clear();
        members.push_back(m);
        rewrite_hosts();
        return "OK";
    }

    std::string leave(const std::vector<std::string> &f) {
        if (f.size() != 3)
            return "ERROR " + std::to_string(EINVAL) + " malformed LEAVE";
        for (size_t i = 0; i < members.size(); i++) {
            Member &m = members[i];
            if (m.bridge != f[1] || m.id != f[2])
                continue;
            if (setns(m.netns, CLONE_NEWNET) == 0) {
                {
                    nl::Socket c;
                    int idx = c.index(m.ifname);
                    if (idx)
                        c.remove(idx);
                }
                (void)!setns(net.netns_fd, CLONE_NEWNET);
            }
            drop(i);
            rewrite_hosts();
            return "OK";
        }
        return "ERROR " + std::to_string(ENOENT) + " not a member";
    }

    // A network's bridge goes with its last member: a network made later may reuse its subnet.
    void drop(size_t i) {
        for (int fd : {members[i].netns, members[i].hosts})
            if (fd >= 0)
                close(fd);
        std::string bridge = members[i].bridge;
        members.erase(members.begin() + static_cast<long>(i));
        for (const Member &m : members)
            if (m.bridge == bridge)
                return;
        nl::Socket s;
        int idx = s.ok() ? s.index(bridge) : 0;
        if (idx)
            s.remove(idx);
    }

    void gone(int client) {
        Client &c = clients[client];
        for (int fd : c.fds)
            close(fd);
        clients.erase(client);
        close(client);
        if (bye == client)
            bye = -1;
        drop_memberships(client);
    }

    void drop_memberships(int client) {
        bool changed = false;
        for (size_t i = members.size(); i-- > 0;) {
            if (members[i].owner == client) {
                drop(i);
                changed = true;
            }
        }
        if (changed)
            rewrite_hosts();
    }

    void handle(int client, const std::string &line) {
        Client &c = clients[client];
        std::vector<std::string> f = split(line, '\t');
        std::string reply;
        if (f[0] == "HOLD")
            reply = "OK " + std::to_string(getpid()) + " " + start_time(getpid());
        else if (f[0] == "JOIN")
            reply = join(client, f, c.fds);
        else if (f[0] == "LEAVE")
            reply = leave(f);
        else if (f[0] == "BYE") {
            // Answered once it is known whether the keeper leaves with this client (then only
            // after its helper is gone), so the monitor can end knowing nothing is left.
            drop_memberships(client);
            bye = client;
            return;
        } else
            reply = "ERROR " + std::to_string(EINVAL) + " unknown request " + one_line(f[0]);
        for (int fd : c.fds) // fds that came with a request that takes none
            close(fd);
        c.fds.clear();
        send_line(client, reply + "\n", nullptr, 0);
    }

    // Reads what a client sent; false when it has gone.
    bool receive(int client) {
        Client &c = clients[client];
        char buf[4096];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
        iovec iov{buf, sizeof buf};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = recvmsg(client, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return true;
        if (n <= 0)
            return false;
        for (cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *fds = reinterpret_cast<int *>(CMSG_DATA(cm));
                c.fds.insert(c.fds.end(), fds, fds + count);
            }
        }
        c.buf.append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = c.buf.find('\n')) != std::string::npos) {
            std::string line = c.buf.substr(0, nl);
            c.buf.erase(0, nl + 1);
            handle(client, line);
        }
        return c.buf.size() < 65536;
    }

    // Runs the keeper-setup commands in R, one after the other; their stderr goes to the
    // helper's log. "" when all succeeded.
    std::string setup() {
        for (const std::vector<std::string> &cmd : spec.keeper_setup) {
            std::string failed = run_command(cmd);
            if (!failed.empty())
                return failed;
        }
        return "";
    }

    std::string run_command(const std::vector<std::string> &cmd) {
        std::vector<char *> argv;
        for (const std::string &a : cmd)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        int log = open(spec.net_log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
        sigset_t old;
        pid_t pid = fork_blocked(old);
        if (pid == 0) {
            reset_child_signals(old);
            int null = open("/dev/null", O_RDWR);
            if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
                dup2(log >= 0 ? log : null, 2) < 0)
                _exit(126);
            execv(argv[0], argv.data());
            _exit(127);
        }
        sigprocmask(SIG_SETMASK, &old, nullptr);
        if (log >= 0)
            close(log);
        int st = 0;
        while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            return "";
        return cmd[0] + " failed (" +
               (pid < 0 ? std::string(strerror(errno))
                        : "exit " + std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : 128)) +
               "), see " + spec.net_log;
    }

    // The host proxy (forward.h): a child that stays in the host's network namespace and relays
    // what a REDIRECT in R brings to its listener, which is made in R and handed over here.
    pid_t proxy = -1;
    int proxy_channel = -1;

    bool start_proxy() {
        if (!spec.keeper_proxy)
            return true;
        int sp[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
            return false;
        pid_t keeper = getpid();
        sigset_t old;
        proxy = fork_blocked(old);
        if (proxy == 0) {
            reset_child_signals(old);
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            prctl(PR_SET_NAME, "tsctr-hostproxy");
            if (getppid() != keeper)
                _exit(1);
            close(sp[0]);
            // Only the keeper may hold the status pipe and the helper's exit pipe.
            close(kStatusFd);
            if (net.exit_fd >= 0)
                close(net.exit_fd);
            char byte;
            iovec iov{&byte, 1};
            alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
            msghdr msg{};
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control;
            msg.msg_controllen = sizeof control;
            if (recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC) != 1)
                _exit(0);
            cmsghdr *cm = CMSG_FIRSTHDR(&msg);
            if (!cm || cm->cmsg_type != SCM_RIGHTS)
                _exit(1);
            int listener;
            memcpy(&listener, CMSG_DATA(cm), sizeof listener);
            close(sp[1]);
            shed_setup_memory();
            host_proxy(listener);
        }
        sigprocmask(SIG_SETMASK, &old, nullptr);
        close(sp[1]);
        proxy_channel = sp[0];
        return proxy > 0;
    }

    // In R: the proxy's listener, sent to it.
    std::string hand_over_proxy() {
        if (proxy <= 0)
            return "";
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(spec.keeper_proxy);
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        std::string failed;
        if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(l, reinterpret_cast<sockaddr *>(&a), sizeof a) < 0 || listen(l, 128) < 0 ||
            fcntl(l, F_SETFL, O_NONBLOCK) < 0 || send_line(proxy_channel, "P", &l, 1) != 1)
            failed = std::string("host proxy: ") + strerror(errno);
        if (l >= 0)
            close(l);
        close(proxy_channel);
        proxy_channel = -1;
        return failed;
    }

    void stop_proxy() {
        if (proxy_channel >= 0)
            close(proxy_channel);
        if (proxy > 0) {
            kill(proxy, SIGKILL);
            while (waitpid(proxy, nullptr, 0) < 0 && errno == EINTR) {
            }
            proxy = -1;
        }
    }

    int run() {
        std::string err;
        if (!net_start(spec, net, err)) {
            net_stop(spec, net);
            status(err);
            return 1;
        }
        if (!start_proxy()) {
            status("ERROR network " + std::to_string(errno) + " host proxy");
            net_stop(spec, net);
            return 1;
        }
        // Into R for good: the helper runs, and all that is left is plumbing inside R.
        if (setns(net.netns_fd, CLONE_NEWNET) < 0) {
            status("ERROR network " + std::to_string(errno) + " setns");
            net_stop(spec, net);
            return 1;
        }
        int fwd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
        bool forwarding = fwd >= 0 && write(fwd, "1", 1) == 1;
        int fwd_errno = errno;
        if (fwd >= 0)
            close(fwd);
        std::string failed =
            forwarding ? setup() : "ip_forward: " + std::string(strerror(fwd_errno));
        if (failed.empty()) {
            nl::Socket s;
            if (!s.ok() || s.up(s.index("lo")) < 0)
                failed = "cannot set up loopback";
        }
        if (failed.empty())
            failed = hand_over_proxy();
        UnixPath where(spec.keeper_listen);
        if (failed.empty()) {
            unlinkat(where.dir, where.name.c_str(), 0);
            listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (!where.ok || listener < 0 || bind(listener, where.sa(), sizeof where.addr) < 0 ||
                listen(listener, 64) < 0)
                failed = "listen on " + spec.keeper_listen + ": " + strerror(errno);
        }
        if (!failed.empty()) {
            status("ERROR network " + std::to_string(EIO) + " " + one_line(failed));
            stop_proxy();
            net_stop(spec, net);
            return 1;
        }
        status("READY " + std::to_string(getpid()));
        close(kStatusFd);
        shed_setup_memory();

        long started = now_ms();
        bool had_client = false;
        for (;;) {
            if (clients.empty() && (had_client || now_ms() - started > kFirstClientMs))
                break;
            std::vector<pollfd> p{{listener, POLLIN, 0}};
            for (auto &[fd, c] : clients)
                p.push_back({fd, POLLIN, 0});
            if (poll(p.data(), p.size(), 1000) < 0 && errno != EINTR)
                break;
            int st;
            if (net.helper > 0 && waitpid(net.helper, &st, WNOHANG) == net.helper)
                net.helper = -1; // the way out is gone; the members keep their bridges
            if (p[0].revents & POLLIN) {
                int c;
                while ((c = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
                    clients[c] = Client{};
                    had_client = true;
                }
            }
            for (size_t i = 1; i < p.size(); i++)
                if (p[i].revents && !receive(p[i].fd))
                    gone(p[i].fd);
            if (bye >= 0 && clients.size() == 1)
                break; // the last one: it hears OK once everything is gone
            if (bye >= 0) {
                send_line(bye, "OK\n", nullptr, 0);
                bye = -1;
            }
        }
        // The socket goes first: a CLI that connects from now on starts a new keeper.
        unlinkat(where.dir, where.name.c_str(), 0);
        close(listener);
        for (auto &[fd, c] : clients)
            if (fd != bye)
                close(fd);
        stop_proxy();
        net_stop(spec, net);
        if (bye >= 0)
            send_line(bye, "OK\n", nullptr, 0);
        return 0;
    }
};

} // namespace

int keeper_main(const Spec &spec) {
    prctl(PR_SET_NAME, "tsctr-netns");
    Keeper k(spec);
    return k.run();
}

bool keeper_join(const Spec &spec, Network &net, std::string &error) {
    if (net.netns_fd < 0)
        net.netns_fd = net_make_ns(error);
    if (net.netns_fd < 0)
        return false;
    int hosts = open(spec.keeper_hosts.c_str(), O_RDWR | O_CLOEXEC);
    UnixPath where(spec.keeper_socket);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::string what = "open " + spec.keeper_hosts;
    bool ok = hosts >= 0;
    if (ok) {
        what = "connect " + spec.keeper_socket;
        ok = where.ok && s >= 0 && connect(s, where.sa(), sizeof where.addr) == 0;
    }
    if (!ok) {
        error = "ERROR network " + std::to_string(errno) + " " + one_line(what);
    } else {
        int fds[2] = {net.netns_fd, hosts};
        for (const std::string &req : spec.keeper_joins) {
            std::string reply;
            if (send_line(s, req + "\n", fds, 2) < 0 || !read_line(s, reply)) {
                error =
                    "ERROR network " + std::to_string(ECONNRESET) + " the network keeper went away";
                ok = false;
                break;
            }
            if (reply.rfind("OK", 0) != 0) {
                // "ERROR <errno> <detail>" from the keeper is already a status line's tail.
                error = "ERROR network " + reply.substr(reply.find(' ') + 1);
                ok = false;
                break;
            }
        }
    }
    if (hosts >= 0)
        close(hosts);
    if (!ok) {
        if (s >= 0)
            close(s);
        return false;
    }
    net.keeper_fd = s;
    return true;
}

int keeper_connect_main(const Spec &spec) {
    std::string err;
    Network net;
    if (!join_namespaces(spec, err)) {
        status(err);
        return 1;
    }
    net.netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (net.netns_fd < 0 || !keeper_join(spec, net, err)) {
        status(net.netns_fd < 0 ? "ERROR network " + std::to_string(errno) + " /proc/self/ns/net"
                                : err);
        return 1;
    }
    status("OK");
    return 0; // the membership lasts as long as the container's monitor's
}

} // namespace tsctr

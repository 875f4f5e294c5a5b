#include "forward.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <linux/netfilter_ipv4.h>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "status.h"

namespace tsctr {

namespace {

constexpr int kPipeSize = 1 << 20;
constexpr size_t kChunk = 1 << 20;

// One direction of a connection: from `in` through the pipe to `out`.
struct Flow {
    int in = -1, out = -1;
    int pipe[2] = {-1, -1};
    size_t queued = 0; // bytes in the pipe
    bool eof = false;  // `in` has ended
    bool done = false; // ended and drained: `out` was shut down for writing
};

struct Conn;
struct Datagrams;

int g_epoll = -1;

struct Tag {
    Conn *conn;        // a TCP connection's
    Datagrams *dgrams; // a UDP peer's
    int listener;      // else a listener: its index
};

struct Conn {
    int client = -1, server = -1;
    bool connected = false;
    bool dead = false; // closed; freed once the batch of events that may name it is done
    Flow up, down;     // client → server, server → client
    Tag tag{this, nullptr, -1};
    unsigned want_client = 0, want_server = 0;
};

// One UDP peer of a published port: its own socket in the container's namespace, connected to
// the container, so the answers come back to it alone (docker's proxy does the same). Forgotten
// after 90 s without traffic, as that proxy's are.
struct Datagrams {
    int fd = -1;
    size_t port; // its listener's index
    sockaddr_in peer;
    long last = 0;
    Tag tag{nullptr, this, -1};
};

constexpr long kUdpIdleMs = 90000;

long now_ms() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct Port {
    int fd;
    sockaddr_in target;
    bool original_dst; // the target's port is the one the client asked for (REDIRECT)
    bool udp;
    Tag tag;
};

std::map<std::pair<uint32_t, uint32_t>, Datagrams *> g_peers; // (listener, peer addr:port)

uint32_t peer_key(const sockaddr_in &a) {
    return a.sin_addr.s_addr ^ (static_cast<uint32_t>(a.sin_port) << 16);
}

void forget(Datagrams *d) {
    g_peers.erase({static_cast<uint32_t>(d->port), peer_key(d->peer)});
    close(d->fd);
    delete d;
}

// What peers sent to a UDP port goes on, each through its own socket.
void datagrams_in(std::vector<Port> &ports, size_t index) {
    Port &port = ports[index];
    static char buf[65536];
    for (;;) {
        sockaddr_in peer{};
        socklen_t len = sizeof peer;
        ssize_t n =
            recvfrom(port.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr *>(&peer), &len);
        if (n < 0)
            return;
        auto key = std::make_pair(static_cast<uint32_t>(index), peer_key(peer));
        auto it = g_peers.find(key);
        Datagrams *d = it == g_peers.end() ? nullptr : it->second;
        if (!d) {
            int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr *>(&port.target),
                                  sizeof port.target) < 0) {
                if (fd >= 0)
                    close(fd);
                continue;
            }
            d = new Datagrams;
            d->fd = fd;
            d->port = index;
            d->peer = peer;
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.ptr = &d->tag;
            epoll_ctl(g_epoll, EPOLL_CTL_ADD, fd, &ev);
            g_peers[key] = d;
        }
        d->last = now_ms();
        (void)!send(d->fd, buf, static_cast<size_t>(n), 0);
    }
}

// The container's answers, back to the peer from the published port.
void datagrams_out(std::vector<Port> &ports, Datagrams *d) {
    static char buf[65536];
    ssize_t n;
    while ((n = recv(d->fd, buf, sizeof buf, 0)) >= 0) {
        d->last = now_ms();
        (void)!sendto(ports[d->port].fd, buf, static_cast<size_t>(n), 0,
                      reinterpret_cast<const sockaddr *>(&d->peer), sizeof d->peer);
    }
}

std::vector<Conn *> g_closed;

void close_conn(Conn *c) {
    if (c->dead)
        return;
    c->dead = true;
    for (int fd :
         {c->client, c->server, c->up.pipe[0], c->up.pipe[1], c->down.pipe[0], c->down.pipe[1]})
        if (fd >= 0)
            close(fd); // which also takes it out of the epoll set
    g_closed.push_back(c);
}

// Moves what it can; false when the connection failed.
bool pump(Flow &f) {
    for (;;) {
        bool moved = false;
        if (!f.eof && f.queued < static_cast<size_t>(kPipeSize)) {
            ssize_t n = splice(f.in, nullptr, f.pipe[1], nullptr, kChunk,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                f.queued += static_cast<size_t>(n);
                moved = true;
            } else if (n == 0) {
                f.eof = true;
            } else if (errno != EAGAIN && errno != EINTR) {
                return false;
            }
        }
        if (f.queued > 0) {
            ssize_t n = splice(f.pipe[0], nullptr, f.out, nullptr, f.queued,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                f.queued -= static_cast<size_t>(n);
                moved = true;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                return false;
            }
        }
        if (f.eof && f.queued == 0 && !f.done) {
            shutdown(f.out, SHUT_WR);
            f.done = true;
        }
        if (!moved)
            return true;
    }
}

void watch(Conn *c, int fd, unsigned want, unsigned &registered) {
    if (want == registered)
        return;
    if (want == 0) {
        epoll_ctl(g_epoll, EPOLL_CTL_DEL, fd, nullptr);
    } else {
        epoll_event ev{};
        ev.events = want;
        ev.data.ptr = &c->tag;
        epoll_ctl(g_epoll, registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev);
    }
    registered = want;
}

// What each socket waits for: reading while its pipe has room, writing while the other's has
// bytes (EPOLLRDHUP and errors come with any interest).
void rearm(Conn *c) {
    unsigned cl = 0, sv = 0;
    if (!c->connected) {
        sv = EPOLLOUT;
    } else {
        if (!c->up.eof && c->up.queued < static_cast<size_t>(kPipeSize))
            cl |= EPOLLIN;
        if (c->up.queued > 0)
            sv |= EPOLLOUT;
        if (!c->down.eof && c->down.queued < static_cast<size_t>(kPipeSize))
            sv |= EPOLLIN;
        if (c->down.queued > 0)
            cl |= EPOLLOUT;
    }
    watch(c, c->client, cl, c->want_client);
    watch(c, c->server, sv, c->want_server);
}

bool make_pipe(int p[2]) {
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
        return false;
    fcntl(p[1], F_SETPIPE_SZ, kPipeSize); // a smaller one where the limit is lower
    return true;
}

void accept_on(Port &port) {
    for (;;) {
        int client = accept4(port.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0)
            return;
        Conn *c = new Conn;
        c->client = client;
        c->server = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (c->server < 0 || !make_pipe(c->up.pipe) || !make_pipe(c->down.pipe)) {
            close_conn(c);
            continue;
        }
        setsockopt(c->server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->up.in = c->down.out = client;
        c->up.out = c->down.in = c->server;
        sockaddr_in target = port.target;
        if (port.original_dst) {
            // The destination before iptables' REDIRECT brought the connection here.
            sockaddr_in orig{};
            socklen_t len = sizeof orig;
            if (getsockopt(client, SOL_IP, SO_ORIGINAL_DST, &orig, &len) < 0) {
                close_conn(c);
                continue;
            }
            target.sin_port = orig.sin_port;
        }
        int r = connect(c->server, reinterpret_cast<const sockaddr *>(&target), sizeof target);
        if (r < 0 && errno != EINPROGRESS) {
            close_conn(c);
            continue;
        }
        c->connected = r == 0;
        rearm(c);
    }
}

[[noreturn]] void relay(std::vector<Port> &ports) {
    g_epoll = epoll_create1(EPOLL_CLOEXEC);
    for (size_t i = 0; i < ports.size(); i++) {
        ports[i].tag = Tag{nullptr, nullptr, static_cast<int>(i)};
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &ports[i].tag;
        epoll_ctl(g_epoll, EPOLL_CTL_ADD, ports[i].fd, &ev);
    }
    epoll_event events[64];
    for (;;) {
        int n = epoll_wait(g_epoll, events, 64, g_peers.empty() ? -1 : 10000);
        long now = now_ms();
        for (auto it = g_peers.begin(); it != g_peers.end();) {
            Datagrams *d = (it++)->second;
            if (now - d->last > kUdpIdleMs)
                forget(d);
        }
        for (int i = 0; i < n; i++) {
            Tag *t = static_cast<Tag *>(events[i].data.ptr);
            if (t->dgrams) {
                datagrams_out(ports, t->dgrams);
                continue;
            }
            if (!t->conn) {
                size_t index = static_cast<size_t>(t->listener);
                if (ports[index].udp)
                    datagrams_in(ports, index);
                else
                    accept_on(ports[index]);
                continue;
            }
            Conn *c = t->conn;
            if (c->dead)
                continue;
            bool ok = true;
            if (!c->connected) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->server, SOL_SOCKET, SO_ERROR, &err, &len);
                ok = err == 0;
                c->connected = ok;
            }
            if (ok)
                ok = pump(c->up) && pump(c->down);
            if (!ok || (c->up.done && c->down.done))
                close_conn(c);
            else
                rearm(c);
        }
        for (Conn *c : g_closed)
            delete c;
        g_closed.clear();
    }
}

} // namespace

void host_proxy(int listener) {
    signal(SIGPIPE, SIG_IGN);
    std::vector<Port> ports(1);
    ports[0].fd = listener;
    ports[0].target.sin_family = AF_INET;
    ports[0].target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ports[0].original_dst = true;
    relay(ports);
}

bool forward_listen(const Spec &spec, Forwarder &fw, std::string &error) {
    for (const Spec::Forward &f : spec.forwards) {
        bool udp = f.proto == "udp";
        int fd =
            socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(f.host_port);
        if (f.host_ip.empty() || inet_pton(AF_INET, f.host_ip.c_str(), &a.sin_addr) != 1)
            a.sin_addr.s_addr = htonl(INADDR_ANY);
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) < 0 ||
            (!udp && listen(fd, 128) < 0)) {
            int err = errno;
            if (fd >= 0)
                close(fd);
            error = "ERROR ports " + std::to_string(err) + " " +
                    (f.host_ip.empty() ? "0.0.0.0" : f.host_ip) + ":" + std::to_string(f.host_port);
            return false;
        }
        fw.listeners.push_back(fd);
    }
    return true;
}

bool forward_start(const Spec &spec, Forwarder &fw, int netns_fd, std::string &error) {
    if (fw.listeners.empty() || fw.pid > 0)
        return true;
    std::vector<Port> ports;
    for (size_t i = 0; i < spec.forwards.size(); i++) {
        Port p{};
        p.fd = fw.listeners[i];
        p.target.sin_family = AF_INET;
        p.target.sin_port = htons(spec.forwards[i].container_port);
        p.udp = spec.forwards[i].proto == "udp";
        inet_pton(AF_INET, spec.forward_target.c_str(), &p.target.sin_addr);
        ports.push_back(p);
    }
    pid_t monitor = getpid();
    sigset_t old;
    pid_t pid = fork_blocked(old);
    if (pid == 0) {
        reset_child_signals(old);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        prctl(PR_SET_NAME, "tsctr-forward");
        if (getppid() != monitor || setns(netns_fd, CLONE_NEWNET) < 0)
            _exit(1);
        signal(SIGPIPE, SIG_IGN);
        shed_setup_memory(); // it runs as long as the container, as the monitor does
        relay(ports);
    }
    int err = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) {
        error = "ERROR network " + std::to_string(err) + " fork the port forwarder";
        return false;
    }
    fw.pid = pid;
    return true;
}

void forward_stop(Forwarder &fw) {
    if (fw.pid > 0) {
        kill(fw.pid, SIGKILL);
        while (waitpid(fw.pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        fw.pid = -1;
    }
    for (int fd : fw.listeners)
        close(fd);
    fw.listeners.clear();
}

} // namespace tsctr

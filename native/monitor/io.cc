#include "io.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

namespace tsctr {
namespace {

constexpr size_t kHighWater = 1 << 20;
constexpr uint32_t kMaxFrame = 1 << 20;
constexpr long kDrainMs = 1000;

enum : unsigned char {
    kStdout = 1,
    kStderr = 2,
    kExit = 3,
    kStdin = 0,
    kStdinEnd = 4,
    kResize = 5,
    kOutputClosed = 6,
};

void frame(std::string &tx, unsigned char type, const char *data, size_t len) {
    char head[5] = {static_cast<char>(type), static_cast<char>(len >> 24),
                    static_cast<char>(len >> 16), static_cast<char>(len >> 8),
                    static_cast<char>(len)};
    tx.append(head, 5);
    tx.append(data, len);
}

void close_stdin(Io &io) {
    // A terminal's master is also its output: the container's input ends only without one.
    if (io.in >= 0 && !io.terminal)
        close(io.in);
    if (!io.terminal)
        io.in = -1;
    io.in_pending.clear();
    io.in_closing = false;
}

// The input ends once what is pending has been written.
void end_stdin(Io &io) {
    if (io.in_pending.empty())
        close_stdin(io);
    else
        io.in_closing = true;
}

// A client could not write the stream where it goes (`run img yes | head -1`): closing it here
// too makes the container's next write fail the same way (EPIPE, SIGPIPE).
void close_output(Io &io, int stream) {
    int &fd = stream == 2 ? io.err : io.out;
    if (fd < 0)
        return;
    io.log.end(stream);
    if (io.terminal && fd == io.in)
        io.in = -1;
    close(fd);
    fd = -1;
}

// Acts on the complete frames a client sent; false when it sent something malformed.
bool take_frames(Io &io, Client &c) {
    size_t pos = 0;
    while (c.rx.size() - pos >= 5) {
        const unsigned char *h = reinterpret_cast<const unsigned char *>(c.rx.data() + pos);
        uint32_t len = (uint32_t(h[1]) << 24) | (uint32_t(h[2]) << 16) | (uint32_t(h[3]) << 8) |
                       uint32_t(h[4]);
        if (len > kMaxFrame)
            return false;
        if (c.rx.size() - pos - 5 < len)
            break;
        const char *p = c.rx.data() + pos + 5;
        if (h[0] == kStdin && io.in >= 0)
            io.in_pending.append(p, len);
        else if (h[0] == kStdinEnd && io.stdin_once)
            end_stdin(io);
        else if (h[0] == kResize && len == 4 && io.terminal && io.out >= 0) {
            const unsigned char *q = reinterpret_cast<const unsigned char *>(p);
            winsize ws = {};
            ws.ws_row = static_cast<unsigned short>((q[0] << 8) | q[1]);
            ws.ws_col = static_cast<unsigned short>((q[2] << 8) | q[3]);
            ioctl(io.out, TIOCSWINSZ, &ws);
        } else if (h[0] == kOutputClosed && len == 1)
            close_output(io, p[0] == 2 ? 2 : 1);
        pos += 5 + len;
    }
    c.rx.erase(0, pos);
    return true;
}

void drop_client(Io &io, size_t i) {
    close(io.clients[i].fd);
    io.clients.erase(io.clients.begin() + static_cast<long>(i));
    if (io.stdin_once)
        end_stdin(io);
}

// Writes what it can without blocking; false when the client is gone.
bool flush_client(Client &c) {
    while (!c.tx.empty()) {
        ssize_t n = send(c.fd, c.tx.data(), c.tx.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false;
        c.tx.erase(0, static_cast<size_t>(n));
    }
    return true;
}

// One read of a container stream: into the log and every client. False at its end.
bool pump_output(Io &io, int &fd, int stream) {
    char buf[16 * 1024];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) { // EOF, or EIO from a master whose last slave closed
        close_output(io, stream);
        return false;
    }
    io.log.add(stream, buf, static_cast<size_t>(n));
    for (Client &c : io.clients)
        frame(c.tx, stream == 2 ? kStderr : kStdout, buf, static_cast<size_t>(n));
    return true;
}

// Reads and discards what clients still send until each has closed its end (it has read the
// exit and EOF), for at most a second: a stopped client must not hold the monitor up.
void drain_until_closed(const std::vector<Client> &clients) {
    std::vector<pollfd> p;
    for (const Client &c : clients)
        p.push_back({c.fd, POLLIN, 0});
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        bool open = false;
        for (const pollfd &q : p)
            open = open || q.fd >= 0;
        if (!open)
            return;
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= kDrainMs)
            return;
        int n = poll(p.data(), p.size(), static_cast<int>(kDrainMs - spent));
        if (n < 0 && errno != EINTR)
            return;
        for (pollfd &q : p) {
            if (q.fd < 0 || !(q.revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t r = recv(q.fd, buf, sizeof buf, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                q.fd = -1; // closed (or broken): done with this one
        }
    }
}

} // namespace

bool io_listen(Io &io, const std::string &path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return false;
    std::string via = "/proc/self/fd/" + std::to_string(dfd) + "/" + path.substr(slash + 1);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    bool ok = via.size() < sizeof addr.sun_path;
    if (ok) {
        memcpy(addr.sun_path, via.c_str(), via.size() + 1);
        io.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        unlink(path.c_str());
        mode_t old = umask(0177);
        ok = io.listen_fd >= 0 &&
             bind(io.listen_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
             listen(io.listen_fd, 16) == 0;
        umask(old);
    } else {
        errno = ENAMETOOLONG;
    }
    int saved = errno;
    close(dfd);
    if (!ok && io.listen_fd >= 0) {
        close(io.listen_fd);
        io.listen_fd = -1;
    }
    errno = saved;
    return ok;
}

void io_add_client(Io &io, int fd) {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    io.clients.push_back({fd, {}, {}});
}

void io_run(Io &io) {
    if (io.in >= 0)
        fcntl(io.in, F_SETFL, fcntl(io.in, F_GETFL) | O_NONBLOCK);
    std::vector<pollfd> p;
    while (io.out >= 0 || io.err >= 0) {
        size_t backlog = 0;
        for (const Client &c : io.clients)
            backlog = std::max(backlog, c.tx.size());
        bool read_container = backlog < kHighWater;
        bool read_clients = io.in_pending.size() < kHighWater;
        p.clear();
        // Held back, a stream is still polled for its end (events 0 still report POLLHUP): a
        // container that dies while a client lags must still be reaped.
        short want = read_container ? POLLIN : 0;
        p.push_back({io.out, want, 0});
        p.push_back({io.err, want, 0});
        // The master is polled for input above; its writability only matters with input.
        p.push_back({!io.in_pending.empty() ? io.in : -1, POLLOUT, 0});
        p.push_back({io.listen_fd, POLLIN, 0});
        for (const Client &c : io.clients)
            p.push_back(
                {c.fd,
                 static_cast<short>((read_clients ? POLLIN : 0) | (c.tx.empty() ? 0 : POLLOUT)),
                 0});
        if (poll(p.data(), p.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        constexpr short kReady = POLLIN | POLLHUP | POLLERR;
        if (p[0].revents & kReady)
            pump_output(io, io.out, 1);
        if (p[1].revents & kReady)
            pump_output(io, io.err, 2);
        if ((p[2].revents & (POLLOUT | POLLERR | POLLHUP)) && io.in >= 0) {
            ssize_t n = write(io.in, io.in_pending.data(), io.in_pending.size());
            if (n > 0) {
                io.in_pending.erase(0, static_cast<size_t>(n));
                if (io.in_pending.empty() && io.in_closing)
                    close_stdin(io);
            } else if (n < 0 && errno != EAGAIN && errno != EINTR)
                close_stdin(io); // the container closed its stdin
        }
        if (p[3].revents & POLLIN) {
            int fd = accept4(io.listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0)
                io_add_client(io, fd);
        }
        // Clients that came in this round were not polled: only those that were are handled.
        size_t polled = p.size() - 4;
        for (size_t i = polled; i-- > 0;) {
            Client &c = io.clients[i];
            short ev = p[4 + i].revents;
            bool gone = false;
            if (ev & (POLLIN | POLLHUP | POLLERR)) {
                char buf[16 * 1024];
                ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n > 0) {
                    c.rx.append(buf, static_cast<size_t>(n));
                    gone = !take_frames(io, c);
                } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                    gone = true;
                }
            }
            if (!gone && (ev & POLLOUT))
                gone = !flush_client(c);
            if (gone)
                drop_client(io, i);
        }
    }
    if (io.in >= 0 && !io.terminal)
        close(io.in);
    io.in = -1;
    io.in_pending.clear();
}

void io_finish(Io &io, int code, int sig) {
    std::string text = std::to_string(code) + " " + std::to_string(sig);
    for (Client &c : io.clients) {
        frame(c.tx, kExit, text.data(), text.size());
        // What is left is written even to a slow reader: the foreground CLI prints all of it.
        int flags = fcntl(c.fd, F_GETFL);
        fcntl(c.fd, F_SETFL, flags & ~O_NONBLOCK);
        while (!c.tx.empty()) {
            ssize_t n = send(c.fd, c.tx.data(), c.tx.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            c.tx.erase(0, static_cast<size_t>(n));
        }
        // Half-closed, not closed: a client may still be writing (its stdin's end can race the
        // exit), and a write to a closed peer fails with EPIPE, on which Node drops the socket
        // with the exit frame still unread in its receive queue.
        shutdown(c.fd, SHUT_WR);
    }
    drain_until_closed(io.clients);
    for (Client &c : io.clients)
        close(c.fd);
    io.clients.clear();
    if (io.listen_fd >= 0)
        close(io.listen_fd);
    io.listen_fd = -1;
}

} // namespace tsctr

#include "pty.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace tsctr {

int receive_fd(int sock);

namespace {

// One byte of data carrying one descriptor (SCM_RIGHTS), for sendmsg and recvmsg.
struct FdMessage {
    char byte = 't';
    iovec iov = {&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg = {};
    FdMessage() {
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
    FdMessage(const FdMessage &) = delete;
};

} // namespace

bool attach_terminal(int sock, uid_t uid, const char *&what) {
    what = "open /dev/ptmx";
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return false;
    int unlock = 0;
    what = "unlock the pty";
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
        return false;
    // TIOCGPTPEER opens the slave through the master, with no path lookup to race (4.13+).
    what = "open the pty's slave";
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0)
        return false;
    // The user the container runs as owns its terminal, as with docker; group and mode stay
    // devpts's (tty, 0620).
    what = "chown the pty";
    if (fchown(slave, uid, static_cast<gid_t>(-1)) < 0)
        return false;

    FdMessage m;
    msghdr &msg = m.msg;
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &master, sizeof(int));
    what = "send the pty to the monitor";
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return false;
    close(master);
    // Wait until the monitor has given the pty its window size: a command that asks for it at
    // once (`stty size`) would otherwise see 0x0. EOF (a monitor gone) waits no longer.
    char ack;
    while (read(sock, &ack, 1) < 0 && errno == EINTR) {
    }
    close(sock);

    what = "setsid";
    if (setsid() < 0)
        return false;
    what = "make the pty the controlling terminal";
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return false;
    what = "dup the pty onto stdio";
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return false;
    if (slave > 2)
        close(slave);
    return true;
}

int receive_terminal(int sock, const winsize *ws) {
    int fd = receive_fd(sock);
    if (fd >= 0) {
        if (ws && ws->ws_row && ws->ws_col)
            ioctl(fd, TIOCSWINSZ, ws);
        else
            resize_terminal(fd);
        (void)!write(sock, "k", 1); // the container may go on (attach_terminal)
    }
    return fd;
}

int receive_fd(int sock) {
    FdMessage m;
    msghdr &msg = m.msg;
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

void resize_terminal(int master) {
    winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0 || ioctl(1, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

namespace {

bool write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0)
            return false;
        p += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

} // namespace

void relay_terminal(int master) {
    resize_terminal(master);
    // The container's pty already turns \n into \r\n. The CLI's raw mode (libuv's) leaves
    // output processing on, which would add a second \r; docker's raw mode turns it off, and so
    // does this, for as long as the relay runs.
    termios saved;
    bool restore = tcgetattr(1, &saved) == 0 && (saved.c_oflag & OPOST);
    if (restore) {
        termios raw = saved;
        raw.c_oflag &= ~OPOST;
        tcsetattr(1, TCSANOW, &raw);
    }
    bool in_open = true, out_open = true;
    char buf[16 * 1024];
    for (;;) {
        pollfd p[2] = {{in_open ? 0 : -1, POLLIN, 0}, {master, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                break; // EIO: the last slave closed
            // A CLI that went away leaves the container running with nobody reading: keep
            // draining the master so it never blocks on a full terminal.
            if (out_open && !write_all(1, buf, static_cast<size_t>(n)))
                out_open = false;
        }
        if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0 || !write_all(master, buf, static_cast<size_t>(n)))
                in_open = false;
        }
    }
    if (restore)
        tcsetattr(1, TCSADRAIN, &saved);
}

} // namespace tsctr

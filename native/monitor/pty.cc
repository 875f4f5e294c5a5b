#include "pty.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

int receive_terminal(int sock, unsigned short rows, unsigned short cols) {
    int fd = receive_fd(sock);
    if (fd >= 0) {
        winsize ws = {};
        ws.ws_row = rows;
        ws.ws_col = cols;
        if (rows && cols)
            ioctl(fd, TIOCSWINSZ, &ws);
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

} // namespace tsctr

// tsctr-unpack: the layer writer. Started by the CLI as root inside the user's user namespace
// (src/storage/layer-writer.ts); reads records (protocol.h) on stdin, replies on stdout, and
// likewise on each further lane (main, below).
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sched.h>
#include <string>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "fdio.h"
#include "protocol.h"
#include "rmtree.h"
#include "writer.h"

using namespace tsctr;
using namespace tsctr::unpack;

namespace {

bool read_string(Reader &in, uint32_t len, std::string &out) {
    out.resize(len);
    return len == 0 || in.read_full(out.data(), len) == 1;
}

[[noreturn]] void fail(uint8_t op, int err, const std::string &path) {
    write_line(1, "ERR " + std::to_string(op) + " " + std::to_string(err) + " " + path);
    _exit(1);
}

// In a child, so the writer's own mount namespace stays as it was: the mount and the
// namespace vanish with the child. Returns 0 or the errno of the first failure.
int probe_overlay(const std::string &dir, const std::string &options) {
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        std::string merged = dir + "/merged";
        std::string upper = dir + "/upper";
        if (unshare(CLONE_NEWNS) < 0 ||
            mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
            _exit(errno);
        if (mount("overlay", merged.c_str(), "overlay", 0, options.c_str()) < 0)
            _exit(errno);
        // Rootless overlay is only usable if a whiteout can be made in the upper layer.
        if (mknodat(AT_FDCWD, (upper + "/wh").c_str(), S_IFCHR | 0, makedev(0, 0)) < 0)
            _exit(errno);
        umount2(merged.c_str(), MNT_DETACH);
        _exit(0);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

} // namespace

// One lane: records on fd 0, replies on fd 1, until EOF on fd 0.
int serve() {
    // A pipe holds 64 KiB by default: one layer's stream of small records would then cost a
    // context switch every few dozen files. 1 MiB is the unprivileged maximum (pipe-max-size);
    // failing leaves the default, which is only slower.
    fcntl(0, F_SETPIPE_SZ, 1 << 20);
    LayerWriter w;
    Reader in(0);
    Header h;
    std::string path, link;
    bool begun = false;
    for (;;) {
        int r = in.read_full(&h, sizeof h);
        if (r == 0)
            return 0;
        if (r < 0)
            fail(0, errno, "<header>");
        if (h.path_len > 65536 || h.link_len > 65536)
            fail(h.op, ENAMETOOLONG, "<header>");
        if (!read_string(in, h.path_len, path) || !read_string(in, h.link_len, link))
            fail(h.op, errno, "<path>");
        if (h.op != kBegin && h.op != kRemove && h.op != kProbeOverlay && !begun)
            fail(h.op, EINVAL, "record before BEGIN");
        int rc = 0;
        switch (h.op) {
        case kBegin:
            rc = w.begin(path);
            begun = rc == 0;
            break;
        case kDir:
            rc = w.dir(path, h);
            break;
        case kFile:
            rc = w.file(path, h, in);
            break;
        case kSymlink:
            rc = w.symlink(path, link, h);
            break;
        case kHardlink:
            rc = w.hardlink(path, link);
            break;
        case kFifo:
            rc = w.fifo(path, h);
            break;
        case kWhiteout:
            rc = w.whiteout(path);
            break;
        case kOpaque:
            rc = w.opaque(path);
            break;
        case kEnd:
            rc = w.end((h.mode & 1) != 0);
            begun = false;
            if (rc == 0)
                write_line(1, "OK");
            break;
        case kRemove:
            rc = remove_tree(path);
            if (rc == 0)
                write_line(1, "OK");
            break;
        case kProbeOverlay: {
            int err = probe_overlay(path, link);
            if (remove_tree(path) < 0 && err == 0)
                err = errno;
            if (err != 0)
                fail(h.op, err, path);
            write_line(1, "OK");
            break;
        }
        default:
            fail(h.op, EINVAL, "unknown op");
        }
        if (rc < 0)
            fail(h.op, errno, path);
    }
}

// argv[1], if given, is the number of lanes: independent writers, so that one spawn (a clone
// and newuidmap/newgidmap, ~50 ms) serves every layer a pull unpacks at once. Lane 0 is fds
// 0/1; lane i > 0 is fds 3+2(i-1) (records) and 4+2(i-1) (replies), served by a forked child.
// The process exits once every lane has reached EOF, so that the CLI's waitpid covers them all
// (a failure on lane 0 exits at once; the other lanes' children then finish on their own).
int main(int argc, char **argv) {
    prctl(PR_SET_NAME, "tsctr-unpack");
    // Entries are created with their final permission bits; the caller's umask must not mask
    // them (tar's --same-permissions, which docker's applier uses).
    umask(0);
    int lanes = argc > 1 ? atoi(argv[1]) : 1;
    if (lanes < 1 || lanes > 16)
        fail(0, EINVAL, "<lanes>");
    const int first = 3, last = first + 2 * (lanes - 1); // lane fds: [first, last)
    std::vector<pid_t> children;
    for (int i = 1; i < lanes; i++) {
        pid_t pid = fork();
        if (pid < 0)
            fail(0, errno, "<fork>");
        if (pid == 0) {
            int in = first + 2 * (i - 1);
            if (dup2(in, 0) < 0 || dup2(in + 1, 1) < 0)
                _exit(1);
            for (int fd = first; fd < last; fd++)
                close(fd);
            _exit(serve());
        }
        children.push_back(pid);
    }
    for (int fd = first; fd < last; fd++)
        close(fd);
    int rc = serve();
    for (pid_t pid : children) {
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
    return rc;
}

// tsctr-unpack: the layer writer. Started by the CLI as root inside the user's user namespace
// (src/storage/layer-writer.ts); reads records (protocol.h) on stdin, replies on stdout.
#include <cerrno>
#include <string>
#include <sys/prctl.h>
#include <unistd.h>

#include "fdio.h"
#include "protocol.h"
#include "rmtree.h"
#include "writer.h"

using namespace tsctr;
using namespace tsctr::unpack;

namespace {

bool read_string(uint32_t len, std::string &out) {
    out.resize(len);
    return len == 0 || read_full(0, out.data(), len) == 1;
}

[[noreturn]] void fail(uint8_t op, int err, const std::string &path) {
    write_line(1, "ERR " + std::to_string(op) + " " + std::to_string(err) + " " + path);
    _exit(1);
}

} // namespace

int main() {
    prctl(PR_SET_NAME, "tsctr-unpack");
    LayerWriter w;
    Header h;
    std::string path, link;
    bool begun = false;
    for (;;) {
        int r = read_full(0, &h, sizeof h);
        if (r == 0)
            return 0;
        if (r < 0)
            fail(0, errno, "<header>");
        if (h.path_len > 65536 || h.link_len > 65536)
            fail(h.op, ENAMETOOLONG, "<header>");
        if (!read_string(h.path_len, path) || !read_string(h.link_len, link))
            fail(h.op, errno, "<path>");
        if (h.op != kBegin && h.op != kRemove && !begun)
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
            rc = w.file(path, h, 0);
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
            rc = w.end();
            begun = false;
            if (rc == 0)
                write_line(1, "OK");
            break;
        case kRemove:
            rc = remove_tree(path);
            if (rc == 0)
                write_line(1, "OK");
            break;
        default:
            fail(h.op, EINVAL, "unknown op");
        }
        if (rc < 0)
            fail(h.op, errno, path);
    }
}

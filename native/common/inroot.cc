#include "inroot.h"

#include <cerrno>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tsctr {

int open_in_root(int rootfd, const std::string &path, int flags, unsigned mode) {
    struct open_how how = {};
    how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const std::string p = path.empty() ? "." : path;
    for (;;) {
        long fd = syscall(SYS_openat2, rootfd, p.c_str(), &how, sizeof how);
        // EAGAIN: a concurrent rename raced the resolution; the kernel asks us to retry.
        if (fd < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        return static_cast<int>(fd);
    }
}

std::string clean_relative(const std::string &path) {
    std::string out;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos)
            j = path.size();
        std::string comp = path.substr(i, j - i);
        if (!comp.empty() && comp != ".") {
            if (!out.empty())
                out.push_back('/');
            out += comp;
        }
        i = j + 1;
    }
    return out;
}

namespace {

// Dangling symlinks met on the way are followed (inside root) at most this many times, as the
// kernel follows at most 40 links in one lookup.
constexpr int kMaxLinks = 40;

int mkdir_all(int rootfd, const std::string &rel, unsigned mode, bool follow, int links) {
    int fd = open_in_root(rootfd, rel, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    // Walk from the root, creating what is missing. Each step resolves again inside root, so a
    // symlink met on the way is followed the chroot way and never leaves root.
    int cur = open_in_root(rootfd, "", O_PATH | O_DIRECTORY);
    if (cur < 0)
        return -1;
    size_t i = 0;
    while (i < rel.size()) {
        size_t j = rel.find('/', i);
        if (j == std::string::npos)
            j = rel.size();
        std::string prefix = rel.substr(0, j);
        std::string comp = rel.substr(i, j - i);
        int next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        if (next < 0 && errno == ENOENT) {
            if (mkdirat(cur, comp.c_str(), mode) < 0 && errno != EEXIST) {
                int e = errno;
                close(cur);
                errno = e;
                return -1;
            }
            next = open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY);
        }
        if (next < 0 && errno == ENOENT && follow) {
            // A dangling symlink (say /data -> /srv/data, which the image lacks): what it names
            // is made instead, inside root, as runc does (CVE-2026-55686 made it on the host).
            char target[4096];
            ssize_t n = readlinkat(cur, comp.c_str(), target, sizeof target - 1);
            if (n > 0) {
                close(cur);
                if (links >= kMaxLinks) {
                    errno = ELOOP;
                    return -1;
                }
                target[n] = '\0';
                std::string parent = rel.substr(0, i);
                std::string rest = j < rel.size() ? rel.substr(j) : "";
                std::string next_rel = target[0] == '/' ? std::string(target) : parent + target;
                return mkdir_all(rootfd, clean_relative(next_rel + rest), mode, follow, links + 1);
            }
            errno = ENOENT;
        }
        if (next < 0) {
            int e = errno;
            close(cur);
            errno = e;
            return -1;
        }
        close(cur);
        cur = next;
        i = j + 1;
    }
    return cur;
}

} // namespace

int mkdir_all_in_root(int rootfd, const std::string &path, unsigned mode, bool follow_dangling) {
    return mkdir_all(rootfd, clean_relative(path), mode, follow_dangling, 0);
}

int split_parent(const std::string &rel, std::string &dir, std::string &name) {
    size_t slash = rel.rfind('/');
    dir = slash == std::string::npos ? "" : rel.substr(0, slash);
    name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int open_parent_in_root(int rootfd, const std::string &path, std::string &name,
                        bool follow_dangling) {
    std::string dir;
    if (split_parent(clean_relative(path), dir, name) < 0)
        return -1;
    return mkdir_all_in_root(rootfd, dir, 0755, follow_dangling);
}

} // namespace tsctr

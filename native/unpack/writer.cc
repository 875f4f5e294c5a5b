#include "writer.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fdio.h"
#include "inroot.h"
#include "rmtree.h"

namespace tsctr::unpack {

namespace {

// Opens the parent of an existing `path` inside root as a real directory fd (the *at calls need
// one). Nothing is created: a missing parent means a missing entry (ENOENT).
int open_existing_parent(int rootfd, const std::string &path, std::string &name) {
    std::string dir;
    if (split_parent(clean_relative(path), dir, name) < 0)
        return -1;
    return open_in_root(rootfd, dir, O_DIRECTORY | O_RDONLY);
}

// A later entry replaces an earlier one of the same name, whatever its type (GNU tar's
// --overwrite semantics, which docker's applier follows). Directories are kept only when the new
// entry is a directory too.
int make_room(int dirfd, const std::string &name, bool keep_dir) {
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        if (keep_dir)
            return 0;
        int fd = openat(dirfd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return -1;
        std::string proc = "/proc/self/fd/" + std::to_string(fd);
        char real[4096];
        ssize_t n = readlink(proc.c_str(), real, sizeof real - 1);
        close(fd);
        if (n < 0)
            return -1;
        real[n] = '\0';
        return remove_tree(real);
    }
    return unlinkat(dirfd, name.c_str(), 0);
}

void close_keep_errno(int fd) {
    int e = errno;
    close(fd);
    errno = e;
}

} // namespace

LayerWriter::~LayerWriter() {
    drop_dir();
    if (root_ >= 0)
        close(root_);
}

void LayerWriter::drop_dir() {
    if (dir_fd_ >= 0)
        close_keep_errno(dir_fd_);
    dir_fd_ = -1;
    dir_path_.clear();
}

// The parent directory of `path` (created if missing), borrowed: it stays open for the next
// entries in the same directory. Anything an entry removes is a child of this directory, never
// the directory itself or its ancestors, so the cached descriptor cannot go stale.
int LayerWriter::parent(const std::string &path, std::string &name) {
    std::string dir;
    if (split_parent(clean_relative(path), dir, name) < 0)
        return -1;
    if (dir_fd_ >= 0 && dir == dir_path_)
        return dir_fd_;
    drop_dir();
    int d = open_in_root(root_, dir, O_DIRECTORY | O_RDONLY);
    if (d < 0 && errno == ENOENT) {
        int p = mkdir_all_in_root(root_, dir, 0755);
        if (p < 0)
            return -1;
        d = open_in_root(p, "", O_DIRECTORY | O_RDONLY);
        close_keep_errno(p);
    }
    if (d < 0)
        return -1;
    dir_fd_ = d;
    dir_path_ = dir;
    return d;
}

int LayerWriter::begin(const std::string &dir) {
    drop_dir();
    if (root_ >= 0)
        close(root_);
    dir_times_.clear();
    root_ = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    return root_ < 0 ? -1 : 0;
}

int LayerWriter::owner_and_times(int dirfd, const std::string &name, const Header &h,
                                 bool chmod_after) {
    if ((h.uid != 0 || h.gid != 0) &&
        fchownat(dirfd, name.c_str(), h.uid, h.gid, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    // chown clears setuid/setgid, so the mode is applied after it.
    if (chmod_after && fchmodat(dirfd, name.c_str(), h.mode & 07777, 0) < 0)
        return -1;
    struct timespec ts[2] = {{h.mtime_sec, static_cast<long>(h.mtime_nsec)},
                             {h.mtime_sec, static_cast<long>(h.mtime_nsec)}};
    return utimensat(dirfd, name.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

int LayerWriter::dir(const std::string &path, const Header &h) {
    std::string rel = clean_relative(path);
    if (rel.empty()) {
        // The layer root itself ("./"): take its owner and mode.
        int d = open_in_root(root_, "", O_DIRECTORY | O_RDONLY);
        if (d < 0)
            return -1;
        int rc = fchown(d, h.uid, h.gid) < 0 || fchmod(d, h.mode & 07777) < 0 ? -1 : 0;
        close_keep_errno(d);
        if (rc == 0)
            dir_times_.push_back({"", h.mtime_sec, h.mtime_nsec});
        return rc;
    }
    std::string name;
    int d = parent(rel, name);
    if (d < 0)
        return -1;
    // Usually new: created with its mode and owned by uid 0 already. An existing one (made
    // earlier as a parent, or listed twice) takes the entry's mode; chown clears the setgid
    // bit of a directory, so special bits are applied after it.
    bool created = mkdirat(d, name.c_str(), h.mode & 0777) == 0;
    if (!created) {
        // Something is there: keep a directory, replace anything else.
        if (errno != EEXIST || make_room(d, name, true) < 0)
            return -1;
        if (mkdirat(d, name.c_str(), h.mode & 0777) == 0)
            created = true;
        else if (errno != EEXIST)
            return -1;
    }
    if (((!created || h.uid != 0 || h.gid != 0) &&
         fchownat(d, name.c_str(), h.uid, h.gid, AT_SYMLINK_NOFOLLOW) < 0) ||
        ((!created || (h.mode & 07000)) && fchmodat(d, name.c_str(), h.mode & 07777, 0) < 0))
        return -1;
    // Writing entries into a directory changes its mtime; the tar's value is set at the end.
    dir_times_.push_back({rel, h.mtime_sec, h.mtime_nsec});
    return 0;
}

int LayerWriter::file(const std::string &path, const Header &h, Reader &in) {
    std::string name;
    int d = parent(path, name);
    if (d < 0)
        return -1;
    // Created with its final permission bits (the writer runs with umask 0); the write end is
    // already open, so even a read-only mode does not stop the data going in.
    const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int f = openat(d, name.c_str(), flags, h.mode & 0777);
    if (f < 0 && errno == EEXIST) {
        if (make_room(d, name, false) < 0)
            return -1;
        f = openat(d, name.c_str(), flags, h.mode & 0777);
    }
    if (f < 0)
        return -1;
    if (buf_.empty())
        buf_.resize(1 << 20);
    uint64_t left = h.data_len;
    while (left > 0) {
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, buf_.size()));
        if (in.read_full(buf_.data(), chunk) != 1 || write_full(f, buf_.data(), chunk) < 0) {
            if (errno == 0)
                errno = EPIPE;
            close_keep_errno(f);
            return -1;
        }
        left -= chunk;
    }
    // The file was created by uid 0 of the namespace; chown only when the tar says otherwise.
    // chown clears setuid/setgid, so those bits are applied after it.
    struct timespec ts[2] = {{h.mtime_sec, static_cast<long>(h.mtime_nsec)},
                             {h.mtime_sec, static_cast<long>(h.mtime_nsec)}};
    int rc = ((h.uid != 0 || h.gid != 0) && fchown(f, h.uid, h.gid) < 0) ||
                     ((h.mode & 07000) && fchmod(f, h.mode & 07777) < 0) || futimens(f, ts) < 0
                 ? -1
                 : 0;
    close_keep_errno(f);
    return rc;
}

int LayerWriter::symlink(const std::string &path, const std::string &target, const Header &h) {
    std::string name;
    int d = parent(path, name);
    if (d < 0)
        return -1;
    return make_room(d, name, false) < 0 || symlinkat(target.c_str(), d, name.c_str()) < 0
               ? -1
               : owner_and_times(d, name, h, false);
}

int LayerWriter::hardlink(const std::string &path, const std::string &target) {
    std::string tname, name;
    int td = open_existing_parent(root_, target, tname);
    if (td < 0)
        return -1;
    int d = parent(path, name);
    if (d < 0) {
        close_keep_errno(td);
        return -1;
    }
    // linkat without AT_SYMLINK_FOLLOW links the entry itself, as tar means it.
    int rc =
        make_room(d, name, false) < 0 || linkat(td, tname.c_str(), d, name.c_str(), 0) < 0 ? -1 : 0;
    close_keep_errno(td);
    return rc;
}

int LayerWriter::fifo(const std::string &path, const Header &h) {
    std::string name;
    int d = parent(path, name);
    if (d < 0)
        return -1;
    return make_room(d, name, false) < 0 || mkfifoat(d, name.c_str(), 0600) < 0
               ? -1
               : owner_and_times(d, name, h, true);
}

int LayerWriter::whiteout(const std::string &path) {
    // overlayfs's whiteout is a 0/0 character device; since Linux 5.8 an unprivileged user
    // namespace may create exactly this device.
    std::string name;
    int d = parent(path, name);
    if (d < 0)
        return -1;
    return make_room(d, name, false) < 0 || mknodat(d, name.c_str(), S_IFCHR | 0, makedev(0, 0)) < 0
               ? -1
               : 0;
}

int LayerWriter::opaque(const std::string &path) {
    int d = mkdir_all_in_root(root_, path, 0755);
    if (d < 0)
        return -1;
    close(d);
    d = open_in_root(root_, clean_relative(path), O_DIRECTORY | O_RDONLY);
    if (d < 0)
        return -1;
    // Rootless overlay (mounted with "userxattr") reads the user.* namespace, not trusted.*.
    int rc = fsetxattr(d, "user.overlay.opaque", "y", 1, 0);
    close_keep_errno(d);
    return rc;
}

int LayerWriter::end(bool sync) {
    drop_dir();
    // Deepest first, so setting a child's time never disturbs its parent's.
    std::stable_sort(dir_times_.begin(), dir_times_.end(), [](const DirTime &a, const DirTime &b) {
        return a.path.size() > b.path.size();
    });
    for (const DirTime &t : dir_times_) {
        int d = open_in_root(root_, t.path, O_DIRECTORY | O_RDONLY);
        // A later entry may have replaced or removed the directory: its time no longer applies.
        if (d < 0 && (errno == ENOENT || errno == ENOTDIR))
            continue;
        if (d < 0)
            return -1;
        struct timespec ts[2] = {{t.sec, static_cast<long>(t.nsec)},
                                 {t.sec, static_cast<long>(t.nsec)}};
        int rc = futimens(d, ts);
        close_keep_errno(d);
        if (rc < 0)
            return -1;
    }
    dir_times_.clear();
    int rc = 0;
    // The CLI normally commits the layer unsynced and has it synced later, in the background
    // (src/storage/durability.ts); it asks for a sync here only where it cannot tell boots
    // apart. syncfs needs a real descriptor; root_ is O_PATH.
    if (sync) {
        int fd = open_in_root(root_, "", O_DIRECTORY | O_RDONLY);
        rc = fd < 0 ? -1 : syncfs(fd);
        if (fd >= 0)
            close_keep_errno(fd);
    }
    close(root_);
    root_ = -1;
    return rc;
}

} // namespace tsctr::unpack

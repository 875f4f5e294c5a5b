#include "seed.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tsctr {

namespace {

thread_local std::string g_where;

int fail_at(const char *name) {
    int e = errno;
    g_where = name;
    errno = e;
    return -1;
}

int copy_file(int from, int to, const char *name, const struct stat &st) {
    int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return fail_at(name);
    int out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return fail_at(name);
    }
    off_t left = st.st_size;
    while (left > 0) {
        ssize_t n = sendfile(out, in, nullptr, static_cast<size_t>(left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        left -= n;
    }
    int rc = left == 0 ? 0 : -1;
    if (rc == 0 && (fchown(out, st.st_uid, st.st_gid) < 0 || fchmod(out, st.st_mode & 07777) < 0))
        rc = -1;
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (rc == 0)
        futimens(out, times);
    int e = errno;
    close(in);
    close(out);
    errno = e;
    return rc < 0 ? fail_at(name) : 0;
}

int copy_dir(int from, int to);

int copy_entry(int from, int to, const char *name) {
    struct stat st;
    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_at(name);
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (S_ISREG(st.st_mode))
        return copy_file(from, to, name, st);
    if (S_ISDIR(st.st_mode)) {
        if (mkdirat(to, name, 0700) < 0)
            return fail_at(name);
        int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int rc = sub_from < 0 || sub_to < 0 ? -1 : copy_dir(sub_from, sub_to);
        int e = errno;
        if (sub_from >= 0)
            close(sub_from);
        if (sub_to >= 0)
            close(sub_to);
        errno = e;
        if (rc < 0)
            return g_where.empty() ? fail_at(name) : -1;
    } else if (S_ISLNK(st.st_mode)) {
        std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
        ssize_t n = readlinkat(from, name, target.data(), target.size());
        if (n < 0)
            return fail_at(name);
        target.resize(static_cast<size_t>(n));
        if (symlinkat(target.c_str(), to, name) < 0)
            return fail_at(name);
    } else if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        if (mknodat(to, name, st.st_mode, 0) < 0)
            return fail_at(name);
    } else {
        return 0; // a device node: a user namespace may not make one
    }
    if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return fail_at(name);
    if (!S_ISLNK(st.st_mode) && fchmodat(to, name, st.st_mode & 07777, 0) < 0)
        return fail_at(name);
    utimensat(to, name, times, AT_SYMLINK_NOFOLLOW);
    return 0;
}

int copy_dir(int from, int to) {
    int fd = dup(from);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    int rc = 0;
    errno = 0;
    while (dirent *e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (copy_entry(from, to, e->d_name) < 0) {
            rc = -1;
            break;
        }
    }
    int err = errno;
    closedir(d);
    errno = err;
    return rc;
}

} // namespace

bool dir_is_empty(int dirfd) {
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return false;
    }
    bool empty = true;
    while (dirent *e = readdir(d))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            empty = false;
            break;
        }
    closedir(d);
    return empty;
}

int seed_tree(int from, int to, const char *&where) {
    g_where.clear();
    struct stat st;
    if (fstat(from, &st) < 0 || copy_dir(from, to) < 0 || fchown(to, st.st_uid, st.st_gid) < 0 ||
        fchmod(to, st.st_mode & 07777) < 0) {
        where = g_where.empty() ? "." : g_where.c_str();
        return -1;
    }
    return 0;
}

} // namespace tsctr

#include "container.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdio.h"
#include "inroot.h"
#include "pty.h"
#include "security.h"
#include "seed.h"

namespace tsctr {

namespace {

int g_err_fd = -1;

[[noreturn]] void fail(const char *stage, int err, const std::string &detail) {
    std::string line = std::string(stage) + "\t" + std::to_string(err) + "\t" + detail;
    write_line(g_err_fd, line);
    _exit(125);
}

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

// Creates the mount point named by the spec inside the rootfs and returns an O_PATH fd on it.
// Resolution stays inside the rootfs even if the image made e.g. /proc a symlink to /.
int mount_point(int rootfd, const MountSpec &m) {
    if (m.make == "dir" || m.make == "seed")
        return mkdir_all_in_root(rootfd, m.target, 0755, true);
    if (m.make == "file") {
        std::string name;
        int parent = open_parent_in_root(rootfd, m.target, name, true);
        if (parent < 0)
            return -1;
        int dirfd = open_in_root(parent, "", O_DIRECTORY | O_RDONLY);
        close(parent);
        if (dirfd < 0)
            return -1;
        int f = openat(dirfd, name.c_str(), O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        close(dirfd);
        if (f >= 0)
            close(f);
        else if (errno != EEXIST)
            return -1;
    }
    return open_in_root(rootfd, m.target, O_PATH);
}

// A read-only remount must keep the flags the kernel locked on the mount (nosuid, nodev, noexec,
// atime): a user namespace may not clear them, and asking to is EPERM.
unsigned long locked_flags(int fd) {
    struct statvfs sv;
    if (fstatvfs(fd, &sv) < 0)
        return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

void remount_readonly(int fd, const std::string &what, unsigned long extra) {
    std::string at = fd_path(fd);
    if (mount(nullptr, at.c_str(), nullptr,
              MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(fd) | extra, nullptr) < 0)
        fail("mount", errno, "remount read-only " + what);
}

// A volume mounted for the first time takes the image's files at its mount point.
void seed(int rootfd, const MountSpec &m) {
    int volume = open(m.source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (volume < 0)
        fail("mount", errno, "open volume " + m.source);
    int image_dir = open_in_root(rootfd, m.target, O_RDONLY | O_DIRECTORY);
    if (image_dir < 0)
        fail("mount", errno, "open " + m.target);
    const char *where = "";
    if (dir_is_empty(volume) && !dir_is_empty(image_dir) && seed_tree(image_dir, volume, where) < 0)
        fail("mount", errno, "copy " + m.target + "/" + where + " into its volume");
    close(image_dir);
    close(volume);
}

void do_mounts(const Spec &s, int rootfd) {
    for (const MountSpec &m : s.mounts) {
        if (m.target == "/")
            continue;
        int fd = mount_point(rootfd, m);
        if (fd < 0)
            fail("mount", errno, "create mount point " + m.target);
        if (m.make == "seed")
            seed(rootfd, m);
        std::string at = fd_path(fd);
        unsigned long flags = m.flags;
        bool ro_bind = (flags & MS_BIND) && (flags & MS_RDONLY);
        if (mount(m.source.c_str(), at.c_str(), m.fstype.empty() ? nullptr : m.fstype.c_str(),
                  ro_bind ? (flags & ~static_cast<unsigned long>(MS_RDONLY)) : flags,
                  m.data.empty() ? nullptr : m.data.c_str()) < 0)
            fail("mount", errno, m.fstype + " on " + m.target);
        if (ro_bind) {
            close(fd);
            fd = open_in_root(rootfd, m.target, O_PATH);
            if (fd < 0)
                fail("mount", errno, "reopen " + m.target);
            remount_readonly(fd, m.target, flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC));
        }
        close(fd);
    }
}

// --init: a copy of this binary at /dev/init, read-only. A copy, not a bind of the host's file:
// the container's root is the user who owns that file, so a container able to remount a bind
// read-write could rewrite the helper every container runs (the CVE-2019-5736 class). The copy
// lives in the container's own /dev and dies with it.
void install_init(int rootfd) {
    int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (src < 0)
        fail("init", errno, "open /proc/self/exe");
    int dst = open_in_root(rootfd, "/dev/init", O_WRONLY | O_CREAT | O_EXCL, 0555);
    if (dst < 0)
        fail("init", errno, "create /dev/init");
    for (;;) {
        ssize_t n = sendfile(dst, src, nullptr, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("init", errno, "copy to /dev/init");
        if (n == 0)
            break;
    }
    close(src);
    close(dst);
    int at = open_in_root(rootfd, "/dev/init", O_PATH);
    std::string path = at < 0 ? "" : fd_path(at);
    if (at < 0 || mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) < 0)
        fail("init", errno, "bind /dev/init");
    close(at);
    at = open_in_root(rootfd, "/dev/init", O_PATH);
    if (at < 0)
        fail("init", errno, "reopen /dev/init");
    remount_readonly(at, "/dev/init", MS_NOSUID | MS_NODEV);
    close(at);
}

void do_symlinks(const Spec &s, int rootfd) {
    for (const auto &[target, link] : s.symlinks) {
        std::string name;
        int parent = open_parent_in_root(rootfd, link, name);
        if (parent < 0)
            fail("symlink", errno, link);
        int dirfd = open_in_root(parent, "", O_DIRECTORY | O_RDONLY);
        close(parent);
        if (dirfd < 0)
            fail("symlink", errno, link);
        if (symlinkat(target.c_str(), dirfd, name.c_str()) < 0 && errno != EEXIST)
            fail("symlink", errno, link);
        close(dirfd);
    }
}

// Hides paths such as /proc/kcore the way runc does: /dev/null over a file, an empty read-only
// tmpfs over a directory. A path the kernel does not have is skipped.
void do_masks(const Spec &s, int rootfd) {
    for (const std::string &p : s.masked) {
        int fd = open_in_root(rootfd, p, O_PATH | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;
            fail("mask", errno, p);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
            fail("mask", errno, p);
        std::string at = fd_path(fd);
        int rc = S_ISDIR(st.st_mode)
                     ? mount("tmpfs", at.c_str(), "tmpfs", MS_RDONLY, "size=0,mode=0555")
                     : mount("/dev/null", at.c_str(), nullptr, MS_BIND, nullptr);
        if (rc < 0)
            fail("mask", errno, p);
        close(fd);
    }
    for (const std::string &p : s.readonly) {
        int fd = open_in_root(rootfd, p, O_PATH | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;
            fail("readonly", errno, p);
        }
        std::string at = fd_path(fd);
        if (mount(at.c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            fail("readonly", errno, p);
        close(fd);
        fd = open_in_root(rootfd, p, O_PATH | O_NOFOLLOW);
        if (fd < 0)
            fail("readonly", errno, p);
        remount_readonly(fd, p, MS_NOSUID | MS_NODEV | MS_NOEXEC);
        close(fd);
    }
}

void pivot_into(int rootfd) {
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching "." then drops
    // it, so nothing of the host's tree stays reachable (the trick runc and crun use).
    if (fchdir(rootfd) < 0)
        fail("pivot_root", errno, "chdir to rootfs");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        fail("pivot_root", errno, "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        fail("pivot_root", errno, "detach old root");
    if (chdir("/") < 0)
        fail("pivot_root", errno, "chdir /");
}

bool become_user(const void *ctx, SecurityError &e) {
    const Spec &s = *static_cast<const Spec *>(ctx);
    e.stage = "user";
    // With a single-id mapping /proc/PID/setgroups is "deny"; an empty group list is then fine.
    if (setgroups(s.groups.size(), s.groups.data()) < 0 && !(errno == EPERM && s.groups.empty())) {
        e.err = errno;
        e.detail = "setgroups";
        return false;
    }
    if (setresgid(s.gid, s.gid, s.gid) < 0) {
        e.err = errno;
        e.detail = "setgid " + std::to_string(s.gid);
        return false;
    }
    if (setresuid(s.uid, s.uid, s.uid) < 0) {
        e.err = errno;
        e.detail = "setuid " + std::to_string(s.uid);
        return false;
    }
    return true;
}

std::string env_path(const Spec &s) {
    for (const std::string &e : s.env)
        if (e.rfind("PATH=", 0) == 0)
            return e.substr(5);
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// execvpe with the container's PATH, not ours. Reports EACCES when some candidate existed but
// was not executable (docker's 126) and ENOENT when none existed (127).
[[noreturn]] void exec_command(const Spec &s) {
    std::vector<char *> argv, envp;
    for (const auto &a : s.args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto &e : s.env)
        envp.push_back(const_cast<char *>(e.c_str()));
    envp.push_back(nullptr);
    const std::string &cmd = s.args[0];
    if (cmd.find('/') != std::string::npos) {
        execve(cmd.c_str(), argv.data(), envp.data());
        fail("exec", errno, cmd);
    }
    std::string path = env_path(s);
    bool denied = false;
    size_t i = 0;
    for (;;) {
        size_t j = path.find(':', i);
        std::string dir = path.substr(i, j == std::string::npos ? std::string::npos : j - i);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + cmd;
        execve(candidate.c_str(), argv.data(), envp.data());
        if (errno == EACCES)
            denied = true;
        else if (errno != ENOENT && errno != ENOTDIR)
            fail("exec", errno, cmd);
        if (j == std::string::npos)
            break;
        i = j + 1;
    }
    fail("exec-path", denied ? EACCES : ENOENT, cmd);
}

} // namespace

void container_main(const Spec &s, int err_fd, int console_fd) {
    g_err_fd = err_fd;
    prctl(PR_SET_NAME, "tsctr:[setup]");
    // Nothing mounted from here may propagate back to the host's mount tree.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
        fail("mount", errno, "make / private");
    if (!s.mount_cwd.empty() && chdir(s.mount_cwd.c_str()) < 0)
        fail("mount", errno, "chdir " + s.mount_cwd);
    for (const MountSpec &m : s.mounts) {
        if (m.target != "/")
            continue;
        if (mount(m.source.c_str(), s.rootfs.c_str(), m.fstype.c_str(), m.flags,
                  m.data.empty() ? nullptr : m.data.c_str()) < 0)
            fail("rootfs", errno, m.fstype + " on " + s.rootfs);
    }
    int rootfd = open(s.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        fail("rootfs", errno, s.rootfs);
    do_mounts(s, rootfd);
    if (s.init)
        install_init(rootfd);
    do_symlinks(s, rootfd);
    do_masks(s, rootfd);
    if (s.readonly_rootfs)
        remount_readonly(rootfd, "the rootfs (--read-only)", 0);
    pivot_into(rootfd);
    close(rootfd);

    if (!s.hostname.empty() && sethostname(s.hostname.data(), s.hostname.size()) < 0)
        fail("hostname", errno, s.hostname);
    // Docker creates a missing working directory (owned by root) before starting the process.
    int rfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int wd = rfd < 0 ? -1 : mkdir_all_in_root(rfd, s.cwd, 0755, true);
    if (wd < 0)
        fail("cwd", errno, s.cwd);
    close(wd);
    close(rfd);

    process_main(s, err_fd, console_fd);
}

void process_main(const Spec &s, int err_fd, int console_fd) {
    g_err_fd = err_fd;
    const char *what = "";
    if (console_fd >= 0 && !attach_terminal(console_fd, s.uid, what))
        fail("terminal", errno, what);
    // Raising a hard limit past the user's own needs privileges the user namespace does not
    // give: EPERM, reported as docker reports it.
    for (const Spec::Rlimit &r : s.rlimits) {
        rlimit lim = {r.soft, r.hard};
        if (setrlimit(r.resource, &lim) < 0)
            fail("rlimit", errno, std::to_string(r.resource));
    }
    SecurityError se;
    if (!confine(s.security, become_user, &s, se))
        fail(se.stage, se.err, se.detail);
    if (chdir(s.cwd.c_str()) < 0)
        fail("cwd", errno, s.cwd);

    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    exec_command(s);
}

} // namespace tsctr

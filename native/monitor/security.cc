#include "security.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace tsctr {

namespace {

bool set_error(SecurityError &e, const char *stage, int err, std::string detail) {
    e.stage = stage;
    e.err = err;
    e.detail = std::move(detail);
    return false;
}

// Drops from the bounding set every capability not kept. PR_CAPBSET_DROP answers EINVAL past
// the kernel's last capability, which ends the loop on kernels older than our list.
bool drop_bounding(const Security &sec, SecurityError &e) {
    for (unsigned cap = 0; cap < 64; cap++) {
        if (sec.cap_bounding & (uint64_t{1} << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL)
                break;
            return set_error(e, "caps", errno,
                             "drop capability " + std::to_string(cap) + " from the bounding set");
        }
    }
    return true;
}

bool set_caps(const Security &sec, SecurityError &e) {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    for (int i = 0; i < 2; i++) {
        data[i].effective = static_cast<uint32_t>(sec.cap_effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(sec.cap_permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(sec.cap_inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        return set_error(e, "caps", errno, "capset");
    // Ambient capabilities would survive exec for a non-root user; none are granted.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return set_error(e, "caps", errno, "clear ambient capabilities");
    return true;
}

uint32_t scmp_action(const std::string &a, unsigned errno_ret, bool &ok) {
    ok = true;
    if (a == "allow")
        return SCMP_ACT_ALLOW;
    if (a == "errno")
        return SCMP_ACT_ERRNO(errno_ret);
    if (a == "kill")
        return SCMP_ACT_KILL_THREAD;
    if (a == "kill_process")
        return SCMP_ACT_KILL_PROCESS;
    if (a == "trap")
        return SCMP_ACT_TRAP;
    if (a == "trace")
        return SCMP_ACT_TRACE(errno_ret);
    if (a == "log")
        return SCMP_ACT_LOG;
    ok = false;
    return 0;
}

bool scmp_op(const std::string &o, scmp_compare &out) {
    static const struct {
        const char *name;
        scmp_compare op;
    } ops[] = {{"ne", SCMP_CMP_NE},
               {"lt", SCMP_CMP_LT},
               {"le", SCMP_CMP_LE},
               {"eq", SCMP_CMP_EQ},
               {"ge", SCMP_CMP_GE},
               {"gt", SCMP_CMP_GT},
               {"masked_eq", SCMP_CMP_MASKED_EQ}};
    for (const auto &x : ops)
        if (o == x.name) {
            out = x.op;
            return true;
        }
    return false;
}

// RAII for the libseccomp context.
struct Filter {
    scmp_filter_ctx ctx = nullptr;
    ~Filter() {
        if (ctx)
            seccomp_release(ctx);
    }
};

// A kept filter: a header naming the libseccomp that compiled it, then the BPF program as
// seccomp_export_bpf wrote it. Anything else (missing, another version, a torn file) is
// ignored and the filter is built again.
std::string cache_header() {
    const scmp_version *v = seccomp_version();
    return "tsctr-seccomp-bpf 1 libseccomp " + std::to_string(v->major) + "." +
           std::to_string(v->minor) + "." + std::to_string(v->micro) + "\n";
}

bool read_all(int fd, std::string &out, size_t limit) {
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > limit)
            return false;
    }
}

bool to_program(const std::string &data, size_t offset, std::vector<sock_filter> &out) {
    size_t len = data.size() - offset;
    if (len == 0 || len % sizeof(sock_filter) != 0 || len / sizeof(sock_filter) > BPF_MAXINSNS)
        return false;
    out.resize(len / sizeof(sock_filter));
    memcpy(out.data(), data.data() + offset, len);
    return true;
}

bool load_cached(const std::string &path, std::vector<sock_filter> &out) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return false;
    std::string data;
    bool ok = read_all(fd, data, 1u << 20);
    close(fd);
    std::string header = cache_header();
    return ok && data.compare(0, header.size(), header) == 0 &&
           to_program(data, header.size(), out);
}

// Keeps the compiled filter for the next container with the same rules; a failure only costs
// the next one the build.
void keep(const std::string &path, const std::vector<sock_filter> &prog) {
    std::string tmp = path + ".tmp" + std::to_string(getpid());
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return;
    std::string data = cache_header();
    data.append(reinterpret_cast<const char *>(prog.data()), prog.size() * sizeof(sock_filter));
    bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.c_str(), path.c_str()) < 0)
        unlink(tmp.c_str());
}

bool build(const Security &sec, std::vector<sock_filter> &out, SecurityError &e) {
    bool ok;
    uint32_t def = scmp_action(sec.seccomp_default, sec.seccomp_errno, ok);
    if (!ok)
        return set_error(e, "seccomp", EINVAL, "unknown default action " + sec.seccomp_default);
    Filter f;
    f.ctx = seccomp_init(def);
    if (!f.ctx)
        return set_error(e, "seccomp", ENOMEM, "seccomp_init");
    for (const std::string &a : sec.seccomp_arches) {
        uint32_t arch = seccomp_arch_resolve_name(a.c_str());
        if (arch == 0)
            return set_error(e, "seccomp", EINVAL, "unknown architecture " + a);
        int rc = seccomp_arch_add(f.ctx, arch);
        if (rc < 0 && rc != -EEXIST)
            return set_error(e, "seccomp", -rc, "add architecture " + a);
    }
    for (const SeccompRule &r : sec.seccomp_rules) {
        int nr = seccomp_syscall_resolve_name(r.name.c_str());
        // A call this libseccomp does not know cannot be made here either: skipped, as runc does.
        if (nr == __NR_SCMP_ERROR)
            continue;
        uint32_t act = scmp_action(r.action, r.errno_ret, ok);
        if (!ok)
            return set_error(e, "seccomp", EINVAL, "unknown action " + r.action);
        scmp_arg_cmp cmp[6];
        unsigned n = 0;
        for (const SeccompArg &a : r.args) {
            if (n == 6 || a.index > 5 || !scmp_op(a.op, cmp[n].op))
                return set_error(e, "seccomp", EINVAL, "bad condition on " + r.name);
            cmp[n].arg = a.index;
            cmp[n].datum_a = a.value;
            cmp[n].datum_b = a.value2;
            n++;
        }
        int rc = seccomp_rule_add_array(f.ctx, act, nr, n, cmp);
        if (rc < 0)
            return set_error(e, "seccomp", -rc, "add rule for " + r.name);
    }
    // The program goes through a memfd: libseccomp 2.5 exports only to a descriptor.
    int fd = memfd_create("tsctr-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return set_error(e, "seccomp", errno, "memfd_create");
    int rc = seccomp_export_bpf(f.ctx, fd);
    std::string data;
    bool read_ok = rc == 0 && lseek(fd, 0, SEEK_SET) == 0 && read_all(fd, data, 1u << 20);
    close(fd);
    if (rc < 0)
        return set_error(e, "seccomp", -rc, "export the filter");
    if (!read_ok || !to_program(data, 0, out))
        return set_error(e, "seccomp", EINVAL, "read the exported filter");
    return true;
}

} // namespace

bool prepare_seccomp(Security &sec, SecurityError &e) {
    if (!sec.seccomp)
        return true;
    if (!sec.seccomp_cache.empty() && load_cached(sec.seccomp_cache, sec.seccomp_program))
        return true;
    if (!build(sec, sec.seccomp_program, e))
        return false;
    if (!sec.seccomp_cache.empty())
        keep(sec.seccomp_cache, sec.seccomp_program);
    return true;
}

namespace {

bool load_seccomp(const Security &sec, SecurityError &e) {
    if (sec.seccomp_program.empty())
        return set_error(e, "seccomp", EINVAL, "the filter was not prepared");
    sock_fprog prog = {static_cast<unsigned short>(sec.seccomp_program.size()),
                       const_cast<sock_filter *>(sec.seccomp_program.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
        return set_error(e, "seccomp", errno, "load the filter");
    return true;
}

} // namespace

bool confine(const Security &sec, bool (*become_user)(const void *ctx, SecurityError &),
             const void *ctx, SecurityError &e) {
    if (sec.has_caps && !drop_bounding(sec, e))
        return false;
    // Without no_new_privs only CAP_SYS_ADMIN allows loading a filter, so it goes first, while
    // the process still holds it; the filter must then allow the id changes below (docker's does).
    if (sec.seccomp && !sec.no_new_privs && !load_seccomp(sec, e))
        return false;
    if (!become_user(ctx, e))
        return false;
    if (sec.has_caps && !set_caps(sec, e))
        return false;
    if (sec.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return set_error(e, "no-new-privs", errno, "prctl");
    if (sec.seccomp && sec.no_new_privs && !load_seccomp(sec, e))
        return false;
    return true;
}

} // namespace tsctr

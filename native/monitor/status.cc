#include "status.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fdio.h"

namespace tsctr {

volatile sig_atomic_t g_child = 0;
const int kRelayedSignals[6] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void status(const std::string &line) {
    write_line(kStatusFd, line);
}

namespace {

void forward_signal(int sig) {
    if (g_child > 0)
        kill(g_child, sig);
}

} // namespace

pid_t fork_blocked(sigset_t &old) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    return fork();
}

void reset_child_signals(const sigset_t &old) {
    for (int sig : kRelayedSignals)
        signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, nullptr);
}

void relay_signals() {
    struct sigaction sa = {};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2})
        sigaction(sig, &sa, nullptr);
}

std::string start_time(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return "";
    buf[n] = '\0';
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    char *p = strrchr(buf, ')');
    if (!p)
        return "";
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(nullptr, " "))
        if (++field == 22)
            return tok;
    return "";
}

std::string one_line(std::string s) {
    for (char &c : s)
        if (c == '\n' || c == '\t')
            c = ' ';
    return s;
}

std::string read_setup_error(int fd) {
    std::string report;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        report.append(buf, static_cast<size_t>(n));
    }
    if (report.empty())
        return "";
    if (report.back() == '\n')
        report.pop_back();
    size_t a = report.find('\t'), b = report.find('\t', a + 1);
    std::string stage = report.substr(0, a);
    std::string no = a == std::string::npos ? "0" : report.substr(a + 1, b - a - 1);
    std::string detail = b == std::string::npos ? "" : report.substr(b + 1);
    return "ERROR " + stage + " " + no + " " + one_line(detail);
}

void replace_file(const std::string &path, const std::string &line) {
    if (path.empty())
        return;
    std::string tmp = path + ".tmp";
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    write_line(fd, line);
    close(fd);
    rename(tmp.c_str(), path.c_str());
}

void shed_setup_memory() {
    malloc_trim(0);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    // The executable's read-only mappings ("start-end r?xp … /path"), all found before any is
    // dropped: parsing touches code and tables that would otherwise come straight back.
    struct Range {
        unsigned long start, end;
    } ranges[8];
    int count = 0;
    for (char *line = buf; count < 8 && line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        unsigned long start = 0, end = 0;
        char perms[5] = {};
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[1] != 'w' &&
            strchr(line, '/'))
            ranges[count++] = {start, end};
        line = next;
    }
    for (int i = 0; i < count; i++)
        madvise(reinterpret_cast<void *>(ranges[i].start), ranges[i].end - ranges[i].start,
                MADV_DONTNEED);
}

} // namespace tsctr

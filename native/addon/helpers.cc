#include "helpers.h"

#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace tsctr {

void run_helpers(std::vector<HelperRun> &runs) {
    std::vector<pid_t> pids(runs.size(), -1);
    std::vector<int> errs(runs.size(), -1);
    for (size_t i = 0; i < runs.size(); i++) {
        HelperRun &r = runs[i];
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
            r.spawn_errno = errno;
            continue;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
        std::vector<char *> argv;
        for (std::string &a : r.argv)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_t pid;
        int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (rc != 0) {
            r.spawn_errno = rc;
            close(pipefd[0]);
            continue;
        }
        pids[i] = pid;
        errs[i] = pipefd[0];
    }
    // Both stderr pipes are drained together: a helper blocked on a full pipe never exits.
    for (;;) {
        std::vector<pollfd> p;
        std::vector<size_t> which;
        for (size_t i = 0; i < runs.size(); i++)
            if (errs[i] >= 0) {
                p.push_back({errs[i], POLLIN, 0});
                which.push_back(i);
            }
        if (p.empty())
            break;
        if (poll(p.data(), p.size(), -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t k = 0; k < p.size(); k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            size_t i = which[k];
            char buf[4096];
            ssize_t n = read(errs[i], buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n > 0) {
                if (runs[i].stderr_text.size() < 65536)
                    runs[i].stderr_text.append(buf, static_cast<size_t>(n));
                continue;
            }
            close(errs[i]);
            errs[i] = -1;
        }
    }
    for (size_t i = 0; i < runs.size(); i++) {
        if (pids[i] < 0)
            continue;
        int st = 0;
        while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) {
        }
        runs[i].code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        runs[i].signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    }
}

} // namespace tsctr

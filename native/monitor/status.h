// The monitor's status lines (fd 3, docs/ARCHITECTURE.md section 3.2) and the files it keeps,
// shared by the container monitor (main.cc) and `--exec` (exec.cc).
#pragma once
#include <csignal>
#include <string>
#include <sys/types.h>

namespace tsctr {

// fd 3: the status pipe to the CLI.
constexpr int kStatusFd = 3;

// One status line. The CLI may be gone (killed, or a detached run); what matters is recorded in
// files too, so a failed write is not an error.
void status(const std::string &line);

// The process signals are relayed to (0: none now), set by the monitor and by `--exec` around
// their child.
extern volatile sig_atomic_t g_child;

// TERM, INT, HUP, QUIT, USR1 and USR2 go on to g_child.
void relay_signals();

// The signals relay_signals() catches, for a child to reset to their defaults.
extern const int kRelayedSignals[6];

// fork() with every signal blocked across it, so that no signal the monitor relays reaches the
// child before it has its default handlers back. The parent restores `old` itself; the child
// calls reset_child_signals(old).
pid_t fork_blocked(sigset_t &old);

// In the child of fork_blocked: the relayed signals back to SIG_DFL, then the mask `old`.
void reset_child_signals(const sigset_t &old);

// Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot; "" when it
// cannot be read. With the pid it names one process, whatever reuses the pid later.
std::string start_time(pid_t pid);

// Tabs and newlines become spaces: a status line is one line of space-separated words.
std::string one_line(std::string s);

// Reads a setup error pipe to its end ("STAGE\tERRNO\tDETAIL\n" from container.h, or nothing
// when the command was exec'd) and returns the ERROR status line for it, or "" for nothing.
std::string read_setup_error(int fd);

// Replaces `path` with one line, atomically (a temp file, then rename); "" does nothing.
void replace_file(const std::string &path, const std::string &line);

// The monitor lives as long as its container, but most of its code and data served only the
// setup (the spec, seccomp, cloning). Their pages are dropped from its resident set once the
// container runs: the file-backed ones stay in the page cache, shared, and come back if ever
// touched again; the heap's free pages go back to the kernel.
void shed_setup_memory();

} // namespace tsctr

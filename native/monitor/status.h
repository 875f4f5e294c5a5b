// The monitor's status lines (fd 3, docs/ARCHITECTURE.md section 3.2) and the files it keeps,
// shared by the container monitor (main.cc) and `--exec` (exec.cc).
#pragma once
#include <string>

namespace tsctr {

// Tabs and newlines become spaces: a status line is one line of space-separated words.
std::string one_line(std::string s);

// Reads a setup error pipe to its end ("STAGE\tERRNO\tDETAIL\n" from container.h, or nothing
// when the command was exec'd) and returns the ERROR status line for it, or "" for nothing.
std::string read_setup_error(int fd);

// Replaces `path` with one line, atomically (a temp file, then rename); "" does nothing.
void replace_file(const std::string &path, const std::string &line);

} // namespace tsctr

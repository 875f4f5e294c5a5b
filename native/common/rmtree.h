#pragma once
#include <string>

namespace tsctr {
// rm -rf without crossing mount points or following symlinks. Returns 0, or -1 with errno of the
// first failure (it still removes what it can). A missing path is success.
int remove_tree(const std::string &path);
} // namespace tsctr

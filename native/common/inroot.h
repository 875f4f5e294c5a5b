// Path resolution confined to a directory, the way a chroot would resolve it: "..", absolute
// symlinks and symlinks that climb out all stay inside `root`. Built on openat2(2) with
// RESOLVE_IN_ROOT (Linux 5.6), so an image can never make tsctr write or mount outside it.
#pragma once
#include <string>

namespace tsctr {

// openat2(root, path, flags, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS). -1 with errno.
int open_in_root(int rootfd, const std::string &path, int flags, unsigned mode = 0);

// Splits a cleaned relative path "a/b/c" into "a/b" and "c". Refuses "", "." and ".." as the
// last component: returns -1 with errno EINVAL.
int split_parent(const std::string &rel, std::string &dir, std::string &name);

// Splits "a/b/c" into the parent "a/b" (opened O_PATH inside root, created with mode 0755 and
// owner root when missing) and the last component "c". Refuses "", "." and ".." as the last
// component (EINVAL). Returns the parent fd or -1 with errno.
int open_parent_in_root(int rootfd, const std::string &path, std::string &name,
                        bool follow_dangling = false);

// mkdir -p inside root; returns an O_PATH fd of the final directory or -1 with errno. A
// dangling symlink on the way is ENOENT (a layer's links are followed inside the layer alone),
// unless `follow_dangling`: then what it names is made, inside root, as runc makes a mount point
// or a working directory.
int mkdir_all_in_root(int rootfd, const std::string &path, unsigned mode,
                      bool follow_dangling = false);

// Strips leading "/" and "./" and collapses "//"; "" stands for the root itself.
std::string clean_relative(const std::string &path);

} // namespace tsctr

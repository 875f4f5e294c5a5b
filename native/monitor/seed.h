// Seeding a new volume from the image, as docker does: the first time an empty volume is
// mounted on a directory the image has, that directory's contents are copied into it (owners,
// modes, symlinks and times kept) before the mount hides them.
#pragma once

namespace tsctr {

// True when the directory (an fd opened O_RDONLY | O_DIRECTORY) has no entries.
bool dir_is_empty(int dirfd);

// Copies the tree under `from` (a directory fd in the container's rootfs) into `to` (the
// volume's directory fd), `to` taking `from`'s owner and mode. Runs as root in the user
// namespace, so ownership is kept for every mapped id. Device nodes, which a user namespace
// cannot create, are skipped. Returns 0, or -1 with errno and the failing name in `where`.
int seed_tree(int from, int to, const char *&where);

} // namespace tsctr

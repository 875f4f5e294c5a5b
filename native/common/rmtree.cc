#include "rmtree.h"

#include <cerrno>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tsctr {

static int first_error;

static int remove_entry(const char *path, const struct stat *, int type, struct FTW *) {
    // Directories without write or search permission (overlay's work/work is mode 000) are
    // still removable: we run as root of the user namespace that owns them.
    int rc = (type == FTW_DP) ? rmdir(path) : unlink(path);
    if (rc < 0 && errno != ENOENT && first_error == 0)
        first_error = errno;
    return 0;
}

int remove_tree(const std::string &path) {
    struct stat st;
    if (lstat(path.c_str(), &st) < 0)
        return errno == ENOENT ? 0 : -1;
    first_error = 0;
    if (nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 &&
        first_error == 0)
        first_error = errno;
    if (first_error != 0) {
        errno = first_error;
        return -1;
    }
    return 0;
}

} // namespace tsctr

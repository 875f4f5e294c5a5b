#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

#include "fdio.h"
#include "protocol.h"

namespace tsctr::unpack {

// Writes one layer's entries under a root directory, never outside it (every path is resolved
// with RESOLVE_IN_ROOT). Errors return -1 with errno set.
class LayerWriter {
  public:
    ~LayerWriter();
    int begin(const std::string &dir);
    int dir(const std::string &path, const Header &h);
    int file(const std::string &path, const Header &h, Reader &in);
    int symlink(const std::string &path, const std::string &target, const Header &h);
    int hardlink(const std::string &path, const std::string &target);
    int fifo(const std::string &path, const Header &h);
    int whiteout(const std::string &path);
    int opaque(const std::string &path);
    int end(bool sync);

  private:
    struct DirTime {
        std::string path;
        int64_t sec;
        uint32_t nsec;
    };
    int root_ = -1;
    std::vector<DirTime> dir_times_;
    std::vector<char> buf_;
    // The directory the last entry went into: tar lists a directory's entries together, so
    // keeping it open saves resolving the same path again for each of them.
    int dir_fd_ = -1;
    std::string dir_path_;

    int parent(const std::string &path, std::string &name);
    void drop_dir();
    int owner_and_times(int dirfd, const std::string &name, const Header &h, bool chmod_after);
};

} // namespace tsctr::unpack

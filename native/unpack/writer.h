#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

#include "protocol.h"

namespace tsctr::unpack {

// Writes one layer's entries under a root directory, never outside it (every path is resolved
// with RESOLVE_IN_ROOT). Errors return -1 with errno set.
class LayerWriter {
  public:
    ~LayerWriter();
    int begin(const std::string &dir);
    int dir(const std::string &path, const Header &h);
    int file(const std::string &path, const Header &h, int in_fd);
    int symlink(const std::string &path, const std::string &target, const Header &h);
    int hardlink(const std::string &path, const std::string &target);
    int fifo(const std::string &path, const Header &h);
    int whiteout(const std::string &path);
    int opaque(const std::string &path);
    int end();

  private:
    struct DirTime {
        std::string path;
        int64_t sec;
        uint32_t nsec;
    };
    int root_ = -1;
    std::vector<DirTime> dir_times_;
    std::vector<char> buf_;

    int owner_and_times(int dirfd, const std::string &name, const Header &h, bool chmod_after);
};

} // namespace tsctr::unpack

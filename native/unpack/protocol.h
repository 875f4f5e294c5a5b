// The layer-writer protocol between the CLI (src/storage/layer-writer.ts) and tsctr-unpack.
//
// The CLI parses the tar stream (node-tar, src/storage/tar-reader.ts) and sends one record per
// entry on the writer's stdin; tsctr-unpack (root inside the user's namespace, so tar uids become
// the image's uids) writes them confined to the layer directory. Each record is a fixed 48-byte
// little-endian header, then `path_len` bytes of path, `link_len` bytes of link target, `data_len`
// bytes of file content. Replies on stdout are lines: "OK" after END or REMOVE, or "ERR <op>
// <errno> <path>" after which the writer exits.
#pragma once
#include <cstdint>

namespace tsctr::unpack {

enum Op : uint8_t {
    kBegin = 1,    // path: absolute layer directory (exists, empty); later paths are inside it
    kDir = 2,      // mkdir (or update an existing one)
    kFile = 3,     // regular file; data follows
    kSymlink = 4,  // link: target, stored verbatim
    kHardlink = 5, // link: path of an earlier entry of this layer
    kFifo = 6,
    kWhiteout = 7, // path: the name a lower layer had; becomes overlay's 0/0 char device
    kOpaque = 8,   // path: a directory whose lower-layer contents are hidden
    kEnd = 9,      // set directory times; mode 1: syncfs too (see writer.cc); replies OK
    kRemove = 10,  // path: absolute directory tree to delete; replies OK
    // path: a scratch directory holding lower/ upper/ work/ merged/; link: overlay's mount
    // options. Mounts overlay on merged/ in a private mount namespace, creates a whiteout in
    // upper/, then removes the whole scratch tree. Replies OK, or ERR with the failing errno.
    kProbeOverlay = 11,
};

struct __attribute__((packed)) Header {
    uint8_t op;
    uint8_t reserved[3];
    uint32_t mode; // permission bits incl. setuid/setgid/sticky
    uint32_t uid;
    uint32_t gid;
    int64_t mtime_sec;
    uint32_t mtime_nsec;
    uint32_t path_len;
    uint32_t link_len;
    uint32_t reserved2;
    uint64_t data_len;
};
static_assert(sizeof(Header) == 48, "the header is 48 bytes on the wire");

} // namespace tsctr::unpack

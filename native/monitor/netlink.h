// A small rtnetlink client for the user networks' plumbing (native/monitor/keeper.h): bridges,
// veth pairs, addresses, routes. Each call sends one request on a NETLINK_ROUTE socket of the
// calling thread's network namespace and waits for its acknowledgement. Errors are -errno.
#pragma once
#include <cstdint>
#include <string>

namespace tsctr::nl {

class Socket {
  public:
    Socket();
    ~Socket();
    Socket(const Socket &) = delete;
    Socket &operator=(const Socket &) = delete;
    bool ok() const { return fd_ >= 0; }

    // The interface's index, 0 when there is none.
    int index(const std::string &name);
    // A bridge (EEXIST is success) with `addr`/`prefix` and up.
    int bridge(const std::string &name, uint32_t addr, int prefix);
    // A veth pair: `host` here, enslaved to bridge `master` and up; `peer` (with MAC `mac`)
    // created in the network namespace `netns_fd`.
    int veth(const std::string &host, int master, const std::string &peer, int netns_fd,
             const uint8_t mac[6]);
    // Sets an interface up.
    int up(int index);
    int add_address(int index, uint32_t addr, int prefix);
    int default_route(uint32_t gateway);
    int remove(int index);

  private:
    int request(void *msg, size_t len);
    int fd_ = -1;
    uint32_t seq_ = 0;
};

// "10.89.0.2" → network-order address; false when malformed.
bool parse_ipv4(const std::string &text, uint32_t &addr);

} // namespace tsctr::nl

#include "netlink.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tsctr::nl {

namespace {

// A request built in place: header, family header, then attributes (nested ones by offset).
struct Msg {
    alignas(nlmsghdr) unsigned char buf[1024];
    nlmsghdr *hdr() { return reinterpret_cast<nlmsghdr *>(buf); }

    Msg(uint16_t type, uint16_t flags, size_t family_len) {
        memset(buf, 0, sizeof buf);
        hdr()->nlmsg_type = type;
        hdr()->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
        hdr()->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(family_len));
    }
    void *family() { return NLMSG_DATA(hdr()); }
    size_t len() const { return reinterpret_cast<const nlmsghdr *>(buf)->nlmsg_len; }

    size_t attr(uint16_t type, const void *data, size_t n) {
        size_t off = NLMSG_ALIGN(hdr()->nlmsg_len);
        auto *a = reinterpret_cast<rtattr *>(buf + off);
        a->rta_type = type;
        a->rta_len = static_cast<unsigned short>(RTA_LENGTH(n));
        if (n)
            memcpy(RTA_DATA(a), data, n);
        hdr()->nlmsg_len = static_cast<uint32_t>(off + RTA_ALIGN(a->rta_len));
        return off;
    }
    size_t attr_str(uint16_t type, const std::string &s) {
        return attr(type, s.c_str(), s.size() + 1);
    }
    size_t attr_u32(uint16_t type, uint32_t v) { return attr(type, &v, sizeof v); }
    size_t nest(uint16_t type) { return attr(type, nullptr, 0); }
    void end(size_t off) {
        auto *a = reinterpret_cast<rtattr *>(buf + off);
        a->rta_len = static_cast<unsigned short>(hdr()->nlmsg_len - off);
    }
    // Bytes spliced in as they are (veth's peer ifinfomsg).
    void raw(const void *data, size_t n) {
        memcpy(buf + hdr()->nlmsg_len, data, n);
        hdr()->nlmsg_len = static_cast<uint32_t>(NLMSG_ALIGN(hdr()->nlmsg_len + n));
    }
};

} // namespace

Socket::Socket() {
    fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd_ >= 0) {
        sockaddr_nl sa{};
        sa.nl_family = AF_NETLINK;
        if (bind(fd_, reinterpret_cast<sockaddr *>(&sa), sizeof sa) < 0) {
            close(fd_);
            fd_ = -1;
        }
    }
}

Socket::~Socket() {
    if (fd_ >= 0)
        close(fd_);
}

int Socket::request(void *msg, size_t len) {
    auto *h = static_cast<nlmsghdr *>(msg);
    h->nlmsg_seq = ++seq_;
    sockaddr_nl to{};
    to.nl_family = AF_NETLINK;
    if (sendto(fd_, msg, len, 0, reinterpret_cast<sockaddr *>(&to), sizeof to) < 0)
        return -errno;
    alignas(nlmsghdr) char reply[8192];
    for (;;) {
        ssize_t n = recv(fd_, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (auto *r = reinterpret_cast<nlmsghdr *>(reply); NLMSG_OK(r, static_cast<unsigned>(n));
             r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_seq != seq_)
                continue;
            if (r->nlmsg_type == NLMSG_ERROR)
                return static_cast<nlmsgerr *>(NLMSG_DATA(r))->error; // 0 is the ack
        }
    }
}

int Socket::index(const std::string &name) {
    return static_cast<int>(if_nametoindex(name.c_str())); // this netns: the thread's
}

int Socket::up(int index) {
    Msg m(RTM_NEWLINK, 0, sizeof(ifinfomsg));
    auto *ifi = static_cast<ifinfomsg *>(m.family());
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return request(m.buf, m.len());
}

int Socket::bridge(const std::string &name, uint32_t addr, int prefix) {
    Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifinfomsg));
    static_cast<ifinfomsg *>(m.family())->ifi_family = AF_UNSPEC;
    m.attr_str(IFLA_IFNAME, name);
    size_t info = m.nest(IFLA_LINKINFO);
    m.attr(IFLA_INFO_KIND, "bridge", 6);
    m.end(info);
    int err = request(m.buf, m.len());
    if (err < 0 && err != -EEXIST)
        return err;
    int idx = index(name);
    if (idx == 0)
        return -ENODEV;
    err = add_address(idx, addr, prefix);
    if (err < 0 && err != -EEXIST)
        return err;
    return up(idx);
}

int Socket::veth(const std::string &host, int master, const std::string &peer, int netns_fd,
                 const uint8_t mac[6]) {
    Msg m(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifinfomsg));
    static_cast<ifinfomsg *>(m.family())->ifi_family = AF_UNSPEC;
    m.attr_str(IFLA_IFNAME, host);
    m.attr_u32(IFLA_MASTER, static_cast<uint32_t>(master));
    size_t info = m.nest(IFLA_LINKINFO);
    m.attr(IFLA_INFO_KIND, "veth", 4);
    size_t data = m.nest(IFLA_INFO_DATA);
    size_t p = m.nest(VETH_INFO_PEER);
    ifinfomsg peer_ifi{};
    peer_ifi.ifi_family = AF_UNSPEC;
    m.raw(&peer_ifi, sizeof peer_ifi);
    m.attr_str(IFLA_IFNAME, peer);
    m.attr(IFLA_ADDRESS, mac, 6);
    m.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
    m.end(p);
    m.end(data);
    m.end(info);
    int err = request(m.buf, m.len());
    if (err < 0)
        return err;
    int idx = index(host);
    return idx == 0 ? -ENODEV : up(idx);
}

int Socket::add_address(int index, uint32_t addr, int prefix) {
    Msg m(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(ifaddrmsg));
    auto *ifa = static_cast<ifaddrmsg *>(m.family());
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = static_cast<unsigned char>(prefix);
    ifa->ifa_index = static_cast<unsigned>(index);
    m.attr(IFA_LOCAL, &addr, 4);
    m.attr(IFA_ADDRESS, &addr, 4);
    uint32_t mask = prefix == 0 ? 0 : htonl(~0U << (32 - prefix));
    uint32_t brd = addr | ~mask;
    if (prefix < 31)
        m.attr(IFA_BROADCAST, &brd, 4);
    return request(m.buf, m.len());
}

int Socket::default_route(uint32_t gateway) {
    Msg m(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(rtmsg));
    auto *rt = static_cast<rtmsg *>(m.family());
    rt->rtm_family = AF_INET;
    rt->rtm_table = RT_TABLE_MAIN;
    rt->rtm_protocol = RTPROT_BOOT;
    rt->rtm_scope = RT_SCOPE_UNIVERSE;
    rt->rtm_type = RTN_UNICAST;
    m.attr(RTA_GATEWAY, &gateway, 4);
    return request(m.buf, m.len());
}

int Socket::remove(int index) {
    Msg m(RTM_DELLINK, 0, sizeof(ifinfomsg));
    auto *ifi = static_cast<ifinfomsg *>(m.family());
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    return request(m.buf, m.len());
}

bool parse_ipv4(const std::string &text, uint32_t &addr) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1)
        return false;
    addr = a.s_addr;
    return true;
}

} // namespace tsctr::nl

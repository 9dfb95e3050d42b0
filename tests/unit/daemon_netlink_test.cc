// rtnetlink parsing and message factories on canned buffers: what the
// kernel would send (built with libmnl here) and malformed variants that
// must be refused rather than read past.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "netlink/links.h"
#include "netlink/messages.h"
#include "netlink/socket.h"
#include "netlink/xdp_features.h"
#include "vnet/abi.h"

namespace vnet::netlink {
namespace {

class Buffer {
 public:
  Buffer() : buf_(4096, 0) {}
  nlmsghdr* header(std::uint16_t type) {
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
    nlh->nlmsg_type = type;
    return nlh;
  }

 private:
  std::vector<char> buf_;
};

// An RTM_NEWLINK as the kernel sends for a veth: name, MTU, operstate and
// IFLA_LINKINFO { IFLA_INFO_KIND "veth" }.
nlmsghdr* put_link(Buffer& b, std::uint16_t type, int ifindex, const char* name,
                   const char* kind, std::uint32_t mtu) {
  nlmsghdr* nlh = b.header(type);
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = ifindex;
  ifm->ifi_flags = IFF_UP;
  if (name != nullptr) {
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  }
  mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_UP);
  if (kind != nullptr) {
    nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
    mnl_attr_nest_end(nlh, info);
  }
  return nlh;
}

// What the kernel adds for a veth whose peer is elsewhere: IFLA_LINK (the
// peer's ifindex in its netns), IFLA_LINK_NETNSID when that is another
// netns, and IFLA_XDP as rtnl_xdp_fill() nests it.
struct Xdp {
  std::uint8_t attached = XDP_ATTACHED_NONE;
  std::uint32_t prog_id = 0;  // IFLA_XDP_PROG_ID (not in MULTI mode)
  std::uint32_t drv = 0, skb = 0, hw = 0;
};
void put_xdp(nlmsghdr* nlh, const Xdp& x) {
  nlattr* nest = mnl_attr_nest_start(nlh, IFLA_XDP);
  if (x.skb != 0) {
    mnl_attr_put_u32(nlh, IFLA_XDP_SKB_PROG_ID, x.skb);
  }
  if (x.drv != 0) {
    mnl_attr_put_u32(nlh, IFLA_XDP_DRV_PROG_ID, x.drv);
  }
  if (x.hw != 0) {
    mnl_attr_put_u32(nlh, IFLA_XDP_HW_PROG_ID, x.hw);
  }
  mnl_attr_put_u8(nlh, IFLA_XDP_ATTACHED, x.attached);
  if (x.prog_id != 0) {
    mnl_attr_put_u32(nlh, IFLA_XDP_PROG_ID, x.prog_id);
  }
  mnl_attr_nest_end(nlh, nest);
}
nlmsghdr* put_veth(Buffer& b, std::uint16_t type, int ifindex, const char* name,
                   std::uint32_t peer_ifindex, std::optional<std::int32_t> peer_nsid,
                   const Xdp& xdp = {}) {
  nlmsghdr* nlh = put_link(b, type, ifindex, name, "veth", 1500);
  mnl_attr_put_u32(nlh, IFLA_LINK, peer_ifindex);
  if (peer_nsid) {
    mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, static_cast<std::uint32_t>(*peer_nsid));
  }
  put_xdp(nlh, xdp);
  return nlh;
}
// The VM's eth0 as its own netns reports it (an RTM_NEWLINK heard through
// NETLINK_LISTEN_ALL_NSID): its peer, our veth, is in the netns with id
// `our_nsid` there.
nlmsghdr* put_vm_eth0(Buffer& b, std::uint16_t type, int ifindex, std::uint32_t host_ifindex,
                      const Xdp& xdp) {
  return put_veth(b, type, ifindex, "eth0", host_ifindex, 0, xdp);
}

TEST(NetlinkParse, VethLink) {
  Buffer b;
  auto link = parse_link(put_link(b, RTM_NEWLINK, 7, "vm1-h", "veth", 1500));
  ASSERT_TRUE(link) << link.status().message();
  EXPECT_EQ(link->ifindex, 7u);
  EXPECT_EQ(link->name, "vm1-h");
  EXPECT_EQ(link->kind, "veth");
  EXPECT_EQ(link->mtu, 1500u);
  EXPECT_EQ(link->operstate, IF_OPER_UP);
  EXPECT_EQ(link->flags & IFF_UP, static_cast<unsigned>(IFF_UP));
}

TEST(NetlinkParse, PlainDeviceHasNoKind) {
  Buffer b;
  auto link = parse_link(put_link(b, RTM_DELLINK, 2, "eth0", nullptr, 9000));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->kind, "");
  EXPECT_EQ(link->mtu, 9000u);
}

TEST(NetlinkParse, UnknownAttributesAreSkipped) {
  Buffer b;
  nlmsghdr* nlh = put_link(b, RTM_NEWLINK, 3, "tap0", "tun", 1500);
  mnl_attr_put_u32(nlh, 0x7ff0, 42);  // a type from a newer kernel
  auto link = parse_link(nlh);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->kind, "tun");
}

TEST(NetlinkParse, RejectsMissingName) {
  Buffer b;
  auto link = parse_link(put_link(b, RTM_NEWLINK, 3, nullptr, "veth", 1500));
  EXPECT_FALSE(link);
}

TEST(NetlinkParse, RejectsShortMtu) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWLINK);
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_index = 4;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "x");
  mnl_attr_put_u16(nlh, IFLA_MTU, 1500);  // a u32 attribute two bytes long
  auto link = parse_link(nlh);
  ASSERT_FALSE(link);
  EXPECT_NE(link.status().message().find("IFLA_MTU"), std::string::npos);
}

TEST(NetlinkParse, RejectsUnterminatedName) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWLINK);
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put(nlh, IFLA_IFNAME, 4, "abcd");  // no NUL
  EXPECT_FALSE(parse_link(nlh));
}

TEST(NetlinkParse, RejectsBadNestedKind) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWLINK);
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "v");
  nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put(nlh, IFLA_INFO_KIND, 4, "veth");  // no NUL
  mnl_attr_nest_end(nlh, info);
  EXPECT_FALSE(parse_link(nlh));
}

TEST(NetlinkParse, RejectsTruncatedHeader) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWLINK);
  mnl_nlmsg_put_extra_header(nlh, 4);  // shorter than ifinfomsg
  EXPECT_FALSE(parse_link(nlh));
}

TEST(NetlinkParse, RouteWithGateway) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWROUTE);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_DST, htonl(0xc6120209));      // 198.18.2.9
  mnl_attr_put_u32(nlh, RTA_OIF, 5);
  mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(0xc6120001));  // 198.18.0.1
  auto r = parse_route(nlh);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->type, RTN_UNICAST);
  EXPECT_EQ(r->oif, 5u);
  ASSERT_TRUE(r->gateway.has_value());
  EXPECT_EQ(r->gateway->str(), "198.18.0.1");
  EXPECT_FALSE(r->prefsrc.has_value());
}

TEST(NetlinkParse, RouteRejectsShortGateway) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWROUTE);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  mnl_attr_put_u16(nlh, RTA_GATEWAY, 1);
  EXPECT_FALSE(parse_route(nlh));
}

TEST(NetlinkParse, Neighbour) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWNEIGH);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET;
  ndm->ndm_ifindex = 5;
  ndm->ndm_state = NUD_STALE;
  mnl_attr_put_u32(nlh, NDA_DST, htonl(0xc6120002));
  auto n = parse_neigh(nlh);
  ASSERT_TRUE(n);
  ASSERT_TRUE(n->has_value());
  EXPECT_EQ((*n)->ifindex, 5u);
  EXPECT_EQ((*n)->state, NUD_STALE);
  EXPECT_EQ((*n)->dst.str(), "198.18.0.2");
}

TEST(NetlinkParse, NeighbourOfOtherFamilyIsSkipped) {
  Buffer b;
  nlmsghdr* nlh = b.header(RTM_NEWNEIGH);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET6;
  auto n = parse_neigh(nlh);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->has_value());
}

TEST(NetlinkBuild, NeighbourUse) {
  char buf[kRequestBufferSize];
  nlmsghdr* nlh = build_neigh_use(buf, 77, 5, *Ipv4::parse("198.18.0.1"));
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWNEIGH);
  EXPECT_EQ(nlh->nlmsg_seq, 77u);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ndm->ndm_family, AF_INET);
  EXPECT_EQ(ndm->ndm_ifindex, 5);
  EXPECT_EQ(ndm->ndm_flags, NTF_USE);
  EXPECT_EQ(ndm->ndm_state, NUD_NONE);
  const nlattr* dst = nullptr;
  mnl_attr_parse(
      nlh, sizeof(ndmsg),
      [](const nlattr* attr, void* data) {
        if (mnl_attr_get_type(attr) == NDA_DST) {
          *static_cast<const nlattr**>(data) = attr;
        }
        return MNL_CB_OK;
      },
      &dst);
  ASSERT_NE(dst, nullptr);
  EXPECT_EQ(mnl_attr_get_payload_len(dst), 4u);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(dst)), 0xc6120001u);
}

TEST(NetlinkBuild, RouteGetAsksForAHostRoute) {
  char buf[kRequestBufferSize];
  nlmsghdr* nlh = build_route_get(buf, 1, *Ipv4::parse("198.18.2.9"));
  EXPECT_EQ(nlh->nlmsg_type, RTM_GETROUTE);
  EXPECT_EQ(nlh->nlmsg_flags & NLM_F_DUMP, 0);
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(rtm->rtm_family, AF_INET);
  EXPECT_EQ(rtm->rtm_dst_len, 32);
}

TEST(NetlinkLinks, PortFlagsByKind) {
  EXPECT_EQ(port_flags_for_kind("veth"), VNET_PORT_F_PEER);
  EXPECT_EQ(port_flags_for_kind("tun"), VNET_PORT_F_XDP_DELIVER);
  EXPECT_EQ(port_flags_for_kind(""), 0);
  EXPECT_EQ(port_flags_for_kind("bridge"), 0);
}

// rtnetlink calls both tun and tap "tun": only the hardware type tells an
// Ethernet tap (a valid endpoint) from an L3 tun (refused).
TEST(NetlinkLinks, OnlyEthernetLinksAreEndpoints) {
  EXPECT_TRUE(is_ethernet(LinkInfo{.kind = "tun", .hw_type = ARPHRD_ETHER}));
  EXPECT_TRUE(is_ethernet(LinkInfo{.kind = "veth", .hw_type = ARPHRD_ETHER}));
  EXPECT_FALSE(is_ethernet(LinkInfo{.kind = "tun", .hw_type = ARPHRD_NONE}));
  EXPECT_FALSE(is_ethernet(LinkInfo{.kind = "", .hw_type = ARPHRD_LOOPBACK}));
}

// ---- veth peers and native XDP ----------------------------------------------

TEST(NetlinkParse, VethPeerInAnotherNetns) {
  Buffer b;
  auto link = parse_link(put_veth(b, RTM_NEWLINK, 9, "vm2-h", 2, 3));
  ASSERT_TRUE(link) << link.status().message();
  EXPECT_EQ(link->link_ifindex, 2u);
  ASSERT_TRUE(link->link_netnsid.has_value());
  EXPECT_EQ(*link->link_netnsid, 3);
  EXPECT_EQ(link->xdp_attached, XDP_ATTACHED_NONE);
  EXPECT_FALSE(has_native_xdp(*link));
  EXPECT_EQ(foreign_peer(*link), (PeerRef{3, 2}));
}

TEST(NetlinkParse, VethPeerInTheSameNetnsHasNoNsid) {
  Buffer b;
  auto link = parse_link(put_veth(b, RTM_NEWLINK, 9, "a", 10, std::nullopt));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->link_ifindex, 10u);
  EXPECT_FALSE(link->link_netnsid.has_value());
  EXPECT_FALSE(foreign_peer(*link).has_value());
}

TEST(NetlinkParse, XdpModes) {
  struct Case {
    const char* what;
    Xdp xdp;
    bool native;
  };
  const Case cases[] = {
      {"none", {}, false},
      {"driver mode", {.attached = XDP_ATTACHED_DRV, .prog_id = 42, .drv = 42}, true},
      {"driver mode, no per-mode id (older kernels)", {.attached = XDP_ATTACHED_DRV, .prog_id = 42}, true},
      {"generic (skb) mode: no NAPI", {.attached = XDP_ATTACHED_SKB, .prog_id = 7, .skb = 7}, false},
      {"offloaded only", {.attached = XDP_ATTACHED_HW, .prog_id = 8, .hw = 8}, false},
      {"multi with a driver program", {.attached = XDP_ATTACHED_MULTI, .drv = 42, .skb = 7}, true},
      {"multi without a driver program", {.attached = XDP_ATTACHED_MULTI, .skb = 7, .hw = 8}, false},
  };
  for (const auto& c : cases) {
    Buffer b;
    auto link = parse_link(put_veth(b, RTM_NEWLINK, 2, "eth0", 9, 0, c.xdp));
    ASSERT_TRUE(link) << c.what << ": " << link.status().message();
    EXPECT_EQ(link->xdp_attached, c.xdp.attached) << c.what;
    EXPECT_EQ(has_native_xdp(*link), c.native) << c.what;
  }
}

TEST(NetlinkParse, RejectsMalformedXdpAttributes) {
  {
    Buffer b;  // a u32 program id two bytes long
    nlmsghdr* nlh = put_link(b, RTM_NEWLINK, 2, "eth0", "veth", 1500);
    nlattr* nest = mnl_attr_nest_start(nlh, IFLA_XDP);
    mnl_attr_put_u8(nlh, IFLA_XDP_ATTACHED, XDP_ATTACHED_DRV);
    mnl_attr_put_u16(nlh, IFLA_XDP_DRV_PROG_ID, 42);
    mnl_attr_nest_end(nlh, nest);
    auto link = parse_link(nlh);
    ASSERT_FALSE(link);
    EXPECT_NE(link.status().message().find("IFLA_XDP_DRV_PROG_ID"), std::string::npos);
  }
  {
    Buffer b;  // IFLA_XDP_ATTACHED without its byte
    nlmsghdr* nlh = put_link(b, RTM_NEWLINK, 2, "eth0", "veth", 1500);
    nlattr* nest = mnl_attr_nest_start(nlh, IFLA_XDP);
    mnl_attr_put(nlh, IFLA_XDP_ATTACHED, 0, nullptr);
    mnl_attr_nest_end(nlh, nest);
    EXPECT_FALSE(parse_link(nlh));
  }
  {
    Buffer b;  // IFLA_XDP that is not a nest (a payload shorter than an attribute header)
    nlmsghdr* nlh = put_link(b, RTM_NEWLINK, 2, "eth0", "veth", 1500);
    mnl_attr_put_u16(nlh, IFLA_XDP, 1);
    EXPECT_FALSE(parse_link(nlh));
  }
  {
    Buffer b;  // a one-byte netns id
    nlmsghdr* nlh = put_link(b, RTM_NEWLINK, 9, "vm2-h", "veth", 1500);
    mnl_attr_put_u32(nlh, IFLA_LINK, 2);
    mnl_attr_put_u8(nlh, IFLA_LINK_NETNSID, 3);
    auto link = parse_link(nlh);
    ASSERT_FALSE(link);
    EXPECT_NE(link.status().message().find("IFLA_LINK_NETNSID"), std::string::npos);
  }
  {
    Buffer b;  // a two-byte IFLA_LINK
    nlmsghdr* nlh = put_link(b, RTM_NEWLINK, 9, "vm2-h", "veth", 1500);
    mnl_attr_put_u16(nlh, IFLA_LINK, 2);
    EXPECT_FALSE(parse_link(nlh));
  }
}

TEST(NetlinkParse, TargetNetnsidIsEchoed) {
  Buffer b;
  nlmsghdr* nlh = put_vm_eth0(b, RTM_NEWLINK, 2, 9, {.attached = XDP_ATTACHED_DRV, .drv = 5});
  mnl_attr_put_u32(nlh, IFLA_TARGET_NETNSID, 3);
  auto link = parse_link(nlh);
  ASSERT_TRUE(link);
  ASSERT_TRUE(link->target_netnsid.has_value());
  EXPECT_EQ(*link->target_netnsid, 3);
  EXPECT_TRUE(has_native_xdp(*link));
}

TEST(NetlinkBuild, LinkGetInAnotherNetns) {
  for (const std::optional<std::int32_t> nsid : {std::optional<std::int32_t>(3),
                                                 std::optional<std::int32_t>()}) {
    char buf[kRequestBufferSize];
    nlmsghdr* nlh = build_link_get(buf, 12, 2, nsid);
    EXPECT_EQ(nlh->nlmsg_type, RTM_GETLINK);
    EXPECT_EQ(nlh->nlmsg_seq, 12u);
    EXPECT_EQ(nlh->nlmsg_flags & NLM_F_DUMP, 0);
    const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
    EXPECT_EQ(ifm->ifi_index, 2);
    const nlattr* target = nullptr;
    mnl_attr_parse(
        nlh, sizeof(ifinfomsg),
        [](const nlattr* attr, void* data) {
          if (mnl_attr_get_type(attr) == IFLA_TARGET_NETNSID) {
            *static_cast<const nlattr**>(data) = attr;
          }
          return MNL_CB_OK;
        },
        &target);
    if (nsid) {
      ASSERT_NE(target, nullptr);
      EXPECT_EQ(mnl_attr_get_payload_len(target), 4u);
      EXPECT_EQ(static_cast<std::int32_t>(mnl_attr_get_u32(target)), *nsid);
    } else {
      EXPECT_EQ(target, nullptr);
    }
  }
}

// recvmsg() control data as the kernel fills it for a message from the
// netns with id `nsid` (SOL_NETLINK / NETLINK_LISTEN_ALL_NSID, one int),
// optionally behind another control message.
struct Control {
  alignas(cmsghdr) char buf[256] = {};
  msghdr msg{};
  Control() {
    msg.msg_control = buf;
    msg.msg_controllen = 0;
  }
  cmsghdr* add(int level, int type, const void* data, std::size_t len,
               std::size_t claimed_len) {
    cmsghdr* c = reinterpret_cast<cmsghdr*>(buf + msg.msg_controllen);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(claimed_len);
    std::memcpy(CMSG_DATA(c), data, len);
    msg.msg_controllen += CMSG_SPACE(len);
    return c;
  }
  void add_nsid(std::int32_t nsid) {
    add(SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &nsid, sizeof(nsid), sizeof(nsid));
  }
};

TEST(NetlinkCmsg, NsidOfAnotherNetns) {
  Control c;
  c.add_nsid(3);
  EXPECT_EQ(listen_nsid_from_cmsg(&c.msg), std::optional<std::int32_t>(3));
}

TEST(NetlinkCmsg, NoControlMessageIsOurNetns) {
  Control c;
  EXPECT_EQ(listen_nsid_from_cmsg(&c.msg), std::nullopt);
  msghdr empty{};
  EXPECT_EQ(listen_nsid_from_cmsg(&empty), std::nullopt);
}

TEST(NetlinkCmsg, SkipsOtherControlMessages) {
  Control c;
  const std::uint32_t other = 0xdeadbeef;
  c.add(SOL_NETLINK, NETLINK_PKTINFO, &other, sizeof(other), sizeof(other));
  c.add(SOL_SOCKET, SCM_RIGHTS, &other, sizeof(other), sizeof(other));
  c.add_nsid(7);
  EXPECT_EQ(listen_nsid_from_cmsg(&c.msg), std::optional<std::int32_t>(7));
}

TEST(NetlinkCmsg, RefusesShortOrUnassigned) {
  {
    Control c;  // claims two bytes of data
    const std::int32_t nsid = 3;
    c.add(SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &nsid, sizeof(nsid), 2);
    EXPECT_EQ(listen_nsid_from_cmsg(&c.msg), std::nullopt);
  }
  {
    Control c;  // NETNSA_NSID_NOT_ASSIGNED
    c.add_nsid(-1);
    EXPECT_EQ(listen_nsid_from_cmsg(&c.msg), std::nullopt);
  }
}

std::uint16_t flags_of(const LinkTable& t, const char* name) {
  const LinkInfo* link = t.find(name);
  return link == nullptr ? 0xffff : t.port_flags(*link);
}

constexpr std::uint16_t kPeer = VNET_PORT_F_PEER;
constexpr std::uint16_t kPeerXdp = VNET_PORT_F_PEER | VNET_PORT_F_XDP_DELIVER;
constexpr Xdp kDrv{.attached = XDP_ATTACHED_DRV, .prog_id = 42, .drv = 42};
constexpr Xdp kSkb{.attached = XDP_ATTACHED_SKB, .prog_id = 43, .skb = 43};

TEST(PortFlags, ByKindAndPeer) {
  LinkInfo veth{.ifindex = 9, .name = "vm2-h", .kind = "veth"};
  LinkInfo tap{.ifindex = 10, .name = "tap0", .kind = "tun"};
  LinkInfo plain{.ifindex = 11, .name = "eth1"};
  EXPECT_EQ(port_flags_for(veth, false), kPeer);
  EXPECT_EQ(port_flags_for(veth, true), kPeerXdp);
  EXPECT_EQ(port_flags_for(tap, false), VNET_PORT_F_XDP_DELIVER);
  EXPECT_EQ(port_flags_for(tap, true), VNET_PORT_F_XDP_DELIVER);
  EXPECT_EQ(port_flags_for(plain, true), 0);
}

TEST(LinkTablePeers, ForeignPeerXdpSwitchesTheFlags) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1;
  // Our vm2-h (ifindex 9); its peer is ifindex 2 in the netns with id 3.
  t.apply(put_veth(b1, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  EXPECT_EQ(t.unknown_peers(), (std::vector<PeerRef>{{3, 2}}));

  changed.clear();
  t.set_peer({3, 2}, false, &changed);  // the first query: no XDP there
  EXPECT_TRUE(changed.empty());
  EXPECT_TRUE(t.unknown_peers().empty());

  // The VM attaches a native program: heard from netns 3.
  Buffer b2;
  t.apply_peer(3, put_vm_eth0(b2, RTM_NEWLINK, 2, 9, kDrv), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeerXdp);
  EXPECT_EQ(t.native_peers(), (std::vector<PeerRef>{{3, 2}}));

  // Generic mode gives no NAPI: back to tc.
  changed.clear();
  Buffer b3;
  t.apply_peer(3, put_vm_eth0(b3, RTM_NEWLINK, 2, 9, kSkb), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);

  // The query path says the same as the notification path.
  changed.clear();
  t.set_peer({3, 2}, true, &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeerXdp);

  // The peer is deleted (the VM's netns goes away): no XDP.
  changed.clear();
  Buffer b4;
  t.apply_peer(3, put_vm_eth0(b4, RTM_DELLINK, 2, 9, kDrv), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
}

TEST(LinkTablePeers, NotificationOnOurSideMakesANativePeerSuspect) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3, b4;
  t.apply(put_veth(b1, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  t.set_peer({3, 2}, true, &changed);
  changed.clear();
  // The kernel changes vm2-h's features as the VM detaches its program,
  // before it reports the detach from the VM's netns: back to tc at once.
  t.apply(put_veth(b2, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  EXPECT_EQ(t.suspect_peers(), (std::vector<PeerRef>{{3, 2}}));
  EXPECT_TRUE(t.unknown_peers().empty());
  // The VM's netns confirms: no longer suspect, still tc.
  changed.clear();
  t.apply_peer(3, put_vm_eth0(b3, RTM_NEWLINK, 2, 9, {}), &changed);
  EXPECT_TRUE(changed.empty());
  EXPECT_TRUE(t.suspect_peers().empty());
  // Another notification with the peer still native (say an MTU change):
  // suspect until the re-check answers, then XDP again.
  t.set_peer({3, 2}, true, &changed);
  t.apply(put_veth(b4, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  changed.clear();
  t.set_peer({3, 2}, true, &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeerXdp);
  EXPECT_TRUE(t.suspect_peers().empty());
}

TEST(LinkTablePeers, PeerMovedAwayIsAskedForAgain) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3;
  // Created in our netns, then the VM side moves out: the kernel reports
  // the peer's DELLINK here and nothing about our side.
  t.apply(put_veth(b1, RTM_NEWLINK, 3, "vmx-h", 2, std::nullopt), &changed);
  t.apply(put_veth(b2, RTM_NEWLINK, 2, "vmx-c", 3, std::nullopt), &changed);
  EXPECT_TRUE(t.orphaned_veths().empty());
  t.apply(put_veth(b3, RTM_DELLINK, 2, "vmx-c", 3, std::nullopt), &changed);
  EXPECT_EQ(t.orphaned_veths(), (std::vector<std::uint32_t>{3}));
  // Asked again: the peer is ifindex 2 of netns 0 now.
  LinkInfo moved = *t.find(3);
  moved.link_netnsid = 0;
  t.update(moved, &changed);
  EXPECT_TRUE(t.orphaned_veths().empty());
  EXPECT_EQ(t.unknown_peers(), (std::vector<PeerRef>{{0, 2}}));
}

TEST(LinkTablePeers, DumpDoesNotMakePeersSuspect) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1;
  t.apply(put_veth(b1, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  t.set_peer({3, 2}, true, &changed);
  std::map<std::uint32_t, LinkInfo> fresh;
  fresh[9] = *t.find(9);
  t.replace(fresh, &changed);
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeerXdp);
  EXPECT_TRUE(t.suspect_peers().empty());
}

TEST(LinkTablePeers, SameIfindexElsewhereIsNotOurPeer) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3, b4;
  t.apply(put_veth(b1, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  t.set_peer({3, 2}, false, &changed);
  changed.clear();
  // ifindex 2 in netns 4 (another VM's eth0) gets XDP: not our peer.
  t.apply_peer(4, put_vm_eth0(b2, RTM_NEWLINK, 2, 12, kDrv), &changed);
  EXPECT_TRUE(changed.empty());
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  // A message from another netns never becomes one of our links, even with
  // an ifindex and name we know.
  t.apply_peer(3, put_link(b3, RTM_DELLINK, 9, "vm2-h", "veth", 1500), &changed);
  ASSERT_NE(t.find("vm2-h"), nullptr);
  EXPECT_EQ(t.size(), 1u);
  // Our own ifindex 2 (the underlay, say) with native XDP: not the peer
  // either (the peer is ifindex 2 of netns 3).
  t.apply(put_link(b4, RTM_NEWLINK, 2, "eth0", "", 1500), &changed);
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  EXPECT_EQ(t.size(), 2u);
}

TEST(LinkTablePeers, PeerStateGoesWithTheVeth) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3;
  t.apply(put_veth(b1, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  t.set_peer({3, 2}, true, &changed);
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeerXdp);
  // The VM side moved to another netns (id 5): unknown there until asked,
  // so tc delivers meanwhile.
  changed.clear();
  t.apply(put_veth(b2, RTM_NEWLINK, 9, "vm2-h", 2, 5), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm2-h"}));
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  EXPECT_EQ(t.unknown_peers(), (std::vector<PeerRef>{{5, 2}}));
  EXPECT_TRUE(t.native_peers().empty());  // {3, 2} forgotten
  // A late answer about the old peer is dropped.
  t.set_peer({3, 2}, true, &changed);
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeer);
  // The veth is deleted: nothing left to ask for.
  t.apply(put_veth(b3, RTM_DELLINK, 9, "vm2-h", 2, 5), &changed);
  EXPECT_TRUE(t.foreign_peers().empty());
}

TEST(LinkTablePeers, PeerInOurNetns) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3;
  t.apply(put_veth(b1, RTM_NEWLINK, 5, "ct1-h", 6, std::nullopt), &changed);
  t.apply(put_veth(b2, RTM_NEWLINK, 6, "ct1-c", 5, std::nullopt), &changed);
  EXPECT_EQ(flags_of(t, "ct1-h"), kPeer);
  EXPECT_TRUE(t.foreign_peers().empty());
  changed.clear();
  t.apply(put_veth(b3, RTM_NEWLINK, 6, "ct1-c", 5, std::nullopt, kDrv), &changed);
  EXPECT_EQ(flags_of(t, "ct1-h"), kPeerXdp);
  EXPECT_EQ(flags_of(t, "ct1-c"), kPeer);  // its peer, ct1-h, has no XDP
  EXPECT_EQ(changed, (std::set<std::string>{"ct1-h"}));
}

TEST(LinkTablePeers, DumpKeepsWhatIsKnownOfPeers) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1;
  t.apply(put_veth(b1, RTM_NEWLINK, 9, "vm2-h", 2, 3), &changed);
  t.set_peer({3, 2}, true, &changed);
  changed.clear();
  std::map<std::uint32_t, LinkInfo> fresh;
  fresh[9] = *t.find(9);
  t.replace(fresh, &changed);
  EXPECT_TRUE(changed.empty());
  EXPECT_EQ(flags_of(t, "vm2-h"), kPeerXdp);
  EXPECT_EQ(t.foreign_peers(), (std::vector<PeerRef>{{3, 2}}));
}

TEST(LinkTable, AppearChangeVanish) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3, b4;
  t.apply(put_link(b1, RTM_NEWLINK, 7, "vm1-h", "veth", 1500), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm1-h"}));
  ASSERT_NE(t.find("vm1-h"), nullptr);
  EXPECT_EQ(t.find("vm1-h")->ifindex, 7u);

  changed.clear();  // same link again (an operstate change): not reported
  t.apply(put_link(b2, RTM_NEWLINK, 7, "vm1-h", "veth", 1500), &changed);
  EXPECT_TRUE(changed.empty());

  t.apply(put_link(b3, RTM_NEWLINK, 7, "vm1-h", "veth", 9000), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm1-h"}));
  EXPECT_EQ(t.find(7)->mtu, 9000u);

  changed.clear();
  t.apply(put_link(b4, RTM_DELLINK, 7, "vm1-h", "veth", 9000), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vm1-h"}));
  EXPECT_EQ(t.find("vm1-h"), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

// vnet's VXLAN device set down (by anyone) is a change: vnetd brings it
// back up at once. A VM's veth going down or up is not.
TEST(LinkTable, UpOrDownMattersForVxlanDevicesOnly) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3, b4;
  t.apply(put_link(b1, RTM_NEWLINK, 3, "vnet-vxlan", "vxlan", 1500), &changed);
  t.apply(put_link(b2, RTM_NEWLINK, 7, "vm1-h", "veth", 1500), &changed);
  changed.clear();
  nlmsghdr* down = put_link(b3, RTM_NEWLINK, 3, "vnet-vxlan", "vxlan", 1500);
  static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(down))->ifi_flags = 0;
  t.apply(down, &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"vnet-vxlan"}));
  changed.clear();
  nlmsghdr* vm_down = put_link(b4, RTM_NEWLINK, 7, "vm1-h", "veth", 1500);
  static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(vm_down))->ifi_flags = 0;
  t.apply(vm_down, &changed);
  EXPECT_TRUE(changed.empty());
}

TEST(LinkTable, RecreatedBeforeLateDellink) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2, b3;
  t.apply(put_link(b1, RTM_NEWLINK, 7, "vm1-h", "veth", 1500), &changed);
  t.apply(put_link(b2, RTM_NEWLINK, 9, "vm1-h", "veth", 1500), &changed);
  ASSERT_NE(t.find("vm1-h"), nullptr);
  EXPECT_EQ(t.find("vm1-h")->ifindex, 9u);
  EXPECT_EQ(t.find(7), nullptr);
  // The old ifindex's DELLINK arrives late: the name stays with ifindex 9.
  t.apply(put_link(b3, RTM_DELLINK, 7, "vm1-h", "veth", 1500), &changed);
  ASSERT_NE(t.find("vm1-h"), nullptr);
  EXPECT_EQ(t.find("vm1-h")->ifindex, 9u);
}

TEST(LinkTable, RenameReportsBothNames) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2;
  t.apply(put_link(b1, RTM_NEWLINK, 4, "tmp0", "tun", 1500), &changed);
  changed.clear();
  t.apply(put_link(b2, RTM_NEWLINK, 4, "vm2-h", "tun", 1500), &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"tmp0", "vm2-h"}));
  EXPECT_EQ(t.find("tmp0"), nullptr);
  ASSERT_NE(t.find("vm2-h"), nullptr);
}

TEST(LinkTable, ReplaceFromDump) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b1, b2;
  t.apply(put_link(b1, RTM_NEWLINK, 2, "eth0", "", 1500), &changed);
  t.apply(put_link(b2, RTM_NEWLINK, 3, "gone", "veth", 1500), &changed);
  changed.clear();
  std::map<std::uint32_t, LinkInfo> fresh;
  fresh[2] = LinkInfo{2, "eth0", "", 1500, 0, 0};
  fresh[5] = LinkInfo{5, "new", "veth", 1500, 0, 0};
  t.replace(fresh, &changed);
  EXPECT_EQ(changed, (std::set<std::string>{"gone", "new"}));
  EXPECT_EQ(t.size(), 2u);
}

TEST(LinkTable, IgnoresMalformed) {
  LinkTable t;
  std::set<std::string> changed;
  Buffer b;
  t.apply(put_link(b, RTM_NEWLINK, 3, nullptr, "veth", 1500), &changed);
  EXPECT_TRUE(changed.empty());
  EXPECT_EQ(t.size(), 0u);
}

// ---- xdp-features notifications (netdev generic netlink, "mgmt" group) ----

// A netdev family message: family id, command, optional NETDEV_A_DEV_IFINDEX.
nlmsghdr* netdev_msg(Buffer& b, std::uint16_t family, std::uint8_t cmd,
                     std::optional<std::uint32_t> ifindex) {
  nlmsghdr* nlh = b.header(family);
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = 1;
  if (ifindex) {
    mnl_attr_put_u32(nlh, 1, *ifindex);  // NETDEV_A_DEV_IFINDEX
  }
  return nlh;
}

TEST(XdpFeatureNotification, AddDeleteAndChangeNameTheirDevice) {
  constexpr std::uint16_t kFamily = 0x22;
  for (std::uint8_t cmd : {2, 3, 4}) {  // DEV_ADD_NTF, DEV_DEL_NTF, DEV_CHANGE_NTF
    Buffer b;
    EXPECT_EQ(xdp_feature_notification(netdev_msg(b, kFamily, cmd, 7), kFamily), 7u) << int(cmd);
  }
}

TEST(XdpFeatureNotification, OthersAreNotOnes) {
  constexpr std::uint16_t kFamily = 0x22;
  Buffer a, b, c, d;
  // Another family, a DEV_GET reply, a page-pool command, no ifindex.
  EXPECT_FALSE(xdp_feature_notification(netdev_msg(a, kFamily + 1, 4, 7), kFamily));
  EXPECT_FALSE(xdp_feature_notification(netdev_msg(b, kFamily, 1, 7), kFamily));
  EXPECT_FALSE(xdp_feature_notification(netdev_msg(c, kFamily, 8, 7), kFamily));
  EXPECT_FALSE(xdp_feature_notification(netdev_msg(d, kFamily, 4, std::nullopt), kFamily));
  // Too short for a genetlink header.
  Buffer e;
  nlmsghdr* nlh = e.header(kFamily);
  EXPECT_FALSE(xdp_feature_notification(nlh, kFamily));
}

}  // namespace
}  // namespace vnet::netlink

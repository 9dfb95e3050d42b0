// rtnetlink parsing and message factories on canned buffers: what the
// kernel would send (built with libmnl here) and malformed variants that
// must be refused rather than read past.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "netlink/links.h"
#include "netlink/messages.h"
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

}  // namespace
}  // namespace vnet::netlink

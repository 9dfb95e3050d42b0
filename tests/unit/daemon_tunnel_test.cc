// vnetd's VXLAN device (netlink/tunnel.h): what the link table must show
// for the device to be adopted as is, and the rtnetlink requests that
// create it, read back attribute by attribute.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <map>
#include <vector>

#include "netlink/messages.h"
#include "netlink/tunnel.h"

namespace vnet::netlink {
namespace {

LinkInfo vxlan_link(bool external, std::uint16_t port, bool up) {
  LinkInfo l;
  l.ifindex = 9;
  l.name = kTunnelDevice;
  l.kind = "vxlan";
  l.vxlan_external = external;
  l.vxlan_port = port;
  l.flags = up ? IFF_UP : 0;
  return l;
}

TEST(Tunnel, PlanAdoptsTheDeviceAsItIs) {
  const LinkInfo l = vxlan_link(true, 4789, true);
  EXPECT_EQ(plan_tunnel(&l, 4789), TunnelAction::kNone);
}

TEST(Tunnel, PlanCreatesWhenMissing) { EXPECT_EQ(plan_tunnel(nullptr, 4789), TunnelAction::kCreate); }

TEST(Tunnel, PlanSetsUpADownDevice) {
  const LinkInfo l = vxlan_link(true, 4789, false);
  EXPECT_EQ(plan_tunnel(&l, 4789), TunnelAction::kSetUp);
}

TEST(Tunnel, PlanRecreatesOnAnotherPortModeOrKind) {
  const LinkInfo other_port = vxlan_link(true, 8472, true);
  EXPECT_EQ(plan_tunnel(&other_port, 4789), TunnelAction::kRecreate);
  const LinkInfo not_external = vxlan_link(false, 4789, true);
  EXPECT_EQ(plan_tunnel(&not_external, 4789), TunnelAction::kRecreate);
  LinkInfo dummy = vxlan_link(true, 4789, true);
  dummy.kind = "dummy";
  EXPECT_EQ(plan_tunnel(&dummy, 4789), TunnelAction::kRecreate);
}

// Attributes of one nest level, by type.
using Attrs = std::map<std::uint16_t, const nlattr*>;
int collect_attr(const nlattr* a, void* data) {
  (*static_cast<Attrs*>(data))[mnl_attr_get_type(a)] = a;
  return MNL_CB_OK;
}
Attrs attrs_of(const nlattr* nest) {
  Attrs m;
  mnl_attr_parse_nested(nest, collect_attr, &m);
  return m;
}
Attrs top_attrs(const nlmsghdr* nlh) {
  Attrs m;
  mnl_attr_parse(nlh, sizeof(ifinfomsg), collect_attr, &m);
  return m;
}

TEST(Tunnel, CreateRequestIsAnExternalVxlanWithoutLearning) {
  std::vector<char> buf(kRequestBufferSize);
  nlmsghdr* nlh = build_vxlan_external_new(buf.data(), 7, "vnet-vxlan", 4789);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifm->ifi_flags & IFF_UP, 0u) << "created down: addrgenmode is set before it goes up";
  Attrs top = top_attrs(nlh);
  ASSERT_TRUE(top.count(IFLA_IFNAME));
  EXPECT_STREQ(mnl_attr_get_str(top[IFLA_IFNAME]), "vnet-vxlan");
  ASSERT_TRUE(top.count(IFLA_LINKINFO));
  auto info = attrs_of(top[IFLA_LINKINFO]);
  ASSERT_TRUE(info.count(IFLA_INFO_KIND));
  EXPECT_STREQ(mnl_attr_get_str(info[IFLA_INFO_KIND]), "vxlan");
  ASSERT_TRUE(info.count(IFLA_INFO_DATA));
  auto data = attrs_of(info[IFLA_INFO_DATA]);
  ASSERT_TRUE(data.count(IFLA_VXLAN_COLLECT_METADATA));
  EXPECT_EQ(mnl_attr_get_u8(data[IFLA_VXLAN_COLLECT_METADATA]), 1);
  ASSERT_TRUE(data.count(IFLA_VXLAN_LEARNING));
  EXPECT_EQ(mnl_attr_get_u8(data[IFLA_VXLAN_LEARNING]), 0);
  ASSERT_TRUE(data.count(IFLA_VXLAN_PORT));
  EXPECT_EQ(mnl_attr_get_u16(data[IFLA_VXLAN_PORT]), htons(4789));
}

TEST(Tunnel, NoIpv6AddressRequest) {
  std::vector<char> buf(kRequestBufferSize);
  nlmsghdr* nlh = build_link_no_ipv6_addr(buf.data(), 7, 9);
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(ifm->ifi_index, 9);
  Attrs top = top_attrs(nlh);
  ASSERT_TRUE(top.count(IFLA_AF_SPEC));
  auto families = attrs_of(top[IFLA_AF_SPEC]);
  ASSERT_TRUE(families.count(AF_INET6));
  auto inet6 = attrs_of(families[AF_INET6]);
  ASSERT_TRUE(inet6.count(IFLA_INET6_ADDR_GEN_MODE));
  EXPECT_EQ(mnl_attr_get_u8(inet6[IFLA_INET6_ADDR_GEN_MODE]), IN6_ADDR_GEN_MODE_NONE);
}

// What the kernel reports for the device: kind, and in IFLA_INFO_DATA the
// collect_md flag and the port (big-endian).
TEST(Tunnel, ParseReadsVxlanModeAndPort) {
  std::vector<char> buf(4096);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_index = 9;
  ifm->ifi_flags = IFF_UP;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "vnet-vxlan");
  nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, 0);
  mnl_attr_put_u8(nlh, IFLA_VXLAN_COLLECT_METADATA, 1);
  mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(8472));
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, info);
  auto link = parse_link(nlh);
  ASSERT_TRUE(link) << link.status().message();
  EXPECT_EQ(link->kind, "vxlan");
  EXPECT_TRUE(link->vxlan_external);
  EXPECT_EQ(link->vxlan_port, 8472);
  EXPECT_EQ(plan_tunnel(&*link, 8472), TunnelAction::kNone);
  EXPECT_EQ(plan_tunnel(&*link, 4789), TunnelAction::kRecreate);
}

}  // namespace
}  // namespace vnet::netlink

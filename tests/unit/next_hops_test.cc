// The VTEPs' underlay next hops (netlink/next_hops.h) and the rtnetlink
// fields they come from: neighbour link-layer addresses, ECMP routes, the
// underlay's own MAC, on canned messages built here with libmnl.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <vector>

#include "netlink/messages.h"
#include "netlink/next_hops.h"
#include "vnet/abi.h"

namespace vnet::netlink {
namespace {

Ipv4 ip(const char* s) { return *Ipv4::parse(s); }
Mac mac(const char* s) { return *Mac::parse(s); }

const Mac kGwMac = mac("02:aa:00:00:00:01");
const Mac kGwMac2 = mac("02:aa:00:00:00:02");
const Mac kUnderlayMac = mac("02:bb:00:00:00:01");

NeighInfo neigh(std::uint32_t ifindex, const char* dst, std::uint16_t state,
                std::optional<Mac> lladdr) {
  NeighInfo n;
  n.ifindex = ifindex;
  n.dst = ip(dst);
  n.state = state;
  n.lladdr = lladdr;
  return n;
}

LinkInfo underlay(std::uint32_t ifindex = 2) {
  LinkInfo l;
  l.ifindex = ifindex;
  l.name = "eth0";
  l.address = kUnderlayMac;
  return l;
}

// ---- messages -----------------------------------------------------------------

std::vector<char> g_buf(4096);

nlmsghdr* header(std::uint16_t type) {
  std::fill(g_buf.begin(), g_buf.end(), 0);
  nlmsghdr* nlh = mnl_nlmsg_put_header(g_buf.data());
  nlh->nlmsg_type = type;
  return nlh;
}

// An IPv4 route message of `type`; *rtm_out, when given, its header.
nlmsghdr* route_header(std::uint16_t type, rtmsg** rtm_out = nullptr) {
  nlmsghdr* nlh = header(type);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  if (rtm_out != nullptr) {
    *rtm_out = rtm;
  }
  return nlh;
}

TEST(NextHopMessages, NeighbourLinkLayerAddress) {
  nlmsghdr* nlh = header(RTM_NEWNEIGH);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET;
  ndm->ndm_ifindex = 2;
  ndm->ndm_state = NUD_REACHABLE;
  mnl_attr_put_u32(nlh, NDA_DST, htonl(0xc6120001));
  mnl_attr_put(nlh, NDA_LLADDR, 6, kGwMac.bytes.data());
  auto n = parse_neigh(nlh);
  ASSERT_TRUE(n && n->has_value());
  EXPECT_EQ((*n)->lladdr, kGwMac);
}

// An address of another length (an IPIP tunnel's 4 bytes) is not a MAC.
TEST(NextHopMessages, NeighbourAddressOfAnotherLengthIsNone) {
  nlmsghdr* nlh = header(RTM_NEWNEIGH);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET;
  mnl_attr_put_u32(nlh, NDA_DST, htonl(0xc6120001));
  mnl_attr_put_u32(nlh, NDA_LLADDR, 0x01020304);
  auto n = parse_neigh(nlh);
  ASSERT_TRUE(n && n->has_value());
  EXPECT_FALSE((*n)->lladdr.has_value());
}

TEST(NextHopMessages, DeletedNeighbourParses) {
  nlmsghdr* nlh = header(RTM_DELNEIGH);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET;
  mnl_attr_put_u32(nlh, NDA_DST, htonl(0xc6120001));
  EXPECT_TRUE(parse_neigh(nlh));
}

TEST(NextHopMessages, MultipathRoute) {
  rtmsg* rtm = nullptr;
  nlmsghdr* nlh = route_header(RTM_NEWROUTE, &rtm);
  rtm->rtm_type = RTN_UNICAST;
  nlattr* mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
  auto* nh = static_cast<rtnexthop*>(mnl_nlmsg_get_payload_tail(nlh));
  nh->rtnh_len = sizeof(*nh);
  nh->rtnh_ifindex = 3;
  nlh->nlmsg_len += MNL_ALIGN(sizeof(*nh));
  mnl_attr_nest_end(nlh, mp);
  auto r = parse_route(nlh);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_TRUE(r->multipath);
  EXPECT_EQ(r->oif, 0u);
}

TEST(NextHopMessages, SinglePathRouteIsNotMultipath) {
  nlmsghdr* nlh = route_header(RTM_NEWROUTE);
  mnl_attr_put_u32(nlh, RTA_OIF, 2);
  auto r = parse_route(nlh);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->multipath);
}

TEST(NextHopMessages, RouteGetAsksForTheFibEntryOnlyWhenTold) {
  char buf[kRequestBufferSize];
  const auto* rtm = static_cast<const rtmsg*>(
      mnl_nlmsg_get_payload(build_route_get(buf, 1, ip("198.18.0.2"), /*fib_match=*/true)));
  EXPECT_EQ(rtm->rtm_flags & RTM_F_FIB_MATCH, RTM_F_FIB_MATCH);
  rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(build_route_get(buf, 2, ip("198.18.0.2"))));
  EXPECT_EQ(rtm->rtm_flags & RTM_F_FIB_MATCH, 0u);
}

TEST(NextHopMessages, LinkAddress) {
  nlmsghdr* nlh = header(RTM_NEWLINK);
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_index = 2;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
  mnl_attr_put(nlh, IFLA_ADDRESS, 6, kUnderlayMac.bytes.data());
  auto l = parse_link(nlh);
  ASSERT_TRUE(l) << l.status().message();
  EXPECT_EQ(l->address, kUnderlayMac);
}

TEST(NextHopMessages, RouteNotificationPrefixAndTable) {
  rtmsg* rtm = nullptr;
  nlmsghdr* nlh = route_header(RTM_DELROUTE, &rtm);
  rtm->rtm_dst_len = 16;
  rtm->rtm_table = RT_TABLE_MAIN;
  mnl_attr_put_u32(nlh, RTA_DST, htonl(0xc6120000));  // 198.18.0.0
  auto r = parse_route(nlh);
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->dst.str(), "198.18.0.0/16");
  EXPECT_EQ(r->table, static_cast<std::uint32_t>(RT_TABLE_MAIN));
  // A table beyond 255 comes in RTA_TABLE.
  mnl_attr_put_u32(nlh, RTA_TABLE, 1000);
  r = parse_route(nlh);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->table, 1000u);
}

TEST(NextHopMessages, RouteThroughAnIpv6GatewayIsVia) {
  nlmsghdr* nlh = route_header(RTM_NEWROUTE);
  mnl_attr_put_u32(nlh, RTA_OIF, 2);
  const std::uint8_t via[18] = {AF_INET6 & 0xff, 0, 0xfe, 0x80};  // rtvia: family + fe80::
  mnl_attr_put(nlh, RTA_VIA, sizeof(via), via);
  auto r = parse_route(nlh);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->via);
  EXPECT_FALSE(r->gateway.has_value());
}

TEST(NextHopMessages, RouteRejectsAPrefixLongerThan32) {
  rtmsg* rtm = nullptr;
  nlmsghdr* nlh = route_header(RTM_NEWROUTE, &rtm);
  rtm->rtm_dst_len = 33;
  EXPECT_FALSE(parse_route(nlh));
}

// ---- policy routing rules -----------------------------------------------------

nlmsghdr* rule(std::uint32_t prio, std::uint8_t table, std::uint8_t src_len = 0,
              std::uint32_t suppress_prefixlen = ~0u) {
  nlmsghdr* nlh = header(RTM_NEWRULE);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET;
  frh->table = table;
  frh->action = FR_ACT_TO_TBL;
  frh->src_len = src_len;
  if (prio != 0) {
    mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);  // the kernel leaves out a priority of 0
  }
  mnl_attr_put_u8(nlh, FRA_PROTOCOL, 2);  // RTPROT_KERNEL
  mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, suppress_prefixlen);  // sent always
  return nlh;
}

RuleInfo parsed_rule(nlmsghdr* nlh) {
  auto r = parse_rule(nlh);
  EXPECT_TRUE(r && r->has_value());
  return r && r->has_value() ? **r : RuleInfo{};
}

TEST(NextHopRules, TheKernelsThreeDefaultsAreDefault) {
  EXPECT_TRUE(is_default_rule(parsed_rule(rule(0, RT_TABLE_LOCAL))));
  EXPECT_TRUE(is_default_rule(parsed_rule(rule(32766, RT_TABLE_MAIN))));
  EXPECT_TRUE(is_default_rule(parsed_rule(rule(32767, RT_TABLE_DEFAULT))));
}

TEST(NextHopRules, AnythingElseIsPolicyRouting) {
  // Another priority or table, a source prefix, a mark, an interface, a
  // table beyond 255 (FRA_TABLE).
  EXPECT_FALSE(is_default_rule(parsed_rule(rule(100, RT_TABLE_MAIN))));
  EXPECT_FALSE(is_default_rule(parsed_rule(rule(32766, 100))));
  nlmsghdr* from = rule(32766, RT_TABLE_MAIN, 24);
  mnl_attr_put_u32(from, FRA_SRC, htonl(0xc6120000));
  EXPECT_FALSE(is_default_rule(parsed_rule(from)));
  nlmsghdr* mark = rule(32766, RT_TABLE_MAIN);
  mnl_attr_put_u32(mark, FRA_FWMARK, 7);
  EXPECT_FALSE(is_default_rule(parsed_rule(mark)));
  nlmsghdr* iif = rule(32766, RT_TABLE_MAIN);
  mnl_attr_put_strz(iif, FRA_IIFNAME, "eth0");
  EXPECT_FALSE(is_default_rule(parsed_rule(iif)));
  // "suppress_prefixlength 0" (the suppressor is sent always, -1 unset)
  EXPECT_FALSE(is_default_rule(parsed_rule(rule(32766, RT_TABLE_MAIN, 0, 0))));
  nlmsghdr* big = rule(32766, RT_TABLE_COMPAT);
  mnl_attr_put_u32(big, FRA_TABLE, 1000);
  EXPECT_FALSE(is_default_rule(parsed_rule(big)));
}

TEST(NextHopRules, AnIpv6RuleIsNotOurs) {
  nlmsghdr* nlh = header(RTM_NEWRULE);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET6;
  auto r = parse_rule(nlh);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

// ---- which neighbour states give a MAC ------------------------------------------

TEST(NextHops, UsableMacFollowsTheKernelsValidStates) {
  for (std::uint16_t state : {NUD_REACHABLE, NUD_STALE, NUD_DELAY, NUD_PROBE, NUD_PERMANENT}) {
    EXPECT_EQ(usable_mac(neigh(2, "198.18.0.1", state, kGwMac)), kGwMac) << state;
  }
  for (std::uint16_t state : {NUD_INCOMPLETE, NUD_FAILED, NUD_NONE}) {
    EXPECT_FALSE(usable_mac(neigh(2, "198.18.0.1", state, kGwMac))) << state;
  }
  EXPECT_FALSE(usable_mac(neigh(2, "198.18.0.1", NUD_REACHABLE, std::nullopt)));
  EXPECT_FALSE(usable_mac(neigh(2, "198.18.0.1", NUD_NOARP, mac("00:00:00:00:00:00"))));
  EXPECT_FALSE(usable_mac(neigh(2, "198.18.0.1", NUD_PERMANENT, mac("01:00:5e:00:00:01"))));
}

// ---- the table ------------------------------------------------------------------

TEST(NextHops, ReplaceReportsWhatChanged) {
  NextHopTable t;
  const Ipv4 a = ip("198.18.1.2"), b = ip("198.18.1.3"), c = ip("198.18.1.4");
  std::map<Ipv4, NextHop> first{{a, {2, ip("198.18.0.1"), kGwMac}}, {b, {2, ip("198.18.0.1"), kGwMac}}};
  EXPECT_EQ(t.replace(first), (std::vector<Ipv4>{a, b}));
  EXPECT_TRUE(t.replace(first).empty());
  std::map<Ipv4, NextHop> second{{b, {2, ip("198.18.0.1"), kGwMac2}}, {c, {2, c, std::nullopt}}};
  EXPECT_EQ(t.replace(second), (std::vector<Ipv4>{a, b, c}));
  EXPECT_EQ(t.find(a), nullptr);
  ASSERT_NE(t.find(b), nullptr);
  EXPECT_EQ(t.find(b)->mac, kGwMac2);
}

// A notification about a gateway moves every VTEP behind it, and only those.
TEST(NextHops, NeighbourNotificationMovesEveryVtepBehindIt) {
  NextHopTable t;
  const Ipv4 a = ip("198.18.1.2"), b = ip("198.18.1.3"), onlink = ip("198.18.0.9");
  t.replace({{a, {2, ip("198.18.0.1"), std::nullopt}},
             {b, {2, ip("198.18.0.1"), std::nullopt}},
             {onlink, {2, onlink, kGwMac}}});
  EXPECT_EQ(t.apply(neigh(2, "198.18.0.1", NUD_REACHABLE, kGwMac), false), (std::vector<Ipv4>{a, b}));
  EXPECT_EQ(t.find(a)->mac, kGwMac);
  // Another state with the same MAC is no change.
  EXPECT_TRUE(t.apply(neigh(2, "198.18.0.1", NUD_STALE, kGwMac), false).empty());
  // A new MAC (the gateway replaced), then failure, then a delete.
  EXPECT_EQ(t.apply(neigh(2, "198.18.0.1", NUD_REACHABLE, kGwMac2), false), (std::vector<Ipv4>{a, b}));
  EXPECT_EQ(t.find(b)->mac, kGwMac2);
  EXPECT_EQ(t.apply(neigh(2, "198.18.0.1", NUD_FAILED, kGwMac2), false), (std::vector<Ipv4>{a, b}));
  EXPECT_FALSE(t.find(a)->mac);
  EXPECT_EQ(t.apply(neigh(2, "198.18.0.9", NUD_REACHABLE, kGwMac), true), (std::vector<Ipv4>{onlink}));
  EXPECT_FALSE(t.find(onlink)->mac);
  // The same address on another interface is another neighbour.
  EXPECT_TRUE(t.apply(neigh(3, "198.18.0.1", NUD_REACHABLE, kGwMac), false).empty());
  EXPECT_FALSE(t.find(a)->mac);
}

// A route change forgets the VTEPs its prefix covers; everything, all.
TEST(NextHops, ForgetByPrefixAndAll) {
  NextHopTable t;
  const Ipv4 a = ip("198.18.1.2"), b = ip("198.18.2.3");
  t.replace({{a, {2, ip("198.18.0.1"), kGwMac}}, {b, {2, ip("198.18.0.1"), kGwMac}}});
  EXPECT_EQ(t.forget(*Ipv4Prefix::parse("198.18.1.0/24")), (std::vector<Ipv4>{a}));
  EXPECT_EQ(t.find(a), nullptr);
  EXPECT_NE(t.find(b), nullptr);
  EXPECT_TRUE(t.forget(*Ipv4Prefix::parse("10.0.0.0/8")).empty());
  EXPECT_EQ(t.forget_all(), (std::vector<Ipv4>{b}));
  EXPECT_EQ(t.size(), 0u);
}

// ---- the map value ----------------------------------------------------------------

TEST(NextHops, VtepValueCarriesBothMacsOnlyWhenResolvedOnTheUnderlay) {
  const LinkInfo ul = underlay(2);
  const NextHop hop{2, ip("198.18.0.1"), kGwMac};
  const vnet_vtep v = vtep_value(&hop, &ul);
  EXPECT_EQ(v.flags, VNET_VTEP_F_NEXT_HOP);
  EXPECT_EQ(v.ifindex, 2u);
  EXPECT_EQ(0, std::memcmp(v.dmac, kGwMac.bytes.data(), 6));
  EXPECT_EQ(0, std::memcmp(v.smac, kUnderlayMac.bytes.data(), 6));

  const vnet_vtep none{};
  const auto is_none = [&](const vnet_vtep& x) { return std::memcmp(&x, &none, sizeof(x)) == 0; };
  EXPECT_TRUE(is_none(vtep_value(nullptr, &ul)));
  const NextHop unresolved{2, ip("198.18.0.1"), std::nullopt};
  EXPECT_TRUE(is_none(vtep_value(&unresolved, &ul)));
  const NextHop elsewhere{3, ip("198.18.0.1"), kGwMac};
  EXPECT_TRUE(is_none(vtep_value(&elsewhere, &ul)));
  EXPECT_TRUE(is_none(vtep_value(&hop, nullptr)));
  LinkInfo no_mac = ul;
  no_mac.address.reset();
  EXPECT_TRUE(is_none(vtep_value(&hop, &no_mac)));
}

}  // namespace
}  // namespace vnet::netlink

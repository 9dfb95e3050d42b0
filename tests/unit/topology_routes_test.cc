// topology::effective_routes: the table the datapath routes with.

#include <gtest/gtest.h>

#include "topology/routes.h"

namespace vnet::topology {
namespace {

Network net(const char* name, std::uint32_t vni, const char* subnet) {
  Network n;
  n.name = name;
  n.vni = vni;
  n.subnet = *Ipv4Prefix::parse(subnet);
  return n;
}

RouterInterface iface(const char* network, const char* ip, std::optional<Mac> mac = std::nullopt) {
  RouterInterface i;
  i.network = network;
  i.ip = *Ipv4Interface::parse(ip);
  i.mac = mac;
  return i;
}

Route route(const char* dst, const char* nh) {
  Route r;
  r.destination = *Ipv4Prefix::parse(dst);
  r.next_hop = *Ipv4::parse(nh);
  return r;
}

TEST(EffectiveRoutes, ConnectedThenStaticWithTheirEgress) {
  Topology t;
  t.networks = {net("blue", 1001, "10.0.1.0/24"), net("red", 1002, "10.0.2.0/24")};
  Router r;
  r.name = "r1";
  const Mac blue_mac = *Mac::parse("02:00:00:00:01:01");
  r.interfaces = {iface("blue", "10.0.1.1/24", blue_mac), iface("red", "10.0.2.1/24")};
  r.routes = {route("192.168.50.0/24", "10.0.2.254"), route("0.0.0.0/0", "10.0.1.254")};
  const Mac red_mac = effective_mac(r, r.interfaces[1]);
  const auto table = effective_routes(t, r);
  ASSERT_EQ(table.size(), 4u);
  EXPECT_EQ(table[0], (EffectiveRoute{*Ipv4Prefix::parse("10.0.1.0/24"), std::nullopt, "blue", blue_mac}));
  EXPECT_EQ(table[1], (EffectiveRoute{*Ipv4Prefix::parse("10.0.2.0/24"), std::nullopt, "red", red_mac}));
  EXPECT_EQ(table[2],
            (EffectiveRoute{*Ipv4Prefix::parse("192.168.50.0/24"), *Ipv4::parse("10.0.2.254"), "red", red_mac}));
  EXPECT_EQ(table[3], (EffectiveRoute{*Ipv4Prefix::parse("0.0.0.0/0"), *Ipv4::parse("10.0.1.254"), "blue",
                                      blue_mac}));
}

TEST(EffectiveRoutes, ConnectedWinsOverAStaticRouteToTheSameSubnet) {
  Topology t;
  t.networks = {net("blue", 1001, "10.0.1.0/24"), net("red", 1002, "10.0.2.0/24")};
  Router r;
  r.name = "r1";
  r.interfaces = {iface("blue", "10.0.1.1/24"), iface("red", "10.0.2.1/24")};
  r.routes = {route("10.0.1.0/24", "10.0.2.254")};
  const auto table = effective_routes(t, r);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_FALSE(table[0].next_hop.has_value());
  EXPECT_EQ(table[0].network, "blue");
}

TEST(EffectiveRoutes, NextHopOnNoAttachedNetworkIsLeftOut) {
  Topology t;
  t.networks = {net("blue", 1001, "10.0.1.0/24")};
  Router r;
  r.name = "r1";
  r.interfaces = {iface("blue", "10.0.1.1/24")};
  r.routes = {route("192.168.0.0/16", "10.9.9.9")};
  EXPECT_EQ(effective_routes(t, r).size(), 1u);
}

}  // namespace
}  // namespace vnet::topology

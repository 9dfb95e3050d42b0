// compile(): a multi-host, two-tenant topology (blue and red share
// 10.0.1.0/24 in different VNIs) checked entry by entry for one hypervisor,
// routers included (distributed routing: hv1 also holds green, which it
// reaches through rt).

#include <gtest/gtest.h>

#include <algorithm>

#include "compile/plan.h"

namespace vnet::compile {
namespace {

using topology::Endpoint;
using topology::Host;
using topology::HostRole;
using topology::Network;
using topology::Route;
using topology::Router;
using topology::RouterInterface;
using topology::Topology;

Ipv4 ip(const char* s) { return Ipv4::parse(s).value(); }
Ipv4Prefix pfx(const char* s) { return Ipv4Prefix::parse(s).value(); }
Mac mac(const char* s) { return Mac::parse(s).value(); }

Endpoint endpoint(const char* name, std::uint32_t id, const char* host, const char* network,
                  const char* iface, const char* m, const char* addr,
                  std::vector<Ipv4Prefix> allowed = {}) {
  Endpoint e;
  e.name = name;
  e.id = id;
  e.host = host;
  e.network = network;
  e.interface = iface;
  e.mac = mac(m);
  e.ip = ip(addr);
  e.allowed_addresses = std::move(allowed);
  return e;
}

//   hv1 198.18.0.1   b1 (blue), r1 (red)           <- the host under test
//   hv2 198.18.0.2   b2, b4 (blue, share VIP .100), g1 (green)
//   hv3 198.18.0.3   r2 (red)
//   sw1 198.18.0.10  b3 (blue, switch port)
//   rt  blue 10.0.1.1 (explicit MAC), green 10.0.3.1; 192.168.50.0/24 via b2
//   rt2 red 10.0.1.1 (derived MAC); 172.16.0.0/16 via r1
// r2 has b2's address in the other tenant and must not inherit rt's route.
Topology two_tenants() {
  Topology t;
  t.underlay.vxlan_port = 4789;
  t.underlay.mtu = 1500;
  t.hosts = {
      Host{.name = "hv1", .vtep_ip = ip("198.18.0.1"), .underlay_interface = "eth0"},
      Host{.name = "hv2", .vtep_ip = ip("198.18.0.2"), .underlay_interface = "eth0"},
      Host{.name = "hv3", .vtep_ip = ip("198.18.0.3"), .underlay_interface = "eth0"},
      Host{.name = "sw1",
           .role = HostRole::kSwitch,
           .vtep_ip = ip("198.18.0.10"),
           .underlay_interface = "lo"},
  };
  t.networks = {
      Network{.name = "blue", .vni = 1001, .subnet = pfx("10.0.1.0/24")},
      Network{.name = "red", .vni = 2002, .subnet = pfx("10.0.1.0/24")},
      Network{.name = "green", .vni = 3003, .subnet = pfx("10.0.3.0/24")},
  };
  t.endpoints = {
      endpoint("b1", 1, "hv1", "blue", "b1-h", "02:00:00:00:01:01", "10.0.1.11",
               {pfx("10.0.1.100/32")}),
      endpoint("b2", 2, "hv2", "blue", "b2-h", "02:00:00:00:01:02", "10.0.1.12",
               {pfx("10.0.1.100/32")}),
      endpoint("b3", 3, "sw1", "blue", "swp1", "02:00:00:00:01:03", "10.0.1.13"),
      endpoint("r1", 4, "hv1", "red", "r1-h", "02:00:00:00:02:01", "10.0.1.11"),
      endpoint("r2", 5, "hv3", "red", "r2-h", "02:00:00:00:02:02", "10.0.1.12"),
      endpoint("g1", 6, "hv2", "green", "g1-h", "02:00:00:00:03:01", "10.0.3.5"),
      endpoint("b4", 7, "hv2", "blue", "b4-h", "02:00:00:00:01:04", "10.0.1.14",
               {pfx("10.0.1.100/32")}),
  };
  Router rt;
  rt.name = "rt";
  rt.interfaces = {
      RouterInterface{.network = "blue",
                      .ip = Ipv4Interface::parse("10.0.1.1/24").value(),
                      .mac = mac("02:00:00:00:aa:01")},
      RouterInterface{.network = "green", .ip = Ipv4Interface::parse("10.0.3.1/24").value()},
  };
  rt.routes = {Route{.destination = pfx("192.168.50.0/24"), .next_hop = ip("10.0.1.12")}};
  Router rt2;
  rt2.name = "rt2";
  rt2.interfaces = {
      RouterInterface{.network = "red", .ip = Ipv4Interface::parse("10.0.1.1/24").value()}};
  rt2.routes = {Route{.destination = pfx("172.16.0.0/16"), .next_hop = ip("10.0.1.11")}};
  t.routers = {rt, rt2};
  return t;
}

TEST(Compile, HostFields) {
  auto plan = compile(two_tenants(), "hv1");
  ASSERT_TRUE(plan.is_ok()) << plan.status().message();
  EXPECT_EQ(plan->host, "hv1");
  EXPECT_EQ(plan->role, HostRole::kHypervisor);
  EXPECT_EQ(plan->vtep_ip, ip("198.18.0.1"));
  EXPECT_EQ(plan->underlay_interface, "eth0");
  EXPECT_EQ(plan->vxlan_port, 4789);
  EXPECT_EQ(plan->underlay_mtu, std::optional<std::uint32_t>(1500));
}

TEST(Compile, Ports) {
  auto plan = compile(two_tenants(), "hv1");
  ASSERT_TRUE(plan.is_ok());
  const std::vector<PlannedPort> want = {
      PlannedPort{.endpoint = "b1",
                  .endpoint_id = 1,
                  .interface = "b1-h",
                  .vni = 1001,
                  .mac = mac("02:00:00:00:01:01"),
                  .ip = ip("10.0.1.11"),
                  .sources = {pfx("10.0.1.11/32"), pfx("10.0.1.100/32")}},
      // rt2's route points at r1's address on red only, not at b1 (same IP, blue).
      PlannedPort{.endpoint = "r1",
                  .endpoint_id = 4,
                  .interface = "r1-h",
                  .vni = 2002,
                  .mac = mac("02:00:00:00:02:01"),
                  .ip = ip("10.0.1.11"),
                  .sources = {pfx("10.0.1.11/32"), pfx("172.16.0.0/16")}},
  };
  EXPECT_EQ(plan->ports, want);
}

TEST(Compile, Fdb) {
  auto plan = compile(two_tenants(), "hv1");
  ASSERT_TRUE(plan.is_ok());
  const Ipv4 hv2 = ip("198.18.0.2");
  const std::vector<PlannedFdb> want = {
      {.vni = 1001, .mac = mac("02:00:00:00:01:01"), .interface = "b1-h", .endpoint_id = 1},
      {.vni = 1001, .mac = mac("02:00:00:00:01:02"), .vtep = hv2, .ip = ip("10.0.1.12"), .endpoint_id = 2},
      {.vni = 1001,
       .mac = mac("02:00:00:00:01:03"),
       .vtep = ip("198.18.0.10"),
       .ip = ip("10.0.1.13"),
       .endpoint_id = 3},
      {.vni = 1001, .mac = mac("02:00:00:00:01:04"), .vtep = hv2, .ip = ip("10.0.1.14"), .endpoint_id = 7},
      {.vni = 2002, .mac = mac("02:00:00:00:02:01"), .interface = "r1-h", .endpoint_id = 4},
      {.vni = 2002,
       .mac = mac("02:00:00:00:02:02"),
       .vtep = ip("198.18.0.3"),
       .ip = ip("10.0.1.12"),
       .endpoint_id = 5},
      // green is not on hv1, but b1 reaches it through rt.
      {.vni = 3003, .mac = mac("02:00:00:00:03:01"), .vtep = hv2, .ip = ip("10.0.3.5"), .endpoint_id = 6},
  };
  EXPECT_EQ(plan->fdb, want);
}

TEST(Compile, Neigh) {
  const Topology topo = two_tenants();
  auto plan = compile(topo, "hv1");
  ASSERT_TRUE(plan.is_ok());
  // The gateways (rt's explicit MAC, rt2's derived one), the endpoints, and
  // green's g1: a next hop b1 reaches through rt.
  const Mac rt2_red = topology::effective_mac(topo.routers[1], topo.routers[1].interfaces[0]);
  const Mac rt_green = topology::effective_mac(topo.routers[0], topo.routers[0].interfaces[1]);
  const std::vector<PlannedNeigh> want = {
      {1001, ip("10.0.1.1"), mac("02:00:00:00:aa:01")},
      {1001, ip("10.0.1.11"), mac("02:00:00:00:01:01")},
      {1001, ip("10.0.1.12"), mac("02:00:00:00:01:02")},
      {1001, ip("10.0.1.13"), mac("02:00:00:00:01:03")},
      {1001, ip("10.0.1.14"), mac("02:00:00:00:01:04")},
      {2002, ip("10.0.1.1"), rt2_red},
      {2002, ip("10.0.1.11"), mac("02:00:00:00:02:01")},
      {2002, ip("10.0.1.12"), mac("02:00:00:00:02:02")},
      {3003, ip("10.0.3.1"), rt_green},
      {3003, ip("10.0.3.5"), mac("02:00:00:00:03:01")},
  };
  EXPECT_EQ(plan->neigh, want);
}

TEST(Compile, RemoteSources) {
  auto plan = compile(two_tenants(), "hv1");
  ASSERT_TRUE(plan.is_ok());
  const Ipv4 hv2 = ip("198.18.0.2");
  // b2 and b4 on hv2 share the VIP: one entry. b2 is next hop of rt's route.
  // r2 (red, same address as b2) gets no route prefix. g1 (green, hv2):
  // green is held for rt, its sources under green's VNI (the datapath finds
  // green through rt's route back to a routed frame's source).
  const std::vector<PlannedRemoteSrc> want = {
      {1001, hv2, pfx("10.0.1.12/32")},
      {1001, hv2, pfx("10.0.1.14/32")},
      {1001, hv2, pfx("10.0.1.100/32")},
      {1001, hv2, pfx("192.168.50.0/24")},
      {1001, ip("198.18.0.10"), pfx("10.0.1.13/32")},
      {2002, ip("198.18.0.3"), pfx("10.0.1.12/32")},
      {3003, hv2, pfx("10.0.3.5/32")},
  };
  EXPECT_EQ(plan->remote_src, want);
}

TEST(Compile, NetworksAndVteps) {
  auto plan = compile(two_tenants(), "hv1");
  ASSERT_TRUE(plan.is_ok());
  // green has no endpoint on hv1: absent, and hv2 is a VTEP only through blue.
  const std::vector<PlannedNetwork> want = {
      {.name = "blue",
       .vni = 1001,
       .remote_vteps = {ip("198.18.0.2"), ip("198.18.0.10")},
       .port_interfaces = {"b1-h"}},
      {.name = "red", .vni = 2002, .remote_vteps = {ip("198.18.0.3")}, .port_interfaces = {"r1-h"}},
  };
  EXPECT_EQ(plan->networks, want);
  const std::vector<Ipv4> vteps = {ip("198.18.0.2"), ip("198.18.0.3"), ip("198.18.0.10")};
  EXPECT_EQ(plan->vteps, vteps);
}

TEST(Compile, OtherHostsSeeTheirOwnSlice) {
  auto hv2 = compile(two_tenants(), "hv2");
  ASSERT_TRUE(hv2.is_ok());
  ASSERT_EQ(hv2->networks.size(), 2u);  // blue, green
  EXPECT_EQ(hv2->networks[0].vni, 1001u);
  EXPECT_EQ(hv2->networks[0].port_interfaces, (std::vector<std::string>{"b2-h", "b4-h"}));
  EXPECT_EQ(hv2->networks[1].vni, 3003u);
  EXPECT_TRUE(hv2->networks[1].remote_vteps.empty());
  // rt's gateway on green answers ARP there with its derived MAC.
  const Topology topo = two_tenants();
  const PlannedNeigh gw{3003, ip("10.0.3.1"),
                        topology::effective_mac(topo.routers[0], topo.routers[0].interfaces[1])};
  EXPECT_NE(std::find(hv2->neigh.begin(), hv2->neigh.end(), gw), hv2->neigh.end());

  auto sw = compile(two_tenants(), "sw1");
  ASSERT_TRUE(sw.is_ok());
  EXPECT_EQ(sw->role, HostRole::kSwitch);
  ASSERT_EQ(sw->ports.size(), 1u);
  EXPECT_EQ(sw->ports[0].interface, "swp1");
  EXPECT_EQ(sw->networks[0].remote_vteps, (std::vector<Ipv4>{ip("198.18.0.1"), ip("198.18.0.2")}));
}

TEST(Compile, RouterInterfacesAndRoutes) {
  const Topology topo = two_tenants();
  auto plan = compile(topo, "hv1");
  ASSERT_TRUE(plan.is_ok());
  const auto ids = router_ids(topo);
  const std::uint32_t rt = ids.at("rt"), rt2 = ids.at("rt2");
  const Mac rt_green = topology::effective_mac(topo.routers[0], topo.routers[0].interfaces[1]);
  const Mac rt2_red = topology::effective_mac(topo.routers[1], topo.routers[1].interfaces[0]);
  // Every interface of the routers attached here, rt's on green too (hv1
  // has no endpoint there; its VMs ping 10.0.3.1 all the same).
  const std::vector<PlannedRouterIface> ifaces = {
      {1001, mac("02:00:00:00:aa:01"), rt, ip("10.0.1.1")},
      {2002, rt2_red, rt2, ip("10.0.1.1")},
      {3003, rt_green, rt, ip("10.0.3.1")},
  };
  EXPECT_EQ(plan->router_ifaces, ifaces);
  // Both routers' whole tables, by (router id, destination).
  std::vector<PlannedRoute> routes = {
      {rt, pfx("10.0.1.0/24"), 1001, std::nullopt, mac("02:00:00:00:aa:01")},
      {rt, pfx("10.0.3.0/24"), 3003, std::nullopt, rt_green},
      {rt, pfx("192.168.50.0/24"), 1001, ip("10.0.1.12"), mac("02:00:00:00:aa:01")},
      {rt2, pfx("10.0.1.0/24"), 2002, std::nullopt, rt2_red},
      {rt2, pfx("172.16.0.0/16"), 2002, ip("10.0.1.11"), rt2_red},
  };
  std::sort(routes.begin(), routes.end(), [](const PlannedRoute& a, const PlannedRoute& b) {
    return std::tie(a.router_id, a.destination) < std::tie(b.router_id, b.destination);
  });
  EXPECT_EQ(plan->routes, routes);
  EXPECT_NE(rt, rt2);
  EXPECT_NE(rt, 0u);
}

TEST(Compile, RouterIdsDoNotDependOnOtherRouters) {
  Topology a = two_tenants();
  Topology b = two_tenants();
  b.routers.erase(b.routers.begin());  // without rt
  EXPECT_EQ(router_ids(a).at("rt2"), router_ids(b).at("rt2"));
}

TEST(Compile, HostWithoutEndpointsIsEmpty) {
  Topology t = two_tenants();
  t.hosts.push_back(Host{.name = "idle", .vtep_ip = ip("198.18.0.99"), .underlay_interface = "e"});
  auto plan = compile(t, "idle");
  ASSERT_TRUE(plan.is_ok());
  EXPECT_EQ(plan->vtep_ip, ip("198.18.0.99"));
  EXPECT_TRUE(plan->ports.empty());
  EXPECT_TRUE(plan->fdb.empty());
  EXPECT_TRUE(plan->neigh.empty());
  EXPECT_TRUE(plan->remote_src.empty());
  EXPECT_TRUE(plan->vteps.empty());
  EXPECT_TRUE(plan->networks.empty());
}

TEST(Compile, UnknownHostFails) {
  auto plan = compile(two_tenants(), "nope");
  ASSERT_FALSE(plan.is_ok());
  EXPECT_NE(plan.status().message().find("nope"), std::string::npos);
}

TEST(Compile, DeterministicAcrossSourceOrder) {
  const Topology topo = two_tenants();
  auto a = compile(topo, "hv1");
  auto b = compile(topo, "hv1");
  ASSERT_TRUE(a.is_ok());
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(*a, *b);

  // The same document written in another order compiles to the same plan.
  Topology shuffled = topo;
  std::reverse(shuffled.hosts.begin(), shuffled.hosts.end());
  std::reverse(shuffled.networks.begin(), shuffled.networks.end());
  std::reverse(shuffled.endpoints.begin(), shuffled.endpoints.end());
  std::reverse(shuffled.routers.begin(), shuffled.routers.end());
  for (auto& ep : shuffled.endpoints) {
    std::reverse(ep.allowed_addresses.begin(), ep.allowed_addresses.end());
  }
  auto c = compile(shuffled, "hv1");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(*a, *c);
}

}  // namespace
}  // namespace vnet::compile

// The loader end to end: a complete document into the expected structs,
// merging of files and documents, the shipped example, derived router MACs,
// lookups, and the datapath capacity checks.

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>

#include "topology/model.h"
#include "topology/parser.h"
#include "topology_test_util.h"
#include "vnet/abi.h"

namespace vnet::topology {
namespace {

using testing::load_one;
using testing::load_with_base;
using testing::Loads;
using testing::OnlyError;

Ipv4 ip(const char* s) { return *Ipv4::parse(s); }
Ipv4Prefix prefix(const char* s) { return *Ipv4Prefix::parse(s); }
Mac mac(const char* s) { return *Mac::parse(s); }

void ExpectLoc(const SourceLoc& loc, const char* file, int line, int column) {
  EXPECT_EQ(loc.file, file);
  EXPECT_EQ(loc.line, line);
  EXPECT_EQ(loc.column, column);
}

TEST(TopologyTest, CompleteDocumentRoundTripsIntoTheModel) {
  const auto r = load_one(R"(version: 1
underlay:
  vxlan_port: 4790
  mtu: 9000
hosts:
  - name: hv1
    role: hypervisor
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
  - name: leaf1
    role: switch
    vtep_ip: 198.18.1.10
networks:
  - name: blue
    vni: 1001
    subnet: 10.0.1.0/24
  - name: transit
    vni: 16777214
    subnet: 10.0.2.0/24
endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
    security_groups: [web, ssh]
    allowed_addresses: [10.0.1.100/32, 10.0.1.128/25]
  - name: bm1
    host: leaf1
    network: transit
    interface: swp1
    mac: 02:00:00:00:02:FE
    ip: 10.0.2.254
    vlan: 100
routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
        mac: 02:00:00:00:01:01
      - network: transit
        ip: 10.0.2.1/24
    routes:
      - destination: 192.168.50.0/24
        next_hop: 10.0.2.254
      - destination: 0.0.0.0/0
        next_hop: 10.0.2.254
security_groups:
  - name: web
    rules:
      - direction: ingress
        protocol: tcp
        ports: 80
        remote_cidr: 0.0.0.0/0
      - direction: ingress
        protocol: udp
        ports: "5000-5010"
        remote_group: web
      - direction: ingress
        protocol: icmp
        icmp_type: 8
        icmp_code: 0
      - direction: egress
        protocol: any
      - direction: egress
        protocol: 47
  - name: ssh
)");
  ASSERT_TRUE(Loads(r));
  const Topology& t = *r.topology;

  EXPECT_EQ(t.underlay.vxlan_port, 4790);
  EXPECT_EQ(t.underlay.mtu, 9000u);

  ASSERT_EQ(t.hosts.size(), 2u);
  EXPECT_EQ(t.hosts[0].name, "hv1");
  EXPECT_EQ(t.hosts[0].role, HostRole::kHypervisor);
  EXPECT_EQ(t.hosts[0].vtep_ip, ip("198.18.0.1"));
  EXPECT_EQ(t.hosts[0].underlay_interface, "eth0");
  ExpectLoc(t.hosts[0].loc, "t.yaml", 6, 5);
  EXPECT_EQ(t.hosts[1].name, "leaf1");
  EXPECT_EQ(t.hosts[1].role, HostRole::kSwitch);
  EXPECT_EQ(t.hosts[1].vtep_ip, ip("198.18.1.10"));
  EXPECT_EQ(t.hosts[1].underlay_interface, "");
  ExpectLoc(t.hosts[1].loc, "t.yaml", 10, 5);

  ASSERT_EQ(t.networks.size(), 2u);
  EXPECT_EQ(t.networks[0].name, "blue");
  EXPECT_EQ(t.networks[0].vni, 1001u);
  EXPECT_EQ(t.networks[0].subnet, prefix("10.0.1.0/24"));
  ExpectLoc(t.networks[0].loc, "t.yaml", 14, 5);
  EXPECT_EQ(t.networks[1].vni, 16777214u);

  ASSERT_EQ(t.endpoints.size(), 2u);
  const Endpoint& vm1 = t.endpoints[0];
  EXPECT_EQ(vm1.name, "vm1");
  EXPECT_EQ(vm1.id, 0u);  // the store assigns ids
  EXPECT_EQ(vm1.host, "hv1");
  EXPECT_EQ(vm1.network, "blue");
  EXPECT_EQ(vm1.interface, "vm1-h");
  EXPECT_EQ(vm1.mac, mac("02:00:00:00:00:11"));
  EXPECT_EQ(vm1.ip, ip("10.0.1.11"));
  EXPECT_FALSE(vm1.vlan);
  EXPECT_EQ(vm1.security_groups, (std::vector<std::string>{"web", "ssh"}));
  EXPECT_EQ(vm1.allowed_addresses,
            (std::vector<Ipv4Prefix>{prefix("10.0.1.100/32"), prefix("10.0.1.128/25")}));
  ExpectLoc(vm1.loc, "t.yaml", 21, 5);
  const Endpoint& bm1 = t.endpoints[1];
  EXPECT_EQ(bm1.mac, mac("02:00:00:00:02:fe"));
  EXPECT_EQ(bm1.vlan, 100);
  EXPECT_TRUE(bm1.security_groups.empty());
  EXPECT_TRUE(bm1.allowed_addresses.empty());

  ASSERT_EQ(t.routers.size(), 1u);
  const Router& r1 = t.routers[0];
  EXPECT_EQ(r1.name, "r1");
  ExpectLoc(r1.loc, "t.yaml", 37, 5);
  ASSERT_EQ(r1.interfaces.size(), 2u);
  EXPECT_EQ(r1.interfaces[0].network, "blue");
  EXPECT_EQ(r1.interfaces[0].ip, *Ipv4Interface::parse("10.0.1.1/24"));
  EXPECT_EQ(r1.interfaces[0].mac, mac("02:00:00:00:01:01"));
  ExpectLoc(r1.interfaces[0].loc, "t.yaml", 39, 9);
  EXPECT_EQ(r1.interfaces[1].network, "transit");
  EXPECT_FALSE(r1.interfaces[1].mac);
  ASSERT_EQ(r1.routes.size(), 2u);
  EXPECT_EQ(r1.routes[0].destination, prefix("192.168.50.0/24"));
  EXPECT_EQ(r1.routes[0].next_hop, ip("10.0.2.254"));
  ExpectLoc(r1.routes[0].loc, "t.yaml", 45, 9);
  EXPECT_EQ(r1.routes[1].destination, prefix("0.0.0.0/0"));

  ASSERT_EQ(t.security_groups.size(), 2u);
  const SecurityGroup& web = t.security_groups[0];
  ASSERT_EQ(web.rules.size(), 5u);
  const Rule& tcp = web.rules[0];
  EXPECT_EQ(tcp.direction, Direction::kIngress);
  EXPECT_EQ(tcp.protocol, 6);
  EXPECT_EQ(tcp.port_min, 80);
  EXPECT_EQ(tcp.port_max, 80);
  EXPECT_FALSE(tcp.icmp_type);
  EXPECT_EQ(tcp.remote_cidr, prefix("0.0.0.0/0"));
  EXPECT_FALSE(tcp.remote_group);
  ExpectLoc(tcp.loc, "t.yaml", 52, 9);
  const Rule& udp = web.rules[1];
  EXPECT_EQ(udp.protocol, 17);
  EXPECT_EQ(udp.port_min, 5000);
  EXPECT_EQ(udp.port_max, 5010);
  EXPECT_FALSE(udp.remote_cidr);
  EXPECT_EQ(udp.remote_group, "web");
  const Rule& icmp = web.rules[2];
  EXPECT_EQ(icmp.protocol, 1);
  EXPECT_EQ(icmp.icmp_type, 8);
  EXPECT_EQ(icmp.icmp_code, 0);
  EXPECT_FALSE(icmp.port_min);
  EXPECT_FALSE(icmp.remote_cidr);
  EXPECT_FALSE(icmp.remote_group);
  const Rule& any = web.rules[3];
  EXPECT_EQ(any.direction, Direction::kEgress);
  EXPECT_FALSE(any.protocol);
  EXPECT_FALSE(any.port_min);
  EXPECT_EQ(web.rules[4].protocol, 47);
  EXPECT_EQ(t.security_groups[1].name, "ssh");
  EXPECT_TRUE(t.security_groups[1].rules.empty());
}

TEST(TopologyTest, FilesAndDocumentsMergeInOrder) {
  const auto r = load_strings({
      {"infra.yaml", R"(version: 1
underlay:
  mtu: 1500
hosts:
  - name: hv1
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
---
hosts:
  - name: hv2
    vtep_ip: 198.18.0.2
    underlay_interface: eth0
)"},
      {"empty.yaml", "# nothing here yet\n"},
      {"tenant.yaml", R"(networks:
  - name: blue
    vni: 1001
    subnet: 10.0.1.0/24
endpoints:
  - name: vm2
    host: hv2
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:12
    ip: 10.0.1.12
security_groups:
  - name: web
)"},
      {"vm1.yaml", R"(version: 1
endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
    security_groups: [web]
)"},
  });
  ASSERT_TRUE(Loads(r));
  const Topology& t = *r.topology;
  EXPECT_EQ(t.underlay.mtu, 1500u);
  ASSERT_EQ(t.hosts.size(), 2u);
  EXPECT_EQ(t.hosts[0].name, "hv1");
  EXPECT_EQ(t.hosts[1].name, "hv2");
  ExpectLoc(t.hosts[1].loc, "infra.yaml", 10, 5);
  ASSERT_EQ(t.endpoints.size(), 2u);
  EXPECT_EQ(t.endpoints[0].name, "vm2");
  EXPECT_EQ(t.endpoints[1].name, "vm1");
  ExpectLoc(t.endpoints[1].loc, "vm1.yaml", 3, 5);
  EXPECT_EQ(t.endpoints[1].security_groups, std::vector<std::string>{"web"});
}

TEST(TopologyTest, ShippedExampleLoads) {
  const auto r = load_files({VNET_SOURCE_DIR "/examples/two-tenants.yaml"});
  ASSERT_TRUE(Loads(r));
  const Topology& t = *r.topology;
  ASSERT_EQ(t.hosts.size(), 3u);
  EXPECT_EQ(t.find_host("hv3")->vtep_ip, ip("198.18.1.3"));
  for (const Host& h : t.hosts) {
    EXPECT_EQ(h.underlay_interface, "eth0");
  }
  const Network* blue = t.find_network("blue");
  const Network* red = t.find_network("red");
  ASSERT_TRUE(blue && red);
  EXPECT_EQ(blue->vni, 1001u);
  EXPECT_EQ(red->vni, 2001u);
  EXPECT_EQ(blue->subnet, red->subnet);
  EXPECT_EQ(t.find_endpoint("vm1")->interface, "vm1-h");
  EXPECT_EQ(t.find_endpoint("vm1")->ip, t.find_endpoint("vm4")->ip);
  std::set<std::string> hosts_of_endpoints;
  for (const Endpoint& ep : t.endpoints) {
    hosts_of_endpoints.insert(ep.host);
  }
  EXPECT_EQ(hosts_of_endpoints.size(), 3u);
  ASSERT_NE(t.find_router("r1"), nullptr);
  ASSERT_NE(t.find_security_group("web"), nullptr);
  EXPECT_FALSE(t.find_security_group("web")->rules.empty());
}

TEST(TopologyTest, FindByName) {
  const auto r = load_with_base("routers:\n  - name: r1\n    interfaces: []\n");
  ASSERT_TRUE(Loads(r));
  const Topology& t = *r.topology;
  EXPECT_EQ(t.find_host("hv2"), &t.hosts[1]);
  EXPECT_EQ(t.find_network("green"), &t.networks[2]);
  EXPECT_EQ(t.find_router("r1"), &t.routers[0]);
  EXPECT_EQ(t.find_security_group("web"), &t.security_groups[0]);
  EXPECT_EQ(t.find_host("hv9"), nullptr);
  EXPECT_EQ(t.find_network(""), nullptr);
  EXPECT_EQ(t.find_endpoint("vm1"), nullptr);
}

TEST(TopologyTest, SourceLocAndDiagnosticText) {
  EXPECT_EQ((SourceLoc{"a.yaml", 12, 5}).str(), "a.yaml:12:5");
  EXPECT_EQ((SourceLoc{"a.yaml", 0, 0}).str(), "a.yaml");
  EXPECT_EQ((Diagnostic{SourceLoc{"a.yaml", 3, 7}, "bad"}).str(), "a.yaml:3:7: bad");
  EXPECT_EQ((Diagnostic{SourceLoc{}, "no topology given"}).str(), "no topology given");
}

// ---- effective_mac ----------------------------------------------------------------------

TEST(EffectiveMacTest, ExplicitMacWins) {
  Router r{.name = "r1"};
  RouterInterface iface{.network = "blue", .mac = mac("02:00:00:00:01:01")};
  EXPECT_EQ(effective_mac(r, iface), mac("02:00:00:00:01:01"));
}

TEST(EffectiveMacTest, DerivedFromFnv1aOfRouterAndNetwork) {
  // 02 + the top five bytes of FNV-1a-64("r1/blue"), computed independently.
  Router r{.name = "r1"};
  EXPECT_EQ(effective_mac(r, RouterInterface{.network = "blue"}), mac("02:78:48:f2:4c:13"));
  EXPECT_EQ(effective_mac(r, RouterInterface{.network = "blue2"}), mac("02:fe:a8:62:45:4f"));
}

TEST(EffectiveMacTest, DerivedMacIsStableUnicastAndLocallyAdministered) {
  for (const char* router : {"r1", "r2", "edge", "x"}) {
    for (const char* network : {"blue", "red", "n", "tenant-a.db"}) {
      const Router r{.name = router};
      const RouterInterface iface{.network = network};
      const Mac m = effective_mac(r, iface);
      EXPECT_EQ(m.bytes[0], 0x02);
      EXPECT_FALSE(m.is_multicast());
      EXPECT_FALSE(m.is_zero());
      EXPECT_EQ(m, effective_mac(r, iface));
    }
  }
  EXPECT_NE(effective_mac(Router{.name = "r1"}, RouterInterface{.network = "blue"}),
            effective_mac(Router{.name = "r2"}, RouterInterface{.network = "blue"}));
  EXPECT_NE(effective_mac(Router{.name = "r1"}, RouterInterface{.network = "blue"}),
            effective_mac(Router{.name = "r1"}, RouterInterface{.network = "red"}));
}

// ---- capacity ----------------------------------------------------------------------------

// One endpoint per line as a flow mapping: endpoint i is on line i + 2, its
// mapping at column 5.
std::string endpoint_line(const std::string& name, const std::string& host,
                          const std::string& network, int n, const std::string& ip) {
  char mac_text[32];
  std::snprintf(mac_text, sizeof(mac_text), "\"02:00:00:%02x:%02x:%02x\"", (n >> 16) & 0xff,
                (n >> 8) & 0xff, n & 0xff);
  return "  - {name: " + name + ", host: " + host + ", network: " + network +
         ", interface: " + name + "-h, mac: " + mac_text + ", ip: " + ip + "}\n";
}

std::string blue_endpoints(int count, const std::string& host) {
  std::string text = "endpoints:\n";
  for (int i = 0; i < count; ++i) {
    text +=
        endpoint_line("e" + std::to_string(i), host, "blue", i, "10.0.1." + std::to_string(i + 2));
  }
  return text;
}

TEST(TopologyCapacityTest, FloodPortsPerNetworkOnAHypervisor) {
  ASSERT_EQ(VNET_MAX_FLOOD_PORTS, 64);
  EXPECT_TRUE(Loads(load_with_base(blue_endpoints(VNET_MAX_FLOOD_PORTS, "hv1"))));
  EXPECT_TRUE(
      OnlyError(load_with_base(blue_endpoints(VNET_MAX_FLOOD_PORTS + 1, "hv1")), "t.yaml:66:5",
                {"endpoint 'e64'", "network 'blue' has more than 64 endpoints on host 'hv1'",
                 "VNET_MAX_FLOOD_PORTS"}));
  // A switch programs a Linux bridge: no such limit.
  EXPECT_TRUE(Loads(load_with_base(blue_endpoints(VNET_MAX_FLOOD_PORTS + 1, "sw1"))));
}

TEST(TopologyCapacityTest, PortsPerHypervisor) {
  // 65 networks of 64 endpoints each stay within the flood limit; the
  // The (VNET_MAX_PORTS + 1)th endpoint on hv1 does not fit.
  std::string nets = "networks:\n";
  for (int k = 0; k < VNET_MAX_PORTS / 64 + 1; ++k) {
    nets += "  - {name: n" + std::to_string(k) + ", vni: " + std::to_string(10 + k) +
            ", subnet: 10.100." + std::to_string(k) + ".0/24}\n";
  }
  std::string eps = "endpoints:\n";
  for (int i = 0; i < VNET_MAX_PORTS + 1; ++i) {
    const int k = i / 64;
    eps += endpoint_line("e" + std::to_string(i), "hv1", "n" + std::to_string(k), i,
                         "10.100." + std::to_string(k) + "." + std::to_string(i % 64 + 1));
  }
  const auto r = load_strings(
      {{"base.yaml", std::string(testing::kBase)}, {"nets.yaml", nets}, {"t.yaml", eps}});
  EXPECT_TRUE(
      OnlyError(r, "t.yaml:" + std::to_string(VNET_MAX_PORTS + 2) + ":5",
                {"endpoint 'e" + std::to_string(VNET_MAX_PORTS) + "'",
                 "host 'hv1' has more than " + std::to_string(VNET_MAX_PORTS) + " endpoints",
                 "VNET_MAX_PORTS"}));
}

std::string hosts_on_blue(int count) {
  std::string text = "hosts:\n";
  for (int i = 0; i < count; ++i) {
    text += "  - {name: h" + std::to_string(i) + ", vtep_ip: 198.19." + std::to_string(i / 200) +
            "." + std::to_string(i % 200 + 1) + ", underlay_interface: eth0}\n";
  }
  text += "endpoints:\n";
  for (int i = 0; i < count; ++i) {
    text += endpoint_line("e" + std::to_string(i), "h" + std::to_string(i), "blue", i,
                          "10.0.1." + std::to_string(i + 2));
  }
  return text;
}

TEST(TopologyCapacityTest, FloodVtepsPerNetwork) {
  ASSERT_EQ(VNET_MAX_FLOOD_VTEPS, 64);
  EXPECT_TRUE(Loads(load_with_base(hosts_on_blue(VNET_MAX_FLOOD_VTEPS + 1))));
  EXPECT_TRUE(OnlyError(
      load_with_base(hosts_on_blue(VNET_MAX_FLOOD_VTEPS + 2)), "base.yaml:13:5",
      {"network 'blue' has endpoints on 66 hosts", "VNET_MAX_FLOOD_VTEPS", "at most 65 hosts"}));
}

// Capacities too large to write as YAML in a unit test are checked on
// Topology values built in code.
Topology base_topology() {
  auto r = load_strings({{"base.yaml", std::string(testing::kBase)}});
  EXPECT_TRUE(Loads(r));
  Topology t = *r.topology;
  t.networks.push_back(Network{.name = "big",
                               .vni = 9000,
                               .subnet = prefix("10.128.0.0/9"),
                               .loc = SourceLoc{"big.yaml", 1, 1}});
  return t;
}

Endpoint big_endpoint(std::uint32_t n, const std::string& host,
                      const std::string& network = "big") {
  Endpoint ep;
  ep.name = "e" + std::to_string(n);
  ep.host = host;
  ep.network = network;
  ep.interface = "e" + std::to_string(n);
  ep.mac.bytes = {0x02,
                  0x01,
                  static_cast<std::uint8_t>(n >> 24),
                  static_cast<std::uint8_t>(n >> 16),
                  static_cast<std::uint8_t>(n >> 8),
                  static_cast<std::uint8_t>(n)};
  ep.ip = Ipv4{prefix("10.128.0.0/9").addr.value + 1 + n};
  ep.loc = SourceLoc{"big.yaml", static_cast<int>(n) + 2, 5};
  return ep;
}

TEST(TopologyCapacityTest, AddressEntriesPerHypervisor) {
  // hv1 has one endpoint on "big"; the switch sw1 has all the others, which
  // hv1 must still know. One router interface tips it over.
  Topology t = base_topology();
  t.endpoints.push_back(big_endpoint(0, "hv1"));
  for (std::uint32_t n = 1; n < VNET_MAX_FDB; ++n) {
    t.endpoints.push_back(big_endpoint(n, "sw1"));
  }
  EXPECT_TRUE(validate(t).empty());
  t.routers.push_back(
      Router{.name = "r1",
             .interfaces = {RouterInterface{.network = "big",
                                            .ip = *Ipv4Interface::parse("10.255.255.254/9")}}});
  const auto errors = validate(t);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].loc.str(), "base.yaml:3:5");
  EXPECT_NE(
      errors[0].message.find("host 'hv1': its networks have 262145 endpoint and router addresses"),
      std::string::npos)
      << errors[0].str();
  EXPECT_NE(errors[0].message.find("VNET_MAX_FDB"), std::string::npos);
}

TEST(TopologyCapacityTest, SourcePrefixesPerHypervisor) {
  // Each endpoint's ip and allowed address count, on every host of the network.
  Topology t = base_topology();
  t.endpoints.push_back(big_endpoint(0, "hv1"));
  for (std::uint32_t n = 1; n < VNET_MAX_SRC_PREFIXES / 2; ++n) {
    t.endpoints.push_back(big_endpoint(n, "sw1"));
    t.endpoints.back().allowed_addresses.push_back(prefix("192.168.0.0/16"));
  }
  EXPECT_TRUE(validate(t).empty());  // 1 + 2 * 131071 = 262143
  t.endpoints[0].allowed_addresses = {prefix("192.168.1.0/24"), prefix("192.168.2.0/24")};
  const auto errors = validate(t);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].loc.str(), "base.yaml:3:5");
  EXPECT_NE(errors[0].message.find("262145 source prefixes"), std::string::npos) << errors[0].str();
  EXPECT_NE(errors[0].message.find("VNET_MAX_SRC_PREFIXES"), std::string::npos);
}

TEST(TopologyCapacityTest, RoutedNetworksCountOnEveryHostTheirRouterReaches) {
  // hv1 has one endpoint, on blue. A router joining blue and "big" (whose
  // endpoints are on the switch) makes hv1 hold big, its sources included.
  Topology t = base_topology();
  Endpoint b = big_endpoint(0, "hv1", "blue");
  b.ip = ip("10.0.1.5");
  t.endpoints.push_back(b);
  for (std::uint32_t n = 1; n < VNET_MAX_SRC_PREFIXES / 2; ++n) {
    t.endpoints.push_back(big_endpoint(n, "sw1"));
    t.endpoints.back().allowed_addresses.push_back(prefix("192.168.0.0/16"));
  }
  EXPECT_TRUE(validate(t).empty());
  t.routers.push_back(Router{
      .name = "r1",
      .interfaces = {
          RouterInterface{.network = "blue", .ip = *Ipv4Interface::parse("10.0.1.1/24")},
          RouterInterface{.network = "big", .ip = *Ipv4Interface::parse("10.255.255.254/9")}}});
  // b's 1 + big's 2 * 131071: 262143 fit; two more addresses of b make
  // 262145.
  const auto fits = validate(t);
  EXPECT_TRUE(fits.empty()) << (fits.empty() ? "" : fits[0].str());
  t.endpoints[0].allowed_addresses = {prefix("192.168.1.0/24"), prefix("192.168.2.0/24")};
  const auto errors = validate(t);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].loc.str(), "base.yaml:3:5");
  EXPECT_NE(errors[0].message.find("262145 source prefixes"), std::string::npos) << errors[0].str();
}

TEST(TopologyCapacityTest, RoutesPerHypervisor) {
  Topology t = base_topology();
  Endpoint b = big_endpoint(0, "hv1", "blue");
  b.ip = ip("10.0.1.5");
  t.endpoints.push_back(b);
  Router r{.name = "r1",
           .interfaces = {RouterInterface{.network = "blue",
                                          .ip = *Ipv4Interface::parse("10.0.1.1/24")}}};
  // One connected route plus VNET_MAX_ROUTES - 1 static ones fit.
  for (std::uint32_t k = 0; k + 1 < VNET_MAX_ROUTES; ++k) {
    r.routes.push_back(
        Route{.destination = Ipv4Prefix{Ipv4{0xac000000u + (k << 8)}, 24}, .next_hop = b.ip});
  }
  t.routers.push_back(r);
  EXPECT_TRUE(validate(t).empty());
  t.routers[0].routes.push_back(
      Route{.destination = *Ipv4Prefix::parse("192.168.99.0/24"), .next_hop = b.ip});
  const auto errors = validate(t);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("65537 routes"), std::string::npos) << errors[0].str();
  EXPECT_NE(errors[0].message.find("VNET_MAX_ROUTES"), std::string::npos);
}

TEST(TopologyCapacityTest, RemoteVtepsPerHypervisor) {
  // hv1 is on 65 networks, each shared with 64 hosts of its own: 4160
  // remote VTEPs, each flood list within its limit.
  Topology t;
  t.hosts.push_back(Host{.name = "hv1",
                         .vtep_ip = ip("198.18.0.1"),
                         .underlay_interface = "eth0",
                         .loc = SourceLoc{"h.yaml", 1, 1}});
  std::uint32_t n = 0;
  for (std::uint32_t k = 0; k < 65; ++k) {
    const std::string net = "n" + std::to_string(k);
    t.networks.push_back(Network{.name = net, .vni = k + 1, .subnet = prefix("10.128.0.0/9")});
    t.endpoints.push_back(big_endpoint(n++, "hv1", net));
    for (std::uint32_t j = 0; j < VNET_MAX_FLOOD_VTEPS; ++j) {
      const std::string host = "h" + std::to_string(t.hosts.size());
      t.hosts.push_back(
          Host{.name = host,
               .vtep_ip = Ipv4{ip("198.19.0.0").value + static_cast<std::uint32_t>(t.hosts.size())},
               .underlay_interface = "eth0"});
      t.endpoints.push_back(big_endpoint(n++, host, net));
    }
  }
  const auto errors = validate(t);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].loc.str(), "h.yaml:1:1");
  EXPECT_NE(errors[0].message.find("shares networks with 4160 other VTEPs"), std::string::npos)
      << errors[0].str();
  EXPECT_NE(errors[0].message.find("VNET_MAX_VTEPS"), std::string::npos);
}

}  // namespace
}  // namespace vnet::topology

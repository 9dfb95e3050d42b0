// The shape of each object: YAML syntax, keys, types, value syntax and
// ranges. Each test checks the message and its file:line:column.

#include <gtest/gtest.h>

#include <string>

#include "topology/parser.h"
#include "topology_test_util.h"

namespace vnet::topology {
namespace {

using testing::endpoint_value_at;
using testing::endpoint_with;
using testing::HasError;
using testing::load_one;
using testing::load_with_base;
using testing::Loads;
using testing::OnlyError;

TEST(TopologyParseTest, EndpointHelperBuildsAValidEndpoint) {
  EXPECT_TRUE(Loads(load_with_base(endpoint_with("vlan", "~"))));
}

// ---- YAML and document structure -----------------------------------------------

TEST(TopologyParseTest, YamlSyntaxErrorHasPosition) {
  const auto r = load_with_base(R"(endpoints:
  - name: vm1
    host: [hv1
)");
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 1u) << testing::dump(r);
  // Where yaml-cpp noticed: the end of the input, the flow list still open.
  EXPECT_EQ(r.errors[0].str(), "t.yaml:4:1: YAML syntax error: end of sequence flow not found");
}

TEST(TopologyParseTest, YamlSyntaxErrorBadIndentation) {
  const auto r = load_with_base("hosts:\n  - name: a\n   vtep_ip: 1.2.3.4\n");
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 1u) << testing::dump(r);
  EXPECT_EQ(r.errors[0].str(), "t.yaml:3:4: YAML syntax error: end of sequence not found");
}

TEST(TopologyParseTest, RootMustBeAMapping) {
  EXPECT_TRUE(OnlyError(load_with_base("- version\n"), "t.yaml:1:1",
                        {"expected a mapping", "hosts", "got a list"}));
}

TEST(TopologyParseTest, UnknownTopLevelKeyNamesTheAllowedOnes) {
  EXPECT_TRUE(
      OnlyError(load_with_base("hosts: []\nendpoint: []\n"), "t.yaml:2:1",
                {"unknown top-level key 'endpoint'",
                 "version, underlay, hosts, networks, endpoints, routers, security_groups"}));
}

TEST(TopologyParseTest, RepeatedTopLevelKey) {
  EXPECT_TRUE(OnlyError(load_with_base("endpoints: []\nrouters: []\nendpoints: []\n"), "t.yaml:3:1",
                        {"duplicate key 'endpoints'", "first at t.yaml:1:1"}));
}

TEST(TopologyParseTest, UnknownKeyInAnObjectNamesTheAllowedOnes) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("ipaddr", "10.0.1.11")), "t.yaml:8:5",
                        {"endpoint 'vm1'", "unknown key 'ipaddr'",
                         "name, host, network, interface, mac, ip, vlan, security_groups, "
                         "allowed_addresses"}));
}

TEST(TopologyParseTest, RepeatedKeyInAnObject) {
  EXPECT_TRUE(OnlyError(load_with_base(R"(networks:
  - name: n1
    vni: 7
    subnet: 10.9.0.0/24
    vni: 8
)"),
                        "t.yaml:5:5", {"network 'n1'", "duplicate key 'vni'"}));
}

TEST(TopologyParseTest, ListExpected) {
  EXPECT_TRUE(OnlyError(load_with_base("hosts:\n  name: hv9\n"), "t.yaml:2:3",
                        {"hosts", "expected a list", "got a mapping"}));
}

TEST(TopologyParseTest, ListItemMustBeAMapping) {
  EXPECT_TRUE(OnlyError(load_with_base("networks:\n  - blue2\n"), "t.yaml:2:5",
                        {"networks[0]", "expected a mapping", "got 'blue2'"}));
}

TEST(TopologyParseTest, FieldListExpected) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("security_groups", "web")), "t.yaml:8:22",
                        {"endpoint 'vm1'", "security_groups", "expected a list", "got 'web'"}));
}

TEST(TopologyParseTest, StringExpected) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("ip", "[10.0.1.11]")), endpoint_value_at("ip"),
                        {"endpoint 'vm1'", "ip", "expected an IPv4 address", "got a list"}));
}

TEST(TopologyParseTest, IntegerExpected) {
  EXPECT_TRUE(OnlyError(
      load_with_base("networks:\n  - name: n1\n    vni: seven\n    subnet: 10.9.0.0/24\n"),
      "t.yaml:3:10", {"network 'n1'", "vni", "expected an integer", "got 'seven'"}));
}

TEST(TopologyParseTest, QuotedNumberIsNotAnInteger) {
  EXPECT_TRUE(OnlyError(
      load_with_base("networks:\n  - name: n1\n    vni: \"7\"\n    subnet: 10.9.0.0/24\n"),
      "t.yaml:3:10", {"vni", "expected an integer", "got the string '7'"}));
}

TEST(TopologyParseTest, OctalAndHexAreNotIntegers) {
  for (const char* v : {"010", "0x10", "1e3", "7.0", "+7"}) {
    const auto r = load_with_base(std::string("networks:\n  - name: n1\n    vni: ") + v +
                                  "\n    subnet: 10.9.0.0/24\n");
    EXPECT_TRUE(OnlyError(r, "t.yaml:3:10", {"vni", "expected an integer"})) << v;
  }
}

TEST(TopologyParseTest, MissingRequiredKeyPointsAtTheObject) {
  EXPECT_TRUE(
      OnlyError(load_with_base("endpoints:\n  - name: vm1\n    host: hv1\n    network: blue\n"
                               "    interface: vm1-h\n    mac: 02:00:00:00:00:11\n"),
                "t.yaml:2:5", {"endpoint 'vm1'", "missing required key 'ip'"}));
}

TEST(TopologyParseTest, NullForARequiredKey) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("mac", "")), "t.yaml:6:5",
                        {"endpoint 'vm1'", "mac", "a value is required"}));
}

TEST(TopologyParseTest, MissingNameDropsTheObjectButReportsIt) {
  EXPECT_TRUE(OnlyError(load_with_base("networks:\n  - vni: 7\n    subnet: 10.9.0.0/24\n"),
                        "t.yaml:2:5", {"networks[0]", "missing required key 'name'"}));
}

TEST(TopologyParseTest, InvalidNames) {
  for (const char* name : {"\"\"", "-a", "a/b", "\"a b\"", "\"é\"",
                           "a123456789012345678901234567890123456789012345678901234567890123"}) {
    const auto r = load_with_base(std::string("networks:\n  - name: ") + name +
                                  "\n    vni: 7\n    subnet: 10.9.0.0/24\n");
    EXPECT_TRUE(OnlyError(r, "t.yaml:2:11", {"name", "invalid name", "letters, digits"})) << name;
  }
  EXPECT_TRUE(
      Loads(load_with_base("networks:\n  - name: Tenant_A.net-1\n    vni: 7\n"
                           "    subnet: 10.9.0.0/24\n")));
}

TEST(TopologyParseTest, AnchorsAndAliasesAreFollowed) {
  const auto r = load_with_base(R"(endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
    security_groups: &groups [web]
  - name: vm2
    host: hv1
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:12
    ip: 10.0.1.12
    security_groups: *groups
)");
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->endpoints[1].security_groups, std::vector<std::string>{"web"});
}

// ---- version and underlay ---------------------------------------------------------

TEST(TopologyParseTest, VersionIsRequiredSomewhere) {
  EXPECT_TRUE(OnlyError(load_strings({{"a.yaml", "hosts: []\n"}, {"b.yaml", "networks: []\n"}}),
                        "a.yaml:1:1", {"missing 'version: 1'"}));
}

TEST(TopologyParseTest, VersionInAnyOneFileSuffices) {
  EXPECT_TRUE(Loads(load_strings({{"a.yaml", "hosts: []\n"}, {"b.yaml", "version: 1\n"}})));
}

TEST(TopologyParseTest, EveryVersionMustBeOne) {
  EXPECT_TRUE(
      OnlyError(load_strings({{"a.yaml", "version: 1\n"}, {"b.yaml", "hosts: []\nversion: 2\n"}}),
                "b.yaml:2:10", {"unsupported version 2", "expected 1"}));
  EXPECT_TRUE(
      OnlyError(load_one("version: \"1\"\n"), "t.yaml:1:10", {"version", "expected an integer"}));
}

TEST(TopologyParseTest, UnderlayInOneFileOnly) {
  EXPECT_TRUE(OnlyError(load_strings({{"a.yaml", "version: 1\nunderlay:\n  mtu: 9000\n"},
                                      {"b.yaml", "underlay:\n  mtu: 1500\n"}}),
                        "b.yaml:1:1",
                        {"underlay is already defined at a.yaml:2:1", "one file only"}));
}

TEST(TopologyParseTest, UnderlayDefaultsAndValues) {
  auto r = load_one("version: 1\n");
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->underlay.vxlan_port, 4789);
  EXPECT_FALSE(r.topology->underlay.mtu);
  r = load_one("version: 1\nunderlay:\n  vxlan_port: 8472\n  mtu: 9000\n");
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->underlay.vxlan_port, 8472);
  EXPECT_EQ(r.topology->underlay.mtu, 9000u);
}

TEST(TopologyParseTest, VxlanPortRange) {
  EXPECT_TRUE(OnlyError(load_one("version: 1\nunderlay:\n  vxlan_port: 0\n"), "t.yaml:3:15",
                        {"underlay: vxlan_port: 0 is out of range", "1..65535"}));
  EXPECT_TRUE(OnlyError(load_one("version: 1\nunderlay:\n  vxlan_port: 65536\n"), "t.yaml:3:15",
                        {"vxlan_port", "65536 is out of range", "1..65535"}));
  EXPECT_TRUE(Loads(load_one("version: 1\nunderlay:\n  vxlan_port: 65535\n")));
}

TEST(TopologyParseTest, MtuRange) {
  EXPECT_TRUE(OnlyError(load_one("version: 1\nunderlay:\n  mtu: 1279\n"), "t.yaml:3:8",
                        {"mtu", "1279 is out of range", "1280..65535"}));
  EXPECT_TRUE(OnlyError(load_one("version: 1\nunderlay:\n  mtu: 65536\n"), "t.yaml:3:8",
                        {"mtu", "1280..65535"}));
  EXPECT_TRUE(Loads(load_one("version: 1\nunderlay:\n  mtu: 1280\n")));
}

TEST(TopologyParseTest, UnknownUnderlayKey) {
  EXPECT_TRUE(OnlyError(load_one("version: 1\nunderlay:\n  port: 4789\n"), "t.yaml:3:3",
                        {"underlay", "unknown key 'port'", "vxlan_port, mtu"}));
}

// ---- hosts -----------------------------------------------------------------------

TEST(TopologyParseTest, HostRole) {
  EXPECT_TRUE(OnlyError(load_one("version: 1\nhosts:\n  - name: h\n    role: router\n"
                                 "    vtep_ip: 198.18.0.5\n    underlay_interface: eth0\n"),
                        "t.yaml:4:11",
                        {"host 'h'", "role", "expected hypervisor or switch", "'router'"}));
}

TEST(TopologyParseTest, HypervisorNeedsUnderlayInterface) {
  EXPECT_TRUE(OnlyError(load_one("version: 1\nhosts:\n  - name: h\n    vtep_ip: 198.18.0.5\n"),
                        "t.yaml:3:5",
                        {"host 'h'", "underlay_interface", "required for hypervisors"}));
  EXPECT_TRUE(Loads(
      load_one("version: 1\nhosts:\n  - name: s\n    role: switch\n    vtep_ip: 198.18.0.5\n")));
}

TEST(TopologyParseTest, VtepIpMustBeAUnicastAddress) {
  for (const char* ip : {"0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255"}) {
    const auto r = load_one(std::string("version: 1\nhosts:\n  - name: h\n    vtep_ip: ") + ip +
                            "\n    underlay_interface: eth0\n");
    EXPECT_TRUE(OnlyError(r, "t.yaml:4:14", {"vtep_ip", "not a unicast address"})) << ip;
  }
  EXPECT_TRUE(OnlyError(load_one("version: 1\nhosts:\n  - name: h\n    vtep_ip: 198.18.0\n"
                                 "    underlay_interface: eth0\n"),
                        "t.yaml:4:14", {"vtep_ip", "expected an IPv4 address", "'198.18.0'"}));
}

// ---- interface names ---------------------------------------------------------------

TEST(TopologyParseTest, InterfaceNamesTheKernelRefuses) {
  for (const char* name :
       {"\"\"", "a23456789012345b", "a/b", "\"a:b\"", "\"a b\"", "\"a\\tb\"", ".", ".."}) {
    const auto r = load_with_base(endpoint_with("interface", name));
    EXPECT_TRUE(OnlyError(r, endpoint_value_at("interface"),
                          {"endpoint 'vm1'", "interface", "invalid interface name", "1 to 15"}))
        << name;
  }
  EXPECT_TRUE(Loads(load_with_base(endpoint_with("interface", "a23456789012345"))));
  EXPECT_TRUE(Loads(load_with_base(endpoint_with("interface", "tap.0_a-b@x"))));
}

TEST(TopologyParseTest, UnderlayInterfaceNameChecked) {
  EXPECT_TRUE(OnlyError(load_one("version: 1\nhosts:\n  - name: h\n    vtep_ip: 198.18.0.5\n"
                                 "    underlay_interface: eth0/1\n"),
                        "t.yaml:5:25",
                        {"host 'h'", "underlay_interface", "invalid interface name 'eth0/1'"}));
}

// ---- networks -----------------------------------------------------------------------

TEST(TopologyParseTest, VniRange) {
  for (const char* vni : {"0", "16777215", "-1", "99999999999999999999999"}) {
    const auto r = load_with_base(std::string("networks:\n  - name: n1\n    vni: ") + vni +
                                  "\n    subnet: 10.9.0.0/24\n");
    EXPECT_TRUE(OnlyError(r, "t.yaml:3:10", {"network 'n1'", "vni", "out of range", "1..16777214"}))
        << vni;
  }
  EXPECT_TRUE(Loads(
      load_with_base("networks:\n  - name: n1\n    vni: 16777214\n    subnet: 10.9.0.0/24\n")));
  EXPECT_TRUE(
      Loads(load_with_base("networks:\n  - name: n1\n    vni: 1\n    subnet: 10.9.0.0/24\n")));
}

TEST(TopologyParseTest, SubnetHostBitsMustBeZero) {
  EXPECT_TRUE(
      OnlyError(load_with_base("networks:\n  - name: n1\n    vni: 7\n    subnet: 10.9.0.1/24\n"),
                "t.yaml:4:13", {"subnet", "10.9.0.1/24 has host bits set", "10.9.0.0/24"}));
}

TEST(TopologyParseTest, SubnetSyntax) {
  for (const char* subnet :
       {"10.9.0.0", "10.9.0.0/33", "10.9.0/24", "010.9.0.0/24", "10.9.0.0/08"}) {
    const auto r = load_with_base(std::string("networks:\n  - name: n1\n    vni: 7\n    subnet: ") +
                                  subnet + "\n");
    EXPECT_TRUE(OnlyError(r, "t.yaml:4:13", {"subnet", "expected an IPv4 prefix like 10.0.1.0/24"}))
        << subnet;
  }
}

TEST(TopologyParseTest, SubnetNeedsRoomForEndpoints) {
  EXPECT_TRUE(
      OnlyError(load_with_base("networks:\n  - name: n1\n    vni: 7\n    subnet: 10.9.0.0/31\n"),
                "t.yaml:4:13", {"subnet", "no room for endpoints", "30 or less"}));
  EXPECT_TRUE(
      Loads(load_with_base("networks:\n  - name: n1\n    vni: 7\n    subnet: 10.9.0.0/30\n")));
}

// ---- endpoints ------------------------------------------------------------------------

TEST(TopologyParseTest, MacSyntax) {
  for (const char* mac : {"2:0:0:0:0:11", "02-00-00-00-00-11", "0200.0000.0011",
                          "02:00:00:00:00:1g", "02:00:00:00:00"}) {
    const auto r = load_with_base(endpoint_with("mac", mac));
    EXPECT_TRUE(
        OnlyError(r, endpoint_value_at("mac"),
                  {"endpoint 'vm1'", "mac", "expected a MAC address like 02:00:00:00:00:11"}))
        << mac;
  }
}

TEST(TopologyParseTest, MacMustBeUnicast) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("mac", "01:00:5e:00:00:01")),
                        endpoint_value_at("mac"), {"mac", "multicast", "expected a unicast MAC"}));
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("mac", "ff:ff:ff:ff:ff:ff")),
                        endpoint_value_at("mac"), {"mac", "multicast/broadcast"}));
}

TEST(TopologyParseTest, MacMustNotBeZero) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("mac", "00:00:00:00:00:00")),
                        endpoint_value_at("mac"), {"mac", "all-zero MAC"}));
}

TEST(TopologyParseTest, IpSyntax) {
  for (const char* ip : {"10.0.1", "10.0.1.011", "10.0.1.256", "10.0.1.11/24", "0x0a.0.1.11"}) {
    const auto r = load_with_base(endpoint_with("ip", ip));
    EXPECT_TRUE(
        OnlyError(r, endpoint_value_at("ip"), {"endpoint 'vm1'", "ip", "expected an IPv4 address"}))
        << ip;
  }
}

TEST(TopologyParseTest, VlanRange) {
  for (const char* vlan : {"0", "4095"}) {
    const auto r = load_with_base(endpoint_with("host", "sw1") + "    vlan: " + vlan + "\n");
    EXPECT_TRUE(OnlyError(r, "t.yaml:8:11", {"endpoint 'vm1'", "vlan", "out of range", "1..4094"}))
        << vlan;
  }
}

TEST(TopologyParseTest, SecurityGroupListItemsAreNames) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("security_groups", "[web, [x]]")),
                        "t.yaml:8:28", {"security_groups", "expected a name", "got a list"}));
}

TEST(TopologyParseTest, AllowedAddresses) {
  auto r = load_with_base(endpoint_with("allowed_addresses", "[10.0.1.100, 192.168.0.0/16]"));
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->endpoints[0].allowed_addresses,
            (std::vector<Ipv4Prefix>{*Ipv4Prefix::parse("10.0.1.100/32"),
                                     *Ipv4Prefix::parse("192.168.0.0/16")}));
  EXPECT_TRUE(OnlyError(
      load_with_base(endpoint_with("allowed_addresses", "[10.0.1.100, 10.0.1.100/24]")),
      "t.yaml:8:37",
      {"allowed_addresses", "10.0.1.100/24 has host bits set", "10.0.1.0/24", "10.0.1.100/32"}));
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("allowed_addresses", "[vip]")), "t.yaml:8:25",
                        {"allowed_addresses", "expected an IPv4 address or prefix", "'vip'"}));
}

// ---- routers -----------------------------------------------------------------------------

TEST(TopologyParseTest, RouterInterfaceIpNeedsAPrefixLength) {
  EXPECT_TRUE(OnlyError(
      load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1
)"),
      "t.yaml:5:13",
      {"router 'r1' interfaces[0]", "ip", "expected an IPv4 address with prefix length"}));
}

TEST(TopologyParseTest, RouterNeedsInterfacesList) {
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n"), "t.yaml:2:5",
                        {"router 'r1'", "missing required key 'interfaces'"}));
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n    interfaces: blue\n"),
                        "t.yaml:3:17", {"router 'r1'", "interfaces", "expected a list"}));
}

TEST(TopologyParseTest, RouterInterfaceKeys) {
  EXPECT_TRUE(OnlyError(
      load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
        gateway: true
)"),
      "t.yaml:6:9", {"router 'r1' interfaces[0]", "unknown key 'gateway'", "network, ip, mac"}));
}

TEST(TopologyParseTest, RouterInterfaceMacMustBeUnicast) {
  EXPECT_TRUE(OnlyError(load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
        mac: 03:00:00:00:00:01
)"),
                        "t.yaml:6:14", {"router 'r1' interfaces[0]", "mac", "unicast"}));
}

TEST(TopologyParseTest, RouteDestinationHostBits) {
  EXPECT_TRUE(
      OnlyError(load_with_base(endpoint_with("ip", "10.0.1.254") + R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
    routes:
      - destination: 192.168.50.1/24
        next_hop: 10.0.1.254
)"),
                "t.yaml:14:22",
                {"router 'r1' routes[0]", "destination", "has host bits set", "192.168.50.0/24"}));
}

TEST(TopologyParseTest, RouteNeedsNextHop) {
  EXPECT_TRUE(OnlyError(load_with_base(R"(routers:
  - name: r1
    interfaces: []
    routes:
      - destination: 0.0.0.0/0
)"),
                        "t.yaml:5:9",
                        {"router 'r1' routes[0]", "missing required key 'next_hop'"}));
}

// ---- security group rules ----------------------------------------------------------------------

// A group "g" with one rule made of `rule_lines` (each "key: value");
// the rule's first key is on line 5, column 9.
LoadResult rule(std::initializer_list<const char*> rule_lines) {
  std::string text = "security_groups:\n  - name: g\n    rules:\n      - direction: ingress\n";
  for (const char* line : rule_lines) {
    text += std::string("        ") + line + "\n";
  }
  return load_with_base(text);
}

TEST(TopologyParseTest, RuleHelperBuildsAValidRule) {
  EXPECT_TRUE(Loads(rule({"protocol: tcp", "ports: 22"})));
}

TEST(TopologyParseTest, RuleDirection) {
  EXPECT_TRUE(OnlyError(
      load_with_base("security_groups:\n  - name: g\n    rules:\n      - direction: in\n"),
      "t.yaml:4:20", {"security group 'g' rules[0]", "direction", "expected ingress or egress"}));
  EXPECT_TRUE(OnlyError(
      load_with_base("security_groups:\n  - name: g\n    rules:\n      - protocol: tcp\n"),
      "t.yaml:4:9", {"rules[0]", "missing required key 'direction'"}));
}

TEST(TopologyParseTest, RuleProtocol) {
  EXPECT_TRUE(OnlyError(
      rule({"protocol: sctp"}), "t.yaml:5:19",
      {"protocol", "expected tcp, udp, icmp, any or an IP protocol number 0..255", "'sctp'"}));
  EXPECT_TRUE(OnlyError(rule({"protocol: 256"}), "t.yaml:5:19", {"protocol", "0..255"}));
  EXPECT_TRUE(OnlyError(rule({"protocol: TCP"}), "t.yaml:5:19", {"protocol", "'TCP'"}));
  const auto r = rule({"protocol: 47"});
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->security_groups[1].rules[0].protocol, 47);
}

TEST(TopologyParseTest, RulePortsSyntax) {
  for (const char* ports : {"0", "65536", "\"80-70\"", "\"80-\"", "\"-80\"", "http", "\"0-80\"",
                            "\"1-65536\"", "[80]"}) {
    const auto r = rule({"protocol: tcp", (std::string("ports: ") + ports).c_str()});
    EXPECT_TRUE(OnlyError(r, "t.yaml:6:16", {"ports", "1 <= N <= M <= 65535"})) << ports;
  }
  auto r = rule({"protocol: udp", "ports: \"8000-8080\""});
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->security_groups[1].rules[0].port_min, 8000);
  EXPECT_EQ(r.topology->security_groups[1].rules[0].port_max, 8080);
  r = rule({"protocol: 6", "ports: \"443\""});
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->security_groups[1].rules[0].port_min, 443);
  EXPECT_EQ(r.topology->security_groups[1].rules[0].port_max, 443);
}

TEST(TopologyParseTest, PortsOnlyForTcpAndUdp) {
  EXPECT_TRUE(OnlyError(rule({"protocol: icmp", "ports: 80"}), "t.yaml:6:16",
                        {"ports apply only to tcp and udp", "protocol 1"}));
  EXPECT_TRUE(OnlyError(rule({"ports: 80"}), "t.yaml:5:16",
                        {"ports apply only to tcp and udp", "protocol any"}));
  EXPECT_TRUE(OnlyError(rule({"protocol: any", "ports: 80"}), "t.yaml:6:16",
                        {"ports apply only to tcp and udp"}));
}

TEST(TopologyParseTest, IcmpFieldsOnlyForIcmp) {
  EXPECT_TRUE(OnlyError(rule({"protocol: tcp", "icmp_type: 8"}), "t.yaml:6:20",
                        {"icmp_type applies only to icmp rules", "protocol 6"}));
  const auto both = rule({"protocol: udp", "icmp_type: 3", "icmp_code: 4"});
  EXPECT_EQ(both.errors.size(), 2u) << testing::dump(both);
  EXPECT_TRUE(HasError(both, "t.yaml:6:20", {"icmp_type applies only to icmp", "protocol 17"}));
  EXPECT_TRUE(HasError(both, "t.yaml:7:20", {"icmp_code applies only to icmp", "protocol 17"}));
  EXPECT_TRUE(OnlyError(rule({"protocol: icmp", "icmp_type: 256"}), "t.yaml:6:20",
                        {"icmp_type", "256 is out of range", "0..255"}));
  EXPECT_TRUE(OnlyError(rule({"protocol: icmp", "icmp_type: 3", "icmp_code: -1"}), "t.yaml:7:20",
                        {"icmp_code", "out of range", "0..255"}));
  const auto r = rule({"protocol: icmp", "icmp_type: 3", "icmp_code: 4"});
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->security_groups[1].rules[0].icmp_type, 3);
  EXPECT_EQ(r.topology->security_groups[1].rules[0].icmp_code, 4);
}

TEST(TopologyParseTest, IcmpCodeRequiresType) {
  EXPECT_TRUE(OnlyError(rule({"protocol: icmp", "icmp_code: 0"}), "t.yaml:6:20",
                        {"icmp_code requires icmp_type"}));
}

TEST(TopologyParseTest, RemoteCidrAndGroupAreExclusive) {
  EXPECT_TRUE(OnlyError(rule({"remote_cidr: 0.0.0.0/0", "remote_group: web"}), "t.yaml:6:23",
                        {"remote_cidr and remote_group are mutually exclusive"}));
}

TEST(TopologyParseTest, RemoteCidrHostBits) {
  EXPECT_TRUE(OnlyError(rule({"remote_cidr: 10.1.2.3/8"}), "t.yaml:5:22",
                        {"remote_cidr", "has host bits set", "10.0.0.0/8"}));
}

TEST(TopologyParseTest, UnknownRuleKey) {
  EXPECT_TRUE(
      OnlyError(rule({"port: 80"}), "t.yaml:5:9",
                {"rules[0]", "unknown key 'port'",
                 "direction, protocol, ports, icmp_type, icmp_code, remote_cidr, remote_group"}));
}

// ---- all errors, in order
// -------------------------------------------------------------------------

TEST(TopologyParseTest, ReportsEveryErrorSortedByFileAndPosition) {
  const auto r = load_strings({
      {"b.yaml", R"(version: 1
hosts:
  - name: h1
    vtep_ip: 198.18.0.300
    underlay_interface: eth0
  - name: h2
    vtep_ip: 198.18.0.2
    underlay_interface: "bad name"
)"},
      {"a.yaml", R"(networks:
  - name: n1
    vni: 0
    subnet: 10.0.0.0/24
  - name: n2
    vni: 8
    subnet: 10.0.0.5/24
    color: red
)"},
  });
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 5u) << testing::dump(r);
  // Files in the order given (b, a), then by line and column.
  EXPECT_EQ(r.errors[0].loc.str(), "b.yaml:4:14");
  EXPECT_EQ(r.errors[1].loc.str(), "b.yaml:8:25");
  EXPECT_EQ(r.errors[2].loc.str(), "a.yaml:3:10");
  EXPECT_EQ(r.errors[3].loc.str(), "a.yaml:7:13");
  EXPECT_EQ(r.errors[4].loc.str(), "a.yaml:8:5");
  EXPECT_EQ(r.errors[4].str(),
            "a.yaml:8:5: network 'n2': unknown key 'color'; expected one of: name, vni, subnet");
}

TEST(TopologyParseTest, ParseErrorsDoNotCascadeIntoValidation) {
  // The network's subnet is broken: the endpoint's address cannot be
  // judged against it, and is not reported.
  const auto r = load_one(R"(version: 1
hosts:
  - name: hv1
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
networks:
  - name: n1
    vni: 7
    subnet: 10.0.0.0/33
endpoints:
  - name: vm1
    host: hv1
    network: n1
    interface: vm1-h
    mac: 02:00:00:00:00:01
    ip: 192.168.1.1
)");
  EXPECT_TRUE(OnlyError(r, "t.yaml:9:13", {"subnet"}));
}

TEST(TopologyParseTest, SyntaxErrorInOneFileStillChecksTheOthers) {
  const auto r =
      load_strings({{"a.yaml", "version: 1\nhosts: [\n"},
                    {"b.yaml", "networks:\n  - name: n\n    vni: 0\n    subnet: 10.0.0.0/8\n"}});
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 2u) << testing::dump(r);
  EXPECT_EQ(r.errors[0].loc.file, "a.yaml");
  EXPECT_NE(r.errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_EQ(r.errors[1].loc.str(), "b.yaml:3:10");
}

TEST(TopologyParseTest, UnreadableFile) {
  const auto r = load_files({"/nonexistent/vnet/topology.yaml"});
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 1u) << testing::dump(r);
  EXPECT_EQ(r.errors[0].str(),
            "/nonexistent/vnet/topology.yaml: cannot read: No such file or directory");
}

TEST(TopologyParseTest, NothingToLoad) {
  const auto r = load_strings({});
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].str(), "no topology given");
}

}  // namespace
}  // namespace vnet::topology

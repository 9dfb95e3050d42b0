// Cross-object checks: unique names and keys, references, addresses inside
// their subnets, routers, security group references. Each test checks the
// message and its file:line:column. base.yaml (topology_test_util.h) has
// hosts hv1, hv2 (hypervisors), sw1 (switch); networks blue and red (both
// 10.0.1.0/24), green (10.0.3.0/24); security group web.

#include <gtest/gtest.h>

#include <string>

#include "topology/parser.h"
#include "topology_test_util.h"

namespace vnet::topology {
namespace {

using testing::endpoint_value_at;
using testing::endpoint_with;
using testing::HasError;
using testing::load_with_base;
using testing::Loads;
using testing::OnlyError;

// ---- duplicate names, across files --------------------------------------------------

TEST(TopologyValidateTest, DuplicateHostName) {
  EXPECT_TRUE(OnlyError(load_with_base("hosts:\n  - name: hv1\n    vtep_ip: 198.18.0.77\n"
                                       "    underlay_interface: eth0\n"),
                        "t.yaml:2:11",
                        {"duplicate host name 'hv1'", "(first defined at base.yaml:3:5)"}));
}

TEST(TopologyValidateTest, DuplicateNetworkName) {
  EXPECT_TRUE(OnlyError(
      load_with_base("networks:\n  - name: red\n    vni: 77\n    subnet: 10.7.0.0/16\n"),
      "t.yaml:2:11", {"duplicate network name 'red'", "(first defined at base.yaml:16:5)"}));
}

TEST(TopologyValidateTest, DuplicateEndpointNameAcrossThreeFiles) {
  const auto r = load_strings({
      {"base.yaml", std::string(testing::kBase)},
      {"a.yaml", R"(endpoints:
  - name: vm0
    host: hv1
    network: blue
    interface: vm0-h
    mac: 02:00:00:00:00:10
    ip: 10.0.1.10
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
)"},
      {"b.yaml", R"(endpoints:
  - name: vm1
    host: hv2
    network: red
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
)"},
  });
  EXPECT_TRUE(
      OnlyError(r, "b.yaml:2:11", {"duplicate endpoint name 'vm1' (first defined at a.yaml:8:5)"}));
}

TEST(TopologyValidateTest, DuplicateRouterName) {
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n    interfaces: []\n"
                                       "  - name: r1\n    interfaces: []\n"),
                        "t.yaml:4:11",
                        {"duplicate router name 'r1'", "(first defined at t.yaml:2:5)"}));
}

TEST(TopologyValidateTest, DuplicateSecurityGroupName) {
  EXPECT_TRUE(OnlyError(load_with_base("security_groups:\n  - name: web\n    rules: []\n"),
                        "t.yaml:2:11", {"duplicate security group name 'web'", "base.yaml:23:5"}));
}

TEST(TopologyValidateTest, NamesAreUniquePerKindOnly) {
  // A router, a network and a group may share a name with each other.
  EXPECT_TRUE(
      Loads(load_with_base("routers:\n  - name: blue\n    interfaces: []\n"
                           "security_groups:\n  - name: hv1\n")));
}

// ---- unique keys ----------------------------------------------------------------------

TEST(TopologyValidateTest, DuplicateVni) {
  EXPECT_TRUE(OnlyError(
      load_with_base("networks:\n  - name: n9\n    vni: 1001\n    subnet: 10.9.0.0/24\n"),
      "t.yaml:3:10", {"network 'n9'", "duplicate vni 1001", "network 'blue' at base.yaml:13:5"}));
}

TEST(TopologyValidateTest, DuplicateVtepIp) {
  EXPECT_TRUE(OnlyError(
      load_with_base("hosts:\n  - name: hv9\n    vtep_ip: 198.18.0.2\n"
                     "    underlay_interface: eth0\n"),
      "t.yaml:3:14",
      {"host 'hv9'", "vtep_ip 198.18.0.2 is already used by host 'hv2' (base.yaml:6:5)"}));
}

TEST(TopologyValidateTest, DuplicateHostInterface) {
  const auto r = load_with_base(R"(endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: tap0
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
  - name: vm2
    host: hv1
    network: green
    interface: tap0
    mac: 02:00:00:00:00:12
    ip: 10.0.3.12
  - name: vm3
    host: hv2
    network: blue
    interface: tap0
    mac: 02:00:00:00:00:13
    ip: 10.0.1.13
)");
  // The same name on another host is another interface.
  EXPECT_TRUE(
      OnlyError(r, "t.yaml:11:16",
                {"endpoint 'vm2'",
                 "interface 'tap0' on host 'hv1' is already used by endpoint 'vm1' (t.yaml:2:5)"}));
}

TEST(TopologyValidateTest, EndpointInterfaceIsNotTheUnderlay) {
  EXPECT_TRUE(
      OnlyError(load_with_base(endpoint_with("interface", "eth0")), endpoint_value_at("interface"),
                {"endpoint 'vm1'", "interface 'eth0' is the underlay_interface of host 'hv1'"}));
}

TEST(TopologyValidateTest, DuplicateMacInANetwork) {
  const auto r = load_with_base(R"(endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
  - name: vm2
    host: hv2
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.12
  - name: vm3
    host: hv2
    network: red
    interface: vm3-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.13
)");
  // vm3 is on red: another tenant may reuse the MAC.
  EXPECT_TRUE(
      OnlyError(r, "t.yaml:12:10",
                {"endpoint 'vm2'", "mac 02:00:00:00:00:11 is already used on network 'blue'",
                 "endpoint 'vm1' (t.yaml:2:5)"}));
}

TEST(TopologyValidateTest, DuplicateIpInANetwork) {
  const auto r = load_with_base(R"(endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
  - name: vm2
    host: hv2
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:12
    ip: 10.0.1.11
  - name: vm3
    host: hv2
    network: red
    interface: vm3-h
    mac: 02:00:00:00:00:13
    ip: 10.0.1.11
)");
  EXPECT_TRUE(OnlyError(r, "t.yaml:13:9",
                        {"endpoint 'vm2'", "ip 10.0.1.11 is already used on network 'blue'",
                         "endpoint 'vm1' (t.yaml:2:5)"}));
}

TEST(TopologyValidateTest, RouterAddressesCountInTheNetwork) {
  const auto r = load_with_base(endpoint_with("ip", "10.0.1.1") + R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
        mac: 02:00:00:00:00:11
)");
  ASSERT_EQ(r.errors.size(), 2u) << testing::dump(r);
  EXPECT_TRUE(
      HasError(r, "t.yaml:13:14",
               {"router 'r1' interface on 'blue'",
                "mac 02:00:00:00:00:11 is already used on network 'blue'", "endpoint 'vm1'"}));
  EXPECT_TRUE(HasError(r, "t.yaml:12:13",
                       {"router 'r1' interface on 'blue'",
                        "ip 10.0.1.1 is already used on network 'blue'", "endpoint 'vm1'"}));
}

TEST(TopologyValidateTest, TwoRoutersOnANetworkNeedDistinctAddresses) {
  const auto r = load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
  - name: r2
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
)");
  EXPECT_TRUE(OnlyError(r, "t.yaml:9:13",
                        {"router 'r2'", "ip 10.0.1.1 is already used on network 'blue'",
                         "router 'r1' (t.yaml:4:9)"}));
}

// ---- references ------------------------------------------------------------------------

TEST(TopologyValidateTest, UnknownHost) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("host", "hv9")), endpoint_value_at("host"),
                        {"endpoint 'vm1'", "host 'hv9': no such host"}));
}

TEST(TopologyValidateTest, UnknownNetwork) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("network", "purple")),
                        endpoint_value_at("network"),
                        {"endpoint 'vm1'", "network 'purple': no such network"}));
}

TEST(TopologyValidateTest, UnknownSecurityGroupOnEndpoint) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("security_groups", "[web, db]")),
                        "t.yaml:8:28",
                        {"endpoint 'vm1'", "security group 'db': no such security group"}));
}

TEST(TopologyValidateTest, RepeatedSecurityGroupOnEndpoint) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("security_groups", "[web, web]")),
                        "t.yaml:8:28", {"endpoint 'vm1'", "security group 'web' is listed twice"}));
}

TEST(TopologyValidateTest, UnknownRemoteGroup) {
  EXPECT_TRUE(OnlyError(
      load_with_base("security_groups:\n  - name: g\n    rules:\n"
                     "      - direction: ingress\n        remote_group: db\n"),
      "t.yaml:5:23", {"security group 'g' rules[0]", "remote_group 'db': no such security group"}));
}

TEST(TopologyValidateTest, RemoteGroupMayReferToItselfOrAGroupInAnotherFile) {
  EXPECT_TRUE(
      Loads(load_with_base("security_groups:\n  - name: g\n    rules:\n"
                           "      - direction: ingress\n        remote_group: g\n"
                           "      - direction: ingress\n        remote_group: web\n")));
}

TEST(TopologyValidateTest, UnknownRouterNetwork) {
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n    interfaces:\n"
                                       "      - network: purple\n        ip: 10.0.1.1/24\n"),
                        "t.yaml:4:18", {"router 'r1'", "network 'purple': no such network"}));
}

// ---- endpoint addresses -----------------------------------------------------------------

TEST(TopologyValidateTest, EndpointIpOutsideSubnet) {
  EXPECT_TRUE(OnlyError(
      load_with_base(endpoint_with("ip", "10.0.2.11")), endpoint_value_at("ip"),
      {"endpoint 'vm1'", "ip 10.0.2.11 is outside subnet 10.0.1.0/24 of network 'blue'"}));
}

TEST(TopologyValidateTest, EndpointIpIsTheNetworkAddress) {
  EXPECT_TRUE(
      OnlyError(load_with_base(endpoint_with("ip", "10.0.1.0")), endpoint_value_at("ip"),
                {"ip 10.0.1.0 is the network address of subnet 10.0.1.0/24 of network 'blue'"}));
}

TEST(TopologyValidateTest, EndpointIpIsTheBroadcastAddress) {
  EXPECT_TRUE(OnlyError(load_with_base(endpoint_with("ip", "10.0.1.255")), endpoint_value_at("ip"),
                        {"ip 10.0.1.255 is the broadcast address of subnet 10.0.1.0/24"}));
}

TEST(TopologyValidateTest, EndpointIpAtTheSubnetEdges) {
  EXPECT_TRUE(Loads(load_with_base(endpoint_with("ip", "10.0.1.1"))));
  EXPECT_TRUE(Loads(load_with_base(endpoint_with("ip", "10.0.1.254"))));
}

TEST(TopologyValidateTest, VlanOnlyOnSwitchPorts) {
  EXPECT_TRUE(OnlyError(
      load_with_base(endpoint_with("vlan", "100")), "t.yaml:8:11",
      {"endpoint 'vm1'", "vlan is only for endpoints on switch hosts", "'hv1' is a hypervisor"}));
  const auto r = load_with_base(endpoint_with("host", "sw1") + "    vlan: 100\n");
  ASSERT_TRUE(Loads(r));
  EXPECT_EQ(r.topology->endpoints[0].vlan, 100);
}

// ---- routers ------------------------------------------------------------------------------

TEST(TopologyValidateTest, RouterInterfaceIpOutsideSubnet) {
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n    interfaces:\n"
                                       "      - network: blue\n        ip: 10.0.2.1/24\n"),
                        "t.yaml:5:13",
                        {"router 'r1' interface on 'blue'",
                         "ip 10.0.2.1/24 is outside subnet 10.0.1.0/24 of network 'blue'"}));
}

TEST(TopologyValidateTest, RouterInterfaceIpIsNetworkOrBroadcast) {
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n    interfaces:\n"
                                       "      - network: blue\n        ip: 10.0.1.0/24\n"),
                        "t.yaml:5:13",
                        {"router 'r1' interface on 'blue'", "is the network address"}));
  EXPECT_TRUE(OnlyError(load_with_base("routers:\n  - name: r1\n    interfaces:\n"
                                       "      - network: blue\n        ip: 10.0.1.255/24\n"),
                        "t.yaml:5:13",
                        {"router 'r1' interface on 'blue'", "is the broadcast address"}));
}

TEST(TopologyValidateTest, RouterInterfacePrefixLengthMatchesTheSubnet) {
  EXPECT_TRUE(OnlyError(
      load_with_base("routers:\n  - name: r1\n    interfaces:\n"
                     "      - network: blue\n        ip: 10.0.1.1/16\n"),
      "t.yaml:5:13",
      {"ip 10.0.1.1/16 must have prefix length /24", "subnet 10.0.1.0/24 of network 'blue'"}));
}

TEST(TopologyValidateTest, OneRouterInterfacePerNetwork) {
  EXPECT_TRUE(OnlyError(
      load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
      - network: blue
        ip: 10.0.1.2/24
)"),
      "t.yaml:6:18", {"router 'r1'", "second interface on network 'blue'", "first at t.yaml:4:9"}));
}

TEST(TopologyValidateTest, RouterNetworksMustNotOverlap) {
  EXPECT_TRUE(
      OnlyError(load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
      - network: red
        ip: 10.0.1.2/24
)"),
                "t.yaml:6:18",
                {"router 'r1'", "network 'red' (10.0.1.0/24) overlaps attached network 'blue'"}));
}

TEST(TopologyValidateTest, DerivedRouterMacsDoNotCollide) {
  const auto r = load_with_base(R"(routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
      - network: green
        ip: 10.0.3.1/24
  - name: r2
    interfaces:
      - network: blue
        ip: 10.0.1.2/24
)");
  ASSERT_TRUE(Loads(r));
  const Topology& t = *r.topology;
  EXPECT_NE(effective_mac(t.routers[0], t.routers[0].interfaces[0]),
            effective_mac(t.routers[1], t.routers[1].interfaces[0]));
}

// Router r1 on blue and green, an appliance "app" on green and vm9 on red;
// `routes` start at line 12 (destination at column 22, next_hop at 19).
std::string routed(const std::string& routes) {
  return R"(endpoints:
  - {name: app, host: hv1, network: green, interface: app-h, mac: "02:00:00:00:00:aa", ip: 10.0.3.10}
  - {name: vm9, host: hv1, network: red, interface: vm9-h, mac: "02:00:00:00:00:99", ip: 10.0.1.99}
routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
      - network: green
        ip: 10.0.3.1/24
    routes:
)" + routes;
}

TEST(TopologyValidateTest, RouteHelperBuildsAValidRouter) {
  const auto r =
      load_with_base(routed("      - destination: 0.0.0.0/0\n        next_hop: 10.0.3.10\n"));
  ASSERT_TRUE(Loads(r));
  ASSERT_EQ(r.topology->routers[0].routes.size(), 1u);
  EXPECT_EQ(r.topology->routers[0].routes[0].next_hop, *Ipv4::parse("10.0.3.10"));
}

TEST(TopologyValidateTest, RouteNextHopMustBeAnEndpoint) {
  EXPECT_TRUE(OnlyError(
      load_with_base(routed("      - destination: 0.0.0.0/0\n        next_hop: 10.0.3.11\n")),
      "t.yaml:13:19",
      {"router 'r1'", "next_hop 10.0.3.11 is not the ip of an endpoint on a network attached",
       "(blue, green)"}));
}

TEST(TopologyValidateTest, RouteNextHopOnANetworkNotAttached) {
  // vm9 has 10.0.1.99 on red; r1 is on blue, which has the same subnet.
  EXPECT_TRUE(OnlyError(
      load_with_base(routed("      - destination: 0.0.0.0/0\n        next_hop: 10.0.1.99\n")),
      "t.yaml:13:19", {"next_hop 10.0.1.99 is not the ip of an endpoint"}));
}

TEST(TopologyValidateTest, RouteNextHopIsARouterAddress) {
  EXPECT_TRUE(OnlyError(
      load_with_base(routed("      - destination: 0.0.0.0/0\n        next_hop: 10.0.3.1\n")),
      "t.yaml:13:19", {"next_hop 10.0.3.1 is the address of router 'r1'", "not of an endpoint"}));
}

TEST(TopologyValidateTest, RouteDestinationsUniquePerRouter) {
  EXPECT_TRUE(OnlyError(
      load_with_base(routed("      - destination: 192.168.50.0/24\n        next_hop: 10.0.3.10\n"
                            "      - destination: 192.168.50.0/24\n        next_hop: 10.0.3.10\n"
                            "      - destination: 192.168.50.0/25\n        next_hop: 10.0.3.10\n")),
      "t.yaml:14:22",
      {"router 'r1'", "duplicate route to 192.168.50.0/24", "first at t.yaml:12:9"}));
}

// ---- everything at once -------------------------------------------------------------------

TEST(TopologyValidateTest, ReportsEveryCrossObjectError) {
  const auto r = load_with_base(R"(endpoints:
  - name: vm1
    host: hv9
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.2.1
    security_groups: [nope]
  - name: vm2
    host: hv1
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.12
)");
  ASSERT_FALSE(r.topology);
  ASSERT_EQ(r.errors.size(), 4u) << testing::dump(r);
  EXPECT_EQ(r.errors[0].loc.str(), "t.yaml:3:11");
  EXPECT_EQ(r.errors[1].loc.str(), "t.yaml:7:9");
  EXPECT_EQ(r.errors[2].loc.str(), "t.yaml:8:23");
  EXPECT_EQ(r.errors[3].loc.str(), "t.yaml:13:10");
}

TEST(TopologyValidateTest, ValidateWithoutPositionsPointsAtObjects) {
  // validate() on a Topology built in code (as a decoder would) still
  // names each object's position.
  auto r = load_with_base(endpoint_with("ip", "10.0.1.11"));
  ASSERT_TRUE(Loads(r));
  Topology t = *r.topology;
  t.endpoints.push_back(t.endpoints[0]);
  t.endpoints[1].loc = SourceLoc{"c.yaml", 40, 3};
  const auto errors = validate(t);
  ASSERT_EQ(errors.size(), 4u);
  for (const Diagnostic& d : errors) {
    EXPECT_EQ(d.loc.str(), "c.yaml:40:3") << d.str();
  }
  EXPECT_NE(errors[0].message.find("duplicate endpoint name 'vm1' (first defined at t.yaml:2:5)"),
            std::string::npos);
  EXPECT_TRUE(validate(*r.topology).empty());
}

}  // namespace
}  // namespace vnet::topology

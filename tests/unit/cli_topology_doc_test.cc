// vnetctl's topology documents: `get -o yaml` of a full topology must be
// valid `apply` input that loads back as the same topology (a contract
// requirement), including names and interface names that YAML would read
// as booleans, numbers or dates if they were written plain. The comparison
// is field by field, independent of the document code under test.

#include <gtest/gtest.h>

#include <string>

#include "cli/diff.h"
#include "cli/topology_doc.h"
#include "output/document.h"
#include "topology/parser.h"

namespace vnet::cli {
namespace {

using output::Value;
using topology::Topology;

// Every field of the format at least once, and values that need quoting.
constexpr const char* kFull = R"(version: 1
underlay:
  vxlan_port: 4790
  mtu: 9000
hosts:
  - name: hv1
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
  - name: "yes"
    role: hypervisor
    vtep_ip: 198.18.0.2
    underlay_interface: "#u0"
  - name: "2024-01-01"
    role: switch
    vtep_ip: 198.18.0.3
  - name: "1234"
    role: switch
    vtep_ip: 198.18.0.4
    underlay_interface: "-x"
networks:
  - name: blue
    vni: 1001
    subnet: 10.0.1.0/24
  - name: "null"
    vni: 2001
    subnet: 10.0.1.0/24
  - name: "1e3"
    vni: 16777214
    subnet: 10.9.0.0/16
endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
    security_groups: [web, "on"]
    allowed_addresses: [10.0.1.100/32, 10.0.1.128/25]
  - name: "0x1f"
    host: "yes"
    network: "null"
    interface: "yes"
    mac: "52:54:00:12:34:56"
    ip: 10.0.1.11
  - name: appliance
    host: "yes"
    network: "1e3"
    interface: "[a]"
    mac: 02:00:00:00:00:21
    ip: 10.9.0.254
  - name: bm1
    host: "2024-01-01"
    network: blue
    interface: swp1
    mac: 02:00:00:00:00:31
    ip: 10.0.1.31
    vlan: 100
  - name: bm2
    host: "1234"
    network: "1e3"
    interface: "'q"
    mac: 02:00:00:00:00:32
    ip: 10.9.0.32
routers:
  - name: r1
    interfaces:
      - network: blue
        ip: 10.0.1.1/24
        mac: 02:00:00:00:01:01
      - network: "1e3"
        ip: 10.9.0.1/16
    routes:
      - destination: 192.168.50.0/24
        next_hop: 10.9.0.254
      - destination: 0.0.0.0/0
        next_hop: 10.9.0.254
  - name: r2
    interfaces:
      - network: "null"
        ip: 10.0.1.254/24
security_groups:
  - name: web
    rules:
      - direction: ingress
        protocol: tcp
        ports: 80
        remote_cidr: 0.0.0.0/0
      - direction: ingress
        protocol: udp
        ports: "1000-2000"
        remote_group: "on"
      - direction: ingress
        protocol: icmp
        icmp_type: 8
        icmp_code: 0
        remote_group: web
      - direction: egress
        protocol: any
        remote_cidr: 10.0.0.0/8
      - direction: egress
        protocol: 47
      - direction: ingress
        protocol: 0
  - name: "on"
    rules: []
)";

Topology load(const std::string& name, const std::string& text) {
  topology::LoadResult r = topology::load_strings({{name, text}});
  std::string errors;
  for (const auto& d : r.errors) {
    errors += d.str() + "\n";
  }
  EXPECT_TRUE(r.errors.empty()) << errors << "---\n" << text;
  return r.topology.value_or(Topology{});
}

// Field-by-field equality, ignoring SourceLoc and endpoint ids.
void expect_same(const Topology& a, const Topology& b) {
  EXPECT_EQ(a.underlay.vxlan_port, b.underlay.vxlan_port);
  EXPECT_EQ(a.underlay.mtu, b.underlay.mtu);
  ASSERT_EQ(a.hosts.size(), b.hosts.size());
  for (std::size_t i = 0; i < a.hosts.size(); ++i) {
    SCOPED_TRACE("host " + a.hosts[i].name);
    EXPECT_EQ(a.hosts[i].name, b.hosts[i].name);
    EXPECT_EQ(a.hosts[i].role, b.hosts[i].role);
    EXPECT_EQ(a.hosts[i].vtep_ip, b.hosts[i].vtep_ip);
    EXPECT_EQ(a.hosts[i].underlay_interface, b.hosts[i].underlay_interface);
  }
  ASSERT_EQ(a.networks.size(), b.networks.size());
  for (std::size_t i = 0; i < a.networks.size(); ++i) {
    SCOPED_TRACE("network " + a.networks[i].name);
    EXPECT_EQ(a.networks[i].name, b.networks[i].name);
    EXPECT_EQ(a.networks[i].vni, b.networks[i].vni);
    EXPECT_EQ(a.networks[i].subnet, b.networks[i].subnet);
  }
  ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    const auto& x = a.endpoints[i];
    const auto& y = b.endpoints[i];
    SCOPED_TRACE("endpoint " + x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.host, y.host);
    EXPECT_EQ(x.network, y.network);
    EXPECT_EQ(x.interface, y.interface);
    EXPECT_EQ(x.mac, y.mac);
    EXPECT_EQ(x.ip, y.ip);
    EXPECT_EQ(x.vlan, y.vlan);
    EXPECT_EQ(x.security_groups, y.security_groups);
    EXPECT_EQ(x.allowed_addresses, y.allowed_addresses);
  }
  ASSERT_EQ(a.routers.size(), b.routers.size());
  for (std::size_t i = 0; i < a.routers.size(); ++i) {
    const auto& x = a.routers[i];
    const auto& y = b.routers[i];
    SCOPED_TRACE("router " + x.name);
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.interfaces.size(), y.interfaces.size());
    for (std::size_t k = 0; k < x.interfaces.size(); ++k) {
      EXPECT_EQ(x.interfaces[k].network, y.interfaces[k].network);
      EXPECT_EQ(x.interfaces[k].ip, y.interfaces[k].ip);
      EXPECT_EQ(x.interfaces[k].mac, y.interfaces[k].mac);
    }
    ASSERT_EQ(x.routes.size(), y.routes.size());
    for (std::size_t k = 0; k < x.routes.size(); ++k) {
      EXPECT_EQ(x.routes[k].destination, y.routes[k].destination);
      EXPECT_EQ(x.routes[k].next_hop, y.routes[k].next_hop);
    }
  }
  ASSERT_EQ(a.security_groups.size(), b.security_groups.size());
  for (std::size_t i = 0; i < a.security_groups.size(); ++i) {
    const auto& x = a.security_groups[i];
    const auto& y = b.security_groups[i];
    SCOPED_TRACE("security group " + x.name);
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.rules.size(), y.rules.size());
    for (std::size_t k = 0; k < x.rules.size(); ++k) {
      SCOPED_TRACE("rule " + std::to_string(k));
      EXPECT_EQ(x.rules[k].direction, y.rules[k].direction);
      EXPECT_EQ(x.rules[k].protocol, y.rules[k].protocol);
      EXPECT_EQ(x.rules[k].port_min, y.rules[k].port_min);
      EXPECT_EQ(x.rules[k].port_max, y.rules[k].port_max);
      EXPECT_EQ(x.rules[k].icmp_type, y.rules[k].icmp_type);
      EXPECT_EQ(x.rules[k].icmp_code, y.rules[k].icmp_code);
      EXPECT_EQ(x.rules[k].remote_cidr, y.rules[k].remote_cidr);
      EXPECT_EQ(x.rules[k].remote_group, y.rules[k].remote_group);
    }
  }
}

TEST(TopologyDocTest, GetYamlRoundTripsThroughTheLoader) {
  const Topology original = load("full.yaml", kFull);
  ASSERT_EQ(original.endpoints.size(), 5u);
  const std::string text = output::to_yaml(topology_document(original));
  const Topology reread = load("get.yaml", text);
  expect_same(original, reread);
  EXPECT_TRUE(diff_topologies(original, reread).empty());
  // And the printed text is a fixed point.
  EXPECT_EQ(output::to_yaml(topology_document(reread)), text);
}

TEST(TopologyDocTest, GetJsonIsAlsoValidApplyInput) {
  // JSON is YAML's flow style; the loader reads it like any other file.
  const Topology original = load("full.yaml", kFull);
  const Topology reread = load("get.json", output::to_json(topology_document(original)));
  expect_same(original, reread);
}

TEST(TopologyDocTest, IdsAndPositionsAreNotPartOfTheDocument) {
  Topology a = load("full.yaml", kFull);
  Topology b = a;
  for (auto& e : b.endpoints) {
    e.id += 100;
    e.loc = {};
  }
  b.hosts[0].loc = {"elsewhere.yaml", 3, 4};
  EXPECT_TRUE(values_equal(topology_document(a), topology_document(b)));
}

TEST(TopologyDocTest, DocumentShape) {
  const Topology topo = load("full.yaml", kFull);
  const Value doc = topology_document(topo);
  ASSERT_EQ(doc.fields().size(), 7u);
  const char* keys[] = {"version",   "underlay", "hosts",          "networks",
                        "endpoints", "routers",  "security_groups"};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(doc.fields()[i].first, keys[i]);
  }
  // Defaults: role always written, optional fields omitted when absent.
  const Value& hv1 = doc.get("hosts")->items()[0];
  EXPECT_EQ(hv1.get("role")->as_string(), "hypervisor");
  const Value& sw = doc.get("hosts")->items()[2];
  EXPECT_EQ(sw.get("underlay_interface"), nullptr);
  const Value& vm = doc.get("endpoints")->items()[1];
  EXPECT_EQ(vm.get("vlan"), nullptr);
  EXPECT_EQ(vm.get("security_groups"), nullptr);
  // Router MAC as written: absent stays absent (not the derived one).
  const Value& r1 = doc.get("routers")->items()[0];
  EXPECT_EQ(r1.get("interfaces")->items()[0].get("mac")->as_string(), "02:00:00:00:01:01");
  EXPECT_EQ(r1.get("interfaces")->items()[1].get("mac"), nullptr);
  EXPECT_EQ(doc.get("routers")->items()[1].get("routes"), nullptr);
  // Ports as N or "N-M"; protocol names for tcp/udp/icmp/any, else numbers.
  const auto& rules = doc.get("security_groups")->items()[0].get("rules")->items();
  EXPECT_EQ(rules[0].get("ports")->as_int(), 80);
  EXPECT_EQ(rules[1].get("ports")->as_string(), "1000-2000");
  EXPECT_EQ(rules[0].get("protocol")->as_string(), "tcp");
  EXPECT_EQ(rules[2].get("protocol")->as_string(), "icmp");
  EXPECT_EQ(rules[3].get("protocol")->as_string(), "any");
  EXPECT_EQ(rules[4].get("protocol")->as_int(), 47);
  EXPECT_EQ(rules[5].get("protocol")->as_int(), 0);
}

TEST(TopologyDocTest, KindDocumentIsAnApplyFragment) {
  const Topology topo = load("full.yaml", kFull);
  const auto doc = kind_document(topo, ObjectKind::kEndpoint, std::string("bm1"));
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->fields().size(), 2u);
  EXPECT_EQ(doc->fields()[0].first, "version");
  EXPECT_EQ(doc->fields()[1].first, "endpoints");
  EXPECT_EQ(doc->get("endpoints")->items().size(), 1u);
  EXPECT_FALSE(kind_document(topo, ObjectKind::kEndpoint, std::string("nope")).has_value());

  // Merged with the rest of the topology it loads as a piece of it.
  Topology without = topo;
  std::erase_if(without.endpoints, [](const auto& e) { return e.name == "bm1"; });
  const auto rest = output::to_yaml(topology_document(without));
  const auto fragment = output::to_yaml(*doc);
  topology::LoadResult r = topology::load_strings({{"rest.yaml", rest}, {"ep.yaml", fragment}});
  ASSERT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_NE(r.topology->find_endpoint("bm1"), nullptr);
}

TEST(TopologyDocTest, EmptyTopologyDocumentLoads) {
  const Topology empty;
  const std::string text = output::to_yaml(topology_document(empty));
  EXPECT_EQ(text,
            "version: 1\n"
            "underlay:\n"
            "  vxlan_port: 4789\n"
            "hosts: []\n"
            "networks: []\n"
            "endpoints: []\n"
            "routers: []\n"
            "security_groups: []\n");
  const Topology reread = load("empty.yaml", text);
  expect_same(empty, reread);
}

TEST(TopologyDocTest, ParsesKinds) {
  EXPECT_EQ(parse_kind("hosts"), ObjectKind::kHost);
  EXPECT_EQ(parse_kind("host"), ObjectKind::kHost);
  EXPECT_EQ(parse_kind("networks"), ObjectKind::kNetwork);
  EXPECT_EQ(parse_kind("network"), ObjectKind::kNetwork);
  EXPECT_EQ(parse_kind("endpoints"), ObjectKind::kEndpoint);
  EXPECT_EQ(parse_kind("endpoint"), ObjectKind::kEndpoint);
  EXPECT_EQ(parse_kind("routers"), ObjectKind::kRouter);
  EXPECT_EQ(parse_kind("router"), ObjectKind::kRouter);
  EXPECT_EQ(parse_kind("security-groups"), ObjectKind::kSecurityGroup);
  EXPECT_EQ(parse_kind("security-group"), ObjectKind::kSecurityGroup);
  EXPECT_EQ(parse_kind("sg"), ObjectKind::kSecurityGroup);
  EXPECT_EQ(parse_kind("vm1"), std::nullopt);
  EXPECT_EQ(parse_kind(""), std::nullopt);
}

TEST(TopologyDocTest, TableRows) {
  const Topology topo = load("full.yaml", kFull);
  const auto networks = table_rows(topo, ObjectKind::kNetwork, std::nullopt);
  ASSERT_TRUE(networks.has_value());
  EXPECT_EQ(output::to_table(*networks, table_spec(ObjectKind::kNetwork)),
            "NAME   VNI        SUBNET        ENDPOINTS\n"
            "blue   1001       10.0.1.0/24   2\n"
            "null   2001       10.0.1.0/24   1\n"
            "1e3    16777214   10.9.0.0/16   2\n");
  const auto r1 = table_rows(topo, ObjectKind::kRouter, std::string("r1"));
  // The effective table, longest prefix first; 1e3's MAC is derived.
  EXPECT_EQ(output::to_table(*r1, table_spec(ObjectKind::kRouter)),
            "NAME   DESTINATION       VIA          NETWORK   GATEWAY    ROUTER-MAC\n"
            "r1     10.0.1.0/24       connected    blue      10.0.1.1   02:00:00:00:01:01\n"
            "r1     192.168.50.0/24   10.9.0.254   1e3       10.9.0.1   02:8e:ca:71:14:75\n"
            "r1     10.9.0.0/16       connected    1e3       10.9.0.1   02:8e:ca:71:14:75\n"
            "r1     0.0.0.0/0         10.9.0.254   1e3       10.9.0.1   02:8e:ca:71:14:75\n");
  const auto hosts = table_rows(topo, ObjectKind::kHost, std::string("2024-01-01"));
  EXPECT_EQ(output::to_table(*hosts, table_spec(ObjectKind::kHost)),
            "NAME         ROLE     VTEP         UNDERLAY-IF\n"
            "2024-01-01   switch   198.18.0.3   -\n");
  EXPECT_FALSE(table_rows(topo, ObjectKind::kHost, std::string("hv9")).has_value());
}

// `get security-groups`: one row per rule as `openstack security group rule
// list` shows them, then one row per member.
TEST(TopologyDocTest, SecurityGroupTables) {
  const Topology topo = load("full.yaml", kFull);
  const auto text = tables_text(topo, ObjectKind::kSecurityGroup, std::nullopt);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text,
            "NAME   DIRECTION   PROTOCOL   PORTS       ICMP   REMOTE-CIDR   REMOTE-GROUP\n"
            "web    ingress     tcp        80          -      0.0.0.0/0     -\n"
            "web    ingress     udp        1000-2000   -      -             on\n"
            "web    ingress     icmp       -           8/0    -             web\n"
            "web    egress      any        -           -      10.0.0.0/8    -\n"
            "web    egress      47         -           -      0.0.0.0/0     -\n"
            "web    ingress     0          -           -      0.0.0.0/0     -\n"
            "on     -           -          -           -      -             -\n"
            "\n"
            "NAME   ENDPOINT   HOST   NETWORK   IP\n"
            "web    vm1        hv1    blue      10.0.1.11\n"
            "on     vm1        hv1    blue      10.0.1.11\n");
  // Same number of fields on every line (awk), and a name filters both tables.
  const auto on = tables_text(topo, ObjectKind::kSecurityGroup, std::string("on"));
  ASSERT_TRUE(on.has_value());
  EXPECT_EQ(*on,
            "NAME   DIRECTION   PROTOCOL   PORTS   ICMP   REMOTE-CIDR   REMOTE-GROUP\n"
            "on     -           -          -       -      -             -\n"
            "\n"
            "NAME   ENDPOINT   HOST   NETWORK   IP\n"
            "on     vm1        hv1    blue      10.0.1.11\n");
  EXPECT_FALSE(tables_text(topo, ObjectKind::kSecurityGroup, std::string("nope")).has_value());
  EXPECT_FALSE(member_table_rows(topo, std::string("nope")).has_value());
}

TEST(TopologyDocTest, SecurityGroupTableSaysAnyAndShowsEmptyGroups) {
  const Topology topo = load("sg.yaml", R"(version: 1
hosts:
  - name: hv1
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
networks:
  - name: blue
    vni: 1001
    subnet: 10.0.1.0/24
  - name: red
    vni: 2001
    subnet: 10.0.1.0/24
endpoints:
  - name: a
    host: hv1
    network: blue
    interface: a-h
    mac: 02:00:00:00:00:01
    ip: 10.0.1.1
    security_groups: [db]
  - name: b
    host: hv1
    network: red
    interface: b-h
    mac: 02:00:00:00:00:02
    ip: 10.0.1.2
    security_groups: [db]
    allowed_addresses: [10.0.1.100/32]
security_groups:
  - name: db
    rules:
      - direction: ingress
        protocol: tcp
        remote_group: db
      - direction: ingress
        protocol: icmp
        icmp_type: 3
  - name: lonely
    rules:
      - direction: egress
)");
  EXPECT_EQ(*tables_text(topo, ObjectKind::kSecurityGroup, std::nullopt),
            "NAME     DIRECTION   PROTOCOL   PORTS   ICMP   REMOTE-CIDR   REMOTE-GROUP\n"
            "db       ingress     tcp        any     -      -             db\n"
            "db       ingress     icmp       -       3      0.0.0.0/0     -\n"
            "lonely   egress      any        -       -      0.0.0.0/0     -\n"
            "\n"
            "NAME     ENDPOINT   HOST   NETWORK   IP\n"
            "db       a          hv1    blue      10.0.1.1\n"
            "db       b          hv1    red       10.0.1.2\n"
            "lonely   -          -      -         -\n");

  // yaml/json: the group as written, then its members (with allowed
  // addresses when there are some), in document order.
  const auto doc = kind_document(topo, ObjectKind::kSecurityGroup, std::nullopt);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(output::to_yaml(*doc),
            "version: 1\n"
            "security_groups:\n"
            "  - name: db\n"
            "    rules:\n"
            "      - direction: ingress\n"
            "        protocol: tcp\n"
            "        remote_group: db\n"
            "      - direction: ingress\n"
            "        protocol: icmp\n"
            "        icmp_type: 3\n"
            "    members:\n"
            "      - endpoint: a\n"
            "        host: hv1\n"
            "        network: blue\n"
            "        ip: 10.0.1.1\n"
            "      - endpoint: b\n"
            "        host: hv1\n"
            "        network: red\n"
            "        ip: 10.0.1.2\n"
            "        allowed_addresses:\n"
            "          - 10.0.1.100/32\n"
            "  - name: lonely\n"
            "    rules:\n"
            "      - direction: egress\n"
            "        protocol: any\n"
            "    members: []\n");
}

TEST(TopologyDocTest, SecurityGroupDocumentHasRulesAndMembers) {
  const Topology topo = load("full.yaml", kFull);
  const auto doc = kind_document(topo, ObjectKind::kSecurityGroup, std::string("web"));
  ASSERT_TRUE(doc.has_value());
  const auto& groups = doc->get("security_groups")->items();
  ASSERT_EQ(groups.size(), 1u);
  const Value& web = groups[0];
  ASSERT_EQ(web.fields().size(), 3u);
  EXPECT_EQ(web.fields()[0].first, "name");
  EXPECT_EQ(web.fields()[1].first, "rules");
  EXPECT_EQ(web.fields()[2].first, "members");
  // Rules exactly as the topology document writes them (every field).
  const Value full = topology_document(topo);
  EXPECT_TRUE(values_equal(*web.get("rules"),
                           *full.get("security_groups")->items()[0].get("rules")));
  const auto& members = web.get("members")->items();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].get("endpoint")->as_string(), "vm1");
  EXPECT_EQ(members[0].get("network")->as_string(), "blue");
  EXPECT_EQ(members[0].get("ip")->as_string(), "10.0.1.11");
  EXPECT_EQ(members[0].get("allowed_addresses")->items().size(), 2u);
  EXPECT_FALSE(kind_document(topo, ObjectKind::kSecurityGroup, std::string("nope")).has_value());
  // JSON carries the same tree.
  const std::string json = output::to_json(*doc);
  EXPECT_NE(json.find("\"members\""), std::string::npos);
  EXPECT_NE(json.find("\"icmp_type\": 8"), std::string::npos);

  // Without `members` it is the apply fragment again; the whole-topology
  // document (get -o yaml without a kind) has no members at all.
  Value fragment = Value::map();
  fragment.set("version", Value::integer(1));
  Value& list = fragment.set("security_groups", Value::list());
  Value stripped = Value::map();
  for (const auto& [key, value] : web.fields()) {
    if (key != "members") {
      stripped.set(key, value);
    }
  }
  list.push(std::move(stripped));
  Topology without = topo;
  std::erase_if(without.security_groups, [](const auto& g) { return g.name == "web"; });
  topology::LoadResult r = topology::load_strings(
      {{"rest.yaml", output::to_yaml(topology_document(without))},
       {"sg.yaml", output::to_yaml(fragment)}});
  ASSERT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_TRUE(diff_topologies(topo, *r.topology).empty());
  EXPECT_EQ(output::to_yaml(topology_document(topo)).find("members"), std::string::npos);
}

}  // namespace
}  // namespace vnet::cli

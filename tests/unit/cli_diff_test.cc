// vnetctl diff / apply --dry-run: object-level changes between two
// topologies, matched by kind and name.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/diff.h"
#include "topology/parser.h"

namespace vnet::cli {
namespace {

using topology::Topology;

constexpr const char* kBefore = R"(version: 1
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
    subnet: 10.0.2.0/24
endpoints:
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:11
    ip: 10.0.1.11
  - name: vm2
    host: hv1
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:12
    ip: 10.0.1.12
security_groups:
  - name: web
    rules:
      - direction: ingress
        protocol: tcp
        ports: 80
)";

constexpr const char* kAfter = R"(version: 1
underlay:
  mtu: 1500
hosts:
  - name: hv1
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
networks:
  - name: blue
    vni: 1001
    subnet: 10.0.1.0/24
endpoints:
  - name: vm2
    host: hv1
    network: blue
    interface: vm2-h
    mac: 02:00:00:00:00:12
    ip: 10.0.1.12
  - name: vm1
    host: hv1
    network: blue
    interface: vm1-h
    mac: 02:00:00:00:00:99
    ip: 10.0.1.11
    security_groups: [web]
  - name: vm5
    host: hv1
    network: blue
    interface: vm5-h
    mac: 02:00:00:00:00:15
    ip: 10.0.1.15
security_groups:
  - name: web
    rules:
      - direction: ingress
        protocol: tcp
        ports: "80-81"
)";

Topology load(const char* text) {
  auto r = topology::load_strings({{"t.yaml", text}});
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors[0].str());
  return r.topology.value_or(Topology{});
}

std::vector<std::string> lines(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const Change& c : changes) {
    out.push_back(c.str());
  }
  return out;
}

TEST(DiffTest, NoChangesForTheSameDocument) {
  EXPECT_TRUE(diff_topologies(load(kBefore), load(kBefore)).empty());
}

TEST(DiffTest, ReportsAddedRemovedAndChangedObjects) {
  const std::vector<std::string> expected = {
      "~ underlay (mtu: none -> 1500)",
      "- network red",
      "~ endpoint vm1 (mac: 02:00:00:00:00:11 -> 02:00:00:00:00:99, security_groups: none -> "
      "[web])",
      "+ endpoint vm5",
      "~ security-group web (rules[0].ports: 80 -> 80-81)",
  };
  EXPECT_EQ(lines(diff_topologies(load(kBefore), load(kAfter))), expected);
}

TEST(DiffTest, ReorderingIsNotAChange) {
  // vm1 and vm2 swap places between the documents; only content counts.
  Topology a = load(kBefore);
  Topology b = a;
  std::swap(b.endpoints[0], b.endpoints[1]);
  EXPECT_TRUE(diff_topologies(a, b).empty());
}

TEST(DiffTest, IgnoresIdsAndSourcePositions) {
  Topology a = load(kBefore);
  Topology b = a;
  b.endpoints[0].id = 42;
  b.endpoints[0].loc = {};
  b.networks[1].loc = {"other.yaml", 9, 9};
  EXPECT_TRUE(diff_topologies(a, b).empty());
}

TEST(DiffTest, EverythingIsNewAgainstAnEmptyStore) {
  const std::vector<std::string> expected = {
      "+ host hv1",       "+ network blue", "+ network red", "+ endpoint vm1",
      "+ endpoint vm2",   "+ security-group web",
  };
  EXPECT_EQ(lines(diff_topologies(Topology{}, load(kBefore))), expected);
}

TEST(DiffTest, ListsOfDifferentLengthShowBothSides) {
  Topology a = load(kBefore);
  Topology b = a;
  b.security_groups[0].rules.clear();
  EXPECT_EQ(lines(diff_topologies(a, b)),
            std::vector<std::string>{"~ security-group web (rules: [{direction: ingress, "
                                     "protocol: tcp, ports: 80}] -> [])"});
}

}  // namespace
}  // namespace vnet::cli

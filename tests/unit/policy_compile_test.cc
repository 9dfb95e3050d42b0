// compile/policy: security groups compiled into a host's policy entries,
// checked entry by entry on small topologies; compiled entries evaluated
// with a tiny LPM simulator agree with the reference evaluator
// (compile/reference.h) on random topologies and packets; the validator
// refuses a host whose policies do not fit.

#include "compile/policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <string>

#include "compile/plan.h"
#include "compile/reference.h"
#include "topology/parser.h"
#include "vnet/abi.h"

namespace vnet::compile {
namespace {

using topology::Direction;
using topology::Endpoint;
using topology::Rule;
using topology::SecurityGroup;
using topology::Topology;

Ipv4 ip(const char* s) { return Ipv4::parse(s).value(); }

// Hosts hv1/hv2, tenants blue and red on the same 10.0.1.0/24, green
// (10.0.3.0/24) behind router rt with blue, and `rest` (endpoints,
// security groups) as YAML.
Topology load(const std::string& rest) {
  const std::string doc = R"(version: 1
hosts:
  - {name: hv1, vtep_ip: 198.18.0.1, underlay_interface: eth0}
  - {name: hv2, vtep_ip: 198.18.0.2, underlay_interface: eth0}
networks:
  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}
  - {name: red, vni: 2001, subnet: 10.0.1.0/24}
  - {name: green, vni: 3001, subnet: 10.0.3.0/24}
routers:
  - name: rt
    interfaces:
      - {network: blue, ip: 10.0.1.1/24}
      - {network: green, ip: 10.0.3.1/24}
)" + rest;
  auto r = topology::load_strings({{"t.yaml", doc}});
  for (const auto& e : r.errors) {
    ADD_FAILURE() << e.loc.str() << ": " << e.message;
  }
  return r.topology.value_or(Topology{});
}

HostPlan plan_of(const Topology& t, const std::string& host = "hv1") {
  auto plan = compile(t, host);
  EXPECT_TRUE(plan.is_ok()) << plan.status().message();
  return plan.is_ok() ? *plan : HostPlan{};
}

const PlannedPort& port(const HostPlan& plan, const std::string& endpoint) {
  auto it = std::find_if(plan.ports.begin(), plan.ports.end(),
                         [&](const PlannedPort& p) { return p.endpoint == endpoint; });
  EXPECT_NE(it, plan.ports.end()) << endpoint;
  return *it;
}

// A policy's entries without the id, as (prefix, class) and
// (class, protocol or -1, port, bits).
struct Entries {
  std::vector<std::pair<std::string, std::uint32_t>> remotes;
  std::vector<std::tuple<std::uint32_t, int, int, int>> rules;
  bool operator==(const Entries&) const = default;
};

Entries entries(const HostPlan& plan, std::uint32_t policy) {
  Entries out;
  for (const auto& r : plan.policy_remotes) {
    if (r.policy == policy) {
      out.remotes.emplace_back(r.prefix.str(), r.class_id);
    }
  }
  for (const auto& r : plan.policy_rules) {
    if (r.policy == policy) {
      out.rules.emplace_back(r.class_id, r.protocol ? int{*r.protocol} : -1, r.port, r.port_bits);
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Entries& e) {
  for (const auto& [p, c] : e.remotes) {
    os << p << "->" << c << " ";
  }
  for (const auto& [c, proto, port, bits] : e.rules) {
    os << "[" << c << " " << proto << " " << port << "/" << bits << "] ";
  }
  return os;
}

const std::string kVm1 = R"(
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "02:00:00:00:00:01", ip: 10.0.1.11, security_groups: [g]}
)";

TEST(PolicyCompile, PortRangeIsItsMinimalPrefixCover) {
  const Topology t = load("endpoints:" + kVm1 + R"(security_groups:
  - name: g
    rules:
      - {direction: ingress, protocol: tcp, ports: 1000-1999, remote_cidr: 0.0.0.0/0}
)");
  const HostPlan plan = plan_of(t);
  const PlannedPort& p = port(plan, "vm1");
  ASSERT_NE(p.policy_in, 0u);
  ASSERT_NE(p.policy_out, 0u);
  EXPECT_NE(p.policy_in, p.policy_out);
  const Entries want{.remotes = {{"0.0.0.0/0", 1}},
                     .rules = {{1, 6, 1000, 13},
                               {1, 6, 1008, 12},
                               {1, 6, 1024, 7},
                               {1, 6, 1536, 8},
                               {1, 6, 1792, 9},
                               {1, 6, 1920, 10},
                               {1, 6, 1984, 12}}};
  EXPECT_EQ(entries(plan, p.policy_in), want);
  // No egress rule: a policy that allows nothing.
  EXPECT_EQ(entries(plan, p.policy_out), Entries{});
  // The local fdb entry carries the ingress policy.
  for (const auto& f : plan.fdb) {
    if (f.interface == "vm1-h") {
      EXPECT_EQ(f.policy_in, p.policy_in);
      EXPECT_EQ(f.policy_out, p.policy_out);
    }
  }
}

TEST(PolicyCompile, OverlappingRangesMergeAndNestedCidrsMakeClasses) {
  const Topology t = load("endpoints:" + kVm1 + R"(security_groups:
  - name: g
    rules:
      - {direction: egress, protocol: udp, ports: 53, remote_cidr: 0.0.0.0/0}
      - {direction: egress, protocol: tcp, ports: 22, remote_cidr: 10.0.0.0/8}
      - {direction: egress, protocol: tcp, ports: 23, remote_cidr: 10.1.0.0/16}
      - {direction: egress, protocol: tcp, ports: 20-21, remote_cidr: 10.1.0.0/16}
)");
  const HostPlan plan = plan_of(t);
  const PlannedPort& p = port(plan, "vm1");
  // Classes by what they allow: {tcp 20-23, udp 53} < {tcp 22, udp 53} < {udp 53}.
  const Entries want{.remotes = {{"0.0.0.0/0", 3}, {"10.0.0.0/8", 2}, {"10.1.0.0/16", 1}},
                     .rules = {{1, 6, 20, 14}, {1, 17, 53, 16}, {2, 6, 22, 16}, {2, 17, 53, 16},
                               {3, 17, 53, 16}}};
  EXPECT_EQ(entries(plan, p.policy_out), want);
}

TEST(PolicyCompile, ProtocolAnySubsumesAndIcmpTypesAndCodes) {
  const Topology t = load("endpoints:" + kVm1 + R"(security_groups:
  - name: g
    rules:
      - {direction: ingress, protocol: any, remote_cidr: 192.168.0.0/16}
      - {direction: ingress, protocol: tcp, ports: 80, remote_cidr: 192.168.0.0/16}
      - {direction: ingress, protocol: icmp, icmp_type: 8, icmp_code: 0, remote_cidr: 10.9.0.0/16}
      - {direction: ingress, protocol: icmp, icmp_type: 3, remote_cidr: 10.9.0.0/16}
      - {direction: ingress, protocol: 47, remote_cidr: 10.9.0.0/16}
      - {direction: egress, protocol: icmp, remote_cidr: 0.0.0.0/0}
      - {direction: egress, protocol: icmp, icmp_type: 8, remote_cidr: 0.0.0.0/0}
)");
  const HostPlan plan = plan_of(t);
  const PlannedPort& p = port(plan, "vm1");
  // Classes in the order of what they allow: "any" sorts first.
  const Entries in{.remotes = {{"10.9.0.0/16", 2}, {"192.168.0.0/16", 1}},
                   .rules = {{1, -1, 0, 0}, {2, 1, 0x0300, 8}, {2, 1, 0x0800, 16}, {2, 47, 0, 0}}};
  EXPECT_EQ(entries(plan, p.policy_in), in);
  const Entries out{.remotes = {{"0.0.0.0/0", 1}}, .rules = {{1, 1, 0, 0}}};
  EXPECT_EQ(entries(plan, p.policy_out), out);
}

TEST(PolicyCompile, RuleWithoutRemoteMatchesAnyAddress) {
  const Topology t = load("endpoints:" + kVm1 + R"(security_groups:
  - name: g
    rules:
      - {direction: ingress, protocol: udp}
)");
  const HostPlan plan = plan_of(t);
  EXPECT_EQ(entries(plan, port(plan, "vm1").policy_in),
            (Entries{.remotes = {{"0.0.0.0/0", 1}}, .rules = {{1, 17, 0, 0}}}));
}

// web members: b2 (blue, with a VIP), g1 (green, behind rt), r2 (red: the
// other tenant, same addresses as blue). vm1 (blue) and r1 (red) on hv1.
const std::string kTenants = R"(endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "02:00:00:00:00:01", ip: 10.0.1.11, security_groups: [db]}
  - {name: b2, host: hv2, network: blue, interface: b2-h, mac: "02:00:00:00:00:02", ip: 10.0.1.12, security_groups: [web], allowed_addresses: [10.0.1.128/25]}
  - {name: b3, host: hv2, network: blue, interface: b3-h, mac: "02:00:00:00:00:03", ip: 10.0.1.13}
  - {name: g1, host: hv2, network: green, interface: g1-h, mac: "02:00:00:00:00:04", ip: 10.0.3.5, security_groups: [web]}
  - {name: r1, host: hv1, network: red, interface: r1-h, mac: "02:00:00:00:00:05", ip: 10.0.1.11, security_groups: [db]}
  - {name: r2, host: hv2, network: red, interface: r2-h, mac: "02:00:00:00:00:06", ip: 10.0.1.14, security_groups: [web]}
security_groups:
  - name: web
    rules:
      - {direction: egress, protocol: any}
  - name: db
    rules:
      - {direction: ingress, protocol: tcp, ports: 5432, remote_group: web}
)";

TEST(PolicyCompile, RemoteGroupMembersComeFromTheNeighbourhoodOnly) {
  const Topology t = load(kTenants);
  const HostPlan plan = plan_of(t);
  const PlannedPort& vm1 = port(plan, "vm1");
  const PlannedPort& r1 = port(plan, "r1");
  EXPECT_EQ(entries(plan, vm1.policy_in),
            (Entries{.remotes = {{"10.0.1.12/32", 1}, {"10.0.1.128/25", 1}, {"10.0.3.5/32", 1}},
                     .rules = {{1, 6, 5432, 16}}}));
  EXPECT_EQ(entries(plan, r1.policy_in),
            (Entries{.remotes = {{"10.0.1.14/32", 1}}, .rules = {{1, 6, 5432, 16}}}));
  EXPECT_NE(vm1.policy_in, r1.policy_in);
  // Same groups, no remote_group rule: the egress (deny-all) policies are one.
  EXPECT_EQ(vm1.policy_out, r1.policy_out);
  EXPECT_EQ(entries(plan, vm1.policy_out), Entries{});
  // b3 has no groups: unfiltered, and not a port here anyway.
  for (const auto& p : plan.ports) {
    EXPECT_TRUE(p.endpoint == "vm1" || p.endpoint == "r1");
  }
}

TEST(PolicyCompile, IdsAreStableUnlessWhatIsAllowedChanges) {
  const Topology base = load(kTenants +
                             "      - {direction: ingress, protocol: icmp, remote_cidr: 10.0.0.0/8}\n");
  const HostPlan p0 = plan_of(base);
  const std::uint32_t in0 = port(p0, "vm1").policy_in;
  const std::uint32_t out0 = port(p0, "vm1").policy_out;

  // Unrelated: an unfiltered endpoint's MAC, a member in another tenant
  // (changes r1's policy only).
  Topology t = base;
  t.endpoints[2].mac.bytes[5] ^= 1;
  t.endpoints[5].ip = ip("10.0.1.44");
  const HostPlan p1 = plan_of(t);
  EXPECT_EQ(port(p1, "vm1").policy_in, in0);
  EXPECT_EQ(port(p1, "vm1").policy_out, out0);
  EXPECT_NE(port(p1, "r1").policy_in, port(p0, "r1").policy_in);
  // Recompiling the same topology gives the same ids.
  EXPECT_EQ(plan_of(base), p0);

  // A membership change (b3 joins web) changes vm1's ingress policy.
  t = base;
  t.endpoints[2].security_groups = {"web"};
  EXPECT_NE(port(plan_of(t), "vm1").policy_in, in0);
  EXPECT_EQ(port(plan_of(t), "vm1").policy_out, out0);

  // A rule change changes it too.
  t = base;
  t.security_groups[1].rules[0].port_max = 5433;
  EXPECT_NE(port(plan_of(t), "vm1").policy_in, in0);

  // Endpoints with the same groups and neighbourhood share the policy.
  t = base;
  Endpoint vm2 = t.endpoints[0];
  vm2.name = "vm2";
  vm2.interface = "vm2-h";
  vm2.mac.bytes[5] = 0x20;
  vm2.ip = ip("10.0.1.20");
  t.endpoints.push_back(vm2);
  const HostPlan p2 = plan_of(t);
  EXPECT_EQ(port(p2, "vm2").policy_in, port(p2, "vm1").policy_in);
  EXPECT_EQ(port(p2, "vm2").policy_in, in0);
}

TEST(PolicyCompile, ProbingKeepsDistinctContentsApart) {
  PolicyContent a{.direction = Direction::kIngress};
  PolicyContent b{.direction = Direction::kEgress};
  PolicyContent c{.direction = Direction::kIngress, .rules = {PolicyRuleEntry{.class_id = 1}}};
  const auto ids = policy_ids({&a, &b, &c});
  EXPECT_EQ(ids[0], policy_hash(a) == 0 ? 1 : policy_hash(a));
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
  EXPECT_NE(ids[0], ids[2]);
  // The same content twice (a caller error) still gets distinct ids, the
  // second one probed past the first.
  const auto twice = policy_ids({&a, &a});
  EXPECT_EQ(twice[1], twice[0] + 1);
}

// ---- compiled entries vs the reference ----------------------------------------

// What the datapath does with the entries: longest prefix match on the
// remote, then any rule entry of the class whose prefix matches (protocol,
// port); a non-first fragment is looked up with prefix length 80
// (protocol only), so only entries without port bits match.
bool lpm_allows(const HostPlan& plan, std::uint32_t policy, const PolicyPacket& pkt) {
  if (policy == 0) {
    return true;
  }
  int best = -1;
  std::uint32_t cls = 0;
  for (const auto& r : plan.policy_remotes) {
    if (r.policy == policy && r.prefix.contains(pkt.remote) && r.prefix.len > best) {
      best = r.prefix.len;
      cls = r.class_id;
    }
  }
  if (best < 0) {
    return false;
  }
  std::uint16_t port = 0;
  if (pkt.protocol == 6 || pkt.protocol == 17) {
    port = pkt.dst_port;
  } else if (pkt.protocol == 1) {
    port = static_cast<std::uint16_t>(pkt.icmp_type << 8 | pkt.icmp_code);
  }
  const int limit = pkt.non_first_fragment ? 0 : 16;
  for (const auto& r : plan.policy_rules) {
    if (r.policy != policy || r.class_id != cls) {
      continue;
    }
    if (!r.protocol) {
      return true;
    }
    if (*r.protocol != pkt.protocol || r.port_bits > limit) {
      continue;
    }
    const std::uint32_t mask = r.port_bits == 0 ? 0 : (0xffffu << (16 - r.port_bits)) & 0xffffu;
    if ((port & mask) == (r.port & mask)) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> kGroupNames = {"g0", "g1", "g2", "g3"};

Rule random_rule(std::mt19937& rng) {
  Rule r;
  r.direction = rng() % 2 ? Direction::kIngress : Direction::kEgress;
  switch (rng() % 6) {
    case 0:
      break;  // any
    case 1:
    case 2:
      r.protocol = rng() % 2 ? 6 : 17;
      if (rng() % 3 != 0) {
        const std::uint16_t lo = static_cast<std::uint16_t>(1 + rng() % 100);
        r.port_min = lo;
        r.port_max = static_cast<std::uint16_t>(lo + (rng() % 3 == 0 ? rng() % 60 : 0));
      }
      break;
    case 3:
    case 4:
      r.protocol = 1;
      if (rng() % 3 != 0) {
        r.icmp_type = static_cast<std::uint8_t>(rng() % 4);
        if (rng() % 2) {
          r.icmp_code = static_cast<std::uint8_t>(rng() % 3);
        }
      }
      break;
    case 5:
      r.protocol = 47;
      break;
  }
  switch (rng() % 4) {
    case 0:
      break;  // any remote
    case 1: {
      const int lens[] = {8, 15, 16, 24, 28, 30, 32};
      Ipv4Prefix p{Ipv4{0x0a000000u | static_cast<std::uint32_t>(rng() % 4) << 16 |
                        static_cast<std::uint32_t>(rng() % 64)},
                   lens[rng() % 7]};
      p.addr.value &= p.mask();
      r.remote_cidr = p;
      break;
    }
    default:
      r.remote_group = kGroupNames[rng() % kGroupNames.size()];
  }
  return r;
}

// Hosts hv0..hv2, networks n0..n3 (n0 and n1 share 10.0.0.0/16: two
// tenants), a router on n1 and n2; endpoints in random groups.
Topology random_policy_topology(std::mt19937& rng, int endpoints) {
  Topology t;
  for (int i = 0; i < 3; ++i) {
    t.hosts.push_back(topology::Host{.name = "hv" + std::to_string(i),
                                     .vtep_ip = Ipv4{0xc6120001u + static_cast<std::uint32_t>(i)},
                                     .underlay_interface = "eth0"});
  }
  const std::uint32_t subnets[] = {0x0a000000u, 0x0a000000u, 0x0a010000u, 0x0a020000u};
  for (int i = 0; i < 4; ++i) {
    t.networks.push_back(topology::Network{.name = "n" + std::to_string(i),
                                           .vni = 100 + static_cast<std::uint32_t>(i),
                                           .subnet = Ipv4Prefix{Ipv4{subnets[i]}, 16}});
  }
  topology::Router router{.name = "r"};
  router.interfaces.push_back(
      topology::RouterInterface{.network = "n1", .ip = Ipv4Interface{Ipv4{0x0a000001u}, 16}});
  router.interfaces.push_back(
      topology::RouterInterface{.network = "n2", .ip = Ipv4Interface{Ipv4{0x0a010001u}, 16}});
  t.routers.push_back(router);
  for (const auto& name : kGroupNames) {
    SecurityGroup g{.name = name};
    const int rules = static_cast<int>(rng() % 5);
    for (int k = 0; k < rules; ++k) {
      g.rules.push_back(random_rule(rng));
    }
    t.security_groups.push_back(std::move(g));
  }
  for (int i = 0; i < endpoints; ++i) {
    Endpoint e;
    e.name = "ep" + std::to_string(i);
    e.id = static_cast<std::uint32_t>(i + 1);
    e.host = "hv" + std::to_string(rng() % 3);
    const int net = static_cast<int>(rng() % 4);
    e.network = "n" + std::to_string(net);
    e.interface = "e" + std::to_string(i);
    e.mac.bytes = {2, 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    e.ip = Ipv4{subnets[net] | static_cast<std::uint32_t>(2 + rng() % 60)};
    for (const auto& g : kGroupNames) {
      if (rng() % 3 == 0) {
        e.security_groups.push_back(g);
      }
    }
    if (rng() % 5 == 0) {
      Ipv4Prefix a{Ipv4{subnets[net] | static_cast<std::uint32_t>(rng() % 64)},
                   26 + static_cast<int>(rng() % 7)};
      a.addr.value &= a.mask();
      e.allowed_addresses.push_back(a);
    }
    t.endpoints.push_back(std::move(e));
  }
  return t;
}

PolicyPacket random_packet(std::mt19937& rng) {
  PolicyPacket p;
  // Mostly addresses endpoints and cidrs use, sometimes anything.
  p.remote = rng() % 8 == 0 ? Ipv4{static_cast<std::uint32_t>(rng())}
                            : Ipv4{0x0a000000u | static_cast<std::uint32_t>(rng() % 4) << 16 |
                                   static_cast<std::uint32_t>(rng() % 64)};
  const std::uint8_t protocols[] = {6, 17, 1, 47, 50};
  p.protocol = protocols[rng() % 5];
  p.dst_port = static_cast<std::uint16_t>(rng() % 8 == 0 ? rng() : 1 + rng() % 170);
  p.icmp_type = static_cast<std::uint8_t>(rng() % 5);
  p.icmp_code = static_cast<std::uint8_t>(rng() % 4);
  p.non_first_fragment = rng() % 6 == 0;
  return p;
}

TEST(PolicyCompile, CompiledEntriesAgreeWithTheReference) {
  std::mt19937 rng(4242);
  int allowed = 0;
  int denied = 0;
  int cases = 0;
  for (int round = 0; round < 60; ++round) {
    const Topology t = random_policy_topology(rng, 40);
    for (int h = 0; h < 3; ++h) {
      const HostPlan plan = plan_of(t, "hv" + std::to_string(h));
      for (const PlannedPort& port : plan.ports) {
        for (int k = 0; k < 12; ++k) {
          const Direction d = k % 2 ? Direction::kIngress : Direction::kEgress;
          const PolicyPacket pkt = random_packet(rng);
          const auto want = reference_allows(t, port.endpoint, d, pkt);
          ASSERT_TRUE(want.is_ok());
          const bool got =
              lpm_allows(plan, d == Direction::kIngress ? port.policy_in : port.policy_out, pkt);
          if (got != *want) {  // the rules and entries, to read the failure
            const Endpoint* ep = t.find_endpoint(port.endpoint);
            std::cerr << "net " << ep->network << " groups";
            for (auto& g : ep->security_groups) std::cerr << " " << g;
            std::cerr << "\n";
            for (auto& g : t.security_groups) {
              for (auto& r : g.rules) {
                std::cerr << g.name << " dir " << (r.direction == Direction::kIngress) << " proto "
                          << (r.protocol ? int{*r.protocol} : -1) << " ports "
                          << r.port_min.value_or(0) << "-" << r.port_max.value_or(0) << " icmp "
                          << (r.icmp_type ? int{*r.icmp_type} : -1) << "/"
                          << (r.icmp_code ? int{*r.icmp_code} : -1) << " cidr "
                          << (r.remote_cidr ? r.remote_cidr->str() : "-") << " group "
                          << r.remote_group.value_or("-") << "\n";
              }
            }
            std::cerr << entries(plan, d == Direction::kIngress ? port.policy_in : port.policy_out) << "\n";
          }
          ASSERT_EQ(got, *want) << "round " << round << " hv" << h << " " << port.endpoint << " "
                                << (d == Direction::kIngress ? "in" : "out") << " remote "
                                << pkt.remote.str() << " proto " << int{pkt.protocol} << " port "
                                << pkt.dst_port << " icmp " << int{pkt.icmp_type} << "/"
                                << int{pkt.icmp_code} << " frag " << pkt.non_first_fragment;
          ++cases;
          (*want ? allowed : denied) += 1;
        }
      }
    }
  }
  EXPECT_GT(cases, 5000);
  EXPECT_GT(allowed, cases / 5);
  EXPECT_GT(denied, cases / 5);
}

TEST(PolicyCompile, ReferenceBasics) {
  const Topology t = load(kTenants);
  const PolicyPacket from_b2{.remote = ip("10.0.1.12"), .protocol = 6, .dst_port = 5432};
  EXPECT_TRUE(*reference_allows(t, "vm1", Direction::kIngress, from_b2));
  // r1 is in red: blue's b2 is not its peer; r2 is.
  EXPECT_FALSE(*reference_allows(t, "r1", Direction::kIngress, from_b2));
  PolicyPacket from_r2 = from_b2;
  from_r2.remote = ip("10.0.1.14");
  EXPECT_TRUE(*reference_allows(t, "r1", Direction::kIngress, from_r2));
  // The VIP range of b2, g1 behind the router.
  PolicyPacket vip = from_b2;
  vip.remote = ip("10.0.1.200");
  EXPECT_TRUE(*reference_allows(t, "vm1", Direction::kIngress, vip));
  vip.remote = ip("10.0.3.5");
  EXPECT_TRUE(*reference_allows(t, "vm1", Direction::kIngress, vip));
  // Wrong port, fragment of a port rule, egress with no rule.
  PolicyPacket other = from_b2;
  other.dst_port = 5433;
  EXPECT_FALSE(*reference_allows(t, "vm1", Direction::kIngress, other));
  other = from_b2;
  other.non_first_fragment = true;
  EXPECT_FALSE(*reference_allows(t, "vm1", Direction::kIngress, other));
  EXPECT_FALSE(*reference_allows(t, "vm1", Direction::kEgress, from_b2));
  // No groups: unfiltered.
  EXPECT_TRUE(*reference_allows(t, "b3", Direction::kIngress, other));
  EXPECT_FALSE(reference_allows(t, "nobody", Direction::kIngress, other).is_ok());
}

// ---- capacity ---------------------------------------------------------------------

TEST(PolicyCompile, ValidatorRefusesAHostWhosePoliciesDoNotFit) {
  Topology t = load(kTenants);
  // b2's allowed_addresses become remote entries of vm1's ingress policy.
  Endpoint& b2 = t.endpoints[1];
  b2.allowed_addresses.clear();
  for (std::uint32_t i = 0; i < VNET_MAX_POLICY_REMOTES; ++i) {
    b2.allowed_addresses.push_back(Ipv4Prefix{Ipv4{0x0b000000u + i}, 32});
  }
  const auto errors = topology::validate(t);
  std::vector<std::string> policy_errors;
  for (const auto& e : errors) {
    if (e.message.find("VNET_MAX_POLICY_REMOTES") != std::string::npos) {
      policy_errors.push_back(e.message);
    }
  }
  ASSERT_EQ(policy_errors.size(), 1u);
  EXPECT_NE(policy_errors[0].find("host 'hv1'"), std::string::npos) << policy_errors[0];
  // ip + the VIPs, and r1's one member.
  EXPECT_NE(policy_errors[0].find(std::to_string(VNET_MAX_POLICY_REMOTES + 3)), std::string::npos)
      << policy_errors[0];

  // One fewer fits.
  b2.allowed_addresses.resize(VNET_MAX_POLICY_REMOTES - 4);
  for (const auto& e : topology::validate(t)) {
    EXPECT_EQ(e.message.find("VNET_MAX_POLICY"), std::string::npos) << e.message;
  }
}

}  // namespace
}  // namespace vnet::compile

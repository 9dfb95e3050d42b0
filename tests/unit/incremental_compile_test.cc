// compile/incremental + reconcile_change(): a host that follows store
// deltas with NetworkIndex::apply() and recompile_networks() holds exactly
// the plan a full compile() gives, entry by entry, and maps written through
// the change alone hold exactly what binding the whole plan gives.

#include "compile/incremental.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "endpoint_edits.h"
#include "reconcile/reconcile.h"
#include "store/codec.h"
#include "store/delta.h"
#include "vnet/abi.h"

namespace vnet::compile {
namespace {

using reconcile::Bytes;

// Stats slots: any fixed function of the endpoint id binds both sides of a
// change alike, as StatsSlots does while an endpoint lives.
std::uint16_t slot_by_id(std::uint32_t endpoint_id) {
  return static_cast<std::uint16_t>(endpoint_id % VNET_MAX_PORTS + 1);
}
using reconcile::Entries;
using store::StateDelta;
using store::StoredState;
using store::StateVersion;
using topology::Endpoint;
using topology::Host;
using topology::Network;
using topology::Topology;

constexpr int kHosts = 20;
constexpr int kNetworks = 30;
constexpr int kRoutedNetworks = 4;  // the router's interfaces: net0..net3

Ipv4 ip_in(int network, int n) {
  return Ipv4{0x0a000000u | static_cast<std::uint32_t>(network) << 16 |
              static_cast<std::uint32_t>(n & 0xffff)};
}

// Security groups of the random topologies: g0 (ingress from members of
// g0, and tcp from g1), g1 (egress to a cidr, ingress from g0), g2 (no
// rules: deny all).
const char* const kGroups[] = {"g0", "g1", "g2"};

std::vector<std::string> random_groups(std::mt19937& rng) {
  std::vector<std::string> out;
  for (const char* g : kGroups) {
    if (rng() % 4 == 0) {
      out.push_back(g);
    }
  }
  return out;
}

Endpoint make_endpoint(std::mt19937& rng, int n, bool groups = false) {
  Endpoint e;
  e.name = "ep" + std::to_string(n);
  e.id = static_cast<std::uint32_t>(n + 1);
  e.host = "hv" + std::to_string(rng() % kHosts);
  const int network = static_cast<int>(rng() % kNetworks);
  e.network = "net" + std::to_string(network);
  e.interface = "e" + std::to_string(n);
  e.mac.bytes = {2, 0, 0, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8),
                 static_cast<std::uint8_t>(n)};
  // Small host parts on purpose: some are the next hops of the routes below.
  e.ip = ip_in(network, 2 + n % 40);
  if (rng() % 4 == 0) {
    e.allowed_addresses.push_back(
        Ipv4Prefix{Ipv4{0xc0a80000u + static_cast<std::uint32_t>(rng() % 256) * 256}, 24});
  }
  if (groups) {
    e.security_groups = random_groups(rng);
  }
  return e;
}

// Hosts, networks (one VNI each), a router whose static routes point at
// endpoint addresses (their destinations become those endpoints' sources),
// and `endpoints` endpoints spread over all of them.
Topology random_topology(std::mt19937& rng, int endpoints, bool groups = false) {
  Topology t;
  for (int i = 0; i < kHosts; ++i) {
    t.hosts.push_back(Host{.name = "hv" + std::to_string(i),
                           .vtep_ip = Ipv4{0xc6120001u + static_cast<std::uint32_t>(i)},
                           .underlay_interface = "eth0"});
  }
  for (int i = 0; i < kNetworks; ++i) {
    t.networks.push_back(Network{.name = "net" + std::to_string(i),
                                 .vni = 100 + static_cast<std::uint32_t>(i),
                                 .subnet = Ipv4Prefix{ip_in(i, 0), 16}});
  }
  topology::Router router{.name = "r1"};
  for (int i = 0; i < kRoutedNetworks; ++i) {
    router.interfaces.push_back(topology::RouterInterface{
        .network = "net" + std::to_string(i), .ip = Ipv4Interface{ip_in(i, 1), 16}});
    for (int k = 0; k < 3; ++k) {
      router.routes.push_back(topology::Route{
          .destination = Ipv4Prefix{Ipv4{0xac100000u + static_cast<std::uint32_t>(i * 8 + k) * 256},
                                    24},
          .next_hop = ip_in(i, 2 + static_cast<int>(rng() % 40))});
    }
  }
  t.routers.push_back(std::move(router));
  if (groups) {
    using topology::Direction;
    using topology::Rule;
    t.security_groups = {
        topology::SecurityGroup{
            .name = "g0",
            .rules = {Rule{.direction = Direction::kIngress, .remote_group = "g0"},
                      Rule{.direction = Direction::kIngress,
                           .protocol = 6,
                           .port_min = 80,
                           .port_max = 90,
                           .remote_group = "g1"}}},
        topology::SecurityGroup{
            .name = "g1",
            .rules = {Rule{.direction = Direction::kEgress,
                           .protocol = 17,
                           .remote_cidr = Ipv4Prefix{Ipv4{0x0a000000u}, 8}},
                      Rule{.direction = Direction::kIngress, .protocol = 1, .remote_group = "g0"}}},
        topology::SecurityGroup{.name = "g2"},
    };
  }
  for (int i = 0; i < endpoints; ++i) {
    t.endpoints.push_back(make_endpoint(rng, i, groups));
  }
  return t;
}

// One generation step as vnetctl makes them: endpoints removed, changed
// (MAC, address, host, network, interface) and appended; now and then a
// change outside the endpoints, which an incremental compile must not take.
StoredState random_edit(std::mt19937& rng, const StoredState& base, int& next_name,
                        bool groups = false) {
  StoredState next = base;
  next.generation = base.generation + 1;
  testing::EndpointEditSpace space{
      .hosts = kHosts,
      .networks = kNetworks,
      .make = [groups](std::mt19937& r, int n) { return make_endpoint(r, n, groups); },
      .rename_interfaces = true};
  if (groups) {
    space.groups = random_groups;
  }
  testing::edit_endpoints(rng, next.topology.endpoints, next_name, space);
  if (rng() % 10 == 0) {
    next.topology.routers[0].routes[rng() % 3].next_hop = ip_in(0, 2 + rng() % 40);
  }
  return next;
}

StateVersion version_of(const StoredState& s) {
  return StateVersion{s.generation, store::decode_state(store::encode_state(s, 0))->crc};
}

// The delta from `a` to `b` as vnetd reads it: through the codec.
StateDelta delta_between(const StoredState& a, const StoredState& b) {
  auto d = store::make_delta(a, version_of(a), b, version_of(b));
  EXPECT_TRUE(d.has_value());
  auto decoded = store::decode_delta(store::encode_delta(*d));
  EXPECT_TRUE(decoded.is_ok()) << decoded.status().message();
  return std::move(*decoded);
}

std::string describe(const PlannedPort& p) {
  return p.interface + " " + p.endpoint + " id " + std::to_string(p.endpoint_id) + " vni " +
         std::to_string(p.vni) + " " + p.mac.str() + " " + p.ip.str() + " sources " +
         std::to_string(p.sources.size()) + " policies " + std::to_string(p.policy_in) + "/" +
         std::to_string(p.policy_out);
}
std::string describe(const PlannedFdb& f) {
  return "vni " + std::to_string(f.vni) + " " + f.mac.str() + " -> " +
         (f.vtep ? f.vtep->str() + " ip " + f.ip.str() : f.interface) + " id " +
         std::to_string(f.endpoint_id) + " policy " + std::to_string(f.policy_in);
}
std::string describe(const PlannedNeigh& n) {
  return "vni " + std::to_string(n.vni) + " " + n.ip.str() + " -> " + n.mac.str();
}
std::string describe(const PlannedRemoteSrc& r) {
  return "vni " + std::to_string(r.vni) + " " + r.vtep.str() + " " + r.prefix.str();
}
std::string describe(const PlannedNetwork& n) {
  return n.name + " vni " + std::to_string(n.vni) + " " + std::to_string(n.remote_vteps.size()) +
         " vteps " + std::to_string(n.port_interfaces.size()) + " ports";
}
std::string describe(const Ipv4& ip) { return ip.str(); }
std::string describe(const PlannedPolicyRemote& r) {
  return "policy " + std::to_string(r.policy) + " " + r.prefix.str() + " class " +
         std::to_string(r.class_id);
}
std::string describe(const PlannedPolicyRule& r) {
  return "policy " + std::to_string(r.policy) + " class " + std::to_string(r.class_id) +
         " proto " + (r.protocol ? std::to_string(*r.protocol) : "any") + " " +
         std::to_string(r.port) + "/" + std::to_string(r.port_bits);
}

// Compares one list of two plans entry by entry, naming the first
// difference.
template <typename T>
::testing::AssertionResult same_list(const char* what, const std::vector<T>& got,
                                     const std::vector<T>& want) {
  for (std::size_t i = 0; i < std::max(got.size(), want.size()); ++i) {
    if (i >= got.size() || i >= want.size() || !(got[i] == want[i])) {
      return ::testing::AssertionFailure()
             << what << "[" << i << "]: incremental "
             << (i < got.size() ? describe(got[i]) : "(none)") << ", full "
             << (i < want.size() ? describe(want[i]) : "(none)") << " (" << got.size() << " vs "
             << want.size() << " entries)";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult same_plan(const HostPlan& got, const HostPlan& want) {
  for (auto r : {same_list("ports", got.ports, want.ports), same_list("fdb", got.fdb, want.fdb),
                 same_list("neigh", got.neigh, want.neigh),
                 same_list("remote_src", got.remote_src, want.remote_src),
                 same_list("networks", got.networks, want.networks),
                 same_list("policy_remotes", got.policy_remotes, want.policy_remotes),
                 same_list("policy_rules", got.policy_rules, want.policy_rules),
                 same_list("vteps", got.vteps, want.vteps)}) {
    if (!r) {
      return r;
    }
  }
  if (!(got == want)) {
    return ::testing::AssertionFailure() << "host fields differ";
  }
  return ::testing::AssertionSuccess();
}

// The part of `plan` in `vnis`, as PlanChange describes it, with what
// security groups add: policy entries `plan` has and `other` (the plan on
// the change's other side) does not, and ports of other VNIs whose policy
// ids differ in `other`, with their local fdb entries.
HostPlan slice(const HostPlan& plan, const std::set<std::uint32_t>& vnis,
               const HostPlan* other = nullptr) {
  HostPlan out = plan;
  std::set<std::string> moved;  // interfaces of ports whose ids changed
  if (other != nullptr) {
    for (const auto& p : plan.ports) {
      for (const auto& q : other->ports) {
        if (p.interface == q.interface && vnis.count(p.vni) == 0 &&
            (p.policy_in != q.policy_in || p.policy_out != q.policy_out)) {
          moved.insert(p.interface);
        }
      }
    }
    std::erase_if(out.policy_remotes, [&](const auto& e) {
      return std::count(other->policy_remotes.begin(), other->policy_remotes.end(), e) != 0;
    });
    std::erase_if(out.policy_rules, [&](const auto& e) {
      return std::count(other->policy_rules.begin(), other->policy_rules.end(), e) != 0;
    });
  }
  auto keep = [&](auto& list) {
    std::erase_if(list, [&](const auto& e) {
      return vnis.count(e.vni) == 0 && moved.count(e.interface) == 0;
    });
  };
  keep(out.ports);
  keep(out.fdb);
  std::erase_if(out.neigh, [&](const auto& e) { return vnis.count(e.vni) == 0; });
  std::erase_if(out.remote_src, [&](const auto& e) { return vnis.count(e.vni) == 0; });
  std::erase_if(out.networks, [&](const auto& e) { return vnis.count(e.vni) == 0; });
  // Routing's share is never part of a change (recompile_networks() refuses
  // a router's network arriving or leaving; a full compile follows), but
  // both sides carry the router interfaces on the changed networks and on
  // those of the moved ports: a port carries its network's gateway.
  std::set<std::uint32_t> port_vnis = vnis;
  for (const auto& p : plan.ports) {
    if (moved.count(p.interface) != 0) {
      port_vnis.insert(p.vni);
    }
  }
  std::erase_if(out.router_ifaces, [&](const auto& e) { return port_vnis.count(e.vni) == 0; });
  out.routes.clear();
  out.routed_vteps.clear();
  return out;
}

std::set<std::uint32_t> vnis_of(const Topology& topo, const std::set<std::string>& networks) {
  std::set<std::uint32_t> out;
  for (const auto& name : networks) {
    if (const Network* n = topo.find_network(name)) {
      out.insert(n->vni);
    }
  }
  return out;
}

// Interfaces with an even number exist (ifindex 1000 + number); the rest
// are missing, so both kinds of local port occur.
std::optional<reconcile::InterfaceInfo> resolve(const std::string& name) {
  if (name.size() < 2 || name[0] != 'e' || name.back() == 'x') {
    return std::nullopt;
  }
  const int number = std::stoi(name.substr(1));
  if (number % 2 != 0) {
    return std::nullopt;
  }
  return reconcile::InterfaceInfo{.ifindex = 1000u + static_cast<std::uint32_t>(number),
                                  .port_flags = static_cast<std::uint16_t>(number % 3)};
}

// A BPF map as a sorted map of bytes.
class MemoryMap final : public reconcile::MapIo {
 public:
  Result<Entries> dump() override { return entries; }
  Status update(const Bytes& key, const Bytes& value) override {
    entries[key] = value;
    ++writes;
    return Status::ok();
  }
  Status remove(const Bytes& key) override {
    entries.erase(key);
    ++writes;
    return Status::ok();
  }

  Entries entries;
  std::size_t writes = 0;
};

// One vnetd as far as plans and maps go: follows each delta incrementally.
struct HostModel {
  std::string name;
  HostPlan plan;
  NetworkIndex index;
  std::map<std::string, MemoryMap> maps;
  reconcile::MapShadow shadow;

  reconcile::MapLookup lookup() {
    return [this](const std::string& map) -> reconcile::MapIo* { return &maps[map]; };
  }
  std::size_t writes() const {
    std::size_t n = 0;
    for (const auto& [map, io] : maps) {
      n += io.writes;
    }
    return n;
  }
};

::testing::AssertionResult maps_hold(HostModel& host, const HostPlan& plan) {
  const reconcile::DesiredMaps want = reconcile::bind_plan(plan, resolve, slot_by_id);
  for (const auto& m : want.maps) {
    if (host.maps[m.name].entries != m.entries) {
      return ::testing::AssertionFailure()
             << m.name << ": " << host.maps[m.name].entries.size() << " entries, the plan binds "
             << m.entries.size() << " (or values differ)";
    }
    const Entries* shadowed = host.shadow.find(m.name);
    if (shadowed == nullptr || *shadowed != m.entries) {
      return ::testing::AssertionFailure() << m.name << ": the shadow does not match the map";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(IncrementalCompile, FollowsRandomDeltasExactlyLikeAFullCompile) {
  std::mt19937 rng(20240611);
  StoredState cur{.generation = 1, .topology = random_topology(rng, 160, true)};
  int next_name = 160;

  std::vector<HostModel> hosts(kHosts);
  for (int h = 0; h < kHosts; ++h) {
    HostModel& host = hosts[h];
    host.name = "hv" + std::to_string(h);
    host.plan = *compile(cur.topology, host.name);
    host.index = NetworkIndex(cur.topology);
    ASSERT_TRUE(reconcile::reconcile(reconcile::bind_plan(host.plan, resolve, slot_by_id), host.lookup(),
                                     &host.shadow)
                    .is_ok());
  }

  int incremental = 0;
  int full = 0;
  int routed = 0;
  int policy_changes = 0;
  int moved_ports = 0;
  for (int step = 0; step < 400; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const StoredState next = random_edit(rng, cur, next_name, true);
    const StateDelta delta = delta_between(cur, next);
    StoredState applied = cur;
    ASSERT_TRUE(store::apply_delta(applied, delta).is_ok());

    for (HostModel& host : hosts) {
      SCOPED_TRACE(host.name);
      auto changed = host.index.apply(delta);
      ASSERT_TRUE(changed.is_ok()) << changed.status().message();
      const HostPlan want = *compile(next.topology, host.name);
      if (delta.others_changed) {
        // vnetd compiles in full; the index stays valid all the same.
        ++full;
        host.plan = want;
        ASSERT_TRUE(reconcile::reconcile(reconcile::bind_plan(host.plan, resolve, slot_by_id), host.lookup(),
                                         &host.shadow)
                        .is_ok());
        continue;
      }
      const HostPlan old_plan = host.plan;
      auto change = recompile_networks(applied.topology, host.name, host.index, *changed,
                                       host.plan);
      if (!change && change.status().err() == EXDEV) {
        // A network attached to the router arrived on or left this host:
        // refused, plan untouched, and vnetd compiles in full.
        ASSERT_EQ(host.plan, old_plan);
        ++routed;
        host.plan = want;
        ASSERT_TRUE(reconcile::reconcile(reconcile::bind_plan(host.plan, resolve, slot_by_id), host.lookup(),
                                         &host.shadow)
                        .is_ok());
        continue;
      }
      ++incremental;
      ASSERT_TRUE(change.is_ok()) << change.status().message();
      ASSERT_TRUE(same_plan(host.plan, want));

      // The change is the changed networks' share of each plan.
      const std::set<std::uint32_t> vnis = vnis_of(next.topology, *changed);
      EXPECT_TRUE(same_plan(change->before, slice(old_plan, vnis, &want)));
      EXPECT_TRUE(same_plan(change->after, slice(want, vnis, &old_plan)));
      if (!change->after.policy_remotes.empty() || !change->before.policy_remotes.empty()) {
        ++policy_changes;
      }
      if (std::any_of(change->after.ports.begin(), change->after.ports.end(),
                      [&](const PlannedPort& p) { return vnis.count(p.vni) == 0; })) {
        ++moved_ports;  // a policy changed for a port outside the changed networks
      }

      auto counts = reconcile::reconcile_change(reconcile::bind_plan(change->before, resolve, slot_by_id),
                                                reconcile::bind_plan(change->after, resolve, slot_by_id),
                                                host.lookup(), host.shadow);
      ASSERT_TRUE(counts.is_ok()) << counts.status().message();
      ASSERT_TRUE(maps_hold(host, want));
    }
    cur = std::move(next);
  }

  // The index matches one built from scratch, network by network.
  for (HostModel& host : hosts) {
    const NetworkIndex fresh(cur.topology);
    ASSERT_EQ(host.index.size(), fresh.size());
    for (int n = 0; n < kNetworks; ++n) {
      const std::string name = "net" + std::to_string(n);
      EXPECT_EQ(host.index.endpoints(name), fresh.endpoints(name)) << name;
    }
  }
  EXPECT_GT(incremental, 1000);
  EXPECT_GT(full, 50);
  EXPECT_GT(routed, 20);  // routed networks arriving on or leaving a host
  EXPECT_GT(policy_changes, 100);
  EXPECT_GT(moved_ports, 20);
}

TEST(IncrementalCompile, OneEndpointChangeTouchesOnlyItsKeys) {
  std::mt19937 rng(99);
  StoredState cur{.generation = 1, .topology = random_topology(rng, 400)};
  // ep7 on hv1, seen from hv0: a remote endpoint gets a new MAC.
  cur.topology.endpoints[7].host = "hv1";
  cur.topology.endpoints[7].network = "net5";
  cur.topology.endpoints[8].host = "hv0";
  cur.topology.endpoints[8].network = "net5";
  StoredState next = cur;
  next.generation = 2;
  next.topology.endpoints[7].mac.bytes[5] ^= 0x55;

  HostModel host;
  host.name = "hv0";
  host.plan = *compile(cur.topology, host.name);
  host.index = NetworkIndex(cur.topology);
  ASSERT_TRUE(reconcile::reconcile(reconcile::bind_plan(host.plan, resolve, slot_by_id), host.lookup(),
                                   &host.shadow)
                  .is_ok());
  const std::size_t writes_before = host.writes();

  StoredState applied = cur;
  const StateDelta delta = delta_between(cur, next);
  ASSERT_TRUE(store::apply_delta(applied, delta).is_ok());
  auto changed = host.index.apply(delta);
  ASSERT_TRUE(changed.is_ok());
  EXPECT_EQ(*changed, (std::set<std::string>{"net5"}));
  auto change = recompile_networks(applied.topology, host.name, host.index, *changed, host.plan);
  ASSERT_TRUE(change.is_ok()) << change.status().message();
  ASSERT_TRUE(same_plan(host.plan, *compile(next.topology, host.name)));
  for (const auto& net : change->after.networks) {
    EXPECT_EQ(net.vni, 105u);
  }

  auto counts = reconcile::reconcile_change(reconcile::bind_plan(change->before, resolve, slot_by_id),
                                            reconcile::bind_plan(change->after, resolve, slot_by_id),
                                            host.lookup(), host.shadow);
  ASSERT_TRUE(counts.is_ok());
  // The new fdb key and the ARP entry's new MAC written, the old fdb key
  // deleted; nothing else.
  EXPECT_EQ(counts->updated, 2u);
  EXPECT_EQ(counts->deleted, 1u);
  EXPECT_EQ(host.writes() - writes_before, 3u);
  EXPECT_TRUE(maps_hold(host, host.plan));
}

TEST(IncrementalCompile, ChangeIsRefusedUnlessTheShadowHoldsEveryMap) {
  std::mt19937 rng(31);
  StoredState cur{.generation = 1, .topology = random_topology(rng, 60)};
  StoredState next = cur;
  next.generation = 2;
  next.topology.endpoints[3].mac.bytes[5] ^= 1;

  HostModel host;
  host.name = next.topology.endpoints[3].host;
  host.plan = *compile(cur.topology, host.name);
  host.index = NetworkIndex(cur.topology);
  ASSERT_TRUE(reconcile::reconcile(reconcile::bind_plan(host.plan, resolve, slot_by_id), host.lookup(),
                                   &host.shadow)
                  .is_ok());
  // A failed write made the shadow forget one map: it no longer knows what
  // that map holds, so the change alone cannot be applied.
  host.shadow.forget(VNET_MAP_NEIGH);
  const std::size_t writes_before = host.writes();

  StoredState applied = cur;
  const StateDelta delta = delta_between(cur, next);
  ASSERT_TRUE(store::apply_delta(applied, delta).is_ok());
  auto changed = host.index.apply(delta);
  ASSERT_TRUE(changed.is_ok());
  auto change = recompile_networks(applied.topology, host.name, host.index, *changed, host.plan);
  ASSERT_TRUE(change.is_ok());
  auto counts = reconcile::reconcile_change(reconcile::bind_plan(change->before, resolve, slot_by_id),
                                            reconcile::bind_plan(change->after, resolve, slot_by_id),
                                            host.lookup(), host.shadow);
  ASSERT_FALSE(counts.is_ok());
  EXPECT_EQ(counts.status().err(), ENODATA);
  EXPECT_EQ(host.writes(), writes_before);  // nothing half done

  // The full pass vnetd falls back to repairs it.
  ASSERT_TRUE(reconcile::reconcile(reconcile::bind_plan(host.plan, resolve, slot_by_id), host.lookup(),
                                   &host.shadow)
                  .is_ok());
  EXPECT_TRUE(maps_hold(host, host.plan));
}

TEST(IncrementalCompile, RefusesVnisAndInterfacesSharedWithOtherNetworks) {
  std::mt19937 rng(5);
  Topology topo = random_topology(rng, 0);
  auto add = [&](const char* name, const char* host, const char* network, const char* ifname,
                 std::uint32_t id) {
    Endpoint e;
    e.name = name;
    e.id = id;
    e.host = host;
    e.network = network;
    e.interface = ifname;
    e.mac.bytes = {2, 0, 0, 0, 0, static_cast<std::uint8_t>(id)};
    e.ip = ip_in(0, static_cast<int>(id));
    topo.endpoints.push_back(e);
  };
  add("a", "hv0", "net1", "e2", 1);
  add("b", "hv0", "net2", "e4", 2);
  add("c", "hv1", "net1", "e6", 3);

  // Two present networks with one VNI (a topology the validator refuses):
  // net2's entries are not the change's to replace.
  {
    Topology shared = topo;
    shared.networks[2].vni = shared.networks[1].vni;
    HostPlan plan = *compile(shared, "hv0");
    const HostPlan before = plan;
    const NetworkIndex index(shared);
    auto change = recompile_networks(shared, "hv0", index, {"net1"}, plan);
    ASSERT_FALSE(change.is_ok());
    EXPECT_EQ(change.status().err(), EEXIST);
    EXPECT_TRUE(plan == before);
  }
  // One interface for two local endpoints of different networks.
  {
    Topology shared = topo;
    shared.endpoints[1].interface = "e2";
    HostPlan plan = *compile(shared, "hv0");
    const HostPlan before = plan;
    const NetworkIndex index(shared);
    auto change = recompile_networks(shared, "hv0", index, {"net1"}, plan);
    ASSERT_FALSE(change.is_ok());
    EXPECT_EQ(change.status().err(), EEXIST);
    EXPECT_TRUE(plan == before);
  }
  // An index that describes another topology.
  {
    HostPlan plan = *compile(topo, "hv0");
    Topology smaller = topo;
    smaller.endpoints.pop_back();
    auto change = recompile_networks(topo, "hv0", NetworkIndex(smaller), {"net1"}, plan);
    EXPECT_EQ(change.status().err(), ESTALE);
  }
}

TEST(IncrementalCompile, IndexRefusesADeltaForAnotherBase) {
  std::mt19937 rng(8);
  StoredState a{.generation = 1, .topology = random_topology(rng, 30)};
  StoredState b = a;
  b.generation = 2;
  b.topology.endpoints.erase(b.topology.endpoints.begin() + 29);
  const StateDelta delta = delta_between(a, b);

  StoredState smaller = a;
  smaller.topology.endpoints.resize(20);
  NetworkIndex index(smaller.topology);
  auto changed = index.apply(delta);
  ASSERT_FALSE(changed.is_ok());
  EXPECT_EQ(changed.status().err(), ESTALE);
  EXPECT_EQ(index.size(), 20u);
}

}  // namespace
}  // namespace vnet::compile

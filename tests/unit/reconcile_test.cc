// bind_plan(): byte layouts of every map against hand-computed bytes.
// reconcile(): against in-memory maps that record every write.

#include "reconcile/reconcile.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <set>

#include "compile/plan.h"
#include "vnet/abi.h"

namespace vnet::reconcile {
namespace {

using compile::HostPlan;
using compile::PlannedFdb;
using compile::PlannedNeigh;
using compile::PlannedNetwork;
using compile::PlannedPort;
using compile::PlannedRemoteSrc;

static_assert(std::endian::native == std::endian::little,
              "hand-computed bytes below assume a little-endian host");

Ipv4 ip(const char* s) { return Ipv4::parse(s).value(); }
Ipv4Prefix pfx(const char* s) { return Ipv4Prefix::parse(s).value(); }
Mac mac(const char* s) { return Mac::parse(s).value(); }

// hv1 of a two-host, two-VNI layout: b1 (blue, local, resolves), r1 (red,
// local, interface missing), b2 (blue, on 198.18.0.2).
HostPlan sample_plan() {
  HostPlan p;
  p.host = "hv1";
  p.vtep_ip = ip("198.18.0.1");
  p.underlay_interface = "eth0";
  p.ports = {
      PlannedPort{.endpoint = "b1",
                  .endpoint_id = 1,
                  .interface = "b1-h",
                  .vni = 1001,
                  .mac = mac("02:00:00:00:01:01"),
                  .ip = ip("10.0.1.11"),
                  .sources = {pfx("10.0.1.11/32"), pfx("192.168.0.0/16")},
                  .policy_in = 0x11,
                  .policy_out = 0x12},
      PlannedPort{.endpoint = "r1",
                  .endpoint_id = 4,
                  .interface = "r1-h",
                  .vni = 2002,
                  .mac = mac("02:00:00:00:02:01"),
                  .ip = ip("10.0.1.11"),
                  .sources = {pfx("10.0.1.11/32")}},
  };
  p.fdb = {
      {.vni = 1001,
       .mac = mac("02:00:00:00:01:01"),
       .interface = "b1-h",
       .endpoint_id = 1,
       .policy_in = 0x11,
       .policy_out = 0x12},
      {.vni = 1001,
       .mac = mac("02:00:00:00:01:02"),
       .vtep = ip("198.18.0.2"),
       .ip = ip("10.0.1.12"),
       .endpoint_id = 2},
      {.vni = 2002, .mac = mac("02:00:00:00:02:01"), .interface = "r1-h", .endpoint_id = 4},
  };
  p.neigh = {
      {1001, ip("10.0.1.11"), mac("02:00:00:00:01:01")},
      {1001, ip("10.0.1.12"), mac("02:00:00:00:01:02")},
      {2002, ip("10.0.1.11"), mac("02:00:00:00:02:01")},
  };
  p.remote_src = {{1001, ip("198.18.0.2"), pfx("10.0.1.12/32")},
                  {1001, ip("198.18.0.2"), pfx("10.9.0.0/16")}};
  p.vteps = {ip("198.18.0.2")};
  p.policy_remotes = {{.policy = 0x11, .prefix = pfx("10.0.1.0/24"), .class_id = 1},
                      {.policy = 0x12, .prefix = pfx("0.0.0.0/0"), .class_id = 2}};
  p.policy_rules = {{.policy = 0x11, .class_id = 1, .protocol = 6, .port = 1031, .port_bits = 13},
                    {.policy = 0x12, .class_id = 2, .protocol = std::nullopt}};
  p.networks = {
      PlannedNetwork{.name = "blue",
                     .vni = 1001,
                     .remote_vteps = {ip("198.18.0.2")},
                     .port_interfaces = {"b1-h"}},
      PlannedNetwork{.name = "red", .vni = 2002, .port_interfaces = {"r1-h"}},
  };
  return p;
}

std::optional<InterfaceInfo> resolve_b1_only(const std::string& name) {
  if (name == "b1-h") {
    return InterfaceInfo{.ifindex = 7, .port_flags = VNET_PORT_F_PEER};
  }
  return std::nullopt;
}

// Stats slots as StatsSlots would give them: b1 (id 1) has 3, r1 (id 4) 5.
std::uint16_t sample_slots(std::uint32_t endpoint_id) {
  return endpoint_id == 1 ? 3 : endpoint_id == 4 ? 5 : 0;
}

const MapDesired& map_named(const DesiredMaps& d, const std::string& name) {
  for (const auto& m : d.maps) {
    if (m.name == name) {
      return m;
    }
  }
  ADD_FAILURE() << "no map " << name;
  static const MapDesired kEmpty;
  return kEmpty;
}

Bytes value_of(const MapDesired& m, const Bytes& key) {
  auto it = m.entries.find(key);
  if (it == m.entries.end()) {
    ADD_FAILURE() << m.name << ": key missing";
    return {};
  }
  return it->second;
}

Bytes zeros(std::size_t n) { return Bytes(n, 0); }

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// ---- bind -------------------------------------------------------------------

TEST(Bind, MapOrderAndMissingInterfaces) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  std::vector<std::string> names;
  for (const auto& m : d.maps) {
    names.push_back(m.name);
  }
  // Policies before the fdb and ports that name them; routes before the
  // router interfaces that lead into them.
  EXPECT_EQ(names, (std::vector<std::string>{VNET_MAP_POLICY_REMOTE, VNET_MAP_POLICY_RULES,
                                             VNET_MAP_VTEPS, VNET_MAP_REMOTE_HOST,
                                             VNET_MAP_REMOTE_SRC, VNET_MAP_NEIGH,
                                             VNET_MAP_FDB, VNET_MAP_ROUTES, VNET_MAP_ROUTER_IFACES,
                                             VNET_MAP_PORT_SRC, VNET_MAP_NETWORKS,
                                             VNET_MAP_PORTS}));
  EXPECT_EQ(d.missing_interfaces, (std::vector<std::string>{"r1-h"}));
  for (const auto& m : d.maps) {
    EXPECT_EQ(m.presence_only, m.name == VNET_MAP_VTEPS) << m.name;
  }
}

TEST(Bind, Vteps) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_VTEPS);
  ASSERT_EQ(m.entries.size(), 1u);
  // Created without a next hop: vnetd's neighbour pass writes that into
  // the entry, which reconcile then leaves alone (presence only).
  EXPECT_EQ(value_of(m, Bytes{198, 18, 0, 2}), zeros(sizeof(vnet_vtep)));
  EXPECT_TRUE(m.presence_only);
}

// A host address goes to the exact-match hash, a wider prefix to the trie.
TEST(Bind, RemoteSources) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& hosts = map_named(d, VNET_MAP_REMOTE_HOST);
  ASSERT_EQ(hosts.entries.size(), 1u);
  // vni 1001, vtep 198.18.0.2, ip 10.0.1.12
  const Bytes host_key{0xe9, 0x03, 0, 0, 198, 18, 0, 2, 10, 0, 1, 12};
  EXPECT_EQ(value_of(hosts, host_key), Bytes{1});
  const auto& prefixes = map_named(d, VNET_MAP_REMOTE_SRC);
  ASSERT_EQ(prefixes.entries.size(), 1u);
  // prefixlen 64+16, vni 1001, vtep 198.18.0.2, 10.9.0.0
  const Bytes net_key{80, 0, 0, 0, 0xe9, 0x03, 0, 0, 198, 18, 0, 2, 10, 9, 0, 0};
  EXPECT_EQ(value_of(prefixes, net_key), Bytes{1});
}

TEST(Bind, Neigh) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_NEIGH);
  ASSERT_EQ(m.entries.size(), 3u);
  EXPECT_EQ(value_of(m, Bytes{0xe9, 0x03, 0, 0, 10, 0, 1, 11}), (Bytes{2, 0, 0, 0, 1, 1, 0, 0}));
  // Same address in the other tenant: its own key, its own MAC.
  EXPECT_EQ(value_of(m, Bytes{0xd2, 0x07, 0, 0, 10, 0, 1, 11}), (Bytes{2, 0, 0, 0, 2, 1, 0, 0}));
}

TEST(Bind, Fdb) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_FDB);
  // r1's interface is missing: no local entry for it.
  ASSERT_EQ(m.entries.size(), 2u);
  const Bytes local_key{0xe9, 0x03, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0};
  // ifindex, vtep_be, endpoint_id, port_flags, stats_slot (b1's: 3),
  // policies, no address (a local entry's is the port's)
  const Bytes local_val{7,    0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, VNET_PORT_F_PEER, 0, 3, 0,
                        0x11, 0, 0, 0, 0x12, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(value_of(m, local_key), local_val);
  const Bytes remote_key{0xe9, 0x03, 0, 0, 2, 0, 0, 0, 1, 2, 0, 0};
  // ... and the remote endpoint's address, last.
  const Bytes remote_val{0, 0, 0, 0, 198, 18, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0,
                         0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 1, 12};
  EXPECT_EQ(value_of(m, remote_key), remote_val);
}

TEST(Bind, ManyEntriesComeOutAsOneByOneInsertionWouldLeaveThem) {
  // VNIs whose little-endian bytes sort unlike the numbers, many MACs, and
  // a key written twice: the later value wins, as insert_or_assign() does.
  HostPlan p;
  Entries expected;
  for (std::uint32_t vni : {5000u, 1u, 256u, 65536u, 300u}) {
    for (std::uint32_t i = 0; i < 700; ++i) {
      PlannedFdb f{.vni = vni,
                   .vtep = Ipv4{0xc6120000u + (i % 7) + 1},
                   .endpoint_id = vni * 1000 + i};
      f.mac.bytes = {0x02, 0, 0, static_cast<std::uint8_t>(i >> 8),
                     static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(vni)};
      p.fdb.push_back(f);
    }
  }
  p.fdb.push_back(p.fdb[10]);
  p.fdb.back().endpoint_id = 424242;
  for (const auto& f : p.fdb) {
    vnet_fdb_key key{};
    key.vni = f.vni;
    std::memcpy(key.mac, f.mac.bytes.data(), VNET_ETH_ALEN);
    vnet_fdb_entry value{};
    value.vtep_be = f.vtep->be();
    value.endpoint_id = f.endpoint_id;
    const auto* k = reinterpret_cast<const std::uint8_t*>(&key);
    const auto* v = reinterpret_cast<const std::uint8_t*>(&value);
    expected.insert_or_assign(Bytes(k, k + sizeof key), Bytes(v, v + sizeof value));
  }
  const DesiredMaps d = reconcile::bind_plan(p, resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_FDB);
  ASSERT_EQ(m.entries.size(), 5u * 700u);
  EXPECT_EQ(m.entries, expected);
}

TEST(Bind, PortSrc) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_PORT_SRC);
  ASSERT_EQ(m.entries.size(), 2u);
  EXPECT_EQ(value_of(m, Bytes{64, 0, 0, 0, 7, 0, 0, 0, 10, 0, 1, 11}), Bytes{1});
  EXPECT_EQ(value_of(m, Bytes{48, 0, 0, 0, 7, 0, 0, 0, 192, 168, 0, 0}), Bytes{1});
}

TEST(Bind, Networks) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_NETWORKS);
  ASSERT_EQ(m.entries.size(), 2u);
  const std::size_t vteps_off = 8;
  const std::size_t ports_off = 8 + 4 * VNET_MAX_FLOOD_VTEPS;
  Bytes blue = zeros(sizeof(vnet_network));
  blue[0] = 1;  // n_vteps
  blue[4] = 1;  // n_ports
  blue[vteps_off + 0] = 198;
  blue[vteps_off + 1] = 18;
  blue[vteps_off + 3] = 2;
  blue[ports_off] = 7;
  EXPECT_EQ(value_of(m, Bytes{0xe9, 0x03, 0, 0}), blue);
  // red's only port is missing: present with empty flood lists.
  EXPECT_EQ(value_of(m, Bytes{0xd2, 0x07, 0, 0}), zeros(sizeof(vnet_network)));
}

TEST(Bind, Ports) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_PORTS);
  ASSERT_EQ(m.entries.size(), 1u);
  const Bytes want = cat({{1, 0, 0, 0},           // endpoint_id
                          {0xe9, 0x03, 0, 0},     // vni
                          {2, 0, 0, 0, 1, 1},     // mac
                          {VNET_PORT_F_PEER, 0},  // flags
                          {10, 0, 1, 11},         // ip_be
                          {0x11, 0, 0, 0},        // policy_in
                          {0x12, 0, 0, 0},        // policy_out
                          {3, 0, 0, 0},           // stats_slot (b1's), pad
                          zeros(16)});            // no gateway: no router on 1001
  EXPECT_EQ(value_of(m, Bytes{7, 0, 0, 0}), want);
}

// A port carries its network's router interface with the lowest MAC (the
// plan lists them by (vni, mac)), a copy of that interface's entry.
TEST(Bind, PortsCarryTheirNetworksGateway) {
  HostPlan plan = sample_plan();
  plan.router_ifaces = {
      {.vni = 1001, .mac = mac("02:00:00:00:aa:01"), .router_id = 8, .ip = ip("10.0.1.1")},
      {.vni = 1001, .mac = mac("02:00:00:00:aa:02"), .router_id = 9, .ip = ip("10.0.1.254")},
      {.vni = 3003, .mac = mac("02:00:00:00:aa:00"), .router_id = 7, .ip = ip("10.0.3.1")},
  };
  const DesiredMaps d = reconcile::bind_plan(plan, resolve_b1_only, sample_slots);
  const Bytes value = value_of(map_named(d, VNET_MAP_PORTS), Bytes{7, 0, 0, 0});
  ASSERT_EQ(value.size(), sizeof(vnet_port));
  EXPECT_EQ(Bytes(value.begin() + 32, value.end()),
            cat({{2, 0, 0, 0, 0xaa, 1},  // gw_mac
                 {0, 0},                 // pad2
                 {8, 0, 0, 0},           // gw.router_id
                 {10, 0, 1, 1}}));       // gw.ip_be
}

TEST(Bind, Policies) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const auto& remote = map_named(d, VNET_MAP_POLICY_REMOTE);
  ASSERT_EQ(remote.entries.size(), 2u);
  // prefixlen counts the 32 bits of policy first.
  EXPECT_EQ(value_of(remote, Bytes{56, 0, 0, 0, 0x11, 0, 0, 0, 10, 0, 1, 0}), (Bytes{1, 0, 0, 0}));
  EXPECT_EQ(value_of(remote, Bytes{32, 0, 0, 0, 0x12, 0, 0, 0, 0, 0, 0, 0}), (Bytes{2, 0, 0, 0}));
  const auto& rules = map_named(d, VNET_MAP_POLICY_RULES);
  ASSERT_EQ(rules.entries.size(), 2u);
  // tcp, 13 bits of port 1031 (0x0407 -> 0x0400: 1024-1031): 64 + 16 + 13.
  EXPECT_EQ(value_of(rules, Bytes{93, 0, 0, 0, 0x11, 0, 0, 0, 1, 0, 0, 0, 0, 6, 0x04, 0x00}),
            zeros(4));
  // Any protocol: policy and class only.
  EXPECT_EQ(value_of(rules, Bytes{64, 0, 0, 0, 0x12, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}), zeros(4));
}

TEST(Bind, FloodListCountsKeepTheRealLength) {
  HostPlan p;
  PlannedNetwork net{.name = "big", .vni = 5};
  for (std::uint32_t i = 0; i < VNET_MAX_FLOOD_VTEPS + 3; ++i) {
    net.remote_vteps.push_back(Ipv4{0xc6120000u + i + 1});
  }
  p.networks = {net};
  const DesiredMaps d = reconcile::bind_plan(p, resolve_b1_only, sample_slots);
  const auto& m = map_named(d, VNET_MAP_NETWORKS);
  const Bytes v = value_of(m, Bytes{5, 0, 0, 0});
  ASSERT_EQ(v.size(), sizeof(vnet_network));
  vnet_network n;
  std::memcpy(&n, v.data(), sizeof n);
  EXPECT_EQ(n.n_vteps, VNET_MAX_FLOOD_VTEPS + 3);
  EXPECT_EQ(n.vteps_be[VNET_MAX_FLOOD_VTEPS - 1], Ipv4{0xc6120000u + VNET_MAX_FLOOD_VTEPS}.be());
}

// ---- reconcile --------------------------------------------------------------

struct Op {
  std::string kind;  // "update" | "remove"
  std::string map;
  Bytes key;
};

class FakeMap final : public MapIo {
 public:
  FakeMap(std::string name, std::vector<Op>* log) : name_(std::move(name)), log_(log) {}

  Result<Entries> dump() override {
    ++dumps_;
    if (fail_dump_) {
      return Status::error("dump failed", EIO);
    }
    return entries_;
  }
  // Batches when enabled: all or nothing here (a failing key fails the
  // batch before anything is written).
  Status update_batch(const std::vector<KeyValue>& entries) override {
    if (!batch_) {
      return MapIo::update_batch(entries);
    }
    log_->push_back({"update_batch", name_, {}});
    for (const auto& [key, value] : entries) {
      if (fail_keys_.count(*key) != 0) {
        return Status::error("injected", EPERM);
      }
    }
    for (const auto& [key, value] : entries) {
      entries_[*key] = *value;
    }
    return Status::ok();
  }
  Status remove_batch(const std::vector<const Bytes*>& keys) override {
    if (!batch_) {
      return MapIo::remove_batch(keys);
    }
    log_->push_back({"remove_batch", name_, {}});
    for (const Bytes* key : keys) {
      entries_.erase(*key);
    }
    return Status::ok();
  }
  Status update(const Bytes& key, const Bytes& value) override {
    log_->push_back({"update", name_, key});
    if (fail_keys_.count(key) != 0) {
      return Status::error("injected", EPERM);
    }
    entries_[key] = value;
    return Status::ok();
  }
  Status remove(const Bytes& key) override {
    log_->push_back({"remove", name_, key});
    if (fail_keys_.count(key) != 0) {
      return Status::error("injected", EPERM);
    }
    entries_.erase(key);
    return Status::ok();
  }

  Entries entries_;
  std::set<Bytes> fail_keys_;
  bool fail_dump_ = false;
  bool batch_ = false;
  int dumps_ = 0;

 private:
  std::string name_;
  std::vector<Op>* log_;
};

class ReconcileTest : public ::testing::Test {
 protected:
  ReconcileTest() {
    for (const char* name :
         {VNET_MAP_POLICY_REMOTE, VNET_MAP_POLICY_RULES, VNET_MAP_VTEPS, VNET_MAP_REMOTE_HOST,
          VNET_MAP_REMOTE_SRC, VNET_MAP_NEIGH, VNET_MAP_FDB, VNET_MAP_ROUTES, VNET_MAP_ROUTER_IFACES, VNET_MAP_PORT_SRC,
          VNET_MAP_NETWORKS, VNET_MAP_PORTS}) {
      maps_.emplace(name, std::make_unique<FakeMap>(name, &log_));
    }
  }

  MapLookup lookup() {
    return [this](const std::string& name) -> MapIo* {
      auto it = maps_.find(name);
      return it == maps_.end() ? nullptr : it->second.get();
    };
  }

  FakeMap& map(const std::string& name) { return *maps_.at(name); }

  std::size_t total(const DesiredMaps& d) {
    std::size_t n = 0;
    for (const auto& m : d.maps) {
      n += m.entries.size();
    }
    return n;
  }

  void expect_maps_equal(const DesiredMaps& d) {
    for (const auto& m : d.maps) {
      EXPECT_EQ(map(m.name).entries_, m.entries) << m.name;
    }
  }

  std::vector<Op> log_;
  std::map<std::string, std::unique_ptr<FakeMap>> maps_;
};

TEST_F(ReconcileTest, FirstApplyWritesEverythingSecondWritesNothing) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  auto first = reconcile(d, lookup());
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->updated, total(d));
  EXPECT_EQ(first->deleted, 0u);
  EXPECT_EQ(first->unchanged, 0u);
  EXPECT_EQ(log_.size(), total(d));
  expect_maps_equal(d);

  log_.clear();
  auto second = reconcile(d, lookup());
  ASSERT_TRUE(second.is_ok());
  EXPECT_EQ(second->updated, 0u);
  EXPECT_EQ(second->deleted, 0u);
  EXPECT_EQ(second->unchanged, total(d));
  EXPECT_TRUE(log_.empty());
}

TEST_F(ReconcileTest, OneEndpointChangeWritesOnlyItsEntries) {
  HostPlan plan = sample_plan();
  ASSERT_TRUE(reconcile(reconcile::bind_plan(plan, resolve_b1_only, sample_slots), lookup()).is_ok());
  log_.clear();

  // b2 (remote) gets a new MAC: its fdb key moves, its ARP entry changes.
  const Mac old_mac = plan.fdb[1].mac;
  const Mac new_mac = mac("02:00:00:00:01:99");
  plan.fdb[1].mac = new_mac;
  plan.neigh[1].mac = new_mac;
  const DesiredMaps d = reconcile::bind_plan(plan, resolve_b1_only, sample_slots);
  auto r = reconcile(d, lookup());
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->updated, 2u);
  EXPECT_EQ(r->deleted, 1u);
  EXPECT_EQ(r->unchanged, total(d) - 2);

  Bytes old_key{0xe9, 0x03, 0, 0};
  old_key.insert(old_key.end(), old_mac.bytes.begin(), old_mac.bytes.end());
  old_key.insert(old_key.end(), {0, 0});
  Bytes new_key{0xe9, 0x03, 0, 0};
  new_key.insert(new_key.end(), new_mac.bytes.begin(), new_mac.bytes.end());
  new_key.insert(new_key.end(), {0, 0});
  ASSERT_EQ(log_.size(), 3u);
  EXPECT_EQ(log_[0].kind + " " + log_[0].map, "update vnet_neigh");
  EXPECT_EQ(log_[0].key, (Bytes{0xe9, 0x03, 0, 0, 10, 0, 1, 12}));
  EXPECT_EQ(log_[1].kind + " " + log_[1].map, "update vnet_fdb");
  EXPECT_EQ(log_[1].key, new_key);
  EXPECT_EQ(log_[2].kind + " " + log_[2].map, "remove vnet_fdb");
  EXPECT_EQ(log_[2].key, old_key);
  expect_maps_equal(d);
}

TEST_F(ReconcileTest, InterfaceAppearingAddsItsPort) {
  const HostPlan plan = sample_plan();
  ASSERT_TRUE(reconcile(reconcile::bind_plan(plan, resolve_b1_only, sample_slots), lookup()).is_ok());
  log_.clear();
  const DesiredMaps d =
      reconcile::bind_plan(plan, [](const std::string& name) -> std::optional<InterfaceInfo> {
        if (name == "r1-h") {
          return InterfaceInfo{.ifindex = 9};
        }
        return resolve_b1_only(name);
      }, sample_slots);
  EXPECT_TRUE(d.missing_interfaces.empty());
  auto r = reconcile(d, lookup());
  ASSERT_TRUE(r.is_ok());
  // fdb (local r1), port_src (r1's /32), networks (red's port list), ports.
  EXPECT_EQ(r->updated, 4u);
  EXPECT_EQ(r->deleted, 0u);
  expect_maps_equal(d);
}

TEST_F(ReconcileTest, PrunesStaleEntries) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const Bytes stale_port{42, 0, 0, 0};
  const Bytes stale_fdb{0xe9, 0x03, 0, 0, 2, 0, 0, 0, 9, 9, 0, 0};
  map(VNET_MAP_PORTS).entries_[stale_port] = zeros(sizeof(vnet_port));
  map(VNET_MAP_FDB).entries_[stale_fdb] = zeros(sizeof(vnet_fdb_entry));
  auto r = reconcile(d, lookup());
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->deleted, 2u);
  expect_maps_equal(d);
}

TEST_F(ReconcileTest, PresenceOnlyNeverOverwrites) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const Bytes vtep{198, 18, 0, 2};
  Bytes next_hop = zeros(sizeof(vnet_vtep));
  next_hop[0] = 1;  // written by the neighbour pass
  map(VNET_MAP_VTEPS).entries_[vtep] = next_hop;
  auto r = reconcile(d, lookup());
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(map(VNET_MAP_VTEPS).entries_.at(vtep), next_hop);
  for (const auto& op : log_) {
    EXPECT_FALSE(op.map == VNET_MAP_VTEPS) << "the VTEP's next hop was written";
  }
}

TEST_F(ReconcileTest, AllUpdatesBeforeDeletesAndPortsPrunedFirst) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  std::map<std::string, std::size_t> rank;
  for (std::size_t i = 0; i < d.maps.size(); ++i) {
    rank[d.maps[i].name] = i;
    // A stale entry in every map, so every map is pruned.
    map(d.maps[i].name).entries_[Bytes{0xff, 0xff}] = Bytes{0};
  }
  auto r = reconcile(d, lookup());
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->deleted, d.maps.size());

  bool deleting = false;
  std::size_t last_update_rank = 0;
  std::size_t last_remove_rank = d.maps.size();
  for (const auto& op : log_) {
    if (op.kind == "update") {
      ASSERT_FALSE(deleting) << "update of " << op.map << " after a delete";
      EXPECT_GE(rank[op.map], last_update_rank) << op.map << " updated out of order";
      last_update_rank = rank[op.map];
    } else {
      if (!deleting) {
        EXPECT_EQ(op.map, VNET_MAP_PORTS) << "ports must be pruned first";
      }
      deleting = true;
      EXPECT_LE(rank[op.map], last_remove_rank) << op.map << " pruned out of order";
      last_remove_rank = rank[op.map];
    }
  }
  EXPECT_TRUE(deleting);
  EXPECT_EQ(log_.back().map, VNET_MAP_POLICY_REMOTE);  // policies outlive what names them
}

TEST_F(ReconcileTest, FailuresAreAggregatedAndTheRestIsApplied) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const Bytes bad_key{0xe9, 0x03, 0, 0, 10, 0, 1, 11};
  map(VNET_MAP_NEIGH).fail_keys_.insert(bad_key);
  map(VNET_MAP_PORTS).entries_[Bytes{42, 0, 0, 0}] = zeros(sizeof(vnet_port));
  map(VNET_MAP_PORTS).fail_keys_.insert(Bytes{42, 0, 0, 0});
  map(VNET_MAP_VTEPS).fail_dump_ = true;

  auto r = reconcile(d, lookup());
  ASSERT_FALSE(r.is_ok());
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find("3 failure"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vnet_vteps: dump"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vnet_neigh: update e90300000a00010b"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vnet_ports: delete 2a000000"), std::string::npos) << msg;
  EXPECT_EQ(r.status().err(), EIO);  // the first failure's errno

  // Everything else landed.
  EXPECT_EQ(map(VNET_MAP_NEIGH).entries_.size(), map_named(d, VNET_MAP_NEIGH).entries.size() - 1);
  EXPECT_EQ(map(VNET_MAP_FDB).entries_, map_named(d, VNET_MAP_FDB).entries);
  EXPECT_EQ(map(VNET_MAP_PORTS).entries_.size(), 2u);  // desired one + undeletable stale
  EXPECT_TRUE(map(VNET_MAP_VTEPS).entries_.empty());
}

TEST_F(ReconcileTest, UnknownMapIsAnErrorButOthersProceed) {
  maps_.erase(VNET_MAP_REMOTE_SRC);
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  auto r = reconcile(d, lookup());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("vnet_remote_src"), std::string::npos);
  EXPECT_EQ(map(VNET_MAP_PORTS).entries_, map_named(d, VNET_MAP_PORTS).entries);
}

// ---- shadow and batches ---------------------------------------------------------

int total_dumps(const std::map<std::string, std::unique_ptr<FakeMap>>& maps) {
  int n = 0;
  for (const auto& [name, m] : maps) {
    n += m->dumps_;
  }
  return n;
}

// A plan with b1 moved to another MAC and r1 gone: fdb, neigh, ports,
// and port_src all change.
HostPlan changed_plan() {
  HostPlan p = sample_plan();
  p.ports.pop_back();
  p.fdb.erase(p.fdb.begin() + 2);
  p.fdb[0].mac = mac("02:00:00:00:01:09");
  p.ports[0].mac = p.fdb[0].mac;
  return p;
}

TEST_F(ReconcileTest, ShadowDiffsAgainstMemoryAndMatchesADump) {
  MapShadow shadow;
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  ASSERT_TRUE(reconcile(d, lookup(), &shadow).is_ok());
  const int dumps_first = total_dumps(maps_);
  EXPECT_EQ(dumps_first, static_cast<int>(d.maps.size()));  // empty shadow: dumped

  // Same desired state: no dump, no write.
  log_.clear();
  auto again = reconcile(d, lookup(), &shadow);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(total_dumps(maps_), dumps_first);
  EXPECT_TRUE(log_.empty());
  EXPECT_EQ(again->unchanged, total(d));

  // A change: exactly what a dump-based pass writes, and the maps end equal.
  const DesiredMaps d2 = reconcile::bind_plan(changed_plan(), resolve_b1_only, sample_slots);
  log_.clear();
  auto with_shadow = reconcile(d2, lookup(), &shadow);
  ASSERT_TRUE(with_shadow.is_ok());
  EXPECT_EQ(total_dumps(maps_), dumps_first);
  expect_maps_equal(d2);
  const std::vector<Op> shadow_ops = log_;

  // The same two steps on fresh maps, with dumps only.
  std::vector<Op> flog;
  std::map<std::string, std::unique_ptr<FakeMap>> fmaps;
  for (const auto& [name, m] : maps_) {
    fmaps.emplace(name, std::make_unique<FakeMap>(name, &flog));
  }
  const MapLookup flookup = [&](const std::string& name) -> MapIo* {
    auto it = fmaps.find(name);
    return it == fmaps.end() ? nullptr : it->second.get();
  };
  ASSERT_TRUE(reconcile(d, flookup).is_ok());
  flog.clear();
  auto with_dump = reconcile(d2, flookup);
  ASSERT_TRUE(with_dump.is_ok());
  EXPECT_EQ(with_shadow->updated, with_dump->updated);
  EXPECT_EQ(with_shadow->deleted, with_dump->deleted);
  EXPECT_EQ(with_shadow->unchanged, with_dump->unchanged);
  ASSERT_EQ(shadow_ops.size(), flog.size());
  for (std::size_t i = 0; i < shadow_ops.size(); ++i) {
    EXPECT_EQ(shadow_ops[i].kind + shadow_ops[i].map, flog[i].kind + flog[i].map);
    EXPECT_EQ(shadow_ops[i].key, flog[i].key);
  }
}

TEST_F(ReconcileTest, ShadowForgetsAMapWithAFailureAndDumpsItNextTime) {
  MapShadow shadow;
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const Bytes bad_key = map_named(d, VNET_MAP_NEIGH).entries.begin()->first;
  map(VNET_MAP_NEIGH).fail_keys_.insert(bad_key);
  EXPECT_FALSE(reconcile(d, lookup(), &shadow).is_ok());
  EXPECT_EQ(shadow.find(VNET_MAP_NEIGH), nullptr);
  EXPECT_NE(shadow.find(VNET_MAP_FDB), nullptr);

  map(VNET_MAP_NEIGH).fail_keys_.clear();
  const int neigh_dumps = map(VNET_MAP_NEIGH).dumps_;
  const int fdb_dumps = map(VNET_MAP_FDB).dumps_;
  ASSERT_TRUE(reconcile(d, lookup(), &shadow).is_ok());
  EXPECT_EQ(map(VNET_MAP_NEIGH).dumps_, neigh_dumps + 1);
  EXPECT_EQ(map(VNET_MAP_FDB).dumps_, fdb_dumps);
  expect_maps_equal(d);
}

// vnetd hands its freshly bound maps over: the shadow takes the entries
// themselves, holds exactly what a copy would, and a failed map is still
// forgotten rather than kept.
TEST_F(ReconcileTest, MovedDesiredMapsFillTheShadowLikeACopy) {
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  MapShadow copied;
  ASSERT_TRUE(reconcile(d, lookup(), &copied).is_ok());

  for (auto& [name, m] : maps_) {
    m->entries_.clear();
  }
  const Bytes bad_key = map_named(d, VNET_MAP_NEIGH).entries.begin()->first;
  map(VNET_MAP_NEIGH).fail_keys_.insert(bad_key);
  MapShadow moved;
  DesiredMaps handed = d;
  EXPECT_FALSE(reconcile(std::move(handed), lookup(), &moved).is_ok());
  EXPECT_EQ(moved.find(VNET_MAP_NEIGH), nullptr);
  for (const auto& m : d.maps) {
    if (m.name == VNET_MAP_NEIGH) {
      continue;
    }
    ASSERT_NE(moved.find(m.name), nullptr) << m.name;
    EXPECT_EQ(*moved.find(m.name), *copied.find(m.name)) << m.name;
    EXPECT_EQ(*moved.find(m.name), m.entries) << m.name;
  }

  // The next pass diffs against the moved entries: only the neighbour map
  // is dumped and written.
  map(VNET_MAP_NEIGH).fail_keys_.clear();
  log_.clear();
  ASSERT_TRUE(reconcile(reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots), lookup(), &moved)
                  .is_ok());
  for (const Op& op : log_) {
    EXPECT_EQ(op.map, VNET_MAP_NEIGH);
  }
  EXPECT_FALSE(log_.empty());
  expect_maps_equal(d);
}

TEST_F(ReconcileTest, ClearedShadowDumpsAndRepairsDrift) {
  MapShadow shadow;
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  ASSERT_TRUE(reconcile(d, lookup(), &shadow).is_ok());
  // Someone else touched the map: the shadow cannot know...
  map(VNET_MAP_FDB).entries_.clear();
  ASSERT_TRUE(reconcile(d, lookup(), &shadow).is_ok());
  EXPECT_TRUE(map(VNET_MAP_FDB).entries_.empty());
  // ...until vnetd's full resync clears it.
  shadow.clear();
  ASSERT_TRUE(reconcile(d, lookup(), &shadow).is_ok());
  expect_maps_equal(d);
}

TEST_F(ReconcileTest, BatchesWhenTheMapCanAndFallsBackToSingleWrites) {
  for (auto& [name, m] : maps_) {
    m->batch_ = true;
  }
  const DesiredMaps d = reconcile::bind_plan(sample_plan(), resolve_b1_only, sample_slots);
  const Bytes bad_key = map_named(d, VNET_MAP_NEIGH).entries.begin()->first;
  map(VNET_MAP_NEIGH).fail_keys_.insert(bad_key);
  auto r = reconcile(d, lookup());
  ASSERT_FALSE(r.is_ok());
  // The failed batch was redone entry by entry: the failure names its key,
  // and every other entry of that map is written.
  EXPECT_NE(r.status().message().find("vnet_neigh: update " ), std::string::npos);
  for (const auto& [key, value] : map_named(d, VNET_MAP_NEIGH).entries) {
    if (key != bad_key) {
      EXPECT_EQ(map(VNET_MAP_NEIGH).entries_.count(key), 1u);
    }
  }
  int batches = 0;
  for (const auto& op : log_) {
    batches += op.kind == "update_batch" ? 1 : 0;
  }
  EXPECT_GT(batches, 0);
  map(VNET_MAP_NEIGH).fail_keys_.clear();
  ASSERT_TRUE(reconcile(d, lookup()).is_ok());
  expect_maps_equal(d);

  // Pruning through remove_batch.
  const DesiredMaps d2 = reconcile::bind_plan(changed_plan(), resolve_b1_only, sample_slots);
  ASSERT_TRUE(reconcile(d2, lookup()).is_ok());
  expect_maps_equal(d2);
}

}  // namespace
}  // namespace vnet::reconcile

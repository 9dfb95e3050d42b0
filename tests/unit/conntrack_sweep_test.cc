// vnetd's conntrack sweep (datapath/conntrack.h): which entries are dead,
// and one pass over a map removing exactly those.
#include <gtest/gtest.h>

#include <cstring>

#include "datapath/conntrack.h"

namespace vnet::datapath {
namespace {

using reconcile::Bytes;
using reconcile::Entries;

constexpr std::uint64_t kSec = 1000000000ull;

vnet_ct_key key(std::uint32_t ep, std::uint8_t proto, std::uint16_t port = 1) {
  vnet_ct_key k{};
  k.endpoint_id = ep;
  k.protocol = proto;
  k.local_port_be = port;
  return k;
}

vnet_ct_entry entry(std::uint64_t last_ns, std::uint8_t flags) {
  vnet_ct_entry e{};
  e.last_ns = last_ns;
  e.flags = flags;
  return e;
}

template <typename T>
Bytes bytes(const T& v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  return Bytes(p, p + sizeof v);
}

TEST(ConntrackStale, IdleTimeoutsFollowTheDatapathsRule) {
  const std::uint64_t now = 100000 * kSec;
  const auto replied = static_cast<std::uint8_t>(VNET_CT_F_REPLIED);
  // Established TCP lives a day, UDP 180 s, anything unanswered 30 s.
  EXPECT_FALSE(conntrack_stale(key(1, 6), entry(now - 3600 * kSec, replied), now, nullptr));
  EXPECT_TRUE(conntrack_stale(key(1, 6), entry(now - 86401 * kSec, replied), now, nullptr));
  EXPECT_FALSE(conntrack_stale(key(1, 17), entry(now - 179 * kSec, replied), now, nullptr));
  EXPECT_TRUE(conntrack_stale(key(1, 17), entry(now - 181 * kSec, replied), now, nullptr));
  EXPECT_TRUE(conntrack_stale(key(1, 6), entry(now - 31 * kSec, 0), now, nullptr));
  // TCP after a FIN each way: 10 s.
  const auto closing =
      static_cast<std::uint8_t>(replied | VNET_CT_F_FIN_ORIGIN | VNET_CT_F_FIN_REPLY);
  EXPECT_TRUE(conntrack_stale(key(1, 6), entry(now - 11 * kSec, closing), now, nullptr));
  EXPECT_FALSE(conntrack_stale(key(1, 6), entry(now - 9 * kSec, closing), now, nullptr));
  // Written after `now` was read: fresh, not wrapped around.
  EXPECT_FALSE(conntrack_stale(key(1, 6), entry(now + kSec, 0), now, nullptr));
}

TEST(ConntrackStale, EndpointsGoneFromTheHost) {
  const std::unordered_set<std::uint32_t> local{1, 2};
  const auto e = entry(5 * kSec, VNET_CT_F_REPLIED);
  EXPECT_FALSE(conntrack_stale(key(2, 6), e, 6 * kSec, &local));
  EXPECT_TRUE(conntrack_stale(key(3, 6), e, 6 * kSec, &local));
}

class MemMap final : public reconcile::MapIo {
 public:
  Result<Entries> dump() override { return entries; }
  Status update(const Bytes& k, const Bytes& v) override {
    entries[k] = v;
    return Status::ok();
  }
  Status remove(const Bytes& k) override {
    entries.erase(k);
    ++removes;
    return Status::ok();
  }
  // What a lookup between the dump and the delete sees: `refreshed` entries
  // were replaced by the datapath meanwhile.
  Result<std::optional<Bytes>> lookup(const Bytes& k) override {
    if (auto it = refreshed.find(k); it != refreshed.end()) {
      return std::optional<Bytes>(it->second);
    }
    auto it = entries.find(k);
    return it == entries.end() ? std::optional<Bytes>() : std::optional<Bytes>(it->second);
  }
  Entries entries;
  Entries refreshed;
  int removes = 0;
};

TEST(ConntrackSweep, RemovesExactlyTheDeadEntries) {
  const std::uint64_t now = 1000 * kSec;
  const auto replied = static_cast<std::uint8_t>(VNET_CT_F_REPLIED);
  MemMap m;
  const Bytes live = bytes(key(1, 6, 1));
  const Bytes idle = bytes(key(1, 17, 2));
  const Bytes gone = bytes(key(9, 6, 3));
  m.entries[live] = bytes(entry(now - kSec, replied));
  m.entries[idle] = bytes(entry(now - 200 * kSec, replied));
  m.entries[gone] = bytes(entry(now - kSec, replied));
  const std::unordered_set<std::uint32_t> local{1};
  auto counts = sweep_conntrack(m, now, &local);
  ASSERT_TRUE(counts.is_ok()) << counts.status().message();
  EXPECT_EQ(counts->live, 1u);
  EXPECT_EQ(counts->removed, 2u);
  EXPECT_EQ(m.entries.size(), 1u);
  EXPECT_EQ(m.entries.count(live), 1u);
  // Without a plan only idle entries go.
  m.entries[gone] = bytes(entry(now - kSec, replied));
  counts = sweep_conntrack(m, now, nullptr);
  ASSERT_TRUE(counts.is_ok());
  EXPECT_EQ(counts->removed, 0u);
  EXPECT_EQ(m.entries.size(), 2u);
}

TEST(ConntrackSweep, KeepsAnEntryTheDatapathRenewedSinceTheDump) {
  const std::uint64_t now = 1000 * kSec;
  MemMap m;
  const Bytes k = bytes(key(1, 17, 2));
  m.entries[k] = bytes(entry(now - 200 * kSec, VNET_CT_F_REPLIED));  // idle in the dump
  m.refreshed[k] = bytes(entry(now, 0));                             // a new flow since
  auto counts = sweep_conntrack(m, now, nullptr);
  ASSERT_TRUE(counts.is_ok());
  EXPECT_EQ(counts->removed, 0u);
  EXPECT_EQ(m.removes, 0);
}

TEST(ConntrackSweep, RefusesEntriesOfAnotherLayout) {
  MemMap m;
  m.entries[Bytes{1, 2, 3}] = Bytes{4};
  EXPECT_FALSE(sweep_conntrack(m, kSec, nullptr).is_ok());
}

}  // namespace
}  // namespace vnet::datapath

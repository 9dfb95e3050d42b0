// vnetd's conntrack sweep against a real LRU hash: the chunked batch walk
// of PinnedMap (BPF_MAP_LOOKUP_BATCH a few hundred entries at a time, with
// deletes between chunks) visits every entry once, removes exactly the
// stale ones and keeps the rest. The unit test (tests/unit/
// conntrack_sweep_test.cc) covers the rules on an in-memory map; this one
// covers the kernel side of the walk.

#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "datapath/conntrack.h"
#include "datapath/pinned_map.h"
#include "vnet/abi.h"

namespace vt {
namespace {

using vnet::UniqueFd;
using vnet::datapath::PinnedMap;

constexpr std::uint32_t kFlows = 5000;  // many batches of the walk's first size (256)
constexpr std::uint64_t kNow = 1'000'000ull * 1'000'000'000ull;  // an hour is far less

vnet_ct_key flow_key(std::uint32_t i) {
  vnet_ct_key k{};
  k.endpoint_id = 1 + i % 3;
  k.vni = 1001;
  k.local_be = 0x0b01000a;  // 10.0.1.11
  k.remote_be = 0x0d01000a + (i << 24);
  k.local_port_be = static_cast<__be16>(i);
  k.remote_port_be = 80;
  k.protocol = 17;
  return k;
}

TEST(ConntrackSweepMap, ChunkedWalkRemovesExactlyTheStale) {
  const int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "ct_sweep_test", sizeof(vnet_ct_key),
                                sizeof(vnet_ct_entry), 2 * kFlows, nullptr);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  auto map = PinnedMap::adopt(UniqueFd(fd));
  ASSERT_TRUE(map.is_ok()) << map.status().message();

  // Every third flow idle for an hour (UDP, replied: 180 s timeout), the
  // others touched a second ago.
  std::set<std::uint32_t> stale;
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    const vnet_ct_key k = flow_key(i);
    vnet_ct_entry e{};
    e.flags = VNET_CT_F_REPLIED;
    e.last_ns = i % 3 == 0 ? kNow - 3600ull * 1'000'000'000ull : kNow - 1'000'000'000ull;
    if (i % 3 == 0) {
      stale.insert(i);
    }
    ASSERT_EQ(bpf_map_update_elem(fd, &k, &e, BPF_NOEXIST), 0) << std::strerror(errno);
  }

  auto counts = vnet::datapath::sweep_conntrack(**map, kNow, nullptr);
  ASSERT_TRUE(counts.is_ok()) << counts.status().message();
  EXPECT_EQ(counts->removed, stale.size());
  EXPECT_EQ(counts->live, kFlows - stale.size());
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    const vnet_ct_key k = flow_key(i);
    vnet_ct_entry e{};
    const bool present = bpf_map_lookup_elem(fd, &k, &e) == 0;
    EXPECT_EQ(present, stale.count(i) == 0) << "flow " << i;
  }

  // Endpoints that left: every flow of endpoint 2 goes, idle or not.
  const std::unordered_set<std::uint32_t> local{1, 3};
  auto again = vnet::datapath::sweep_conntrack(**map, kNow, &local);
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  std::uint32_t left = 0;
  for (std::uint32_t i = 0; i < kFlows; ++i) {
    const vnet_ct_key k = flow_key(i);
    vnet_ct_entry e{};
    if (bpf_map_lookup_elem(fd, &k, &e) == 0) {
      EXPECT_NE(k.endpoint_id, 2u) << "flow " << i;
      ++left;
    }
  }
  EXPECT_EQ(again->live, left);
  EXPECT_EQ(again->removed + left, kFlows - stale.size());
}

}  // namespace
}  // namespace vt

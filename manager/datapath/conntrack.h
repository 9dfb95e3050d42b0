#pragma once
// vnetd's sweep of the security groups' connection tracking table. The
// datapath expires idle entries when it looks them up; the sweep removes
// those nobody looks up any more (idle flows, endpoints gone from this
// host), so the LRU table's room goes to live flows.

#include <cstdint>
#include <optional>
#include <unordered_set>

#include "reconcile/reconcile.h"
#include "util/result.h"
#include "vnet/abi.h"

namespace vnet::datapath {

// CLOCK_MONOTONIC_COARSE in ns: the clock of vnet_ct_entry::last_ns
// (bpf_ktime_get_coarse_ns()).
std::uint64_t conntrack_clock_ns();

// Is this entry dead at `now_ns`: idle past its timeout (vnet_ct_timeout_ns,
// the datapath's own rule), or, when `endpoints` is given, of an endpoint
// that is not in it?
bool conntrack_stale(const vnet_ct_key& key, const vnet_ct_entry& entry, std::uint64_t now_ns,
                     const std::unordered_set<std::uint32_t>* endpoints);

struct SweepCounts {
  std::size_t live = 0;
  std::size_t removed = 0;
};

// One pass over `map` (vnet_conntrack), removing the stale entries.
Result<SweepCounts> sweep_conntrack(reconcile::MapIo& map, std::uint64_t now_ns,
                                    const std::unordered_set<std::uint32_t>* endpoints);

}  // namespace vnet::datapath

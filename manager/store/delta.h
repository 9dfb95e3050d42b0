#pragma once
// Generation deltas: what a vnetd holding generation N-1 in memory needs to
// reach N without decoding the whole (multi-MB) state, and whether N changes
// its host at all. The file store writes one per commit (file_store.h).

#include <optional>
#include <set>
#include <string>

#include "store/store.h"
#include "util/result.h"

namespace vnet::store {

// The delta from `base` to `target`, or nullopt when one cannot express it
// exactly: the surviving endpoints were reordered or a new one sits before
// a survivor (applying would give the right set in a different order).
std::optional<StateDelta> make_delta(const StoredState& base, const StateVersion& base_version,
                                     const StoredState& target,
                                     const StateVersion& target_version);

// Turns `state` (which must be the delta's base) into the target. Every
// index and name is checked before anything changes: on error `state` is
// untouched and the caller loads in full.
Status apply_delta(StoredState& state, const StateDelta& delta);

// Whether `delta` can change the plan of `host`, whose networks of interest
// in the base are `present` (those with one of its endpoints, and those a
// router attached to one of them reaches: compile::networks_of_interest).
// It cannot when no non-endpoint list changed and every changed endpoint,
// before and after, neither lives on `host` nor is in one of them. `base` must
// be the delta's base (old values are looked up by index). When unsure: true.
bool delta_affects_host(const topology::Topology& base, const StateDelta& delta,
                        const std::string& host, const std::set<std::string>& present);

}  // namespace vnet::store

#pragma once
// Stats slots: which vnet_ep_stats index counts which local endpoint.
//
// The datapath counts an endpoint at the slot its vnet_port and local
// vnet_fdb_entry name (abi.h), an array index where a hash keyed by endpoint
// id cost a lookup per packet. A slot must be stable while its endpoint
// lives (its counters are the endpoint's history, across restarts of vnetd
// too: vnet_ep_slots records the owners) and must never count two endpoints
// at once, so a slot freed by a pass is given again only after that pass's
// entries naming it are gone:
//
//   assign(ids)   every endpoint in `ids` has a slot; returns the slots
//                 newly taken (zero their counters and record the owner
//                 before any entry names them) and those whose endpoint
//                 left (still reserved);
//   ... bind_plan() and reconcile() with slot_of() ...
//   release(left) the entries naming them are pruned: the slots are free.
//
// Slots are given lowest first, from 1 (0 counts nothing); at most
// VNET_MAX_PORTS endpoints have one, which validation guarantees per host.

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "util/result.h"

namespace vnet::reconcile {

class StatsSlots {
 public:
  using Slot = std::uint16_t;

  struct Assignment {
    std::vector<std::pair<Slot, std::uint32_t>> taken;  // (slot, endpoint id)
    std::vector<Slot> left;                             // endpoint gone, slot reserved
  };

  explicit StatsSlots(std::size_t capacity);

  // An owner found in vnet_ep_slots when vnetd starts. False when the slot
  // is out of range or already owned (the entry is then ignored: the
  // endpoint gets a fresh slot).
  bool adopt(Slot slot, std::uint32_t endpoint_id);

  // Gives every endpoint id in `ids` a slot, keeping those it has. Fails,
  // changing nothing, when the slots run out.
  Result<Assignment> assign(const std::vector<std::uint32_t>& ids);

  // Frees slots returned in Assignment::left once nothing names them. (A
  // left slot stays reserved until then, so no endpoint can own it.)
  void release(const std::vector<Slot>& slots);

  // The endpoint's slot, 0 when it has none.
  Slot slot_of(std::uint32_t endpoint_id) const;

  std::size_t in_use() const { return by_endpoint_.size(); }

 private:
  Slot lowest_free() const;

  std::unordered_map<std::uint32_t, Slot> by_endpoint_;
  std::vector<bool> reserved_;  // by slot: owned, or left and not released
  Slot hint_ = 1;               // no free slot below it
};

}  // namespace vnet::reconcile

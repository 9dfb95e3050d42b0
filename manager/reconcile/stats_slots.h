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
//   assign(ids)   every endpoint in `ids` has a slot if one is free;
//                 returns the slots newly taken (zero their counters and
//                 record the owner before any entry names them) and those
//                 whose endpoint left (record them as left: still reserved);
//   ... bind_plan() and reconcile() with slot_of() ...
//   release(left) the entries naming them are pruned: the slots are free
//                 (returns those it freed: clear their records).
//
// Slots are given lowest first, from 1 (0 counts nothing). There are
// VNET_MAX_PORTS, the most local endpoints validation lets a host have; but
// the slots of endpoints that left stay reserved until their entries are
// pruned, so a generation that replaces many endpoints of a full host can
// find none free. Its newcomers then go uncounted (slot 0) for that pass,
// and get a slot in the next: counters never stop forwarding.

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vnet::reconcile {

class StatsSlots {
 public:
  using Slot = std::uint16_t;

  struct Assignment {
    std::vector<std::pair<Slot, std::uint32_t>> taken;  // (slot, endpoint id)
    std::vector<Slot> left;     // endpoint gone, slot reserved until release()
    std::size_t uncounted = 0;  // endpoints that found no free slot
  };

  explicit StatsSlots(std::size_t capacity);

  // An owner found in vnet_ep_slots when vnetd starts. False when the slot
  // is out of range or taken, or the endpoint has one.
  bool adopt(Slot slot, std::uint32_t endpoint_id);
  // A recorded slot no endpoint may own yet (one that left, or a second
  // record of an endpoint): reserved, to be released like a left one.
  bool hold(Slot slot);

  // Gives every endpoint id in `ids` a slot, keeping those it has. The
  // endpoints not in `ids` have left (0 is no endpoint's id).
  Assignment assign(const std::vector<std::uint32_t>& ids);

  // Frees slots returned in Assignment::left (or held) once nothing names
  // them; returns those it freed. A slot an endpoint owns is never freed.
  std::vector<Slot> release(const std::vector<Slot>& slots);

  // The endpoint's slot, 0 when it has none.
  Slot slot_of(std::uint32_t endpoint_id) const;

  std::size_t in_use() const { return by_endpoint_.size(); }
  std::size_t free_slots() const;

 private:
  Slot take_lowest_free();

  std::unordered_map<std::uint32_t, Slot> by_endpoint_;
  std::vector<std::uint32_t> owner_;  // by slot: its endpoint, 0 when none
  std::vector<std::uint32_t> seen_;   // by slot: the last assign() its owner was in
  std::vector<bool> reserved_;        // by slot: owned, or left and not released
  Slot hint_ = 1;                     // no free slot below it
  std::uint32_t pass_ = 0;            // assign() calls, for seen_
};

}  // namespace vnet::reconcile

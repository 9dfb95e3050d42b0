#include "reconcile/stats_slots.h"

#include <algorithm>

namespace vnet::reconcile {

StatsSlots::StatsSlots(std::size_t capacity)
    : owner_(capacity + 1, 0), seen_(capacity + 1, 0), reserved_(capacity + 1, false) {
  reserved_[0] = true;  // slot 0 counts nothing
}

bool StatsSlots::adopt(Slot slot, std::uint32_t endpoint_id) {
  if (slot == 0 || slot >= reserved_.size() || reserved_[slot] || endpoint_id == 0 ||
      by_endpoint_.count(endpoint_id) != 0) {
    return false;
  }
  reserved_[slot] = true;
  owner_[slot] = endpoint_id;
  by_endpoint_.emplace(endpoint_id, slot);
  return true;
}

bool StatsSlots::hold(Slot slot) {
  if (slot == 0 || slot >= reserved_.size() || reserved_[slot]) {
    return false;
  }
  reserved_[slot] = true;
  return true;
}

std::size_t StatsSlots::free_slots() const {
  return static_cast<std::size_t>(std::count(reserved_.begin(), reserved_.end(), false));
}

StatsSlots::Slot StatsSlots::take_lowest_free() {
  for (std::size_t s = hint_; s < reserved_.size(); ++s) {
    if (!reserved_[s]) {
      reserved_[s] = true;
      hint_ = static_cast<Slot>(s + 1);
      return static_cast<Slot>(s);
    }
  }
  hint_ = static_cast<Slot>(reserved_.size() - 1);
  return 0;
}

StatsSlots::Assignment StatsSlots::assign(const std::vector<std::uint32_t>& ids) {
  Assignment out;
  // The owners still present are marked by slot, in place: a pass that
  // changes nothing costs a lookup per endpoint and no allocation.
  if (++pass_ == 0) {
    std::fill(seen_.begin(), seen_.end(), 0);
    pass_ = 1;
  }
  std::vector<std::uint32_t> fresh;
  for (std::uint32_t id : ids) {
    if (id == 0) {
      continue;  // not an endpoint's id: ids start at 1
    }
    auto it = by_endpoint_.find(id);
    if (it != by_endpoint_.end()) {
      seen_[it->second] = pass_;
    } else {
      fresh.push_back(id);
    }
  }
  for (std::size_t slot = 1; slot < owner_.size(); ++slot) {
    if (owner_[slot] != 0 && seen_[slot] != pass_) {
      by_endpoint_.erase(owner_[slot]);
      owner_[slot] = 0;
      out.left.push_back(static_cast<Slot>(slot));
    }
  }
  std::sort(fresh.begin(), fresh.end());
  fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
  for (std::uint32_t id : fresh) {
    const Slot slot = take_lowest_free();
    if (slot == 0) {
      ++out.uncounted;
      continue;
    }
    by_endpoint_.emplace(id, slot);
    owner_[slot] = id;
    out.taken.emplace_back(slot, id);
  }
  return out;
}

std::vector<StatsSlots::Slot> StatsSlots::release(const std::vector<Slot>& slots) {
  std::vector<Slot> freed;
  for (Slot slot : slots) {
    if (slot == 0 || slot >= reserved_.size() || !reserved_[slot] || owner_[slot] != 0) {
      continue;
    }
    reserved_[slot] = false;
    hint_ = std::min(hint_, slot);
    freed.push_back(slot);
  }
  return freed;
}

StatsSlots::Slot StatsSlots::slot_of(std::uint32_t endpoint_id) const {
  auto it = by_endpoint_.find(endpoint_id);
  return it == by_endpoint_.end() ? 0 : it->second;
}

}  // namespace vnet::reconcile

#include "reconcile/stats_slots.h"

#include <algorithm>
#include <string>

namespace vnet::reconcile {

StatsSlots::StatsSlots(std::size_t capacity) : reserved_(capacity + 1, false) {
  reserved_[0] = true;  // slot 0 counts nothing
}

bool StatsSlots::adopt(Slot slot, std::uint32_t endpoint_id) {
  if (slot == 0 || slot >= reserved_.size() || reserved_[slot] || endpoint_id == 0 ||
      by_endpoint_.count(endpoint_id) != 0) {
    return false;
  }
  reserved_[slot] = true;
  by_endpoint_.emplace(endpoint_id, slot);
  return true;
}

StatsSlots::Slot StatsSlots::lowest_free() const {
  for (std::size_t s = hint_; s < reserved_.size(); ++s) {
    if (!reserved_[s]) {
      return static_cast<Slot>(s);
    }
  }
  return 0;
}

Result<StatsSlots::Assignment> StatsSlots::assign(const std::vector<std::uint32_t>& ids) {
  std::unordered_map<std::uint32_t, Slot> next;
  next.reserve(ids.size());
  std::vector<std::uint32_t> fresh;
  for (std::uint32_t id : ids) {
    auto it = by_endpoint_.find(id);
    if (it != by_endpoint_.end()) {
      next.emplace(id, it->second);
    } else if (next.count(id) == 0 &&
               std::find(fresh.begin(), fresh.end(), id) == fresh.end()) {
      fresh.push_back(id);
    }
  }
  // Slots of endpoints that left stay reserved until release(): count the
  // free ones before taking any, so a failure changes nothing.
  const std::size_t reserved = static_cast<std::size_t>(
      std::count(reserved_.begin(), reserved_.end(), true));
  if (fresh.size() > reserved_.size() - reserved) {
    return Status::error("stats slots: " + std::to_string(fresh.size()) +
                             " endpoints need one, " +
                             std::to_string(reserved_.size() - reserved) + " free",
                         ENOSPC);
  }
  Assignment out;
  for (const auto& [id, slot] : by_endpoint_) {
    if (next.count(id) == 0) {
      out.left.push_back(slot);
    }
  }
  std::sort(out.left.begin(), out.left.end());
  std::sort(fresh.begin(), fresh.end());
  for (std::uint32_t id : fresh) {
    const Slot slot = lowest_free();
    reserved_[slot] = true;
    hint_ = static_cast<Slot>(slot + 1);
    next.emplace(id, slot);
    out.taken.emplace_back(slot, id);
  }
  by_endpoint_ = std::move(next);
  return out;
}

void StatsSlots::release(const std::vector<Slot>& slots) {
  for (Slot slot : slots) {
    if (slot == 0 || slot >= reserved_.size()) {
      continue;
    }
    reserved_[slot] = false;
    hint_ = std::min(hint_, slot);
  }
}

StatsSlots::Slot StatsSlots::slot_of(std::uint32_t endpoint_id) const {
  auto it = by_endpoint_.find(endpoint_id);
  return it == by_endpoint_.end() ? 0 : it->second;
}

}  // namespace vnet::reconcile

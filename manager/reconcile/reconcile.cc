// reconcile(): desired entries vs what the pinned maps hold now. Two passes,
// like cilium/statedb's reconciler: every map is brought up to date in
// dependency order first, then stale entries are pruned in the reverse
// order, so a port is never visible before what it depends on, and what it
// depends on never disappears while the port still uses it.

#include "reconcile/reconcile.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace vnet::reconcile {

namespace {

// Enough of a key to find it with bpftool, without flooding the log.
std::string hex(const Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  constexpr std::size_t kMax = 32;
  std::string out;
  out.reserve(std::min(b.size(), kMax) * 2 + 3);
  for (std::size_t i = 0; i < b.size() && i < kMax; ++i) {
    out.push_back(kDigits[b[i] >> 4]);
    out.push_back(kDigits[b[i] & 0xf]);
  }
  if (b.size() > kMax) {
    out += "...";
  }
  return out;
}

// Collects failures; the first errno wins so callers can still branch on
// the common case (EPERM, ENOSPC, ...). Messages past the cap are counted,
// not kept: a map full of bad entries should not produce a megabyte.
class Failures {
 public:
  void add(const std::string& what, const Status& s) {
    if (count_ == 0) {
      first_errno_ = s.err();
    }
    ++count_;
    if (count_ <= kMaxMessages) {
      if (!text_.empty()) {
        text_ += "; ";
      }
      text_ += what + ": " + s.message();
    }
  }
  bool empty() const { return count_ == 0; }
  Status status() const {
    std::string msg = "reconcile: " + std::to_string(count_) + " failure(s): " + text_;
    if (count_ > kMaxMessages) {
      msg += "; and " + std::to_string(count_ - kMaxMessages) + " more";
    }
    return Status::error(std::move(msg), first_errno_);
  }

 private:
  static constexpr std::size_t kMaxMessages = 8;
  std::size_t count_ = 0;
  int first_errno_ = 0;
  std::string text_;
};

struct MapState {
  const MapDesired* desired = nullptr;
  MapIo* io = nullptr;
  Entries dumped;                     // when dumped
  const Entries* current = nullptr;   // the dump or the shadow's copy
  std::vector<MapIo::KeyValue> writes;  // entries to write (missing or different)
  std::vector<const Bytes*> stale;    // keys to prune, found by the merge walk
  bool usable = false;  // found and read; otherwise it is neither updated nor pruned
  bool failed = false;  // some write failed: the shadow forgets this map
};

// Writes `st.writes` (all to one map): in one batch when the map can, else (or
// when the batch fails) one by one, naming each failure.
void apply_updates(MapState& st, Counts& counts, Failures& failures) {
  const std::vector<MapIo::KeyValue>& writes = st.writes;
  if (writes.empty()) {
    return;
  }
  if (writes.size() > 1 && st.io->update_batch(writes)) {
    counts.updated += writes.size();
    return;
  }
  for (const auto& [key, value] : writes) {
    if (Status s = st.io->update(*key, *value); !s) {
      failures.add(st.desired->name + ": update " + hex(*key), s);
      st.failed = true;
      continue;
    }
    ++counts.updated;
  }
}

void apply_removes(MapState& st, Counts& counts, Failures& failures) {
  if (st.stale.empty()) {
    return;
  }
  if (st.stale.size() > 1 && st.io->remove_batch(st.stale)) {
    counts.deleted += st.stale.size();
    return;
  }
  for (const Bytes* key : st.stale) {
    if (Status s = st.io->remove(*key); !s) {
      failures.add(st.desired->name + ": delete " + hex(*key), s);
      st.failed = true;
      continue;
    }
    ++counts.deleted;
  }
}

// reconcile() for both overloads: with `owned` (the same object as
// `desired`), the shadow takes the entries instead of a copy of them.
Result<Counts> reconcile_maps(const DesiredMaps& desired, DesiredMaps* owned,
                              const MapLookup& lookup, MapShadow* shadow) {
  Counts counts;
  Failures failures;
  std::vector<MapState> states(desired.maps.size());

  for (std::size_t i = 0; i < desired.maps.size(); ++i) {
    const MapDesired& want = desired.maps[i];
    MapState& st = states[i];
    st.desired = &want;
    st.io = lookup(want.name);
    if (st.io == nullptr) {
      failures.add(want.name, Status::error("map not found", ENOENT));
      continue;
    }
    st.current = shadow != nullptr ? shadow->find(want.name) : nullptr;
    if (st.current == nullptr) {
      Result<Entries> dumped = st.io->dump();
      if (!dumped) {
        failures.add(want.name + ": dump", dumped.status());
        if (shadow != nullptr) {
          shadow->forget(want.name);
        }
        continue;
      }
      st.dumped = std::move(*dumped);
      st.current = &st.dumped;
    }
    st.usable = true;

    // Both sides are sorted by key: one merge walk finds what to write and
    // what to prune.
    auto cur = st.current->begin();
    const auto cur_end = st.current->end();
    for (const auto& [key, value] : want.entries) {
      while (cur != cur_end && cur->first < key) {
        st.stale.push_back(&cur->first);
        ++cur;
      }
      if (cur != cur_end && cur->first == key) {
        const bool same = want.presence_only || cur->second == value;
        ++cur;
        if (same) {
          ++counts.unchanged;
          continue;
        }
      }
      st.writes.emplace_back(&key, &value);
    }
    for (; cur != cur_end; ++cur) {
      st.stale.push_back(&cur->first);
    }
    apply_updates(st, counts, failures);
  }

  // Prune what the walks above found stale: entries written since then are
  // all desired ones, and nothing else writes keys into these maps.
  for (std::size_t i = states.size(); i-- > 0;) {
    MapState& st = states[i];
    if (!st.usable) {
      continue;
    }
    apply_removes(st, counts, failures);
  }

  if (shadow != nullptr) {
    for (std::size_t i = 0; i < states.size(); ++i) {
      MapState& st = states[i];  // desired.maps[i]'s
      if (!st.usable || st.failed) {
        if (st.desired != nullptr) {
          shadow->forget(st.desired->name);
        }
        continue;
      }
      st.stale.clear();  // points into the shadow's old copy, replaced next
      st.writes.clear();  // points into `desired`, which the shadow may take
      if (owned != nullptr) {
        shadow->set(st.desired->name, std::move(owned->maps[i].entries));
      } else {
        shadow->set(st.desired->name, st.desired->entries);
      }
    }
  }

  if (!failures.empty()) {
    return failures.status();
  }
  return counts;
}

}  // namespace

Result<Counts> reconcile(const DesiredMaps& desired, const MapLookup& lookup, MapShadow* shadow) {
  return reconcile_maps(desired, nullptr, lookup, shadow);
}

Result<Counts> reconcile(DesiredMaps&& desired, const MapLookup& lookup, MapShadow* shadow) {
  return reconcile_maps(desired, &desired, lookup, shadow);
}

Result<Counts> reconcile_change(const DesiredMaps& before, const DesiredMaps& after,
                                const MapLookup& lookup, MapShadow& shadow) {
  // Everything needed is checked before the first write: a refusal must
  // leave nothing half done for the full pass that follows it.
  std::vector<MapState> states(after.maps.size());
  std::vector<Entries*> shadowed(after.maps.size());
  for (std::size_t i = 0; i < after.maps.size(); ++i) {
    const MapDesired& want = after.maps[i];
    states[i].desired = &want;
    states[i].io = lookup(want.name);
    shadowed[i] = shadow.find(want.name);
    if (states[i].io == nullptr || shadowed[i] == nullptr) {
      return Status::error(want.name + ": not " +
                               (states[i].io == nullptr ? "found" : "in the shadow") +
                               ": reconcile in full",
                           ENODATA);
    }
    states[i].current = shadowed[i];
    states[i].usable = true;
  }

  Counts counts;
  Failures failures;
  for (MapState& st : states) {
    const MapDesired& want = *st.desired;
    for (const auto& [key, value] : want.entries) {
      auto cur = st.current->find(key);
      if (cur != st.current->end() && (want.presence_only || cur->second == value)) {
        ++counts.unchanged;
        continue;
      }
      st.writes.emplace_back(&key, &value);
    }
    // What the change's old side held and its new side does not.
    auto old = std::find_if(before.maps.begin(), before.maps.end(),
                            [&](const MapDesired& m) { return m.name == want.name; });
    if (old != before.maps.end()) {
      for (const auto& [key, value] : old->entries) {
        if (want.entries.count(key) == 0 && st.current->count(key) != 0) {
          st.stale.push_back(&key);
        }
      }
    }
    apply_updates(st, counts, failures);
  }
  for (std::size_t i = states.size(); i-- > 0;) {
    apply_removes(states[i], counts, failures);
  }

  for (std::size_t i = 0; i < states.size(); ++i) {
    MapState& st = states[i];
    if (st.failed) {
      shadow.forget(st.desired->name);  // dumped by the next full pass
      continue;
    }
    Entries& entries = *shadowed[i];
    for (const auto& [key, value] : st.writes) {
      entries.insert_or_assign(*key, *value);
    }
    for (const Bytes* key : st.stale) {
      entries.erase(*key);
    }
  }

  if (!failures.empty()) {
    return failures.status();
  }
  return counts;
}

}  // namespace vnet::reconcile

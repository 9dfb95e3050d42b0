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
  Entries current;
  bool usable = false;  // found and dumped; otherwise it is neither updated nor pruned
};

}  // namespace

Result<Counts> reconcile(const DesiredMaps& desired, const MapLookup& lookup) {
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
    Result<Entries> dumped = st.io->dump();
    if (!dumped) {
      failures.add(want.name + ": dump", dumped.status());
      continue;
    }
    st.current = std::move(*dumped);
    st.usable = true;

    for (const auto& [key, value] : want.entries) {
      auto it = st.current.find(key);
      if (it != st.current.end() && (want.presence_only || it->second == value)) {
        ++counts.unchanged;
        continue;
      }
      if (Status s = st.io->update(key, value); !s) {
        failures.add(want.name + ": update " + hex(key), s);
        continue;
      }
      ++counts.updated;
    }
  }

  // Prune with the dumps taken above: entries written since then are all
  // desired ones, and nothing else writes keys into these maps.
  for (std::size_t i = states.size(); i-- > 0;) {
    MapState& st = states[i];
    if (!st.usable) {
      continue;
    }
    for (const auto& [key, value] : st.current) {
      if (st.desired->entries.count(key) != 0) {
        continue;
      }
      if (Status s = st.io->remove(key); !s) {
        failures.add(st.desired->name + ": delete " + hex(key), s);
        continue;
      }
      ++counts.deleted;
    }
  }

  if (!failures.empty()) {
    return failures.status();
  }
  return counts;
}

}  // namespace vnet::reconcile

#include "datapath/conntrack.h"

#include <time.h>

#include <cstring>
#include <vector>

namespace vnet::datapath {

std::uint64_t conntrack_clock_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

bool conntrack_stale(const vnet_ct_key& key, const vnet_ct_entry& entry, std::uint64_t now_ns,
                     const std::unordered_set<std::uint32_t>* endpoints) {
  if (endpoints != nullptr && endpoints->count(key.endpoint_id) == 0) {
    return true;
  }
  // An entry written after `now_ns` was read is fresh, not 2^64 ns old.
  return now_ns > entry.last_ns &&
         now_ns - entry.last_ns > vnet_ct_timeout_ns(key.protocol, entry.flags);
}

Result<SweepCounts> sweep_conntrack(reconcile::MapIo& map, std::uint64_t now_ns,
                                    const std::unordered_set<std::uint32_t>* endpoints) {
  SweepCounts counts;
  const auto is_stale = [&](const reconcile::Bytes& k, const reconcile::Bytes& v) {
    vnet_ct_key key;
    vnet_ct_entry entry;
    std::memcpy(&key, k.data(), sizeof key);
    std::memcpy(&entry, v.data(), sizeof entry);
    return conntrack_stale(key, entry, now_ns, endpoints);
  };
  // A chunk at a time, as the map is read: a table of millions of entries
  // is never held whole, and stale entries go a chunk after they were read,
  // not after the whole walk.
  Status s = map.for_each_chunk([&](const reconcile::MapIo::Chunk& chunk) -> Status {
    std::vector<const reconcile::Bytes*> stale;
    for (const auto& [k, v] : chunk) {
      if (k.size() != sizeof(vnet_ct_key) || v.size() != sizeof(vnet_ct_entry)) {
        return Status::error("conntrack entry of unexpected size", EPROTO);
      }
      if (!is_stale(k, v)) {
        ++counts.live;
        continue;
      }
      // Read again just before deleting: the datapath may have replaced an
      // expired entry with a new flow since it was read (a few
      // microseconds of race remain; the map has no compare-and-delete).
      if (auto again = map.lookup(k); again) {
        if (!*again) {
          continue;  // gone already
        }
        if ((*again)->size() == v.size() && !is_stale(k, **again)) {
          ++counts.live;
          continue;
        }
      }
      stale.push_back(&k);
    }
    if (stale.empty()) {
      return Status::ok();
    }
    if (!map.remove_batch(stale)) {
      for (const reconcile::Bytes* k : stale) {
        if (Status r = map.remove(*k); !r) {
          return r;
        }
      }
    }
    counts.removed += stale.size();
    return Status::ok();
  });
  if (!s) {
    return s;
  }
  return counts;
}

}  // namespace vnet::datapath

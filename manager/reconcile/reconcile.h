#pragma once
// Desired map entries vs what is pinned now. bind_plan() turns a HostPlan into
// concrete key/value bytes (interface names resolved to ifindexes);
// reconcile() applies the difference with three idempotent operations,
// update, delete (missing is fine) and prune, writing only what changed and
// in an order that never opens a hole: every map is updated before any map
// is pruned, dependencies first (sources and fdb before the port that uses
// them), and deletions run in the reverse order (ports first).

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compile/plan.h"
#include "util/result.h"

namespace vnet::reconcile {

using Bytes = std::vector<std::uint8_t>;
using Entries = std::map<Bytes, Bytes>;

// One BPF map as the reconciler sees it. The real one wraps a pinned map fd
// (datapath/), tests use an in-memory fake that counts writes.
class MapIo {
 public:
  using KeyValue = std::pair<const Bytes*, const Bytes*>;

  virtual ~MapIo() = default;
  virtual Result<Entries> dump() = 0;
  virtual Status update(const Bytes& key, const Bytes& value) = 0;
  virtual Status remove(const Bytes& key) = 0;  // ENOENT is success

  // Many writes in one call (BPF_MAP_UPDATE_BATCH / DELETE_BATCH) where
  // the map can. An error may leave any prefix written: reconcile() then
  // redoes the whole list one entry at a time (the operations are
  // idempotent), which also names the entries that fail. The defaults say
  // "unsupported" so implementations without batches need nothing.
  virtual Status update_batch(const std::vector<KeyValue>& entries) {
    (void)entries;
    return Status::error("batch update not supported", EOPNOTSUPP);
  }
  virtual Status remove_batch(const std::vector<const Bytes*>& keys) {
    (void)keys;
    return Status::error("batch delete not supported", EOPNOTSUPP);
  }
  // Every entry, a chunk at a time as it is read, so a large map is never
  // held whole: `fn` may remove a chunk's entries before the next chunk is
  // read, and an error from it stops the walk. The default reads the map
  // with dump() and hands it over as one chunk.
  using Chunk = std::vector<std::pair<Bytes, Bytes>>;
  virtual Status for_each_chunk(const std::function<Status(const Chunk&)>& fn) {
    auto all = dump();
    if (!all) {
      return all.status();
    }
    return fn(Chunk(all->begin(), all->end()));
  }
  // One entry, nullopt when absent. The default says "unsupported":
  // callers only use it to re-check an entry before acting on a dump.
  virtual Result<std::optional<Bytes>> lookup(const Bytes& key) {
    (void)key;
    return Status::error("lookup not supported", EOPNOTSUPP);
  }
};

struct MapDesired {
  std::string name;  // VNET_MAP_* from abi.h
  Entries entries;
  // Values someone else writes (VTEP next hops: the neighbour pass):
  // entries are created with the given value when
  // missing and deleted when stale, but an existing value is never compared
  // or overwritten.
  bool presence_only = false;
};

// The whole datapath state of a host, in update order.
struct DesiredMaps {
  std::vector<MapDesired> maps;
  // Local endpoints whose interface does not exist (yet): their port is not
  // programmed; vnetd rebinds when the interface appears.
  std::vector<std::string> missing_interfaces;
};

struct InterfaceInfo {
  std::uint32_t ifindex = 0;
  std::uint16_t port_flags = 0;  // VNET_PORT_F_*
};

using InterfaceResolver =
    std::function<std::optional<InterfaceInfo>(const std::string& name)>;

// A local endpoint's stats slot (stats_slots.h), by endpoint id.
using SlotOf = std::function<std::uint16_t(std::uint32_t endpoint_id)>;

// Counters are not in the result: vnet_ep_stats is an array whose slots
// vnetd zeroes when it gives them (StatsSlots), not a map to reconcile.
DesiredMaps bind_plan(const compile::HostPlan& plan, const InterfaceResolver& resolve,
                      const SlotOf& slot_of);

struct Counts {
  std::size_t updated = 0;
  std::size_t deleted = 0;
  std::size_t unchanged = 0;
};

using MapLookup = std::function<MapIo*(const std::string& name)>;

// What reconcile() left in each map after its last pass, so that the next
// pass diffs the new desired state against memory instead of dumping every
// map (at 100k endpoints a dump is tens of thousands of entries per map,
// every generation, on every host). Trustworthy only while this process is
// the only writer of those keys, which vnetd is, except across its own
// restart or a kernel-side surprise: so an empty shadow (a fresh vnetd)
// dumps, a map whose pass had any failure is forgotten (dumped next time),
// and vnetd clears the shadow on each map audit (daemon.h,
// kMapAuditInterval), which dumps everything and so repairs any drift.
class MapShadow {
 public:
  void clear() { maps_.clear(); }
  bool empty() const { return maps_.empty(); }
  const Entries* find(const std::string& map) const {
    auto it = maps_.find(map);
    return it == maps_.end() ? nullptr : &it->second;
  }
  Entries* find(const std::string& map) {
    auto it = maps_.find(map);
    return it == maps_.end() ? nullptr : &it->second;
  }
  void set(const std::string& map, Entries entries) { maps_[map] = std::move(entries); }
  void forget(const std::string& map) { maps_.erase(map); }

 private:
  std::map<std::string, Entries> maps_;
};

// Applies `desired` to the maps found through `lookup` (a name it cannot
// find is an error). Continues past a failed write so one bad entry does
// not block the rest; the returned Status names every failure. With a
// `shadow`, a map it knows is not dumped, and the shadow is updated.
Result<Counts> reconcile(const DesiredMaps& desired, const MapLookup& lookup,
                         MapShadow* shadow = nullptr);
// The same, handing `desired`'s entries to the shadow instead of copying
// them (at 100k endpoints the copy was a tenth of a cold apply's CPU).
// `desired` is left with moved-from entries.
Result<Counts> reconcile(DesiredMaps&& desired, const MapLookup& lookup,
                         MapShadow* shadow = nullptr);

// reconcile() for a plan change (compile::PlanChange) alone: `before` and
// `after` are bind_plan() of its two sides, so the keys they hold are all
// the change can touch, and every other key keeps its entry untouched and
// unread. Work is proportional to the change, not to the maps (a
// one-endpoint change at 100k endpoints writes 3 entries instead of walking
// ~80k). The shadow stands in for the maps and is updated in place, so it
// must hold every map of `after` as the last pass left it: when it does not
// (cleared, or a map forgotten after a failure), or a map is not found,
// nothing is written and the error is ENODATA: reconcile in full instead.
// Order, batching and failure handling are reconcile()'s.
Result<Counts> reconcile_change(const DesiredMaps& before, const DesiredMaps& after,
                                const MapLookup& lookup, MapShadow& shadow);

}  // namespace vnet::reconcile

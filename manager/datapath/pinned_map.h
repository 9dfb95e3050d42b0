#pragma once
// A BPF map reached through an fd (usually one pinned under --pin-dir), as
// the reconciler's MapIo. Reads use batch lookups where the map type has
// them (hash, array, their per-CPU forms) and fall back to get_next_key +
// lookup (LPM tries). Per-CPU maps carry round_up(value_size, 8) bytes per
// possible CPU: dump() returns all of them, update() accepts either one
// value (replicated to every CPU; how vnetd creates zeroed counters) or the
// full per-CPU block.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/unique_fd.h"
#include "reconcile/reconcile.h"
#include "util/result.h"

namespace vnet::datapath {

struct MapInfo {
  std::string name;
  std::uint32_t id = 0;
  std::uint32_t type = 0;  // enum bpf_map_type
  std::uint32_t key_size = 0;
  std::uint32_t value_size = 0;
  std::uint32_t max_entries = 0;
};

class PinnedMap final : public reconcile::MapIo {
 public:
  // Opens the map pinned at `path` (bpf_obj_get).
  static Result<std::unique_ptr<PinnedMap>> open(const std::string& path);
  // Takes ownership of a map fd.
  static Result<std::unique_ptr<PinnedMap>> adopt(UniqueFd fd);

  Result<reconcile::Entries> dump() override;
  Status update(const reconcile::Bytes& key, const reconcile::Bytes& value) override;
  // ENOENT is success. Array maps cannot delete: their slot is zeroed.
  Status remove(const reconcile::Bytes& key) override;
  // BPF_MAP_UPDATE_BATCH / BPF_MAP_DELETE_BATCH for hash maps (not per-CPU:
  // their values need the per-CPU expansion update() does); other types
  // answer EOPNOTSUPP and the reconciler writes one by one.
  Status update_batch(const std::vector<KeyValue>& entries) override;
  Status remove_batch(const std::vector<const reconcile::Bytes*>& keys) override;
  // BPF_MAP_LOOKUP_BATCH a few hundred entries at a time where the map can
  // (else one dump).
  Status for_each_chunk(const std::function<Status(const Chunk&)>& fn) override;

  // One entry as the kernel returns it (the whole per-CPU block for per-CPU
  // maps); nullopt when the key is absent.
  Result<std::optional<reconcile::Bytes>> lookup(const reconcile::Bytes& key) const;
  Result<std::optional<reconcile::Bytes>> lookup(const reconcile::Bytes& key) override {
    return static_cast<const PinnedMap&>(*this).lookup(key);
  }

  const MapInfo& info() const { return info_; }
  int fd() const { return fd_.get(); }
  bool per_cpu() const { return per_cpu_; }
  // Bytes of one CPU's value inside a per-CPU block (value_size rounded up to 8).
  std::size_t cpu_stride() const { return cpu_stride_; }
  std::size_t possible_cpus() const { return ncpus_; }
  // Bytes of a whole value as the syscalls move it.
  std::size_t full_value_size() const { return per_cpu_ ? cpu_stride_ * ncpus_ : info_.value_size; }

 private:
  PinnedMap(UniqueFd fd, MapInfo info, std::size_t ncpus);
  Result<reconcile::Entries> dump_batch(bool* unsupported) const;
  // The batch walk behind dump_batch() and for_each_chunk(). *unsupported:
  // the map has no batch lookup (nothing was read).
  // `fn` may take the chunk's bytes (dump_batch() moves them into its map).
  Status batch_chunks(const std::function<Status(Chunk&)>& fn, bool* unsupported) const;
  Result<reconcile::Entries> dump_iterate() const;
  Status check_key(const reconcile::Bytes& key, const char* op) const;

  UniqueFd fd_;
  MapInfo info_;
  bool per_cpu_ = false;
  bool is_array_ = false;
  std::size_t ncpus_ = 1;
  std::size_t cpu_stride_ = 0;
};

// Sums a per-CPU block of u64 counters: out[i] += counter i of every CPU.
// `counters` is how many u64s one CPU's value holds.
void sum_per_cpu_u64(const std::uint8_t* block, std::size_t ncpus, std::size_t stride,
                     std::size_t counters, std::uint64_t* out);

}  // namespace vnet::datapath

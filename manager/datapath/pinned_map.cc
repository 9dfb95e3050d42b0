#include "datapath/pinned_map.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace vnet::datapath {
namespace {

// ENOTSUPP is kernel-internal (524) but leaks to userspace from the batch ops.
constexpr int kENOTSUPP = 524;

bool is_per_cpu_type(std::uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

bool is_array_type(std::uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

// Batch lookups are used for these types only (an LPM trie's generic batch
// lookup resumes from a key, not a bucket index: dumped by iteration).
bool has_batch_ops(std::uint32_t type) {
  return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
         type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

}  // namespace

void sum_per_cpu_u64(const std::uint8_t* block, std::size_t ncpus, std::size_t stride,
                     std::size_t counters, std::uint64_t* out) {
  for (std::size_t cpu = 0; cpu < ncpus; ++cpu) {
    const std::uint8_t* v = block + cpu * stride;
    for (std::size_t i = 0; i < counters; ++i) {
      std::uint64_t c;
      std::memcpy(&c, v + i * sizeof(c), sizeof(c));
      out[i] += c;
    }
  }
}

PinnedMap::PinnedMap(UniqueFd fd, MapInfo info, std::size_t ncpus)
    : fd_(std::move(fd)), info_(std::move(info)) {
  per_cpu_ = is_per_cpu_type(info_.type);
  is_array_ = is_array_type(info_.type);
  ncpus_ = per_cpu_ ? ncpus : 1;
  cpu_stride_ = per_cpu_ ? (info_.value_size + 7) / 8 * 8 : info_.value_size;
}

Result<std::unique_ptr<PinnedMap>> PinnedMap::open(const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    return Status::os_error("open pinned map " + path, errno);
  }
  auto map = adopt(UniqueFd(fd));
  if (!map) {
    return map.status().with_context(path);
  }
  return map;
}

Result<std::unique_ptr<PinnedMap>> PinnedMap::adopt(UniqueFd fd) {
  bpf_map_info raw{};
  __u32 len = sizeof(raw);
  if (bpf_obj_get_info_by_fd(fd.get(), &raw, &len) != 0) {
    return Status::os_error("map info", errno);
  }
  MapInfo info;
  info.name = raw.name;
  info.id = raw.id;
  info.type = raw.type;
  info.key_size = raw.key_size;
  info.value_size = raw.value_size;
  info.max_entries = raw.max_entries;
  std::size_t ncpus = 1;
  if (is_per_cpu_type(info.type)) {
    int n = libbpf_num_possible_cpus();
    if (n <= 0) {
      return Status::os_error("possible CPUs", n < 0 ? -n : EINVAL);
    }
    ncpus = static_cast<std::size_t>(n);
  }
  return std::unique_ptr<PinnedMap>(new PinnedMap(std::move(fd), std::move(info), ncpus));
}

Status PinnedMap::check_key(const reconcile::Bytes& key, const char* op) const {
  if (key.size() != info_.key_size) {
    return Status::error(info_.name + ": " + op + ": key is " + std::to_string(key.size()) +
                             " bytes, the map's are " + std::to_string(info_.key_size),
                         EINVAL);
  }
  return Status::ok();
}

Result<reconcile::Entries> PinnedMap::dump() {
  if (has_batch_ops(info_.type)) {
    bool unsupported = false;
    auto r = dump_batch(&unsupported);
    if (r || !unsupported) {
      return r;
    }
  }
  return dump_iterate();
}

Result<reconcile::Entries> PinnedMap::dump_batch(bool* unsupported) const {
  reconcile::Entries entries;
  Status s = batch_chunks(
      [&](Chunk& chunk) {
        for (auto& [k, v] : chunk) {
          entries.insert_or_assign(std::move(k), std::move(v));
        }
        return Status::ok();
      },
      unsupported);
  if (!s) {
    return s;
  }
  return entries;
}

Status PinnedMap::for_each_chunk(const std::function<Status(const Chunk&)>& fn) {
  bool unsupported = false;
  Status s = batch_chunks([&](Chunk& chunk) { return fn(chunk); }, &unsupported);
  if (s || !unsupported) {
    return s;
  }
  return MapIo::for_each_chunk(fn);
}

Status PinnedMap::batch_chunks(const std::function<Status(Chunk&)>& fn,
                               bool* unsupported) const {
  const std::size_t vsize = full_value_size();
  // A hash batch returns whole buckets; start with room for a few and grow
  // on ENOSPC (a bucket larger than the batch).
  std::uint32_t batch = 256;
  std::vector<std::uint8_t> keys;
  std::vector<std::uint8_t> values;
  // The resume token is a u32 bucket/index for every type that has batch ops;
  // keep room for a key in case a future type uses keys.
  std::vector<std::uint8_t> in_token(std::max<std::size_t>(info_.key_size, 8));
  std::vector<std::uint8_t> out_token(in_token.size());
  bool first = true;
  Chunk chunk;
  LIBBPF_OPTS(bpf_map_batch_opts, opts);
  for (;;) {
    keys.resize(static_cast<std::size_t>(batch) * info_.key_size);
    values.resize(static_cast<std::size_t>(batch) * vsize);
    __u32 count = batch;
    int err = bpf_map_lookup_batch(fd_.get(), first ? nullptr : in_token.data(), out_token.data(),
                                   keys.data(), values.data(), &count, &opts);
    int e = err < 0 ? -err : 0;
    if (e != 0 && e != ENOENT) {
      if (e == ENOSPC && count == 0 && batch < (1u << 20)) {
        batch *= 2;
        continue;
      }
      if (first && (e == EINVAL || e == EOPNOTSUPP || e == kENOTSUPP)) {
        *unsupported = true;
      }
      return Status::os_error(info_.name + ": batch lookup", e);
    }
    chunk.clear();
    for (__u32 i = 0; i < count; ++i) {
      const std::uint8_t* k = keys.data() + static_cast<std::size_t>(i) * info_.key_size;
      const std::uint8_t* v = values.data() + static_cast<std::size_t>(i) * vsize;
      chunk.emplace_back(reconcile::Bytes(k, k + info_.key_size), reconcile::Bytes(v, v + vsize));
    }
    if (!chunk.empty()) {
      if (Status s = fn(chunk); !s) {
        return s;
      }
    }
    if (e == ENOENT) {
      return Status::ok();
    }
    in_token = out_token;
    first = false;
  }
}

Result<reconcile::Entries> PinnedMap::dump_iterate() const {
  reconcile::Entries entries;
  reconcile::Bytes key(info_.key_size);
  reconcile::Bytes next(info_.key_size);
  reconcile::Bytes value(full_value_size());
  bool have_prev = false;
  for (;;) {
    if (bpf_map_get_next_key(fd_.get(), have_prev ? key.data() : nullptr, next.data()) != 0) {
      if (errno == ENOENT) {
        return entries;
      }
      return Status::os_error(info_.name + ": get_next_key", errno);
    }
    if (bpf_map_lookup_elem(fd_.get(), next.data(), value.data()) == 0) {
      entries.insert_or_assign(next, value);
    } else if (errno != ENOENT) {
      // ENOENT: deleted between the two calls; anything else is real.
      return Status::os_error(info_.name + ": lookup", errno);
    }
    key.swap(next);
    have_prev = true;
  }
}

Result<std::optional<reconcile::Bytes>> PinnedMap::lookup(const reconcile::Bytes& key) const {
  if (auto s = check_key(key, "lookup"); !s) {
    return s;
  }
  reconcile::Bytes value(full_value_size());
  if (bpf_map_lookup_elem(fd_.get(), key.data(), value.data()) != 0) {
    if (errno == ENOENT) {
      return std::optional<reconcile::Bytes>();
    }
    return Status::os_error(info_.name + ": lookup", errno);
  }
  return std::optional<reconcile::Bytes>(std::move(value));
}

Status PinnedMap::update(const reconcile::Bytes& key, const reconcile::Bytes& value) {
  if (auto s = check_key(key, "update"); !s) {
    return s;
  }
  const std::uint8_t* data = value.data();
  reconcile::Bytes block;
  if (per_cpu_ && value.size() == info_.value_size && value.size() != full_value_size()) {
    block.assign(full_value_size(), 0);
    for (std::size_t cpu = 0; cpu < ncpus_; ++cpu) {
      std::memcpy(block.data() + cpu * cpu_stride_, value.data(), value.size());
    }
    data = block.data();
  } else if (value.size() != full_value_size()) {
    return Status::error(info_.name + ": update: value is " + std::to_string(value.size()) +
                             " bytes, the map's are " + std::to_string(info_.value_size) +
                             (per_cpu_ ? " per CPU" : ""),
                         EINVAL);
  }
  if (bpf_map_update_elem(fd_.get(), key.data(), data, BPF_ANY) != 0) {
    return Status::os_error(info_.name + ": update", errno);
  }
  return Status::ok();
}

Status PinnedMap::remove(const reconcile::Bytes& key) {
  if (auto s = check_key(key, "delete"); !s) {
    return s;
  }
  if (is_array_) {
    // Array slots always exist; "absent" is all zeroes.
    reconcile::Bytes zero(full_value_size(), 0);
    if (bpf_map_update_elem(fd_.get(), key.data(), zero.data(), BPF_EXIST) != 0) {
      return Status::os_error(info_.name + ": clear", errno);
    }
    return Status::ok();
  }
  if (bpf_map_delete_elem(fd_.get(), key.data()) != 0 && errno != ENOENT) {
    return Status::os_error(info_.name + ": delete", errno);
  }
  return Status::ok();
}

namespace {

// One syscall per this many entries: bounded kernel work per call.
constexpr std::size_t kBatchChunk = 4096;

// LPM tries take batches since Linux 5.6 (generic_map_update_batch: the
// kernel loops over its own update, sparing a syscall per prefix); an older
// kernel's EINVAL makes reconcile() write them one by one.
bool can_batch_write(std::uint32_t type) {
  return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
         type == BPF_MAP_TYPE_LPM_TRIE || type == BPF_MAP_TYPE_ARRAY ||
         type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

}  // namespace

Status PinnedMap::update_batch(const std::vector<KeyValue>& entries) {
  if (!can_batch_write(info_.type)) {
    return Status::error(info_.name + ": no batch update for this map type", EOPNOTSUPP);
  }
  // A per-CPU map's value is one block per CPU; as in update(), a single
  // value is written to every CPU.
  const std::size_t vsize = full_value_size();
  std::vector<std::uint8_t> keys;
  std::vector<std::uint8_t> values;
  for (std::size_t start = 0; start < entries.size(); start += kBatchChunk) {
    const std::size_t n = std::min(kBatchChunk, entries.size() - start);
    keys.resize(n * info_.key_size);
    values.assign(n * vsize, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& [key, value] = entries[start + i];
      const bool one_cpu = per_cpu_ && value->size() == info_.value_size;
      if (key->size() != info_.key_size || (value->size() != vsize && !one_cpu)) {
        return Status::error(info_.name + ": batch update: bad key or value size", EINVAL);
      }
      std::memcpy(keys.data() + i * info_.key_size, key->data(), info_.key_size);
      std::uint8_t* dst = values.data() + i * vsize;
      if (one_cpu) {
        for (std::size_t cpu = 0; cpu < ncpus_; ++cpu) {
          std::memcpy(dst + cpu * cpu_stride_, value->data(), value->size());
        }
      } else {
        std::memcpy(dst, value->data(), vsize);
      }
    }
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
    __u32 count = static_cast<__u32>(n);
    if (bpf_map_update_batch(fd_.get(), keys.data(), values.data(), &count, &opts) != 0) {
      return Status::os_error(info_.name + ": batch update", errno);
    }
  }
  return Status::ok();
}

Status PinnedMap::remove_batch(const std::vector<const reconcile::Bytes*>& keys) {
  // Array slots cannot be deleted: remove() zeroes them one by one.
  if (!can_batch_write(info_.type) || is_array_) {
    return Status::error(info_.name + ": no batch delete for this map type", EOPNOTSUPP);
  }
  std::vector<std::uint8_t> buf;
  for (std::size_t start = 0; start < keys.size(); start += kBatchChunk) {
    const std::size_t n = std::min(kBatchChunk, keys.size() - start);
    buf.resize(n * info_.key_size);
    for (std::size_t i = 0; i < n; ++i) {
      const reconcile::Bytes* key = keys[start + i];
      if (key->size() != info_.key_size) {
        return Status::error(info_.name + ": batch delete: bad key size", EINVAL);
      }
      std::memcpy(buf.data() + i * info_.key_size, key->data(), info_.key_size);
    }
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    __u32 count = static_cast<__u32>(n);
    // Stops at the first missing key (ENOENT): the caller then deletes one
    // by one, where a missing key is success.
    if (bpf_map_delete_batch(fd_.get(), buf.data(), &count, &opts) != 0) {
      return Status::os_error(info_.name + ": batch delete", errno);
    }
  }
  return Status::ok();
}

}  // namespace vnet::datapath

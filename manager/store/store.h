#pragma once
// The store holds the desired state (a generation number and a Topology)
// and each vnetd's status. vnetctl commits, vnetd watches and reports.
// Backends: file:DIR (embedded, default) and, later, etcd://. Everything
// above this interface is backend-agnostic.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "topology/model.h"
#include "util/result.h"

namespace vnet::store {

inline constexpr const char* kDefaultStoreUrl = "file:/var/lib/vnet";

struct StoredState {
  std::uint64_t generation = 0;
  topology::Topology topology;
};

// Identifies one stored generation exactly: the generation and a checksum of
// its content (0 when the backend has none), so a store that was reset and
// counted up to the same number again is not mistaken for the old one.
struct StateVersion {
  std::uint64_t generation = 0;
  std::uint32_t crc = 0;
  bool operator==(const StateVersion&) const = default;
};

// How generation N-1 (base) became N (target), as the file store writes it
// next to the state (store/codec.h encode_delta, store/delta.h).
struct IndexedEndpoint {
  std::size_t base_index = 0;
  topology::Endpoint endpoint;  // for a removal only the name is set
};

struct StateDelta {
  StateVersion base;
  StateVersion target;
  bool others_changed = false;  // underlay, hosts, networks, groups or routers
  // The target's non-endpoint parts (its `endpoints` stays empty).
  topology::Topology others;
  std::vector<IndexedEndpoint> removed;   // name only
  std::vector<IndexedEndpoint> modified;  // same name, new value
  std::vector<topology::Endpoint> added;  // appended after the survivors
};

// What load_update() found, relative to the version the caller holds.
struct StateUpdate {
  enum class Kind {
    kEmpty,      // nothing was ever applied
    kUnchanged,  // the caller's version is current
    kFull,       // `state` holds the whole current state
    kDelta,      // `delta` turns the caller's version into `version`
  };
  Kind kind = Kind::kEmpty;
  StateVersion version;
  std::optional<StoredState> state;  // kFull
  std::optional<StateDelta> delta;   // kDelta
};

enum class HostState { kStarting, kOk, kError };

struct HostStatus {
  std::string host;
  std::uint64_t applied_generation = 0;
  HostState state = HostState::kStarting;
  std::vector<std::string> errors;
  std::int64_t heartbeat_unix_ms = 0;  // wall clock of the last heartbeat
  int pid = 0;
};

// A change notification source that can sit in an epoll set.
class Watch {
 public:
  virtual ~Watch() = default;
  virtual int fd() const = 0;
  // Drains pending notifications; true if the desired state may have changed.
  virtual bool consume() = 0;
  // Called periodically: re-establishes a watch whose target was deleted,
  // moved or replaced. True if it did (the state may have changed unseen).
  virtual bool rearm() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // The latest desired state, or nullopt if nothing was ever applied.
  virtual Result<std::optional<StoredState>> load() = 0;

  // Stores `desired` as generation current+1, atomically and serialized
  // against concurrent commits. Endpoint ids are assigned here: a name that
  // existed in the previous generation keeps its id, new names get fresh
  // ones never used before. Returns the stored state (ids filled in).
  // With `expected_generation`, commits only if the current generation is
  // still that one (0: nothing applied yet), else fails with ESTALE: a
  // read-modify-write (vnetctl delete) never undoes a concurrent apply.
  // `desired` is taken by value: a caller done with it moves it in, and the
  // stored state is built in place instead of in a copy.
  virtual Result<StoredState> commit_if(topology::Topology desired,
                                        std::optional<std::uint64_t> expected_generation) = 0;
  Result<StoredState> commit(topology::Topology desired) {
    return commit_if(std::move(desired), std::nullopt);
  }

  // The current state relative to `have` (the version the caller holds in
  // memory, or nullopt): unchanged, a delta from it when the backend has one,
  // or else the full state. A backend without deltas always loads in full.
  virtual Result<StateUpdate> load_update(const std::optional<StateVersion>& have) {
    auto loaded = load();
    if (!loaded) {
      return loaded.status();
    }
    StateUpdate out;
    if (!loaded->has_value()) {
      return out;
    }
    out.version.generation = (*loaded)->generation;
    if (have && *have == out.version) {
      out.kind = StateUpdate::Kind::kUnchanged;
      return out;
    }
    out.kind = StateUpdate::Kind::kFull;
    out.state = std::move(**loaded);
    return out;
  }

  virtual Status put_status(const HostStatus& status) = 0;
  virtual Result<std::vector<HostStatus>> statuses() = 0;

  virtual Result<std::unique_ptr<Watch>> watch() = 0;
};

// "file:DIR" or "etcd://host:port[,...]".
Result<std::unique_ptr<Store>> open_store(const std::string& url);

// A vnetd whose heartbeat is older than this is not live.
inline constexpr std::int64_t kHeartbeatIntervalMs = 1000;
inline constexpr std::int64_t kLivenessTimeoutMs = 5000;

}  // namespace vnet::store

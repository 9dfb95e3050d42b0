#pragma once
// The store holds the desired state (a generation number and a Topology)
// and each vnetd's status. vnetctl commits, vnetd watches and reports.
// Backends: file:DIR (embedded, default) and, later, etcd://. Everything
// above this interface is backend-agnostic.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "topology/model.h"
#include "util/result.h"

namespace vnet::store {

inline constexpr const char* kDefaultStoreUrl = "file:/var/lib/vnet";

struct StoredState {
  std::uint64_t generation = 0;
  topology::Topology topology;
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
  virtual Result<StoredState> commit(const topology::Topology& desired) = 0;

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

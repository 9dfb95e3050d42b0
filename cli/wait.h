#pragma once
// The decision behind `apply --wait`: given the hosts of the applied
// topology, the generation, and the statuses in the store, is the apply
// done, failed, or still in progress? Pure (time is passed in), so the
// rules are unit tested without a store or a daemon.

#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace vnet::cli {

struct WaitCheck {
  std::vector<std::string> not_live;  // topology hosts without a live vnetd
  std::vector<std::string> pending;   // live, not there yet: "hv1 (at generation 3)"
  std::vector<std::string> failures;  // "hv2: <error>", one line per error
  std::vector<std::string> done;      // live hosts at the generation or later
  bool complete() const { return failures.empty() && pending.empty() && !done.empty(); }
};

// A vnetd is live while now - heartbeat < kLivenessTimeoutMs. A live host in
// state error fails the wait once its error is about this generation: it
// has applied it (applied_generation >= generation), or it has heartbeated
// kErrorGraceMs after the commit while still in error, by which time it had
// seen the new generation (vnetd reacts to the commit at once) and failed
// to apply it. An error left over from an older generation that the new one
// fixes clears before that.
inline constexpr std::int64_t kErrorGraceMs = 2 * store::kHeartbeatIntervalMs;

WaitCheck check_wait(const std::vector<std::string>& hosts, std::uint64_t generation,
                     const std::vector<store::HostStatus>& statuses, std::int64_t now_unix_ms,
                     std::int64_t commit_unix_ms);

bool is_live(const store::HostStatus& status, std::int64_t now_unix_ms);

}  // namespace vnet::cli

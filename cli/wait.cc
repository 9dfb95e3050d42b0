#include "wait.h"

#include <unordered_map>

namespace vnet::cli {

bool is_live(const store::HostStatus& status, std::int64_t now_unix_ms) {
  // A heartbeat from the future (clocks of two machines) counts as fresh.
  return status.heartbeat_unix_ms > 0 &&
         now_unix_ms - status.heartbeat_unix_ms < store::kLivenessTimeoutMs;
}

WaitCheck check_wait(const std::vector<std::string>& hosts, std::uint64_t generation,
                     const std::vector<store::HostStatus>& statuses, std::int64_t now_unix_ms,
                     std::int64_t commit_unix_ms) {
  std::unordered_map<std::string, const store::HostStatus*> by_host;
  for (const store::HostStatus& s : statuses) {
    by_host[s.host] = &s;
  }
  WaitCheck check;
  for (const std::string& host : hosts) {
    const auto it = by_host.find(host);
    if (it == by_host.end() || !is_live(*it->second, now_unix_ms)) {
      check.not_live.push_back(host);
      continue;
    }
    const store::HostStatus& s = *it->second;
    const bool reached = s.applied_generation >= generation;
    if (s.state == store::HostState::kError &&
        (reached || s.heartbeat_unix_ms >= commit_unix_ms + kErrorGraceMs)) {
      if (s.errors.empty()) {
        check.failures.push_back(host + ": error (no details reported)");
      }
      for (const std::string& e : s.errors) {
        check.failures.push_back(host + ": " + e);
      }
      continue;
    }
    if (reached && s.state == store::HostState::kOk) {
      check.done.push_back(host);
      continue;
    }
    std::string why = "at generation " + std::to_string(s.applied_generation);
    if (s.state == store::HostState::kStarting) {
      why += ", starting";
    } else if (s.state == store::HostState::kError) {
      why += ", error";
    }
    check.pending.push_back(host + " (" + why + ")");
  }
  return check;
}

}  // namespace vnet::cli

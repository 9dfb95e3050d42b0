#pragma once
// Keeps the underlay neighbours of remote VTEPs resolved. Head-end
// replication in tc sends one copy per remote VTEP with bpf_fib_lookup
// only (it cannot wait for ARP), so a copy toward a VTEP whose next hop has
// no valid neighbour entry is dropped (VNET_DROP_NO_ROUTE_VTEP). For every
// VTEP we ask the kernel for its route (the next hop is the gateway, or the
// VTEP itself when on-link) and, unless the neighbour is already reachable
// or static, send RTM_NEWNEIGH with NTF_USE: the kernel creates the entry if
// needed and resolves or re-confirms it exactly as if a packet were
// waiting. Run periodically (every few seconds) so stale entries are
// refreshed before they are garbage-collected.

#include <string>
#include <vector>

#include "net/addr.h"
#include "netlink/socket.h"
#include "util/result.h"

namespace vnet::netlink {

struct NeighbourProblem {
  Ipv4 vtep;
  std::string message;  // "no route to VTEP 198.18.0.9: Network is unreachable"
  bool operator==(const NeighbourProblem&) const = default;
};

struct NeighbourPass {
  std::size_t resolved = 0;   // already valid (reachable, permanent, noarp, ...)
  std::size_t triggered = 0;  // NTF_USE sent
  std::vector<NeighbourProblem> problems;
};

class NeighbourKeeper {
 public:
  static Result<NeighbourKeeper> open();

  // One pass over `vteps`. Fails only if the neighbour table cannot be read;
  // per-VTEP failures are reported in problems.
  Result<NeighbourPass> keep(const std::vector<Ipv4>& vteps);

 private:
  explicit NeighbourKeeper(Socket sock) : sock_(std::move(sock)) {}
  Socket sock_;
};

}  // namespace vnet::netlink

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
//
// The same pass finds each VTEP's next hop for the XDP transmit path
// (next_hops.h): the route is asked for as its FIB entry (RTM_F_FIB_MATCH),
// so an ECMP route is known as one and left to bpf_fib_lookup, which picks
// a path per flow. Between passes a second socket hears neighbour and IPv4
// route notifications (read_events()), which keep the MACs current.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "net/addr.h"
#include "netlink/next_hops.h"
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
  // VTEPs with a single-path unicast route: the next hop, and its MAC when
  // the neighbour entry was valid at the dump. Empty with policy routing.
  std::map<Ipv4, NextHop> next_hops;
  // IPv4 rules beyond the kernel's defaults: a route then depends on more
  // than the destination (source, TOS, mark, interface), which only a
  // lookup per frame honours, so no next hop is kept.
  bool policy_routing = false;
};

// What the notification socket held.
struct NeighbourEvents {
  std::vector<std::pair<NeighInfo, bool>> neighbours;  // (entry, deleted), in order
  // Prefixes of IPv4 routes added, changed or removed in the tables the
  // default rules look up (local, main, default).
  std::vector<Ipv4Prefix> routes;
  // Rules or nexthop objects changed (any VTEP may move), or notifications
  // were lost.
  bool everything = false;
};

class NeighbourKeeper {
 public:
  static Result<NeighbourKeeper> open();

  // One pass over `vteps`. Fails only if the neighbour table cannot be read;
  // per-VTEP failures are reported in problems.
  Result<NeighbourPass> keep(const std::vector<Ipv4>& vteps);

  // The notification socket, for epoll, and everything queued on it.
  int events_fd() const { return events_.fd(); }
  NeighbourEvents read_events();

 private:
  NeighbourKeeper(Socket sock, Socket events) : sock_(std::move(sock)), events_(std::move(events)) {}
  Socket sock_;
  Socket events_;
};

}  // namespace vnet::netlink

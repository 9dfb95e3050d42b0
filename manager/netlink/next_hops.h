#pragma once
// The underlay next hop of every remote VTEP, as the XDP transmit path
// writes it instead of asking bpf_fib_lookup for every frame (abi.h:
// vnet_vtep, VNET_VTEP_F_NEXT_HOP). A neighbour pass (NeighbourKeeper)
// finds each VTEP's route: a single-path one gives the interface and the
// next hop (the gateway, or the VTEP itself on-link), whose MAC the
// neighbour table holds while the entry is valid. Neighbour notifications
// keep the MACs current between passes; route notifications ask for a new
// pass. The kernel's own rules decide: a MAC is used exactly while the
// kernel itself would send to it (NUD_VALID), which is also when
// bpf_fib_lookup returns one. Pure (no sockets), for unit tests.

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include <vnet/abi.h>

#include "net/addr.h"
#include "netlink/messages.h"

namespace vnet::netlink {

struct NextHop {
  std::uint32_t ifindex = 0;
  Ipv4 via;                // the gateway, or the VTEP on-link
  std::optional<Mac> mac;  // while the neighbour entry is valid
  bool operator==(const NextHop&) const = default;
};

// The neighbour's MAC if the kernel would send to it now: a valid state
// (reachable, stale, delay, probe, permanent, noarp) with an Ethernet address.
std::optional<Mac> usable_mac(const NeighInfo& n);

class NextHopTable {
 public:
  // A neighbour pass: the VTEPs with a single-path route and their next
  // hops (the others have none). Returns the VTEPs whose next hop changed.
  std::vector<Ipv4> replace(std::map<Ipv4, NextHop> fresh);
  // A neighbour notification (deleted: RTM_DELNEIGH): every VTEP whose next
  // hop is (n.ifindex, n.dst) takes its MAC, or loses it. Returns those
  // whose next hop changed.
  std::vector<Ipv4> apply(const NeighInfo& n, bool deleted);

  // Forgets the next hops of the VTEPs in `prefix` (a route to them
  // changed) until the next pass. Returns those it had.
  std::vector<Ipv4> forget(const Ipv4Prefix& prefix);
  // Forgets every next hop (rules or nexthop objects changed, lost
  // notifications, the underlay changed). Returns those it had.
  std::vector<Ipv4> forget_all();

  const NextHop* find(Ipv4 vtep) const;
  std::size_t size() const { return hops_.size(); }

 private:
  std::map<Ipv4, NextHop> hops_;
};

// The vnet_vtep value for a VTEP: VNET_VTEP_F_NEXT_HOP with both MACs when
// its next hop is resolved and on `underlay` (whose MAC is known); zeroed
// (the program asks the FIB) otherwise.
vnet_vtep vtep_value(const NextHop* hop, const LinkInfo* underlay);

}  // namespace vnet::netlink

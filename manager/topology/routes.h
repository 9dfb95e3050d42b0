#pragma once
// A router's effective table: what the datapath routes with and what
// `vnetctl get routers` shows. One connected route per interface (its
// network's subnet) and one per static route, whose egress is the attached
// network holding the next hop. Pure, on a validated topology.

#include <optional>
#include <string>
#include <vector>

#include "net/addr.h"
#include "topology/model.h"

namespace vnet::topology {

struct EffectiveRoute {
  Ipv4Prefix destination;
  std::optional<Ipv4> next_hop;  // nullopt: connected (the destination is the next hop)
  std::string network;           // egress network
  Mac mac;                       // the router's MAC on the egress network
  bool operator==(const EffectiveRoute&) const = default;
};

// Connected routes in interface order, then static routes in file order. A
// static route whose next hop is on no attached network is left out
// (validation reports it); one to a connected subnet loses to the
// connected route, as a Linux router's kernel route would win.
std::vector<EffectiveRoute> effective_routes(const Topology& topo, const Router& router);

}  // namespace vnet::topology

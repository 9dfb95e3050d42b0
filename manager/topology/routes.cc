#include "topology/routes.h"

#include <algorithm>

namespace vnet::topology {

std::vector<EffectiveRoute> effective_routes(const Topology& topo, const Router& router) {
  std::vector<EffectiveRoute> table;
  struct Attached {
    const Network* network;
    Mac mac;
  };
  std::vector<Attached> attached;
  for (const RouterInterface& iface : router.interfaces) {
    const Network* net = topo.find_network(iface.network);
    if (net == nullptr) {
      continue;
    }
    const Mac mac = effective_mac(router, iface);
    attached.push_back({net, mac});
    table.push_back({net->subnet, std::nullopt, net->name, mac});
  }
  const auto connected = table.size();
  for (const Route& route : router.routes) {
    const auto egress = std::find_if(attached.begin(), attached.end(), [&](const Attached& a) {
      return a.network->subnet.contains(route.next_hop);
    });
    if (egress == attached.end()) {
      continue;
    }
    const bool shadowed = std::any_of(table.begin(), table.begin() + static_cast<long>(connected),
                                      [&](const EffectiveRoute& c) {
                                        return c.destination == route.destination;
                                      });
    if (!shadowed) {
      table.push_back({route.destination, route.next_hop, egress->network->name, egress->mac});
    }
  }
  return table;
}

}  // namespace vnet::topology

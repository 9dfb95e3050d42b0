#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "compile/plan.h"

namespace vnet::compile {

namespace {

using topology::Endpoint;
using topology::Host;
using topology::Network;
using topology::Topology;

template <typename T>
void sort_unique(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

auto full_key(const PlannedFdb& f) {
  return std::tie(f.vni, f.mac, f.interface, f.vtep, f.endpoint_id);
}
auto full_key(const PlannedNeigh& n) { return std::tie(n.vni, n.ip, n.mac); }
auto full_key(const PlannedRemoteSrc& r) { return std::tie(r.vni, r.vtep, r.prefix); }
auto full_key(const PlannedPort& p) { return std::tie(p.interface, p.endpoint, p.endpoint_id); }

// Sort by `key`, then drop exact duplicates. Entries with the same key but
// different payloads survive (a validated topology never produces them); the
// tie is broken by the full value so the order stays deterministic.
template <typename T, typename Key>
void sort_by_key(std::vector<T>& v, Key key) {
  std::sort(v.begin(), v.end(), [&](const T& a, const T& b) {
    auto ka = key(a);
    auto kb = key(b);
    if (ka != kb) {
      return ka < kb;
    }
    return full_key(a) < full_key(b);
  });
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// (network name, next-hop address) -> destinations routed through it. A
// route's next hop lives on the router interface whose subnet contains it;
// keying by network keeps two tenants with the same subnet apart.
using NextHopKey = std::pair<std::string_view, std::uint32_t>;
using NextHopRoutes = std::map<NextHopKey, std::vector<Ipv4Prefix>>;

NextHopRoutes collect_next_hops(const Topology& topo) {
  NextHopRoutes out;
  for (const auto& router : topo.routers) {
    for (const auto& route : router.routes) {
      for (const auto& iface : router.interfaces) {
        if (iface.ip.network().contains(route.next_hop)) {
          out[{iface.network, route.next_hop.value}].push_back(route.destination);
        }
      }
    }
  }
  return out;
}

// What an endpoint may send from (anti-spoofing locally, foreign-source
// check remotely): its address, allowed_addresses, and the destinations of
// static routes that point at it.
std::vector<Ipv4Prefix> endpoint_sources(const Endpoint& ep, const NextHopRoutes& next_hops) {
  std::vector<Ipv4Prefix> out;
  out.reserve(1 + ep.allowed_addresses.size());
  out.push_back(Ipv4Prefix{ep.ip, 32});
  out.insert(out.end(), ep.allowed_addresses.begin(), ep.allowed_addresses.end());
  if (auto it = next_hops.find({ep.network, ep.ip.value}); it != next_hops.end()) {
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  sort_unique(out);
  return out;
}

}  // namespace

Result<HostPlan> compile(const Topology& topo, const std::string& host_name) {
  std::unordered_map<std::string_view, const Host*> hosts;
  hosts.reserve(topo.hosts.size());
  for (const auto& h : topo.hosts) {
    hosts.emplace(h.name, &h);
  }
  auto self_it = hosts.find(host_name);
  if (self_it == hosts.end()) {
    return Status::error("host '" + host_name + "' is not in the topology", ENOENT);
  }
  const Host& self = *self_it->second;

  std::unordered_map<std::string_view, const Network*> networks;
  networks.reserve(topo.networks.size());
  for (const auto& n : topo.networks) {
    networks.emplace(n.name, &n);
  }

  // A network is present here iff one of its endpoints is.
  std::set<std::string_view> present;
  for (const auto& ep : topo.endpoints) {
    if (ep.host == self.name && networks.count(ep.network) != 0) {
      present.insert(ep.network);
    }
  }

  HostPlan plan;
  plan.host = self.name;
  plan.role = self.role;
  plan.vtep_ip = self.vtep_ip;
  plan.underlay_interface = self.underlay_interface;
  plan.vxlan_port = topo.underlay.vxlan_port;
  plan.underlay_mtu = topo.underlay.mtu;

  std::map<std::string_view, PlannedNetwork> planned;  // by network name
  for (auto name : present) {
    const Network& n = *networks.at(name);
    planned[name] = PlannedNetwork{.name = n.name, .vni = n.vni};
  }

  const NextHopRoutes next_hops = collect_next_hops(topo);

  // Hashed: every endpoint of the topology is looked up here, and most are
  // in networks not present (a tree lookup cost ~9 string compares each).
  std::unordered_map<std::string_view, PlannedNetwork*> planned_index;
  planned_index.reserve(planned.size());
  for (auto& [name, net] : planned) {
    planned_index.emplace(name, &net);
  }

  for (const auto& ep : topo.endpoints) {
    auto net_it = planned_index.find(ep.network);
    if (net_it == planned_index.end()) {
      continue;
    }
    PlannedNetwork& net = *net_it->second;
    const std::uint32_t vni = net.vni;
    plan.neigh.push_back(PlannedNeigh{.vni = vni, .ip = ep.ip, .mac = ep.mac});
    std::vector<Ipv4Prefix> sources = endpoint_sources(ep, next_hops);

    if (ep.host == self.name) {
      plan.fdb.push_back(
          PlannedFdb{.vni = vni, .mac = ep.mac, .interface = ep.interface, .endpoint_id = ep.id});
      net.port_interfaces.push_back(ep.interface);
      plan.ports.push_back(PlannedPort{.endpoint = ep.name,
                                       .endpoint_id = ep.id,
                                       .interface = ep.interface,
                                       .vni = vni,
                                       .mac = ep.mac,
                                       .ip = ep.ip,
                                       .sources = std::move(sources)});
      continue;
    }

    // A validated topology names only known hosts; an unknown one has no
    // VTEP to forward to, so it contributes only its ARP entry.
    auto host_it = hosts.find(ep.host);
    if (host_it == hosts.end()) {
      continue;
    }
    const Ipv4 vtep = host_it->second->vtep_ip;
    plan.fdb.push_back(PlannedFdb{.vni = vni, .mac = ep.mac, .vtep = vtep, .endpoint_id = ep.id});
    net.remote_vteps.push_back(vtep);
    for (const auto& prefix : sources) {
      plan.remote_src.push_back(PlannedRemoteSrc{.vni = vni, .vtep = vtep, .prefix = prefix});
    }
  }

  // Router interfaces do not answer ARP yet: a gateway that resolves but
  // does not route would only turn "no route" into silent drops. Their
  // neigh and fdb entries arrive with distributed routing.

  for (auto& [name, net] : planned) {
    sort_unique(net.remote_vteps);
    sort_unique(net.port_interfaces);
    plan.vteps.insert(plan.vteps.end(), net.remote_vteps.begin(), net.remote_vteps.end());
    plan.networks.push_back(std::move(net));
  }
  sort_unique(plan.vteps);
  std::sort(plan.networks.begin(), plan.networks.end(),
            [](const PlannedNetwork& a, const PlannedNetwork& b) {
              return std::tie(a.vni, a.name) < std::tie(b.vni, b.name);
            });

  sort_by_key(plan.ports, [](const PlannedPort& p) { return std::tie(p.interface); });
  sort_by_key(plan.fdb, [](const PlannedFdb& f) { return std::tie(f.vni, f.mac); });
  sort_by_key(plan.neigh, [](const PlannedNeigh& n) { return std::tie(n.vni, n.ip); });
  sort_by_key(plan.remote_src,
              [](const PlannedRemoteSrc& r) { return std::tie(r.vni, r.vtep, r.prefix); });
  return plan;
}

}  // namespace vnet::compile

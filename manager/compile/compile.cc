#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "compile/incremental.h"
#include "compile/plan.h"
#include "compile/policy.h"
#include "topology/routes.h"

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
  return std::tie(f.vni, f.mac, f.interface, f.vtep, f.ip, f.endpoint_id, f.policy_in,
                  f.policy_out);
}
auto full_key(const PlannedNeigh& n) { return std::tie(n.vni, n.ip, n.mac); }
auto full_key(const PlannedRemoteSrc& r) { return std::tie(r.vni, r.vtep, r.prefix); }
auto full_key(const PlannedPort& p) {
  return std::tie(p.interface, p.endpoint, p.endpoint_id, p.policy_in, p.policy_out);
}
auto full_key(const PlannedRouterIface& r) { return std::tie(r.vni, r.mac, r.router_id, r.ip); }
auto full_key(const PlannedRoute& r) {
  return std::tie(r.router_id, r.destination, r.vni, r.next_hop, r.mac);
}
auto full_key(const PlannedPolicyRemote& r) { return std::tie(r.policy, r.prefix, r.class_id); }
auto full_key(const PlannedPolicyRule& r) {
  return std::tie(r.policy, r.class_id, r.protocol, r.port, r.port_bits);
}

auto sort_key(const PlannedPort& p) { return std::tie(p.interface); }
auto sort_key(const PlannedFdb& f) { return std::tie(f.vni, f.mac); }
auto sort_key(const PlannedNeigh& n) { return std::tie(n.vni, n.ip); }
auto sort_key(const PlannedRemoteSrc& r) { return std::tie(r.vni, r.vtep, r.prefix); }
auto sort_key(const PlannedRouterIface& r) { return std::tie(r.vni, r.mac); }
auto sort_key(const PlannedRoute& r) { return std::tie(r.router_id, r.destination); }
auto sort_key(const PlannedPolicyRemote& r) { return std::tie(r.policy, r.prefix); }
// Every field is the key: a rule entry is an LPM key whose value is presence.
auto sort_key(const PlannedPolicyRule& r) { return full_key(r); }

// The order of a plan's lists: by key, ties broken by the full value so the
// order stays deterministic. An incremental compile merges with the same
// order, which is what makes its plan equal to a full compile's.
struct PlanOrder {
  template <typename T>
  bool operator()(const T& a, const T& b) const {
    const auto ka = sort_key(a);
    const auto kb = sort_key(b);
    if (ka != kb) {
      return ka < kb;
    }
    return full_key(a) < full_key(b);
  }
  bool operator()(const PlannedNetwork& a, const PlannedNetwork& b) const {
    return std::tie(a.vni, a.name) < std::tie(b.vni, b.name);
  }
};

// Sorts into plan order, then drops exact duplicates. Entries with the same
// key but different payloads survive (a validated topology never produces
// them).
template <typename T>
void sort_plan_list(std::vector<T>& v) {
  std::sort(v.begin(), v.end(), PlanOrder{});
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Puts every list of `plan` in plan order (networks are unique by name
// already).
void sort_plan(HostPlan& plan) {
  std::sort(plan.networks.begin(), plan.networks.end(), PlanOrder{});
  sort_plan_list(plan.ports);
  sort_plan_list(plan.fdb);
  sort_plan_list(plan.neigh);
  sort_plan_list(plan.remote_src);
  sort_plan_list(plan.router_ifaces);
  sort_plan_list(plan.routes);
  sort_plan_list(plan.policy_remotes);
  sort_plan_list(plan.policy_rules);
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

// What compiling an endpoint needs from the rest of the topology.
struct HostContext {
  const Host* self = nullptr;
  std::unordered_map<std::string_view, const Host*> hosts;
  NextHopRoutes next_hops;
};

// Fails only if `host_name` is not in the topology.
Result<HostContext> host_context(const Topology& topo, const std::string& host_name) {
  HostContext ctx;
  ctx.hosts.reserve(topo.hosts.size());
  for (const auto& h : topo.hosts) {
    ctx.hosts.emplace(h.name, &h);
  }
  auto self_it = ctx.hosts.find(host_name);
  if (self_it == ctx.hosts.end()) {
    return Status::error("host '" + host_name + "' is not in the topology", ENOENT);
  }
  ctx.self = self_it->second;
  ctx.next_hops = collect_next_hops(topo);
  return ctx;
}

// A plan with the host's own fields and no entries.
HostPlan empty_plan(const Topology& topo, const Host& self) {
  HostPlan plan;
  plan.host = self.name;
  plan.role = self.role;
  plan.vtep_ip = self.vtep_ip;
  plan.underlay_interface = self.underlay_interface;
  plan.vxlan_port = topo.underlay.vxlan_port;
  plan.underlay_mtu = topo.underlay.mtu;
  return plan;
}

// Adds what `ep`, an endpoint of `net` (a network present here), puts in
// the plan: its ARP entry, and its port or where its VTEP is.
void add_endpoint(const HostContext& ctx, const Endpoint& ep, PlannedNetwork& net,
                  HostPlan& plan) {
  const std::uint32_t vni = net.vni;
  plan.neigh.push_back(PlannedNeigh{.vni = vni, .ip = ep.ip, .mac = ep.mac});
  std::vector<Ipv4Prefix> sources = endpoint_sources(ep, ctx.next_hops);

  if (ep.host == ctx.self->name) {
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
    return;
  }

  // A validated topology names only known hosts; an unknown one has no
  // VTEP to forward to, so it contributes only its ARP entry.
  auto host_it = ctx.hosts.find(ep.host);
  if (host_it == ctx.hosts.end()) {
    return;
  }
  const Ipv4 vtep = host_it->second->vtep_ip;
  plan.fdb.push_back(
      PlannedFdb{.vni = vni, .mac = ep.mac, .vtep = vtep, .ip = ep.ip, .endpoint_id = ep.id});
  net.remote_vteps.push_back(vtep);
  for (const auto& prefix : sources) {
    plan.remote_src.push_back(PlannedRemoteSrc{.vni = vni, .vtep = vtep, .prefix = prefix});
  }
}

void finish_network(PlannedNetwork& net) {
  sort_unique(net.remote_vteps);
  sort_unique(net.port_interfaces);
}

// The remote VTEPs that share a network with us, sorted.
std::vector<Ipv4> all_vteps(const std::vector<PlannedNetwork>& networks) {
  std::vector<Ipv4> out;
  for (const auto& net : networks) {
    out.insert(out.end(), net.remote_vteps.begin(), net.remote_vteps.end());
  }
  sort_unique(out);
  return out;
}

// Every remote VTEP the plan talks to: its networks' and its routers'.
std::vector<Ipv4> plan_vteps(const HostPlan& plan) {
  std::vector<Ipv4> out = all_vteps(plan.networks);
  out.insert(out.end(), plan.routed_vteps.begin(), plan.routed_vteps.end());
  sort_unique(out);
  return out;
}

std::uint32_t fnv1a32(std::string_view s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

// Distributed routing: what the routers attached to the networks present
// here (`present`, by name) add to the plan. See compile() in plan.h.
// An endpoint of a network held only for routing (no endpoint here): where
// it is and what it may send from, as add_endpoint() for a remote one, but
// no flood list.
void add_held_endpoint(const HostContext& ctx, const Endpoint& ep, std::uint32_t vni,
                       HostPlan& plan) {
  auto host_it = ctx.hosts.find(ep.host);
  if (host_it == ctx.hosts.end()) {
    return;
  }
  const Ipv4 vtep = host_it->second->vtep_ip;
  plan.neigh.push_back(PlannedNeigh{.vni = vni, .ip = ep.ip, .mac = ep.mac});
  plan.fdb.push_back(
      PlannedFdb{.vni = vni, .mac = ep.mac, .vtep = vtep, .ip = ep.ip, .endpoint_id = ep.id});
  for (const auto& prefix : endpoint_sources(ep, ctx.next_hops)) {
    plan.remote_src.push_back(PlannedRemoteSrc{.vni = vni, .vtep = vtep, .prefix = prefix});
  }
}

// The VNIs of networks held for routing: router interfaces, no network here.
std::unordered_set<std::uint32_t> held_vnis(const HostPlan& plan) {
  std::unordered_set<std::uint32_t> held;
  for (const auto& r : plan.router_ifaces) {
    held.insert(r.vni);
  }
  for (const auto& net : plan.networks) {
    held.erase(net.vni);
  }
  return held;
}

// The VTEPs of the fdb entries of `held` VNIs, sorted.
std::vector<Ipv4> vteps_of(const std::vector<PlannedFdb>& fdb,
                           const std::unordered_set<std::uint32_t>& held) {
  std::vector<Ipv4> out;
  if (held.empty()) {
    return out;
  }
  for (const auto& f : fdb) {
    if (f.vtep && held.count(f.vni) != 0) {
      out.push_back(*f.vtep);
    }
  }
  sort_unique(out);
  return out;
}

// The VTEPs of the endpoints of networks held for routing.
std::vector<Ipv4> routed_vteps(const HostPlan& plan) { return vteps_of(plan.fdb, held_vnis(plan)); }

// Networks by name, hashed: compile() looks networks up once per endpoint.
using NetworkMap = std::unordered_map<std::string_view, const Network*>;

NetworkMap network_map(const Topology& topo) {
  NetworkMap out;
  out.reserve(topo.networks.size());
  for (const auto& n : topo.networks) {
    out.emplace(n.name, &n);  // the first of duplicate names, as find_network()
  }
  return out;
}

const Network* find_in(const NetworkMap& networks, std::string_view name) {
  auto it = networks.find(name);
  return it == networks.end() ? nullptr : it->second;
}

void add_routers(const Topology& topo, const HostContext& ctx, const NetworkMap& networks,
                 const std::set<std::string_view>& present, HostPlan& plan) {
  const auto ids = router_ids(topo);
  // Networks a router here attaches that have no endpoint here: held for
  // routing (next hops, and the sources of frames routed from them).
  std::unordered_set<std::string_view> reachable;
  for (const auto& router : topo.routers) {
    const bool here = std::any_of(router.interfaces.begin(), router.interfaces.end(),
                                  [&](const auto& iface) {
                                    return present.count(iface.network) != 0;
                                  });
    if (!here) {
      continue;
    }
    const std::uint32_t id = ids.at(router.name);
    // Every interface, also on networks not present here: a VM pings the
    // router's far addresses too, and the far gateway's entries tell them
    // apart from endpoints.
    for (const auto& iface : router.interfaces) {
      const Network* net = find_in(networks, iface.network);
      if (net == nullptr) {
        continue;
      }
      const Mac mac = topology::effective_mac(router, iface);
      plan.router_ifaces.push_back(
          PlannedRouterIface{.vni = net->vni, .mac = mac, .router_id = id, .ip = iface.ip.addr});
      plan.neigh.push_back(PlannedNeigh{.vni = net->vni, .ip = iface.ip.addr, .mac = mac});
      if (present.count(net->name) == 0) {
        reachable.insert(net->name);
      }
    }
    for (const auto& route : topology::effective_routes(topo, router)) {
      const Network* egress = find_in(networks, route.network);
      plan.routes.push_back(PlannedRoute{.router_id = id,
                                         .destination = route.destination,
                                         .vni = egress->vni,
                                         .next_hop = route.next_hop,
                                         .mac = route.mac});
    }
  }
  if (reachable.empty()) {
    return;
  }

  // A held network's endpoints, as for a present one but without ports or
  // flood lists: where they are (fdb, neigh) and what they send from
  // (remote_src under their own VNI). A frame routed from one of them
  // arrives with a local VNI and the router's MAC as inner source; the
  // datapath finds its network by the router's route back to the source
  // and checks it against that network's sources (lib/vxlan.h).
  for (const auto& ep : topo.endpoints) {
    if (reachable.count(ep.network) != 0) {
      if (const Network* net = find_in(networks, ep.network)) {
        add_held_endpoint(ctx, ep, net->vni, plan);
      }
    }
  }
  plan.routed_vteps = routed_vteps(plan);
}

// Replaces the entries of `vnis` in `list` (in plan order) by `replacement`
// (in plan order, entries of those VNIs only) and moves the old ones, in
// order, to `replaced`. One merge pass leaves `list` exactly as sorting the
// whole of it would.
template <typename T>
void replace_vnis(std::vector<T>& list, const std::set<std::uint32_t>& vnis,
                  const std::vector<T>& replacement, std::vector<T>& replaced) {
  std::vector<T> out;
  out.reserve(list.size() + replacement.size());
  auto next = replacement.begin();
  for (T& entry : list) {
    if (vnis.count(entry.vni) != 0) {
      replaced.push_back(std::move(entry));
      continue;
    }
    for (; next != replacement.end() && PlanOrder{}(*next, entry); ++next) {
      out.push_back(*next);
    }
    out.push_back(std::move(entry));
  }
  out.insert(out.end(), next, replacement.end());
  list = std::move(out);
}

// replace_vnis() for lists whose plan order starts with the VNI (fdb, neigh,
// remote_src, networks): each VNI's entries are one run, found by binary
// search and overwritten in place, so a change to one network touches its
// own entries instead of moving (and reallocating) the whole list.
template <typename T>
void replace_vni_runs(std::vector<T>& list, const std::set<std::uint32_t>& vnis,
                      const std::vector<T>& replacement, std::vector<T>& replaced) {
  const auto by_vni = [](const T& e, std::uint32_t v) { return e.vni < v; };
  auto rep = replacement.begin();
  for (std::uint32_t vni : vnis) {  // ascending, like the runs
    auto lo = std::lower_bound(list.begin(), list.end(), vni, by_vni);
    auto hi = lo;
    while (hi != list.end() && hi->vni == vni) {
      ++hi;
    }
    auto rep_end = rep;
    while (rep_end != replacement.end() && rep_end->vni == vni) {
      ++rep_end;
    }
    std::move(lo, hi, std::back_inserter(replaced));
    const auto n_old = hi - lo;
    const auto n_new = rep_end - rep;
    const auto common = std::min(n_old, n_new);
    std::copy(rep, rep + common, lo);
    if (n_old > n_new) {
      list.erase(lo + common, hi);
    } else if (n_new > n_old) {
      list.insert(lo + common, rep + common, rep_end);
    }
    rep = rep_end;
  }
}

}  // namespace

Result<HostPlan> compile(const Topology& topo, const std::string& host_name) {
  auto ctx = host_context(topo, host_name);
  if (!ctx) {
    return ctx.status();
  }
  const Host& self = *ctx->self;

  const NetworkMap networks = network_map(topo);

  // A network is present here iff one of its endpoints is.
  std::set<std::string_view> present;
  bool filtered_here = false;  // a local endpoint has security groups
  for (const auto& ep : topo.endpoints) {
    if (ep.host == self.name && networks.count(ep.network) != 0) {
      present.insert(ep.network);
      filtered_here = filtered_here || !ep.security_groups.empty();
    }
  }

  HostPlan plan = empty_plan(topo, self);
  std::map<std::string_view, PlannedNetwork> planned;  // by network name
  for (auto name : present) {
    const Network& n = *networks.at(name);
    planned[name] = PlannedNetwork{.name = n.name, .vni = n.vni};
  }

  // Hashed: every endpoint of the topology is looked up here, and most are
  // in networks not present (a tree lookup cost ~9 string compares each).
  // Also the networks a local endpoint's security groups can look at
  // (present ones and those their routers attach: compile/policy.h), whose
  // endpoints are gathered in the same pass when some local one is
  // filtered.
  struct Slot {
    PlannedNetwork* net = nullptr;  // present here
    std::vector<std::uint32_t> members;
  };
  std::unordered_map<std::string_view, Slot> planned_index;
  planned_index.reserve(planned.size());
  for (auto& [name, net] : planned) {
    planned_index[name].net = &net;
  }
  if (filtered_here) {
    for (const auto& router : topo.routers) {
      const bool here = std::any_of(router.interfaces.begin(), router.interfaces.end(),
                                    [&](const auto& i) { return present.count(i.network) != 0; });
      if (here) {
        for (const auto& iface : router.interfaces) {
          planned_index[iface.network];
        }
      }
    }
  }

  for (std::size_t i = 0; i < topo.endpoints.size(); ++i) {
    const Endpoint& ep = topo.endpoints[i];
    auto slot = planned_index.find(ep.network);
    if (slot == planned_index.end()) {
      continue;
    }
    if (filtered_here) {
      slot->second.members.push_back(static_cast<std::uint32_t>(i));
    }
    if (slot->second.net != nullptr) {
      add_endpoint(*ctx, ep, *slot->second.net, plan);
    }
  }

  for (auto& [name, net] : planned) {
    finish_network(net);
    plan.networks.push_back(std::move(net));
  }
  add_routers(topo, *ctx, networks, present, plan);
  plan.vteps = plan_vteps(plan);
  sort_plan(plan);
  if (filtered_here) {
    static const std::vector<std::uint32_t> kNone;
    compile_policies(
        topo,
        [&](std::string_view network) -> const std::vector<std::uint32_t>& {
          auto it = planned_index.find(network);
          return it == planned_index.end() ? kNone : it->second.members;
        },
        plan);
  }
  return plan;
}

std::set<std::string> networks_of_interest(const Topology& topo, const HostPlan& plan) {
  std::set<std::string> out;
  for (const auto& net : plan.networks) {
    out.insert(net.name);
  }
  std::set<std::string> routed;
  for (const auto& router : topo.routers) {
    const bool here = std::any_of(router.interfaces.begin(), router.interfaces.end(),
                                  [&](const auto& iface) { return out.count(iface.network) != 0; });
    if (here) {
      for (const auto& iface : router.interfaces) {
        routed.insert(iface.network);
      }
    }
  }
  out.insert(routed.begin(), routed.end());
  return out;
}

std::unordered_map<std::string, std::uint32_t> router_ids(const Topology& topo) {
  std::vector<std::string_view> names;
  names.reserve(topo.routers.size());
  for (const auto& r : topo.routers) {
    names.push_back(r.name);
  }
  std::sort(names.begin(), names.end());
  std::unordered_map<std::string, std::uint32_t> ids;
  std::unordered_set<std::uint32_t> taken;
  for (std::string_view name : names) {
    std::uint32_t id = fnv1a32(name);
    while (id == 0 || !taken.insert(id).second) {
      ++id;
    }
    ids.emplace(std::string(name), id);
  }
  return ids;
}

namespace {

// Every port carries its network's gateway (reconcile/bind.cc), so both
// sides of a change carry the router interfaces of the networks whose
// ports they hold: the recompiled networks and those of ports a policy
// change moved in. The same on both sides (routers do not change here: a
// router's network arriving or leaving is refused), so bind_plan() yields
// them equal and reconcile_change() writes none of them.
void carry_gateways(const HostPlan& plan, std::set<std::uint32_t> vnis, PlanChange& change) {
  for (const HostPlan* side : {&change.before, &change.after}) {
    for (const auto& port : side->ports) {
      vnis.insert(port.vni);
    }
  }
  for (const auto& r : plan.router_ifaces) {
    if (vnis.count(r.vni) != 0) {
      change.before.router_ifaces.push_back(r);
      change.after.router_ifaces.push_back(r);
    }
  }
}

}  // namespace

Result<PlanChange> recompile_networks(const Topology& topo, const std::string& host_name,
                                      const NetworkIndex& index,
                                      const std::set<std::string>& networks, HostPlan& plan) {
  if (index.size() != topo.endpoints.size()) {
    return Status::error("network index describes " + std::to_string(index.size()) +
                             " endpoints, the topology has " +
                             std::to_string(topo.endpoints.size()),
                         ESTALE);
  }
  auto ctx = host_context(topo, host_name);
  if (!ctx) {
    return ctx.status();
  }
  const Host& self = *ctx->self;

  // Routers attached to a network present here (before the change; a
  // change that would alter this set is refused below).
  std::unordered_set<std::string_view> present_before;
  for (const auto& net : plan.networks) {
    present_before.insert(net.name);
  }
  std::vector<const topology::Router*> routers_here;
  for (const auto& router : topo.routers) {
    if (std::any_of(router.interfaces.begin(), router.interfaces.end(), [&](const auto& iface) {
          return present_before.count(iface.network) != 0;
        })) {
      routers_here.push_back(&router);
    }
  }

  // The networks' share of the plan, compiled as compile() does: from their
  // endpoints in topology order, when one of them is here or a router here
  // holds the network; plus the gateways of those routers on it.
  HostPlan fresh = empty_plan(topo, self);
  std::set<std::uint32_t> vnis;
  for (const std::string& name : networks) {
    // find_network() keeps the first of duplicate names, as compile() does;
    // endpoints naming no network contribute nothing in either.
    const Network* network = topo.find_network(name);
    if (network == nullptr) {
      continue;
    }
    vnis.insert(network->vni);
    const std::vector<std::uint32_t>& members = index.endpoints(name);
    const bool present = std::any_of(members.begin(), members.end(), [&](std::uint32_t i) {
      return topo.endpoints[i].host == self.name;
    });
    const bool routed = std::any_of(topo.routers.begin(), topo.routers.end(), [&](const auto& r) {
      return std::any_of(r.interfaces.begin(), r.interfaces.end(),
                         [&](const auto& iface) { return iface.network == name; });
    });
    if (routed && present != (present_before.count(name) != 0)) {
      // Which routers are here, and so which networks are held, changes.
      return Status::error("network " + name + " attached to a router " +
                               (present ? "arrives on" : "leaves") + " this host",
                           EXDEV);
    }
    bool held = false;
    for (const topology::Router* router : routers_here) {
      for (const auto& iface : router->interfaces) {
        if (iface.network == name) {
          held = true;
          fresh.neigh.push_back(PlannedNeigh{.vni = network->vni,
                                             .ip = iface.ip.addr,
                                             .mac = topology::effective_mac(*router, iface)});
        }
      }
    }
    if (present) {
      PlannedNetwork net{.name = network->name, .vni = network->vni};
      for (std::uint32_t i : members) {
        add_endpoint(*ctx, topo.endpoints[i], net, fresh);
      }
      finish_network(net);
      fresh.networks.push_back(std::move(net));
    } else if (held) {
      for (std::uint32_t i : members) {
        add_held_endpoint(*ctx, topo.endpoints[i], network->vni, fresh);
      }
    }
  }
  sort_plan(fresh);

  // The change's map keys must be its own (see the header): VNIs key fdb,
  // neigh, remote_src and networks; interfaces and endpoint ids key ports
  // and port_src.
  for (const auto& net : plan.networks) {
    if (vnis.count(net.vni) != 0 && networks.count(net.name) == 0) {
      return Status::error("network " + net.name + " shares vni " + std::to_string(net.vni) +
                               " with a changed network",
                           EEXIST);
    }
  }
  std::unordered_set<std::string_view> interfaces;
  std::unordered_set<std::uint32_t> endpoint_ids;
  auto claim = [&](const PlannedPort& port) {
    interfaces.insert(port.interface);
    endpoint_ids.insert(port.endpoint_id);
  };
  std::for_each(fresh.ports.begin(), fresh.ports.end(), claim);
  for (const auto& port : plan.ports) {
    if (vnis.count(port.vni) != 0) {
      claim(port);
    }
  }
  for (const auto& port : plan.ports) {
    if (vnis.count(port.vni) == 0 && (interfaces.count(port.interface) != 0 ||
                                      endpoint_ids.count(port.endpoint_id) != 0)) {
      return Status::error("endpoint " + port.endpoint + " shares interface " + port.interface +
                               " or id " + std::to_string(port.endpoint_id) +
                               " with an endpoint of a changed network",
                           EEXIST);
    }
  }

  PlanChange change;
  change.before = empty_plan(topo, self);
  change.before.vteps = plan.vteps;
  replace_vnis(plan.ports, vnis, fresh.ports, change.before.ports);
  replace_vni_runs(plan.fdb, vnis, fresh.fdb, change.before.fdb);
  replace_vni_runs(plan.neigh, vnis, fresh.neigh, change.before.neigh);
  replace_vni_runs(plan.remote_src, vnis, fresh.remote_src, change.before.remote_src);
  replace_vni_runs(plan.networks, vnis, fresh.networks, change.before.networks);
  // Routed VTEPs come from every held network's fdb entries (a pass over
  // all of them): recounted only when the changed ones' VTEPs differ.
  if (const auto held = held_vnis(plan);
      vteps_of(change.before.fdb, held) != vteps_of(fresh.fdb, held)) {
    plan.routed_vteps = routed_vteps(plan);
  }
  plan.vteps = plan_vteps(plan);
  change.after = std::move(fresh);
  change.after.vteps = plan.vteps;
  recompile_policies(
      topo, [&](std::string_view network) -> const std::vector<std::uint32_t>& {
        return index.endpoints(network);
      },
      networks, plan, change);
  carry_gateways(plan, vnis, change);
  sort_plan(change.before);
  sort_plan(change.after);
  return change;
}

}  // namespace vnet::compile

// Cross-object checks of a merged Topology: unique names and keys,
// references, addresses inside their subnets, routes, and the datapath's
// capacities (bpf/include/vnet/abi.h). Every check is a hash lookup per
// object, so 100k endpoints validate in well under a second.

#include <algorithm>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "compile/policy.h"
#include "topology/marks.h"
#include "topology/parser.h"
#include "vnet/abi.h"

namespace vnet::topology {

namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::uint64_t mac_bits(const Mac& mac) {
  std::uint64_t v = 0;
  for (auto b : mac.bytes) {
    v = v << 8 | b;
  }
  return v;
}

Ipv4 broadcast_of(const Ipv4Prefix& p) { return Ipv4{p.addr.value | ~p.mask()}; }

// A value scoped to one network: a MAC or an IP is unique per network only
// (tenants may reuse each other's).
struct NetKey {
  std::size_t network;
  std::uint64_t value;
  bool operator==(const NetKey&) const = default;
};

struct NetKeyHash {
  std::size_t operator()(const NetKey& k) const {
    return std::hash<std::uint64_t>{}(k.value * 0x9e3779b97f4a7c15ull ^ k.network);
  }
};

// An interface on a host; views into the Topology, which outlives the check.
struct PortKey {
  std::size_t host;
  std::string_view interface;
  bool operator==(const PortKey&) const = default;
};

struct PortKeyHash {
  std::size_t operator()(const PortKey& k) const {
    return std::hash<std::string_view>{}(k.interface) * 31 + k.host;
  }
};

// Who holds an address on a network, for "already used by" messages.
struct Owner {
  const std::string* name;
  const SourceLoc* loc;
  bool router;
  std::size_t endpoint;  // index, kNone for a router interface
};

std::string describe(const Owner& o) {
  return std::string(o.router ? "router " : "endpoint ") + quoted(*o.name) + " (" + o.loc->str() +
         ")";
}

class Validator {
 public:
  Validator(const Topology& topo, const TopologyMarks* marks) : topo_(topo), marks_(marks) {}

  std::vector<Diagnostic> run() {
    host_index_ = index_names(topo_.hosts, "host", &TopologyMarks::hosts);
    network_index_ = index_names(topo_.networks, "network", &TopologyMarks::networks);
    endpoint_names();
    router_names();
    group_names();
    check_hosts();
    check_networks();
    check_groups();
    check_endpoints();
    check_routers();
    check_capacity();
    return std::move(errors_);
  }

 private:
  // ---- helpers -------------------------------------------------------------

  static const ObjectMarks* marks_at(const std::vector<ObjectMarks>* v, std::size_t i) {
    return v != nullptr && i < v->size() ? &(*v)[i] : nullptr;
  }
  const ObjectMarks* host_marks(std::size_t i) const {
    return marks_at(marks_ ? &marks_->hosts : nullptr, i);
  }
  const ObjectMarks* network_marks(std::size_t i) const {
    return marks_at(marks_ ? &marks_->networks : nullptr, i);
  }
  const ObjectMarks* endpoint_marks(std::size_t i) const {
    return marks_at(marks_ ? &marks_->endpoints : nullptr, i);
  }
  const RouterMarks* router_marks(std::size_t i) const {
    return marks_ && i < marks_->routers.size() ? &marks_->routers[i] : nullptr;
  }
  const GroupMarks* group_marks(std::size_t i) const {
    return marks_ && i < marks_->security_groups.size() ? &marks_->security_groups[i] : nullptr;
  }

  static bool ok(const ObjectMarks* m, Field f) { return m == nullptr || m->valid(f); }
  static SourceLoc at(const SourceLoc& object, const ObjectMarks* m, Field f, int index = -1) {
    return m == nullptr ? object : m->at(object, f, index);
  }

  void error(SourceLoc loc, std::string message) {
    errors_.push_back(Diagnostic{std::move(loc), std::move(message)});
  }

  std::size_t find(const std::unordered_map<std::string_view, std::size_t>& index,
                   const std::string& name) const {
    const auto it = index.find(name);
    return it == index.end() ? kNone : it->second;
  }

  // Name -> index of its first definition; later ones are reported where
  // they are, naming the first.
  template <typename T>
  std::unordered_map<std::string_view, std::size_t> index_names(
      const std::vector<T>& items, std::string_view kind,
      std::vector<ObjectMarks> TopologyMarks::*list) {
    return index_names(items, kind, [&](std::size_t i) {
      return marks_at(marks_ ? &(marks_->*list) : nullptr, i);
    });
  }

  template <typename T, typename MarksOf>
  std::unordered_map<std::string_view, std::size_t> index_names(const std::vector<T>& items,
                                                                std::string_view kind,
                                                                MarksOf marks_of) {
    std::unordered_map<std::string_view, std::size_t> index;
    index.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto [it, inserted] = index.try_emplace(items[i].name, i);
      if (!inserted) {
        error(at(items[i].loc, marks_of(i), Field::kName),
              "duplicate " + std::string(kind) + " name " + quoted(items[i].name) +
                  " (first defined at " + items[it->second].loc.str() + ")");
      }
    }
    return index;
  }

  void endpoint_names() {
    endpoint_index_ = index_names(topo_.endpoints, "endpoint", &TopologyMarks::endpoints);
  }
  void router_names() {
    router_index_ = index_names(topo_.routers, "router", [&](std::size_t i) {
      const RouterMarks* m = router_marks(i);
      return m ? &m->self : nullptr;
    });
  }
  void group_names() {
    group_index_ = index_names(topo_.security_groups, "security group", [&](std::size_t i) {
      const GroupMarks* m = group_marks(i);
      return m ? &m->self : nullptr;
    });
  }

  // ---- hosts, networks, security groups ---------------------------------------

  void check_hosts() {
    std::unordered_map<std::uint32_t, std::size_t> vteps;
    vteps.reserve(topo_.hosts.size());
    for (std::size_t i = 0; i < topo_.hosts.size(); ++i) {
      const Host& h = topo_.hosts[i];
      const ObjectMarks* m = host_marks(i);
      if (!ok(m, Field::kVtepIp)) {
        continue;
      }
      const auto [it, inserted] = vteps.try_emplace(h.vtep_ip.value, i);
      if (!inserted) {
        const Host& first = topo_.hosts[it->second];
        error(at(h.loc, m, Field::kVtepIp), "host " + quoted(h.name) + ": vtep_ip " +
                                                h.vtep_ip.str() + " is already used by host " +
                                                quoted(first.name) + " (" + first.loc.str() +
                                                "); VTEP addresses are unique");
      }
    }
  }

  void check_networks() {
    std::unordered_map<std::uint32_t, std::size_t> vnis;
    vnis.reserve(topo_.networks.size());
    for (std::size_t i = 0; i < topo_.networks.size(); ++i) {
      const Network& n = topo_.networks[i];
      const ObjectMarks* m = network_marks(i);
      if (!ok(m, Field::kVni)) {
        continue;
      }
      const auto [it, inserted] = vnis.try_emplace(n.vni, i);
      if (!inserted) {
        const Network& first = topo_.networks[it->second];
        error(at(n.loc, m, Field::kVni),
              "network " + quoted(n.name) + ": duplicate vni " + std::to_string(n.vni) +
                  " (network " + quoted(first.name) + " at " + first.loc.str() + " has it)");
      }
    }
  }

  void check_groups() {
    for (std::size_t g = 0; g < topo_.security_groups.size(); ++g) {
      const SecurityGroup& group = topo_.security_groups[g];
      const GroupMarks* gm = group_marks(g);
      for (std::size_t r = 0; r < group.rules.size(); ++r) {
        const Rule& rule = group.rules[r];
        const ObjectMarks* m = gm && r < gm->rules.size() ? &gm->rules[r] : nullptr;
        if (rule.remote_group && find(group_index_, *rule.remote_group) == kNone) {
          error(at(rule.loc, m, Field::kRemoteGroup),
                "security group " + quoted(group.name) + " rules[" + std::to_string(r) +
                    "]: remote_group " + quoted(*rule.remote_group) + ": no such security group");
        }
      }
    }
  }

  // ---- endpoints -------------------------------------------------------------

  // Registers a MAC and an IP (either may be null) on a network and reports
  // a second holder. Messages are only built on error: this runs for every
  // endpoint.
  template <typename Label>
  void claim(std::size_t net, const Mac* mac, const Ipv4* ip, const Owner& owner,
             const ObjectMarks* m, Label label) {
    const Network& network = topo_.networks[net];
    if (mac != nullptr) {
      const auto [it, inserted] = macs_.try_emplace(NetKey{net, mac_bits(*mac)}, owner);
      if (!inserted) {
        error(at(*owner.loc, m, Field::kMac),
              label() + ": mac " + mac->str() + " is already used on network " +
                  quoted(network.name) + " by " + describe(it->second));
      }
    }
    if (ip != nullptr) {
      const auto [it, inserted] = ips_.try_emplace(NetKey{net, ip->value}, owner);
      if (!inserted) {
        error(at(*owner.loc, m, Field::kIp),
              label() + ": ip " + ip->str() + " is already used on network " +
                  quoted(network.name) + " by " + describe(it->second));
      }
    }
  }

  void check_endpoints() {
    const std::size_t n = topo_.endpoints.size();
    endpoint_host_.assign(n, kNone);
    endpoint_net_.assign(n, kNone);
    macs_.reserve(n);
    ips_.reserve(n);
    std::unordered_map<PortKey, std::size_t, PortKeyHash> ports;
    ports.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Endpoint& ep = topo_.endpoints[i];
      const ObjectMarks* m = endpoint_marks(i);
      const auto label = [&ep] { return "endpoint " + quoted(ep.name); };

      const std::size_t host = ok(m, Field::kHost) ? find(host_index_, ep.host) : kNone;
      if (ok(m, Field::kHost) && host == kNone) {
        error(at(ep.loc, m, Field::kHost),
              label() + ": host " + quoted(ep.host) + ": no such host");
      }
      const std::size_t net = ok(m, Field::kNetwork) ? find(network_index_, ep.network) : kNone;
      if (ok(m, Field::kNetwork) && net == kNone) {
        error(at(ep.loc, m, Field::kNetwork),
              label() + ": network " + quoted(ep.network) + ": no such network");
      }
      endpoint_host_[i] = host;
      endpoint_net_[i] = net;

      if (host != kNone) {
        const Host& h = topo_.hosts[host];
        if (ep.vlan && h.role != HostRole::kSwitch) {
          error(at(ep.loc, m, Field::kVlan),
                label() +
                    ": vlan is only for endpoints on switch hosts (a switch port's 802.1Q "
                    "tag); host " +
                    quoted(h.name) + " is a hypervisor");
        }
        if (ok(m, Field::kInterface)) {
          if (!h.underlay_interface.empty() && ep.interface == h.underlay_interface) {
            error(at(ep.loc, m, Field::kInterface),
                  label() + ": interface " + quoted(ep.interface) +
                      " is the underlay_interface of host " + quoted(h.name));
          }
          const auto [it, inserted] = ports.try_emplace(PortKey{host, ep.interface}, i);
          if (!inserted) {
            const Endpoint& first = topo_.endpoints[it->second];
            error(at(ep.loc, m, Field::kInterface),
                  label() + ": interface " + quoted(ep.interface) + " on host " + quoted(ep.host) +
                      " is already used by endpoint " + quoted(first.name) + " (" +
                      first.loc.str() + ")");
          }
        }
      }

      if (net != kNone) {
        const Network& network = topo_.networks[net];
        const bool ip_ok = ok(m, Field::kIp);
        if (ip_ok && ok(network_marks(net), Field::kSubnet)) {
          if (const auto problem = subnet_problem(ep.ip, network)) {
            error(at(ep.loc, m, Field::kIp), label() + ": ip " + ep.ip.str() + " " + *problem);
          }
        }
        const Owner owner{&ep.name, &ep.loc, false, i};
        claim(net, ok(m, Field::kMac) ? &ep.mac : nullptr, ip_ok ? &ep.ip : nullptr, owner, m,
              label);
      }

      for (std::size_t g = 0; g < ep.security_groups.size(); ++g) {
        const std::string& group = ep.security_groups[g];
        const auto where = [&] {
          return at(ep.loc, m, Field::kSecurityGroups, static_cast<int>(g));
        };
        if (find(group_index_, group) == kNone) {
          error(where(),
                label() + ": security group " + quoted(group) + ": no such security group");
        }
        // Lists are short; a set would cost more than it saves.
        for (std::size_t k = 0; k < g; ++k) {
          if (ep.security_groups[k] == group) {
            error(where(), label() + ": security group " + quoted(group) + " is listed twice");
            break;
          }
        }
      }
    }
  }

  // Why `ip` cannot be a host's address on `network`; nullopt if it can.
  static std::optional<std::string> subnet_problem(Ipv4 ip, const Network& network) {
    const Ipv4Prefix& subnet = network.subnet;
    const char* problem = !subnet.contains(ip)         ? "is outside"
                          : ip == subnet.addr          ? "is the network address of"
                          : ip == broadcast_of(subnet) ? "is the broadcast address of"
                                                       : nullptr;
    if (problem == nullptr) {
      return std::nullopt;
    }
    return std::string(problem) + " subnet " + subnet.str() + " of network " + quoted(network.name);
  }

  // ---- routers ---------------------------------------------------------------

  void check_routers() {
    for (std::size_t r = 0; r < topo_.routers.size(); ++r) {
      check_router(r);
    }
  }

  void check_router(std::size_t r) {
    const Router& router = topo_.routers[r];
    const RouterMarks* rm = router_marks(r);
    const std::string label = "router " + quoted(router.name);
    std::unordered_map<std::size_t, std::size_t> attached;  // network -> interface
    for (std::size_t k = 0; k < router.interfaces.size(); ++k) {
      const RouterInterface& iface = router.interfaces[k];
      const ObjectMarks* m = rm && k < rm->interfaces.size() ? &rm->interfaces[k] : nullptr;
      if (!ok(m, Field::kNetwork)) {
        continue;
      }
      const std::string ilabel = label + " interface on " + quoted(iface.network);
      const std::size_t net = find(network_index_, iface.network);
      if (net == kNone) {
        error(at(iface.loc, m, Field::kNetwork),
              label + ": network " + quoted(iface.network) + ": no such network");
        continue;
      }
      const auto [it, inserted] = attached.try_emplace(net, k);
      if (!inserted) {
        error(at(iface.loc, m, Field::kNetwork), label + ": second interface on network " +
                                                     quoted(iface.network) + " (first at " +
                                                     router.interfaces[it->second].loc.str() +
                                                     "); a router has one interface per network");
        continue;
      }
      const Network& network = topo_.networks[net];
      const bool ip_ok = ok(m, Field::kIp);
      if (ip_ok && ok(network_marks(net), Field::kSubnet)) {
        const SourceLoc where = at(iface.loc, m, Field::kIp);
        if (network.subnet.contains(iface.ip.addr) && iface.ip.len != network.subnet.len) {
          error(where, ilabel + ": ip " + iface.ip.str() + " must have prefix length /" +
                           std::to_string(network.subnet.len) + ", as subnet " +
                           network.subnet.str() + " of network " + quoted(network.name));
        } else if (const auto problem = subnet_problem(iface.ip.addr, network)) {
          error(where, ilabel + ": ip " + iface.ip.str() + " " + *problem);
        }
      }
      const Mac mac = effective_mac(router, iface);
      const Owner owner{&router.name, &iface.loc, true, kNone};
      claim(net, ok(m, Field::kMac) ? &mac : nullptr, ip_ok ? &iface.ip.addr : nullptr, owner, m,
            [&] { return iface.mac ? ilabel : ilabel + " (derived mac)"; });
    }
    check_overlaps(router, rm, attached);
    check_routes(router, rm, attached);
  }

  // Two attached networks with overlapping subnets make routing ambiguous
  // (two tenants' 10.0.1.0/24 behind one router).
  void check_overlaps(const Router& router, const RouterMarks* rm,
                      const std::unordered_map<std::size_t, std::size_t>& attached) {
    std::vector<std::pair<std::size_t, std::size_t>> nets(attached.begin(), attached.end());
    std::erase_if(nets, [&](const auto& p) { return !ok(network_marks(p.first), Field::kSubnet); });
    // By interface order, so the report lands on the later interface.
    std::sort(nets.begin(), nets.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    // Interfaces per router are few; pairwise is simplest and cheap.
    for (std::size_t b = 0; b < nets.size(); ++b) {
      for (std::size_t a = 0; a < b; ++a) {
        const Network& na = topo_.networks[nets[a].first];
        const Network& nb = topo_.networks[nets[b].first];
        if (na.subnet.contains(nb.subnet) || nb.subnet.contains(na.subnet)) {
          const std::size_t k = nets[b].second;
          const ObjectMarks* m = rm && k < rm->interfaces.size() ? &rm->interfaces[k] : nullptr;
          error(at(router.interfaces[k].loc, m, Field::kNetwork),
                "router " + quoted(router.name) + ": network " + quoted(nb.name) + " (" +
                    nb.subnet.str() + ") overlaps attached network " + quoted(na.name) + " (" +
                    na.subnet.str() + "); the router could not tell them apart");
          break;
        }
      }
    }
  }

  void check_routes(const Router& router, const RouterMarks* rm,
                    const std::unordered_map<std::size_t, std::size_t>& attached) {
    const std::string label = "router " + quoted(router.name);
    std::unordered_map<std::uint64_t, std::size_t> destinations;
    for (std::size_t k = 0; k < router.routes.size(); ++k) {
      const Route& route = router.routes[k];
      const ObjectMarks* m = rm && k < rm->routes.size() ? &rm->routes[k] : nullptr;
      if (ok(m, Field::kDestination)) {
        const std::uint64_t key =
            std::uint64_t{route.destination.addr.value} << 8 | route.destination.len;
        const auto [it, inserted] = destinations.try_emplace(key, k);
        if (!inserted) {
          error(at(route.loc, m, Field::kDestination),
                label + ": duplicate route to " + route.destination.str() + " (first at " +
                    router.routes[it->second].loc.str() + ")");
        }
      }
      if (!ok(m, Field::kNextHop)) {
        continue;
      }
      std::size_t via = kNone;
      const Owner* router_owner = nullptr;
      for (const auto& [net, iface] : attached) {
        const auto it = ips_.find(NetKey{net, route.next_hop.value});
        if (it == ips_.end()) {
          continue;
        }
        if (it->second.router) {
          router_owner = &it->second;
          continue;
        }
        via = it->second.endpoint;
        break;
      }
      if (via != kNone) {
        if (ok(m, Field::kDestination)) {
          routed_via_[via] += 1;
        }
        continue;
      }
      std::string problem = label + ": next_hop " + route.next_hop.str() + " is ";
      problem += router_owner != nullptr
                     ? "the address of " + describe(*router_owner) + ", not of an endpoint"
                     : "not the ip of an endpoint on a network attached to the router";
      if (!attached.empty() && router_owner == nullptr) {
        std::vector<std::string> names;
        for (const auto& [net, iface] : attached) {
          names.push_back(topo_.networks[net].name);
        }
        std::sort(names.begin(), names.end());
        problem += " (";
        for (std::size_t i = 0; i < names.size(); ++i) {
          problem += (i ? ", " : "") + names[i];
        }
        problem += ")";
      }
      error(at(route.loc, m, Field::kNextHop), problem);
    }
  }

  // ---- capacity ----------------------------------------------------------------

  // What each hypervisor's maps must hold, against the limits in abi.h.
  // Switch hosts program Linux bridges, which have no such limits, but
  // they count as VTEPs and their endpoints as remote entries.
  void check_capacity() {
    const std::size_t hosts = topo_.hosts.size();
    const std::size_t nets = topo_.networks.size();
    std::vector<std::size_t> local(hosts, 0);
    std::vector<std::size_t> net_entries(nets, 0);  // fdb/neigh entries of a network
    std::vector<std::size_t> net_sources(nets, 0);  // port_src/remote_host/remote_src entries
    std::unordered_map<NetKey, std::size_t, NetKeyHash> per_host_net;  // (net, host) -> count
    std::vector<std::vector<std::size_t>> hosts_of(nets);
    std::vector<std::vector<std::size_t>> nets_of(hosts);
    // For the policy maps: each network's endpoints, each host's filtered ones.
    std::vector<std::vector<std::uint32_t>> net_members(nets);
    std::vector<std::vector<std::uint32_t>> filtered(hosts);

    for (std::size_t i = 0; i < topo_.endpoints.size(); ++i) {
      const std::size_t host = endpoint_host_[i];
      const std::size_t net = endpoint_net_[i];
      if (host == kNone || net == kNone) {
        continue;
      }
      const Endpoint& ep = topo_.endpoints[i];
      net_members[net].push_back(static_cast<std::uint32_t>(i));
      if (!ep.security_groups.empty()) {
        filtered[host].push_back(static_cast<std::uint32_t>(i));
      }
      const bool hypervisor = topo_.hosts[host].role == HostRole::kHypervisor;
      net_entries[net] += 1;
      const auto routed = routed_via_.find(i);
      net_sources[net] +=
          1 + ep.allowed_addresses.size() + (routed == routed_via_.end() ? 0 : routed->second);
      if (++local[host] == VNET_MAX_PORTS + 1 && hypervisor) {
        error(ep.loc, "endpoint " + quoted(ep.name) + ": host " + quoted(ep.host) +
                          " has more than " + std::to_string(VNET_MAX_PORTS) +
                          " endpoints; a hypervisor holds at most " +
                          std::to_string(VNET_MAX_PORTS) + " (VNET_MAX_PORTS)");
      }
      std::size_t& count = per_host_net[NetKey{net, host}];
      if (++count == 1) {
        hosts_of[net].push_back(host);
        nets_of[host].push_back(net);
      }
      if (count == VNET_MAX_FLOOD_PORTS + 1 && hypervisor) {
        error(ep.loc, "endpoint " + quoted(ep.name) + ": network " + quoted(ep.network) +
                          " has more than " + std::to_string(VNET_MAX_FLOOD_PORTS) +
                          " endpoints on host " + quoted(ep.host) +
                          "; a hypervisor floods to at most " +
                          std::to_string(VNET_MAX_FLOOD_PORTS) +
                          " local ports per network (VNET_MAX_FLOOD_PORTS)");
      }
    }
    // Distributed routing: a host also holds every network a router
    // attached to one of its networks reaches (compile() in compile/plan.h).
    std::vector<std::vector<std::size_t>> router_nets(topo_.routers.size());
    std::vector<std::vector<std::size_t>> routers_of(nets);
    for (std::size_t r = 0; r < topo_.routers.size(); ++r) {
      for (const RouterInterface& iface : topo_.routers[r].interfaces) {
        const std::size_t net = find(network_index_, iface.network);
        if (net != kNone) {
          net_entries[net] += 1;
          router_nets[r].push_back(net);
          routers_of[net].push_back(r);
        }
      }
    }

    std::vector<bool> flood_ok(nets, true);
    for (std::size_t net = 0; net < nets; ++net) {
      const auto& on = hosts_of[net];
      const bool any_hypervisor = std::any_of(on.begin(), on.end(), [&](std::size_t h) {
        return topo_.hosts[h].role == HostRole::kHypervisor;
      });
      if (any_hypervisor && on.size() > VNET_MAX_FLOOD_VTEPS + 1) {
        flood_ok[net] = false;
        const Network& network = topo_.networks[net];
        error(network.loc,
              "network " + quoted(network.name) + " has endpoints on " + std::to_string(on.size()) +
                  " hosts; a hypervisor floods to at most " + std::to_string(VNET_MAX_FLOOD_VTEPS) +
                  " remote VTEPs per network (VNET_MAX_FLOOD_VTEPS), so at most " +
                  std::to_string(VNET_MAX_FLOOD_VTEPS + 1) + " hosts may share one");
      }
    }

    // Exact: the policies compile_policies() would emit, content shared
    // across hosts (a tenant's policies recur on each of its hosts).
    static const std::vector<std::uint32_t> kNoMembers;
    std::optional<compile::PolicyCounter> policies;
    if (std::any_of(filtered.begin(), filtered.end(), [](const auto& f) { return !f.empty(); })) {
      policies.emplace(topo_, [&](std::string_view network) -> const std::vector<std::uint32_t>& {
        const auto it = network_index_.find(network);
        return it == network_index_.end() ? kNoMembers : net_members[it->second];
      });
    }

    std::vector<std::size_t> seen(hosts, kNone);  // stamp: last host that counted it
    std::vector<std::size_t> held(nets, kNone);  // stamp: present, or reached by a router
    std::vector<std::size_t> router_seen(topo_.routers.size(), kNone);
    for (std::size_t host = 0; host < hosts; ++host) {
      const Host& h = topo_.hosts[host];
      if (h.role != HostRole::kHypervisor) {
        continue;
      }
      std::size_t entries = 0;
      std::size_t sources = 0;
      std::size_t vteps = 0;
      const auto count_vteps = [&](std::size_t net) {
        for (const std::size_t other : hosts_of[net]) {
          if (other != host && seen[other] != host) {
            seen[other] = host;
            ++vteps;
          }
        }
      };
      std::vector<std::size_t> routers_here;
      for (const std::size_t net : nets_of[host]) {
        held[net] = host;
        entries += net_entries[net];
        sources += net_sources[net];
        for (const std::size_t r : routers_of[net]) {
          if (router_seen[r] != host) {
            router_seen[r] = host;
            routers_here.push_back(r);
          }
        }
        if (!flood_ok[net]) {
          continue;  // already reported; keeps this loop linear
        }
        count_vteps(net);
      }
      std::size_t router_ifaces = 0;
      std::size_t routes = 0;
      for (const std::size_t r : routers_here) {
        router_ifaces += router_nets[r].size();
        routes += router_nets[r].size() + topo_.routers[r].routes.size();
        for (const std::size_t net : router_nets[r]) {
          if (held[net] != host) {
            held[net] = host;
            entries += net_entries[net];
            sources += net_sources[net];
            if (flood_ok[net]) {
              count_vteps(net);
            }
          }
        }
      }
      const std::string label = "host " + quoted(h.name) + ": ";
      if (vteps > VNET_MAX_VTEPS) {
        error(h.loc, label + "shares networks with " + std::to_string(vteps) +
                         " other VTEPs; a hypervisor holds at most " +
                         std::to_string(VNET_MAX_VTEPS) + " (VNET_MAX_VTEPS)");
      }
      const std::size_t max_entries = std::min<std::size_t>(VNET_MAX_FDB, VNET_MAX_NEIGH);
      if (entries > max_entries) {
        error(h.loc, label + "its networks have " + std::to_string(entries) +
                         " endpoint and router addresses; a hypervisor holds at most " +
                         std::to_string(max_entries) + " (VNET_MAX_FDB, VNET_MAX_NEIGH)");
      }
      if (sources > VNET_MAX_SRC_PREFIXES) {
        error(h.loc, label + "its networks' endpoints have " + std::to_string(sources) +
                         " source prefixes (ip, allowed_addresses, routed destinations); a "
                         "hypervisor holds at most " +
                         std::to_string(VNET_MAX_SRC_PREFIXES) + " (VNET_MAX_SRC_PREFIXES)");
      }
      if (router_ifaces > VNET_MAX_ROUTER_IFACES) {
        error(h.loc, label + "its routers have " + std::to_string(router_ifaces) +
                         " interfaces; a hypervisor holds at most " +
                         std::to_string(VNET_MAX_ROUTER_IFACES) + " (VNET_MAX_ROUTER_IFACES)");
      }
      if (routes > VNET_MAX_ROUTES) {
        error(h.loc, label + "its routers have " + std::to_string(routes) +
                         " routes (connected and static); a hypervisor holds at most " +
                         std::to_string(VNET_MAX_ROUTES) + " (VNET_MAX_ROUTES)");
      }
      if (policies && !filtered[host].empty()) {
        const compile::PolicyCounts c = policies->count(filtered[host]);
        if (c.remotes > VNET_MAX_POLICY_REMOTES) {
          error(h.loc, label + "its endpoints' security groups compile to " +
                           std::to_string(c.remotes) +
                           " remote prefix entries (remote_cidr and the addresses of "
                           "remote_group members, per distinct policy); a hypervisor holds at "
                           "most " +
                           std::to_string(VNET_MAX_POLICY_REMOTES) + " (VNET_MAX_POLICY_REMOTES)");
        }
        if (c.rules > VNET_MAX_POLICY_RULES) {
          error(h.loc, label + "its endpoints' security groups compile to " +
                           std::to_string(c.rules) +
                           " protocol/port entries (per distinct policy and class); a "
                           "hypervisor holds at most " +
                           std::to_string(VNET_MAX_POLICY_RULES) + " (VNET_MAX_POLICY_RULES)");
        }
      }
    }
  }

  const Topology& topo_;
  const TopologyMarks* marks_;
  std::vector<Diagnostic> errors_;
  std::unordered_map<std::string_view, std::size_t> host_index_;
  std::unordered_map<std::string_view, std::size_t> network_index_;
  std::unordered_map<std::string_view, std::size_t> endpoint_index_;
  std::unordered_map<std::string_view, std::size_t> router_index_;
  std::unordered_map<std::string_view, std::size_t> group_index_;
  std::unordered_map<NetKey, Owner, NetKeyHash> macs_;
  std::unordered_map<NetKey, Owner, NetKeyHash> ips_;
  std::vector<std::size_t> endpoint_host_;
  std::vector<std::size_t> endpoint_net_;
  std::unordered_map<std::size_t, std::size_t> routed_via_;  // endpoint -> routes through it
};

}  // namespace

std::vector<Diagnostic> validate(const Topology& topo, const TopologyMarks* marks) {
  return Validator(topo, marks).run();
}

}  // namespace vnet::topology

// bind_plan(): HostPlan -> the exact key/value bytes of every map vnetd owns.
// Keys and values are the abi.h structs byte for byte (zeroed first, so
// padding is deterministic and compares equal with what the kernel returns).

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <unordered_map>

#include "reconcile/reconcile.h"
#include "vnet/abi.h"

namespace vnet::reconcile {

namespace {

template <typename T>
T zeroed() {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  std::memset(&v, 0, sizeof v);
  return v;
}

template <typename T>
Bytes to_bytes(const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  return Bytes(p, p + sizeof v);
}

// Presence maps (the LPM tries, remote hosts) carry a one-byte value:
// presence of the key is the check.
const Bytes kPresent{1};

// The ports whose interfaces resolved, by interface name.
using Resolved = std::unordered_map<std::string, InterfaceInfo>;

MapDesired vteps_map(const compile::HostPlan& plan) {
  // Presence is the plan's; the value (the underlay next hop) is written by
  // the neighbour pass (daemon: keep_neighbours), so an entry is created
  // without one and its value never compared.
  MapDesired m{.name = VNET_MAP_VTEPS, .presence_only = true};
  const auto value = to_bytes(zeroed<vnet_vtep>());
  for (const Ipv4& vtep : plan.vteps) {
    const __be32 key = vtep.be();
    m.entries.insert_or_assign(to_bytes(key), value);
  }
  return m;
}

// Host addresses go to the hash, wider prefixes to the LPM trie (abi.h).
MapDesired remote_host_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_REMOTE_HOST};
  for (const auto& r : plan.remote_src) {
    if (r.prefix.len != 32) {
      continue;
    }
    auto key = zeroed<vnet_remote_host_key>();
    key.vni = r.vni;
    key.vtep_be = r.vtep.be();
    key.ip_be = r.prefix.addr.be();
    m.entries.insert_or_assign(to_bytes(key), kPresent);
  }
  return m;
}

MapDesired remote_src_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_REMOTE_SRC};
  for (const auto& r : plan.remote_src) {
    if (r.prefix.len == 32) {
      continue;
    }
    auto key = zeroed<vnet_remote_src_key>();
    key.prefixlen = 64 + static_cast<__u32>(r.prefix.len);
    key.vni = r.vni;
    key.vtep_be = r.vtep.be();
    key.ip_be = r.prefix.addr.be();
    m.entries.insert_or_assign(to_bytes(key), kPresent);
  }
  return m;
}

MapDesired neigh_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_NEIGH};
  for (const auto& n : plan.neigh) {
    auto key = zeroed<vnet_neigh_key>();
    key.vni = n.vni;
    key.ip_be = n.ip.be();
    auto value = zeroed<vnet_neigh_entry>();
    std::memcpy(value.mac, n.mac.bytes.data(), VNET_ETH_ALEN);
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

MapDesired fdb_map(const compile::HostPlan& plan, const Resolved& resolved,
                   const SlotOf& slot_of) {
  MapDesired m{.name = VNET_MAP_FDB};
  for (const auto& f : plan.fdb) {
    auto key = zeroed<vnet_fdb_key>();
    key.vni = f.vni;
    std::memcpy(key.mac, f.mac.bytes.data(), VNET_ETH_ALEN);
    auto value = zeroed<vnet_fdb_entry>();
    value.endpoint_id = f.endpoint_id;
    if (f.vtep) {
      value.vtep_be = f.vtep->be();
      value.ip_be = f.ip.be();
    } else {
      // A local MAC whose interface is missing has nowhere to go: leaving it
      // out makes frames to it UNKNOWN_UNICAST drops, which is the truth.
      auto it = resolved.find(f.interface);
      if (it == resolved.end()) {
        continue;
      }
      value.ifindex = it->second.ifindex;
      value.port_flags = it->second.port_flags;
      value.stats_slot = slot_of(f.endpoint_id);
      value.policy_in = f.policy_in;
      value.policy_out = f.policy_out;
    }
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

MapDesired router_ifaces_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_ROUTER_IFACES};
  for (const auto& r : plan.router_ifaces) {
    auto key = zeroed<vnet_fdb_key>();
    key.vni = r.vni;
    std::memcpy(key.mac, r.mac.bytes.data(), VNET_ETH_ALEN);
    auto value = zeroed<vnet_router_iface>();
    value.router_id = r.router_id;
    value.ip_be = r.ip.be();
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

MapDesired routes_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_ROUTES};
  for (const auto& r : plan.routes) {
    auto key = zeroed<vnet_route_key>();
    key.prefixlen = 32 + static_cast<__u32>(r.destination.len);
    key.router_id = r.router_id;
    key.ip_be = r.destination.addr.be();
    auto value = zeroed<vnet_route>();
    value.vni = r.vni;
    value.nh_ip_be = r.next_hop ? r.next_hop->be() : 0;
    std::memcpy(value.smac, r.mac.bytes.data(), VNET_ETH_ALEN);
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

MapDesired policy_remote_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_POLICY_REMOTE};
  for (const auto& r : plan.policy_remotes) {
    auto key = zeroed<vnet_policy_remote_key>();
    key.prefixlen = 32 + static_cast<__u32>(r.prefix.len);
    key.policy = r.policy;
    key.ip_be = r.prefix.addr.be();
    auto value = zeroed<vnet_policy_remote>();
    value.class_id = r.class_id;
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

MapDesired policy_rules_map(const compile::HostPlan& plan) {
  MapDesired m{.name = VNET_MAP_POLICY_RULES};
  const auto value = to_bytes(zeroed<vnet_policy_rule>());
  for (const auto& r : plan.policy_rules) {
    auto key = zeroed<vnet_policy_rule_key>();
    // Bits after policy and class: 16 of protocol, then port_bits of port.
    key.prefixlen = 64 + (r.protocol ? 16 + static_cast<__u32>(r.port_bits) : 0);
    key.policy = r.policy;
    key.class_id = r.class_id;
    key.protocol_be = htons(r.protocol.value_or(0));
    key.port_be = htons(r.port_bits == 0 ? 0 : static_cast<std::uint16_t>(
                                                    r.port & (0xffffu << (16 - r.port_bits))));
    m.entries.insert_or_assign(to_bytes(key), value);
  }
  return m;
}

MapDesired port_src_map(const compile::HostPlan& plan, const Resolved& resolved) {
  MapDesired m{.name = VNET_MAP_PORT_SRC};
  for (const auto& port : plan.ports) {
    auto it = resolved.find(port.interface);
    if (it == resolved.end()) {
      continue;
    }
    for (const auto& prefix : port.sources) {
      auto key = zeroed<vnet_port_src_key>();
      key.prefixlen = 32 + static_cast<__u32>(prefix.len);
      key.ifindex = it->second.ifindex;
      key.ip_be = prefix.addr.be();
      m.entries.insert_or_assign(to_bytes(key), kPresent);
    }
  }
  return m;
}

MapDesired networks_map(const compile::HostPlan& plan, const Resolved& resolved) {
  MapDesired m{.name = VNET_MAP_NETWORKS};
  for (const auto& net : plan.networks) {
    auto value = zeroed<vnet_network>();
    // The counts are the real list lengths even when they exceed the
    // arrays (a topology the validator should have refused): the datapath
    // then knows the list is cut short and counts VNET_DROP_FLOOD_LIMIT
    // instead of silently flooding to a subset.
    value.n_vteps = static_cast<__u32>(net.remote_vteps.size());
    for (std::size_t i = 0; i < net.remote_vteps.size() && i < VNET_MAX_FLOOD_VTEPS; ++i) {
      value.vteps_be[i] = net.remote_vteps[i].be();
    }
    __u32 n_ports = 0;
    for (const auto& ifname : net.port_interfaces) {
      auto it = resolved.find(ifname);
      if (it == resolved.end()) {
        continue;
      }
      if (n_ports < VNET_MAX_FLOOD_PORTS) {
        value.port_ifindex[n_ports] = it->second.ifindex;
      }
      ++n_ports;
    }
    value.n_ports = n_ports;
    const __u32 key = net.vni;
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

// The router interface on network vni with the lowest MAC (plan order is
// (vni, mac)), the gateway a port carries (abi.h: vnet_port.gw); none when
// no router of the host's plan is attached there.
const compile::PlannedRouterIface* gateway_of(const compile::HostPlan& plan, std::uint32_t vni) {
  auto it = std::lower_bound(
      plan.router_ifaces.begin(), plan.router_ifaces.end(), vni,
      [](const compile::PlannedRouterIface& r, std::uint32_t v) { return r.vni < v; });
  return it != plan.router_ifaces.end() && it->vni == vni ? &*it : nullptr;
}

MapDesired ports_map(const compile::HostPlan& plan, const Resolved& resolved,
                     const SlotOf& slot_of) {
  MapDesired m{.name = VNET_MAP_PORTS};
  for (const auto& port : plan.ports) {
    auto it = resolved.find(port.interface);
    if (it == resolved.end()) {
      continue;
    }
    auto value = zeroed<vnet_port>();
    value.endpoint_id = port.endpoint_id;
    value.vni = port.vni;
    std::memcpy(value.mac, port.mac.bytes.data(), VNET_ETH_ALEN);
    value.flags = it->second.port_flags;
    value.ip_be = port.ip.be();
    value.policy_in = port.policy_in;
    value.policy_out = port.policy_out;
    value.stats_slot = slot_of(port.endpoint_id);
    if (const auto* gw = gateway_of(plan, port.vni)) {
      std::memcpy(value.gw_mac, gw->mac.bytes.data(), VNET_ETH_ALEN);
      value.gw.router_id = gw->router_id;
      value.gw.ip_be = gw->ip.be();
    }
    const __u32 key = it->second.ifindex;
    m.entries.insert_or_assign(to_bytes(key), to_bytes(value));
  }
  return m;
}

}  // namespace

DesiredMaps bind_plan(const compile::HostPlan& plan, const InterfaceResolver& resolve,
                      const SlotOf& slot_of) {
  DesiredMaps out;
  Resolved resolved;
  for (const auto& port : plan.ports) {
    if (resolved.count(port.interface) != 0) {
      continue;
    }
    std::optional<InterfaceInfo> info = resolve(port.interface);
    if (info && info->ifindex != 0) {
      resolved.emplace(port.interface, *info);
    } else {
      out.missing_interfaces.push_back(port.interface);
    }
  }
  std::sort(out.missing_interfaces.begin(), out.missing_interfaces.end());
  out.missing_interfaces.erase(
      std::unique(out.missing_interfaces.begin(), out.missing_interfaces.end()),
      out.missing_interfaces.end());

  // Update order: what a port's traffic depends on (VTEPs, sources, ARP,
  // forwarding, flood lists) exists before the port entry that
  // lets its traffic in; reconcile() prunes in the reverse order.
  // Routes before the router interfaces that send traffic into them, so a
  // new router never answers "no route" for a prefix it has.
  // Policies before the fdb and port entries that name them, so a new
  // policy id is complete when traffic starts being checked against it,
  // and an old one is pruned only when nothing names it any more.
  out.maps.reserve(12);
  out.maps.push_back(policy_remote_map(plan));
  out.maps.push_back(policy_rules_map(plan));
  out.maps.push_back(vteps_map(plan));
  out.maps.push_back(remote_host_map(plan));
  out.maps.push_back(remote_src_map(plan));
  out.maps.push_back(neigh_map(plan));
  out.maps.push_back(fdb_map(plan, resolved, slot_of));
  out.maps.push_back(routes_map(plan));
  out.maps.push_back(router_ifaces_map(plan));
  out.maps.push_back(port_src_map(plan, resolved));
  out.maps.push_back(networks_map(plan, resolved));
  out.maps.push_back(ports_map(plan, resolved, slot_of));
  return out;
}

}  // namespace vnet::reconcile

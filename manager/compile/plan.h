#pragma once
// compile(): Topology + host name -> HostPlan, the exact datapath state that
// host needs, still keyed by interface *names*. Pure and deterministic, no
// kernel: this is the engine of vnetd's reconcile, of `vnetctl diff` and the
// reference model the BPF tests compare against. bind_plan() (reconcile/) turns a
// plan into concrete map entries once interface names resolve to ifindexes.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/addr.h"
#include "topology/model.h"
#include "util/result.h"

namespace vnet::compile {

// A local endpoint: the tc program on `interface` enforces and forwards for it.
struct PlannedPort {
  std::string endpoint;   // endpoint name
  std::uint32_t endpoint_id = 0;
  std::string interface;  // host-side interface name
  std::uint32_t vni = 0;
  Mac mac;
  Ipv4 ip;
  // Sources it may send from: ip/32, allowed_addresses, prefixes of static
  // routes whose next_hop it is. Sorted, unique.
  std::vector<Ipv4Prefix> sources;
  // Security groups: the policy each direction is checked against
  // (PlannedPolicyRemote/PlannedPolicyRule), 0 = unfiltered (no groups).
  std::uint32_t policy_in = 0;
  std::uint32_t policy_out = 0;
  bool operator==(const PlannedPort&) const = default;
};

// Where a MAC of a network lives: a local port (interface set) or a remote
// VTEP (vtep set).
struct PlannedFdb {
  std::uint32_t vni = 0;
  Mac mac;
  std::string interface;     // local port, or empty
  std::optional<Ipv4> vtep;  // remote VTEP, or nullopt
  Ipv4 ip;                   // a remote endpoint's address, else 0
  std::uint32_t endpoint_id = 0;
  // A local port's PlannedPort::policy_in/out, else 0.
  std::uint32_t policy_in = 0;
  std::uint32_t policy_out = 0;
  bool operator==(const PlannedFdb&) const = default;
};

struct PlannedNeigh {
  std::uint32_t vni = 0;
  Ipv4 ip;
  Mac mac;
  bool operator==(const PlannedNeigh&) const = default;
};

// An inner IPv4 source prefix `vtep` may send from on `vni`.
struct PlannedRemoteSrc {
  std::uint32_t vni = 0;
  Ipv4 vtep;
  Ipv4Prefix prefix;
  bool operator==(const PlannedRemoteSrc&) const = default;
};

// A network present on this host, with its flood lists.
struct PlannedNetwork {
  std::string name;
  std::uint32_t vni = 0;
  std::vector<Ipv4> remote_vteps;           // sorted, other hosts on this VNI
  std::vector<std::string> port_interfaces;  // sorted, local ports on this VNI
  bool operator==(const PlannedNetwork&) const = default;
};

// An interface of a router attached to a network present here: frames a
// local endpoint sends to its MAC are routed on this host; its address
// answers ping and ARP (a PlannedNeigh), and the MAC may arrive as the inner
// source of frames other hosts routed.
struct PlannedRouterIface {
  std::uint32_t vni = 0;
  Mac mac;
  std::uint32_t router_id = 0;
  Ipv4 ip;
  bool operator==(const PlannedRouterIface&) const = default;
};

// One route of a router attached to a network present here: its effective
// table (topology::effective_routes), keyed by the router's id.
struct PlannedRoute {
  std::uint32_t router_id = 0;
  Ipv4Prefix destination;
  std::uint32_t vni = 0;          // egress network
  std::optional<Ipv4> next_hop;   // nullopt: connected
  Mac mac;                        // the router's MAC on the egress network
  bool operator==(const PlannedRoute&) const = default;
};

// Security groups compiled for this host (compile/policy.h). A policy is
// what one direction of a filtered local endpoint allows: the union of the
// rules of all its groups for that direction. Its id is derived from its
// content (never 0; vnet/abi.h explains why), so endpoints with the same
// groups and the same view of remote_group membership share a policy.
//
// A remote entry maps a remote prefix to a class: the set of the policy's
// rules whose remote side contains that prefix (classes with the same
// allowed protocols and ports are merged). Class ids are 1.. per policy.
struct PlannedPolicyRemote {
  std::uint32_t policy = 0;
  Ipv4Prefix prefix;
  std::uint32_t class_id = 0;
  bool operator==(const PlannedPolicyRemote&) const = default;
};

// What a class allows: a protocol (nullopt: any, then port_bits is 0) and
// the leading port_bits bits of `port`, which is the destination port for
// TCP/UDP and type << 8 | code for ICMP (bits 8: a type, 16: type and code).
struct PlannedPolicyRule {
  std::uint32_t policy = 0;
  std::uint32_t class_id = 0;
  std::optional<std::uint8_t> protocol;
  std::uint16_t port = 0;
  std::uint8_t port_bits = 0;  // 0..16
  bool operator==(const PlannedPolicyRule&) const = default;
};

struct HostPlan {
  std::string host;
  topology::HostRole role = topology::HostRole::kHypervisor;
  Ipv4 vtep_ip;
  std::string underlay_interface;
  std::uint16_t vxlan_port = 4789;
  std::optional<std::uint32_t> underlay_mtu;

  // All sorted by key, so two plans compare and diff cheaply.
  std::vector<PlannedPort> ports;            // by interface
  std::vector<PlannedFdb> fdb;               // by (vni, mac)
  std::vector<PlannedNeigh> neigh;           // by (vni, ip)
  std::vector<PlannedRemoteSrc> remote_src;  // by (vni, vtep, prefix)
  std::vector<Ipv4> vteps;                   // remote VTEPs that share a network with us,
                                             // or whose endpoints we route to or from
  std::vector<Ipv4> routed_vteps;            // sorted: the latter (routing's share of vteps)
  std::vector<PlannedNetwork> networks;      // by vni
  std::vector<PlannedRouterIface> router_ifaces;  // by (vni, mac)
  std::vector<PlannedRoute> routes;               // by (router_id, destination)
  std::vector<PlannedPolicyRemote> policy_remotes;  // by (policy, prefix)
  std::vector<PlannedPolicyRule> policy_rules;      // by (policy, class_id, protocol, port, port_bits)

  bool operator==(const HostPlan&) const = default;
};

// Fails only if `host` is not in the topology.
//
// Routing is distributed, so a host also holds what its endpoints reach
// through the routers attached to their networks: those routers'
// interfaces and tables, and the endpoints of every network such a router
// attaches (fdb, neigh, their sources in remote_src under their own VNI)
// with their hosts' VTEPs.
Result<HostPlan> compile(const topology::Topology& topo, const std::string& host);

// The networks whose endpoints can change `plan` (compiled from `topo`):
// those present on its host, and every network a router attached to one of
// them attaches (distributed routing holds their endpoints too).
std::set<std::string> networks_of_interest(const topology::Topology& topo, const HostPlan& plan);

// Each router's id in the datapath (keys its routes): FNV-1a of its name,
// so the id does not depend on what else the topology holds and a route
// change never renumbers a router; the rare collision is resolved by
// probing, in name order. Never 0.
std::unordered_map<std::string, std::uint32_t> router_ids(const topology::Topology& topo);

}  // namespace vnet::compile

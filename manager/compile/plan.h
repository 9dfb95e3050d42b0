#pragma once
// compile(): Topology + host name -> HostPlan, the exact datapath state that
// host needs, still keyed by interface *names*. Pure and deterministic, no
// kernel: this is the engine of vnetd's reconcile, of `vnetctl diff` and the
// reference model the BPF tests compare against. bind_plan() (reconcile/) turns a
// plan into concrete map entries once interface names resolve to ifindexes.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
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
  bool operator==(const PlannedPort&) const = default;
};

// Where a MAC of a network lives: a local port (interface set) or a remote
// VTEP (vtep set).
struct PlannedFdb {
  std::uint32_t vni = 0;
  Mac mac;
  std::string interface;     // local port, or empty
  std::optional<Ipv4> vtep;  // remote VTEP, or nullopt
  std::uint32_t endpoint_id = 0;
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
  std::vector<Ipv4> vteps;                   // remote VTEPs that share a network with us
  std::vector<PlannedNetwork> networks;      // by vni

  bool operator==(const HostPlan&) const = default;
};

// Fails only if `host` is not in the topology.
Result<HostPlan> compile(const topology::Topology& topo, const std::string& host);

}  // namespace vnet::compile

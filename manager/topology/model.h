#pragma once
// The validated, immutable desired state: what `vnetctl apply` stores and
// every vnetd compiles. Built only by the parser (topology/parser.h) or the
// store codec; nothing downstream parses YAML. Lists keep the order of the
// source files; names are unique per kind.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/addr.h"

namespace vnet::topology {

// Where a value came from, for error messages ("a.yaml:12:7").
struct SourceLoc {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
  std::string str() const;
};

enum class HostRole { kHypervisor, kSwitch };

struct Underlay {
  std::uint16_t vxlan_port = 4789;
  std::optional<std::uint32_t> mtu;
};

struct Host {
  std::string name;
  HostRole role = HostRole::kHypervisor;
  Ipv4 vtep_ip;
  std::string underlay_interface;
  SourceLoc loc;
};

struct Network {
  std::string name;
  std::uint32_t vni = 0;
  Ipv4Prefix subnet;
  SourceLoc loc;
};

struct Endpoint {
  std::string name;
  std::uint32_t id = 0;  // assigned by the store on apply; stable for a name
  std::string host;
  std::string network;
  std::string interface;
  Mac mac;
  Ipv4 ip;
  std::optional<std::uint16_t> vlan;
  std::vector<std::string> security_groups;
  std::vector<Ipv4Prefix> allowed_addresses;
  SourceLoc loc;
};

struct RouterInterface {
  std::string network;
  Ipv4Interface ip;
  std::optional<Mac> mac;  // as written; see effective_mac()
  SourceLoc loc;
};

struct Route {
  Ipv4Prefix destination;
  Ipv4 next_hop;
  SourceLoc loc;
};

struct Router {
  std::string name;
  std::vector<RouterInterface> interfaces;
  std::vector<Route> routes;
  SourceLoc loc;
};

enum class Direction { kIngress, kEgress };

struct Rule {
  Direction direction = Direction::kIngress;
  // IP protocol number; nullopt = any. tcp=6, udp=17, icmp=1.
  std::optional<std::uint8_t> protocol;
  std::optional<std::uint16_t> port_min;  // tcp/udp only; nullopt = all ports
  std::optional<std::uint16_t> port_max;
  std::optional<std::uint8_t> icmp_type;
  std::optional<std::uint8_t> icmp_code;
  std::optional<Ipv4Prefix> remote_cidr;  // at most one of remote_cidr/remote_group
  std::optional<std::string> remote_group;
  SourceLoc loc;
};

struct SecurityGroup {
  std::string name;
  std::vector<Rule> rules;
  SourceLoc loc;
};

struct Topology {
  Underlay underlay;
  std::vector<Host> hosts;
  std::vector<Network> networks;
  std::vector<Endpoint> endpoints;
  std::vector<Router> routers;
  std::vector<SecurityGroup> security_groups;

  const Host* find_host(const std::string& name) const;
  const Network* find_network(const std::string& name) const;
  const Endpoint* find_endpoint(const std::string& name) const;
  const Router* find_router(const std::string& name) const;
  const SecurityGroup* find_security_group(const std::string& name) const;
};

// The MAC a router interface answers with: as written, or derived
// deterministically from the router and network names (locally
// administered, unicast: 02:xx:xx:xx:xx:xx).
Mac effective_mac(const Router& router, const RouterInterface& iface);

}  // namespace vnet::topology

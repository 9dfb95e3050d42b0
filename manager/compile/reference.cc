#include "compile/reference.h"

#include <algorithm>
#include <cerrno>

namespace vnet::compile {

namespace {

using topology::Endpoint;
using topology::Rule;
using topology::Topology;

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;

bool has(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Whether a router attaches both networks (or they are the same network).
bool neighbours(const Topology& topo, const std::string& a, const std::string& b) {
  if (a == b) {
    return true;
  }
  for (const auto& router : topo.routers) {
    bool on_a = false;
    bool on_b = false;
    for (const auto& iface : router.interfaces) {
      on_a = on_a || iface.network == a;
      on_b = on_b || iface.network == b;
    }
    if (on_a && on_b) {
      return true;
    }
  }
  return false;
}

bool remote_matches(const Topology& topo, const Endpoint& self, const Rule& rule, Ipv4 remote) {
  if (rule.remote_cidr) {
    const Ipv4Prefix& c = *rule.remote_cidr;
    return (remote.value & c.mask()) == (c.addr.value & c.mask());
  }
  if (!rule.remote_group) {
    return true;
  }
  for (const Endpoint& peer : topo.endpoints) {
    if (!has(peer.security_groups, *rule.remote_group) ||
        !neighbours(topo, self.network, peer.network)) {
      continue;
    }
    if (peer.ip == remote) {
      return true;
    }
    for (const auto& a : peer.allowed_addresses) {
      if ((remote.value & a.mask()) == (a.addr.value & a.mask())) {
        return true;
      }
    }
  }
  return false;
}

bool protocol_matches(const Rule& rule, const PolicyPacket& p) {
  if (!rule.protocol) {
    return true;
  }
  if (*rule.protocol != p.protocol) {
    return false;
  }
  const bool ported = p.protocol == kTcp || p.protocol == kUdp;
  if (ported && rule.port_min) {
    if (p.non_first_fragment) {
      return false;
    }
    const std::uint16_t hi = rule.port_max.value_or(*rule.port_min);
    return p.dst_port >= *rule.port_min && p.dst_port <= hi;
  }
  if (p.protocol == kIcmp && rule.icmp_type) {
    if (p.non_first_fragment) {
      return false;
    }
    return p.icmp_type == *rule.icmp_type && (!rule.icmp_code || p.icmp_code == *rule.icmp_code);
  }
  return true;
}

}  // namespace

Result<bool> reference_allows(const Topology& topo, const std::string& endpoint,
                              topology::Direction direction, const PolicyPacket& packet) {
  const Endpoint* self = topo.find_endpoint(endpoint);
  if (self == nullptr) {
    return Status::error("endpoint '" + endpoint + "' is not in the topology", ENOENT);
  }
  if (self->security_groups.empty()) {
    return true;
  }
  for (const std::string& name : self->security_groups) {
    const topology::SecurityGroup* group = topo.find_security_group(name);
    if (group == nullptr) {
      continue;
    }
    for (const Rule& rule : group->rules) {
      if (rule.direction == direction && protocol_matches(rule, packet) &&
          remote_matches(topo, *self, rule, packet.remote)) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace vnet::compile

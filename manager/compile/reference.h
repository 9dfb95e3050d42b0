#pragma once
// The security-group verdict for one packet, computed straight from the
// topology with a plain loop over the rules: the reference the compiled
// policy maps (compile/policy.h) and the BPF datapath are checked against.
// Written independently of the compiler on purpose; pure, no kernel.

#include <cstdint>
#include <string>

#include "net/addr.h"
#include "topology/model.h"
#include "util/result.h"

namespace vnet::compile {

// What the classifier sees of a packet, from the endpoint's side: the
// remote address (source for ingress, destination for egress), the IP
// protocol, the destination port (TCP/UDP) or ICMP type and code.
struct PolicyPacket {
  Ipv4 remote;
  std::uint8_t protocol = 0;
  std::uint16_t dst_port = 0;  // TCP/UDP only
  std::uint8_t icmp_type = 0;  // ICMP only
  std::uint8_t icmp_code = 0;
  // Ports and ICMP header unknown: only rules that need none can allow it.
  bool non_first_fragment = false;
};

// Whether `endpoint` (by name) lets `packet` through in `direction`, as the
// contract says: no groups, allowed; otherwise allowed iff some rule of
// that direction of one of its groups matches protocol, port or ICMP
// type/code, and remote (remote_cidr; remote_group: the peer's address is
// the ip or within an allowed_addresses prefix of a member of the group
// on the endpoint's network or on a network a router attached to it
// attaches; neither: any). Fails if the endpoint is not in the topology.
Result<bool> reference_allows(const topology::Topology& topo, const std::string& endpoint,
                              topology::Direction direction, const PolicyPacket& packet);

}  // namespace vnet::compile

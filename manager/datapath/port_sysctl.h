#pragma once
// Per-interface sysctls vnetd owns on a port's host-side interface.
//
// - IPv4 forwarding on: bpf_fib_lookup() (outer MACs for encapsulation and
//   head-end replication) is an input lookup on the port and answers
//   FWD_DISABLED unless forwarding is on for it. Nothing from a port ever
//   reaches the host stack (tc drops or redirects everything), so this
//   routes nothing; the underlay's own setting is never touched.
// - IPv6 off: the host stack would otherwise send its own neighbour
//   discovery and MLD out of the port into the VM.

#include <string>

#include "util/result.h"

namespace vnet::datapath {

// Idempotent: reads each value first and writes only what differs.
Status prepare_port_interface(const std::string& ifname);

// IPv6 off on `ifname` (vnetd's VXLAN device too: router advertisements
// and neighbour discovery decapsulated there must never reach the host).
Status disable_ipv6(const std::string& ifname);

}  // namespace vnet::datapath

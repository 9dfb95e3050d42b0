#pragma once
// vnetd's VXLAN device: a kernel `vxlan` in external (collect_md) mode on
// the topology's vxlan_port, named kTunnelDevice. vnet_xdp_underlay passes
// it everything it does not deliver itself; the device's UDP socket lets
// the underlay's GRO merge the segments of an inner TCP flow before
// decapsulation, and vnet_tc_tunnel on its ingress checks and delivers
// (docs/architecture.md, "Receive"). Like the programs it carries, the
// device outlives vnetd: a restart adopts it, so traffic never stops.

#include <cstdint>
#include <functional>
#include <string>

#include "netlink/messages.h"
#include "util/result.h"

namespace vnet::netlink {

inline constexpr const char* kTunnelDevice = "vnet-vxlan";

// What to do about the device given what the link table shows.
enum class TunnelAction {
  kNone,      // exists as wanted
  kSetUp,     // exists as wanted but is down
  kCreate,    // missing
  kRecreate,  // exists with another port or mode (or is not a VXLAN device)
};
TunnelAction plan_tunnel(const LinkInfo* existing, std::uint16_t port);

// kTunnelDevice as the kernel reports it now (ENODEV when there is none):
// for a caller that must not wait for the link notification.
Result<LinkInfo> tunnel_device_info();

// Makes the device exist as wanted; returns its ifindex. `existing` is the
// link table's entry for kTunnelDevice (nullptr when absent). A device that
// is created or found down gets `prepare(ifindex)` (vnetd attaches its
// filter there) before it goes up: it never receives unfiltered.
Result<std::uint32_t> ensure_tunnel_device(const LinkInfo* existing, std::uint16_t port,
                                           const std::function<Status(std::uint32_t)>& prepare);

}  // namespace vnet::netlink

#pragma once
// What XDP a device supports, as the netdev generic netlink family reports
// it (kernel >= 6.3, NETDEV_A_DEV_XDP_FEATURES). vnetd asks it one thing:
// can the underlay take frames that an XDP program redirects to it
// (ndo_xdp_xmit)? A physical NIC's driver says so or not once; a veth says
// yes only while its peer runs NAPI (an XDP program or GRO on the peer), so
// the answer can change and is asked again on every reconcile pass.

#include <cstdint>

#include "util/result.h"

namespace vnet::netlink {

// enum netdev_xdp_act (uapi linux/netdev.h, absent from Debian 12's headers).
inline constexpr std::uint64_t kXdpActNdoXmit = 1u << 2;

// The device's xdp-features bit set. ENOENT when the kernel has no netdev
// family (before 6.3): the caller cannot tell, and should assume no.
Result<std::uint64_t> xdp_features(std::uint32_t ifindex);

}  // namespace vnet::netlink

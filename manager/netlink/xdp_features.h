#pragma once
// What XDP a device supports, as the netdev generic netlink family reports
// it (kernel >= 6.3, NETDEV_A_DEV_XDP_FEATURES). vnetd asks it one thing:
// can the underlay take frames that an XDP program redirects to it
// (ndo_xdp_xmit)? A physical NIC's driver says so or not once; a veth says
// yes only while its peer runs NAPI (an XDP program or GRO on the peer), so
// the answer can change and is asked again on every reconcile pass.

#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "netlink/socket.h"
#include "util/result.h"

namespace vnet::netlink {

// enum netdev_xdp_act (uapi linux/netdev.h, absent from Debian 12's headers).
inline constexpr std::uint64_t kXdpActNdoXmit = 1u << 2;

// The device's xdp-features bit set. ENOENT when the kernel has no netdev
// family (before 6.3): the caller cannot tell, and should assume no.
Result<std::uint64_t> xdp_features(std::uint32_t ifindex);

// The devices whose xdp-features the kernel announced on the netdev
// family's "mgmt" multicast group (NETDEV_CMD_DEV_ADD_NTF, DEV_DEL_NTF,
// DEV_CHANGE_NTF): a veth underlay losing ndo_xdp_xmit is heard at once
// instead of at the next resync, so frames stop being redirected to where
// the kernel drops them.
struct XdpFeatureChanges {
  std::set<std::uint32_t> ifindexes;
  bool overrun = false;  // notifications were lost: ask again about everything
};

class XdpFeatureWatch {
 public:
  // ENOENT when the kernel has no netdev family or no such group.
  static Result<XdpFeatureWatch> open();
  int fd() const { return sock_.fd(); }
  XdpFeatureChanges read();

 private:
  XdpFeatureWatch(Socket sock, std::uint16_t family) : sock_(std::move(sock)), family_(family) {}
  Socket sock_;
  std::uint16_t family_;
};

// Pure, for tests: the ifindex a netdev family notification is about, or
// nullopt when `nlh` is not one (another family, command or a bad message).
std::optional<std::uint32_t> xdp_feature_notification(const nlmsghdr* nlh, std::uint16_t family);

}  // namespace vnet::netlink

#pragma once
// rtnetlink messages vnetd sends and receives: named factories that build a
// request into a caller's buffer, and parsers that validate every attribute
// they read (mnl_attr_validate) before trusting it. Pure: no sockets here,
// so the parsers are tested on canned buffers.

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>

#include "net/addr.h"
#include "util/result.h"

namespace vnet::netlink {

// Room for any request built here.
inline constexpr std::size_t kRequestBufferSize = 512;

struct LinkInfo {
  std::uint32_t ifindex = 0;
  std::string name;
  std::string kind;  // IFLA_INFO_KIND: "veth", "tun", "bridge", ...; "" for plain devices
  std::uint32_t mtu = 0;
  std::uint8_t operstate = 0;  // IF_OPER_*
  std::uint32_t flags = 0;     // IFF_*
  std::uint16_t hw_type = 0;   // ifi_type, ARPHRD_*: a tap is ETHER, an L3 tun NONE
  // IFLA_LINK: for a veth, the peer's ifindex, numbered in the peer's own
  // netns (0 when absent).
  std::uint32_t link_ifindex = 0;
  // IFLA_LINK_NETNSID: the netns of IFLA_LINK's device as an id in ours;
  // nullopt = the same netns as this link.
  std::optional<std::int32_t> link_netnsid;
  // IFLA_XDP: IFLA_XDP_ATTACHED (XDP_ATTACHED_*) and the driver-mode
  // program id (IFLA_XDP_DRV_PROG_ID, or IFLA_XDP_PROG_ID in DRV mode).
  std::uint8_t xdp_attached = 0;
  std::uint32_t xdp_drv_prog_id = 0;
  // IFLA_TARGET_NETNSID in a reply to build_link_get with a target: the
  // kernel echoes it, which proves it answered about that netns.
  std::optional<std::int32_t> target_netnsid;
  // kind "vxlan": IFLA_VXLAN_COLLECT_METADATA ("external") and the UDP port.
  bool vxlan_external = false;
  std::uint16_t vxlan_port = 0;
  // IFLA_ADDRESS when it is an Ethernet address (6 bytes).
  std::optional<Mac> address;
  bool operator==(const LinkInfo&) const = default;
};

// Endpoints are Ethernet ports: the datapath parses MAC headers.
bool is_ethernet(const LinkInfo& link);

// An XDP program in native (driver) mode: for a veth this runs its NAPI,
// so XDP_REDIRECT into its peer delivers. Generic (skb) mode does not.
bool has_native_xdp(const LinkInfo& link);

struct RouteInfo {
  std::uint8_t type = 0;  // RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE, ...
  std::uint32_t oif = 0;
  std::optional<Ipv4> gateway;
  std::optional<Ipv4> prefsrc;
  bool multipath = false;  // RTA_MULTIPATH: ECMP (a FIB entry, build_route_get's fib_match)
  bool via = false;        // RTA_VIA: a gateway of another family (IPv6, RFC 5549)
  // What a route notification is about: its prefix and table.
  Ipv4Prefix dst{Ipv4{0}, 0};
  std::uint32_t table = 0;  // RT_TABLE_* (rtm_table, or RTA_TABLE beyond 255)
};

// An IPv4 policy routing rule (RTM_NEWRULE), as far as telling the
// kernel's three default rules from anything else needs.
struct RuleInfo {
  std::uint32_t priority = 0;
  std::uint32_t table = 0;
  std::uint8_t action = 0;  // FR_ACT_*
  bool selectors = false;   // any match beyond "from all": prefixes, tos, iif, mark, ...
};
// One of the kernel's default rules: "from all lookup local|main|default"
// at priority 0, 32766, 32767. With only those, a route lookup depends on
// the destination alone.
bool is_default_rule(const RuleInfo& rule);

struct NeighInfo {
  std::uint32_t ifindex = 0;
  std::uint16_t state = 0;  // NUD_*
  std::uint8_t flags = 0;   // NTF_*
  Ipv4 dst;
  std::optional<Mac> lladdr;  // NDA_LLADDR when it is an Ethernet address
};

// RTM_GETLINK dump of every link.
nlmsghdr* build_link_dump(char* buf, std::uint32_t seq);
// RTM_GETLINK for one ifindex; with `target_nsid`, of the netns that has
// that id in ours (IFLA_TARGET_NETNSID, kernel >= 4.20). The reply is one
// RTM_NEWLINK (parse_link); ENODEV when there is no such link.
nlmsghdr* build_link_get(char* buf, std::uint32_t seq, std::uint32_t ifindex,
                         std::optional<std::int32_t> target_nsid);
// RTM_GETROUTE for one IPv4 destination, what `ip route get DST` sends: the
// reply is the route the kernel would use (oif, gateway). With `fib_match`
// (RTM_F_FIB_MATCH, `ip route get fibmatch DST`) it is the FIB entry that
// matched instead: an ECMP route then comes back with RTA_MULTIPATH and no
// RTA_OIF, where the plain reply shows the one path the lookup chose.
nlmsghdr* build_route_get(char* buf, std::uint32_t seq, Ipv4 dst, bool fib_match = false);
// RTM_GETNEIGH dump of the IPv4 neighbour table.
nlmsghdr* build_neigh_dump(char* buf, std::uint32_t seq);
// RTM_GETRULE dump of the IPv4 policy routing rules.
nlmsghdr* build_rule_dump(char* buf, std::uint32_t seq);
// RTM_NEWNEIGH with NTF_USE for (ifindex, addr): creates the entry if
// missing (NLM_F_CREATE) and makes the kernel resolve it as if a packet
// were waiting, without forcing a state or a link-layer address. Note the
// kernel clears NUD_PERMANENT on an entry it is sent for: callers skip
// permanent/noarp entries.
nlmsghdr* build_neigh_use(char* buf, std::uint32_t seq, std::uint32_t ifindex, Ipv4 addr);

// RTM_GETLINK for one interface by name (the reply as for build_link_get).
nlmsghdr* build_link_get_by_name(char* buf, std::uint32_t seq, const std::string& name);
// RTM_NEWLINK creating (NLM_F_EXCL) a VXLAN device in external mode
// (collect_md: any VNI, the tunnel key in skb metadata) on UDP `port`,
// learning off, down: `ip link add NAME type vxlan external dstport PORT
// nolearning`.
nlmsghdr* build_vxlan_external_new(char* buf, std::uint32_t seq, const std::string& name,
                                   std::uint16_t port);
// RTM_NEWLINK with IFLA_INET6_ADDR_GEN_MODE none (`ip link set DEV
// addrgenmode none`): no IPv6 link-local address when it goes up. The
// kernel refuses this in the request that creates the device.
nlmsghdr* build_link_no_ipv6_addr(char* buf, std::uint32_t seq, std::uint32_t ifindex);
// RTM_NEWLINK setting IFF_UP on an existing interface.
nlmsghdr* build_link_set_up(char* buf, std::uint32_t seq, std::uint32_t ifindex);
// RTM_DELLINK of one interface.
nlmsghdr* build_link_del(char* buf, std::uint32_t seq, std::uint32_t ifindex);

// RTM_NEWLINK / RTM_DELLINK. Fails on a short header, a malformed attribute
// (IFLA_XDP's nested ones included) or a missing IFLA_IFNAME.
Result<LinkInfo> parse_link(const nlmsghdr* nlh);
// RTM_NEWROUTE (the reply to build_route_get, or a notification) or
// RTM_DELROUTE. IPv4 only.
Result<RouteInfo> parse_route(const nlmsghdr* nlh);
// RTM_NEWRULE. Result holds nullopt for non-IPv4 rules.
Result<std::optional<RuleInfo>> parse_rule(const nlmsghdr* nlh);
// RTM_NEWNEIGH / RTM_DELNEIGH. Result holds nullopt for non-IPv4 entries.
Result<std::optional<NeighInfo>> parse_neigh(const nlmsghdr* nlh);

}  // namespace vnet::netlink

#include "netlink/messages.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vnet::netlink {
namespace {

nlmsghdr* put_header(char* buf, std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
  std::memset(buf, 0, kRequestBufferSize);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  nlh->nlmsg_seq = seq;
  return nlh;
}

Status bad_attr(const char* msg, const char* attr) {
  return Status::error(std::string(msg) + ": malformed attribute " + attr, EBADMSG);
}

// Collects attributes by type after validating those we use. Unknown types
// (newer kernels) are skipped; a known one with a bad length fails the
// whole message, since we would otherwise read garbage.
struct AttrTable {
  const nlattr* tb[64] = {};
  const char* bad = nullptr;
};

struct AttrSpec {
  std::uint16_t type;
  mnl_attr_data_type data;
  const char* name;
};

template <std::size_t N>
int collect(const nlattr* attr, AttrTable* t, const AttrSpec (&specs)[N]) {
  std::uint16_t type = mnl_attr_get_type(attr);
  for (const auto& spec : specs) {
    if (spec.type == type) {
      if (mnl_attr_validate(attr, spec.data) < 0) {
        t->bad = spec.name;
        return MNL_CB_ERROR;
      }
      if (type < std::size(t->tb)) {
        t->tb[type] = attr;
      }
      return MNL_CB_OK;
    }
  }
  return MNL_CB_OK;
}

constexpr AttrSpec kLinkAttrs[] = {
    {IFLA_IFNAME, MNL_TYPE_NUL_STRING, "IFLA_IFNAME"},
    {IFLA_MTU, MNL_TYPE_U32, "IFLA_MTU"},
    {IFLA_OPERSTATE, MNL_TYPE_U8, "IFLA_OPERSTATE"},
    {IFLA_LINKINFO, MNL_TYPE_NESTED, "IFLA_LINKINFO"},
    {IFLA_LINK, MNL_TYPE_U32, "IFLA_LINK"},
    {IFLA_LINK_NETNSID, MNL_TYPE_U32, "IFLA_LINK_NETNSID"},  // s32
    {IFLA_XDP, MNL_TYPE_NESTED, "IFLA_XDP"},
    {IFLA_TARGET_NETNSID, MNL_TYPE_U32, "IFLA_TARGET_NETNSID"},  // s32
    {IFLA_ADDRESS, MNL_TYPE_UNSPEC, "IFLA_ADDRESS"},             // length per link type
};
constexpr AttrSpec kXdpAttrs[] = {
    {IFLA_XDP_ATTACHED, MNL_TYPE_U8, "IFLA_XDP_ATTACHED"},
    {IFLA_XDP_PROG_ID, MNL_TYPE_U32, "IFLA_XDP_PROG_ID"},
    {IFLA_XDP_DRV_PROG_ID, MNL_TYPE_U32, "IFLA_XDP_DRV_PROG_ID"},
    {IFLA_XDP_SKB_PROG_ID, MNL_TYPE_U32, "IFLA_XDP_SKB_PROG_ID"},
    {IFLA_XDP_HW_PROG_ID, MNL_TYPE_U32, "IFLA_XDP_HW_PROG_ID"},
};
constexpr AttrSpec kLinkInfoAttrs[] = {
    {IFLA_INFO_KIND, MNL_TYPE_NUL_STRING, "IFLA_INFO_KIND"},
    {IFLA_INFO_DATA, MNL_TYPE_NESTED, "IFLA_INFO_DATA"},
};
constexpr AttrSpec kVxlanAttrs[] = {
    {IFLA_VXLAN_COLLECT_METADATA, MNL_TYPE_U8, "IFLA_VXLAN_COLLECT_METADATA"},
    {IFLA_VXLAN_PORT, MNL_TYPE_U16, "IFLA_VXLAN_PORT"},  // big-endian
};
constexpr AttrSpec kRouteAttrs[] = {
    {RTA_OIF, MNL_TYPE_U32, "RTA_OIF"},
    {RTA_GATEWAY, MNL_TYPE_U32, "RTA_GATEWAY"},
    {RTA_PREFSRC, MNL_TYPE_U32, "RTA_PREFSRC"},
    {RTA_MULTIPATH, MNL_TYPE_UNSPEC, "RTA_MULTIPATH"},  // only its presence is read
    {RTA_VIA, MNL_TYPE_UNSPEC, "RTA_VIA"},              // only its presence is read
    {RTA_DST, MNL_TYPE_U32, "RTA_DST"},
    {RTA_TABLE, MNL_TYPE_U32, "RTA_TABLE"},
};
constexpr AttrSpec kRuleAttrs[] = {
    {FRA_PRIORITY, MNL_TYPE_U32, "FRA_PRIORITY"},
    {FRA_TABLE, MNL_TYPE_U32, "FRA_TABLE"},
};
// What a rule reports besides priority, table and protocol: a selector
// (the kernel sends each only when it is set), but for the two suppressors,
// sent always, -1 when unset.
bool is_rule_selector(const nlattr* attr) {
  switch (mnl_attr_get_type(attr)) {
    case FRA_UNSPEC:
    case FRA_PRIORITY:
    case FRA_TABLE:
    case FRA_PROTOCOL:
      return false;
    case FRA_SUPPRESS_PREFIXLEN:
    case FRA_SUPPRESS_IFGROUP:
      return mnl_attr_validate(attr, MNL_TYPE_U32) < 0 || mnl_attr_get_u32(attr) != ~0u;
    default:
      return true;
  }
}
constexpr AttrSpec kNeighAttrs[] = {
    {NDA_DST, MNL_TYPE_U32, "NDA_DST"},
    {NDA_LLADDR, MNL_TYPE_UNSPEC, "NDA_LLADDR"},  // length per link type
};

int link_attr_cb(const nlattr* attr, void* data) {
  return collect(attr, static_cast<AttrTable*>(data), kLinkAttrs);
}
int link_info_attr_cb(const nlattr* attr, void* data) {
  return collect(attr, static_cast<AttrTable*>(data), kLinkInfoAttrs);
}
int vxlan_attr_cb(const nlattr* attr, void* data) {
  return collect(attr, static_cast<AttrTable*>(data), kVxlanAttrs);
}
int xdp_attr_cb(const nlattr* attr, void* data) {
  return collect(attr, static_cast<AttrTable*>(data), kXdpAttrs);
}
int route_attr_cb(const nlattr* attr, void* data) {
  return collect(attr, static_cast<AttrTable*>(data), kRouteAttrs);
}
int rule_attr_cb(const nlattr* attr, void* data) {
  auto* t = static_cast<AttrTable*>(data);
  if (is_rule_selector(attr)) {
    t->tb[0] = attr;  // slot 0 (FRA_UNSPEC): "some selector was there"
    return MNL_CB_OK;
  }
  return collect(attr, t, kRuleAttrs);
}
int neigh_attr_cb(const nlattr* attr, void* data) {
  return collect(attr, static_cast<AttrTable*>(data), kNeighAttrs);
}

Ipv4 ipv4_attr(const nlattr* attr) { return Ipv4{ntohl(mnl_attr_get_u32(attr))}; }

// A link-layer address attribute as a MAC: only when it has Ethernet's length.
std::optional<Mac> mac_attr(const nlattr* attr) {
  if (attr == nullptr || mnl_attr_get_payload_len(attr) != sizeof(Mac::bytes)) {
    return std::nullopt;
  }
  Mac mac;
  std::memcpy(mac.bytes.data(), mnl_attr_get_payload(attr), mac.bytes.size());
  return mac;
}

// A link message's header: nlmsghdr + ifinfomsg (AF_UNSPEC) for `ifindex`
// (0: none, e.g. a dump or a lookup by name).
nlmsghdr* put_link_header(char* buf, std::uint16_t type, std::uint16_t flags, std::uint32_t seq,
                          std::uint32_t ifindex, ifinfomsg** ifm_out = nullptr) {
  nlmsghdr* nlh = put_header(buf, type, flags, seq);
  auto* ifm = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifm->ifi_family = AF_UNSPEC;
  ifm->ifi_index = static_cast<int>(ifindex);
  if (ifm_out != nullptr) {
    *ifm_out = ifm;
  }
  return nlh;
}

}  // namespace

nlmsghdr* build_link_dump(char* buf, std::uint32_t seq) {
  return put_link_header(buf, RTM_GETLINK, NLM_F_DUMP, seq, 0);
}

nlmsghdr* build_link_get(char* buf, std::uint32_t seq, std::uint32_t ifindex,
                         std::optional<std::int32_t> target_nsid) {
  nlmsghdr* nlh = put_link_header(buf, RTM_GETLINK, 0, seq, ifindex);
  if (target_nsid) {
    mnl_attr_put_u32(nlh, IFLA_TARGET_NETNSID, static_cast<std::uint32_t>(*target_nsid));
  }
  return nlh;
}

nlmsghdr* build_link_get_by_name(char* buf, std::uint32_t seq, const std::string& name) {
  nlmsghdr* nlh = put_link_header(buf, RTM_GETLINK, 0, seq, 0);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  return nlh;
}

nlmsghdr* build_vxlan_external_new(char* buf, std::uint32_t seq, const std::string& name,
                                   std::uint16_t port) {
  nlmsghdr* nlh = put_link_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, seq, 0);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u8(nlh, IFLA_VXLAN_COLLECT_METADATA, 1);
  mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
  mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(port));
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return nlh;
}

nlmsghdr* build_link_no_ipv6_addr(char* buf, std::uint32_t seq, std::uint32_t ifindex) {
  nlmsghdr* nlh = put_link_header(buf, RTM_NEWLINK, 0, seq, ifindex);
  nlattr* af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  nlattr* inet6 = mnl_attr_nest_start(nlh, AF_INET6);
  mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  mnl_attr_nest_end(nlh, inet6);
  mnl_attr_nest_end(nlh, af);
  return nlh;
}

nlmsghdr* build_link_set_up(char* buf, std::uint32_t seq, std::uint32_t ifindex) {
  ifinfomsg* ifm = nullptr;
  nlmsghdr* nlh = put_link_header(buf, RTM_NEWLINK, 0, seq, ifindex, &ifm);
  ifm->ifi_flags = IFF_UP;
  ifm->ifi_change = IFF_UP;
  return nlh;
}

nlmsghdr* build_link_del(char* buf, std::uint32_t seq, std::uint32_t ifindex) {
  return put_link_header(buf, RTM_DELLINK, 0, seq, ifindex);
}

nlmsghdr* build_route_get(char* buf, std::uint32_t seq, Ipv4 dst, bool fib_match) {
  nlmsghdr* nlh = put_header(buf, RTM_GETROUTE, 0, seq);
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  rtm->rtm_dst_len = 32;
  if (fib_match) {
    rtm->rtm_flags = RTM_F_FIB_MATCH;
  }
  mnl_attr_put_u32(nlh, RTA_DST, dst.be());
  return nlh;
}

nlmsghdr* build_neigh_dump(char* buf, std::uint32_t seq) {
  nlmsghdr* nlh = put_header(buf, RTM_GETNEIGH, NLM_F_DUMP, seq);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET;
  return nlh;
}

nlmsghdr* build_rule_dump(char* buf, std::uint32_t seq) {
  nlmsghdr* nlh = put_header(buf, RTM_GETRULE, NLM_F_DUMP, seq);
  auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
  frh->family = AF_INET;
  return nlh;
}

bool is_default_rule(const RuleInfo& rule) {
  if (rule.selectors || rule.action != FR_ACT_TO_TBL) {
    return false;
  }
  return (rule.priority == 0 && rule.table == RT_TABLE_LOCAL) ||
         (rule.priority == 32766 && rule.table == RT_TABLE_MAIN) ||
         (rule.priority == 32767 && rule.table == RT_TABLE_DEFAULT);
}

nlmsghdr* build_neigh_use(char* buf, std::uint32_t seq, std::uint32_t ifindex, Ipv4 addr) {
  // CREATE: the entry may not exist yet. REPLACE: keep the kernel from
  // treating an existing entry as a conflict. The state is ignored with
  // NTF_USE (the kernel runs neigh_event_send instead of an update).
  nlmsghdr* nlh = put_header(buf, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, seq);
  auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
  ndm->ndm_family = AF_INET;
  ndm->ndm_ifindex = static_cast<int>(ifindex);
  ndm->ndm_state = NUD_NONE;
  ndm->ndm_flags = NTF_USE;
  mnl_attr_put_u32(nlh, NDA_DST, addr.be());
  return nlh;
}

bool is_ethernet(const LinkInfo& link) { return link.hw_type == ARPHRD_ETHER; }

bool has_native_xdp(const LinkInfo& link) {
  if (link.xdp_attached == XDP_ATTACHED_DRV) {
    return true;
  }
  return link.xdp_attached == XDP_ATTACHED_MULTI && link.xdp_drv_prog_id != 0;
}

Result<LinkInfo> parse_link(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) {
    return Status::error("link message: unexpected type " + std::to_string(nlh->nlmsg_type),
                         EBADMSG);
  }
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) {
    return Status::error("link message: truncated header", EBADMSG);
  }
  const auto* ifm = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  AttrTable t;
  if (mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, &t) < 0) {
    return bad_attr("link message", t.bad ? t.bad : "(attribute stream)");
  }
  LinkInfo link;
  link.ifindex = static_cast<std::uint32_t>(ifm->ifi_index);
  link.flags = ifm->ifi_flags;
  link.hw_type = ifm->ifi_type;
  if (t.tb[IFLA_IFNAME] == nullptr) {
    return Status::error("link message for ifindex " + std::to_string(link.ifindex) +
                             ": no IFLA_IFNAME",
                         EBADMSG);
  }
  link.name = mnl_attr_get_str(t.tb[IFLA_IFNAME]);
  if (t.tb[IFLA_MTU] != nullptr) {
    link.mtu = mnl_attr_get_u32(t.tb[IFLA_MTU]);
  }
  if (t.tb[IFLA_OPERSTATE] != nullptr) {
    link.operstate = mnl_attr_get_u8(t.tb[IFLA_OPERSTATE]);
  }
  if (t.tb[IFLA_LINKINFO] != nullptr) {
    AttrTable info;
    if (mnl_attr_parse_nested(t.tb[IFLA_LINKINFO], link_info_attr_cb, &info) < 0) {
      return bad_attr(("link " + link.name).c_str(), info.bad ? info.bad : "IFLA_LINKINFO");
    }
    if (info.tb[IFLA_INFO_KIND] != nullptr) {
      link.kind = mnl_attr_get_str(info.tb[IFLA_INFO_KIND]);
    }
    if (link.kind == "vxlan" && info.tb[IFLA_INFO_DATA] != nullptr) {
      AttrTable vx;
      if (mnl_attr_parse_nested(info.tb[IFLA_INFO_DATA], vxlan_attr_cb, &vx) < 0) {
        return bad_attr(("link " + link.name).c_str(), vx.bad ? vx.bad : "IFLA_INFO_DATA");
      }
      if (vx.tb[IFLA_VXLAN_COLLECT_METADATA] != nullptr) {
        link.vxlan_external = mnl_attr_get_u8(vx.tb[IFLA_VXLAN_COLLECT_METADATA]) != 0;
      }
      if (vx.tb[IFLA_VXLAN_PORT] != nullptr) {
        link.vxlan_port = ntohs(mnl_attr_get_u16(vx.tb[IFLA_VXLAN_PORT]));
      }
    }
  }
  if (t.tb[IFLA_LINK] != nullptr) {
    link.link_ifindex = mnl_attr_get_u32(t.tb[IFLA_LINK]);
  }
  link.address = mac_attr(t.tb[IFLA_ADDRESS]);
  if (t.tb[IFLA_LINK_NETNSID] != nullptr) {
    link.link_netnsid = static_cast<std::int32_t>(mnl_attr_get_u32(t.tb[IFLA_LINK_NETNSID]));
  }
  if (t.tb[IFLA_TARGET_NETNSID] != nullptr) {
    link.target_netnsid = static_cast<std::int32_t>(mnl_attr_get_u32(t.tb[IFLA_TARGET_NETNSID]));
  }
  if (t.tb[IFLA_XDP] != nullptr) {
    AttrTable xdp;
    if (mnl_attr_parse_nested(t.tb[IFLA_XDP], xdp_attr_cb, &xdp) < 0) {
      return bad_attr(("link " + link.name).c_str(), xdp.bad ? xdp.bad : "IFLA_XDP");
    }
    if (xdp.tb[IFLA_XDP_ATTACHED] != nullptr) {
      link.xdp_attached = mnl_attr_get_u8(xdp.tb[IFLA_XDP_ATTACHED]);
    }
    if (xdp.tb[IFLA_XDP_DRV_PROG_ID] != nullptr) {
      link.xdp_drv_prog_id = mnl_attr_get_u32(xdp.tb[IFLA_XDP_DRV_PROG_ID]);
    } else if (link.xdp_attached == XDP_ATTACHED_DRV && xdp.tb[IFLA_XDP_PROG_ID] != nullptr) {
      link.xdp_drv_prog_id = mnl_attr_get_u32(xdp.tb[IFLA_XDP_PROG_ID]);
    }
  }
  return link;
}

Result<RouteInfo> parse_route(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE) {
    return Status::error("route message: unexpected type " + std::to_string(nlh->nlmsg_type),
                         EBADMSG);
  }
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) {
    return Status::error("route message: truncated header", EBADMSG);
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  if (rtm->rtm_family != AF_INET) {
    return Status::error("route message: not IPv4", EAFNOSUPPORT);
  }
  AttrTable t;
  if (mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, &t) < 0) {
    return bad_attr("route message", t.bad ? t.bad : "(attribute stream)");
  }
  RouteInfo r;
  r.type = rtm->rtm_type;
  if (t.tb[RTA_OIF] != nullptr) {
    r.oif = mnl_attr_get_u32(t.tb[RTA_OIF]);
  }
  if (t.tb[RTA_GATEWAY] != nullptr) {
    r.gateway = ipv4_attr(t.tb[RTA_GATEWAY]);
  }
  if (t.tb[RTA_PREFSRC] != nullptr) {
    r.prefsrc = ipv4_attr(t.tb[RTA_PREFSRC]);
  }
  r.multipath = t.tb[RTA_MULTIPATH] != nullptr;
  r.via = t.tb[RTA_VIA] != nullptr;
  if (rtm->rtm_dst_len > 32) {
    return Status::error("route message: prefix length " + std::to_string(rtm->rtm_dst_len),
                         EBADMSG);
  }
  r.dst.len = rtm->rtm_dst_len;
  if (t.tb[RTA_DST] != nullptr) {
    r.dst.addr = Ipv4{ipv4_attr(t.tb[RTA_DST]).value & r.dst.mask()};
  }
  r.table = t.tb[RTA_TABLE] != nullptr ? mnl_attr_get_u32(t.tb[RTA_TABLE]) : rtm->rtm_table;
  return r;
}

Result<std::optional<RuleInfo>> parse_rule(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWRULE && nlh->nlmsg_type != RTM_DELRULE) {
    return Status::error("rule message: unexpected type " + std::to_string(nlh->nlmsg_type),
                         EBADMSG);
  }
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(fib_rule_hdr)) {
    return Status::error("rule message: truncated header", EBADMSG);
  }
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  if (frh->family != AF_INET) {
    return std::optional<RuleInfo>();
  }
  AttrTable t;
  if (mnl_attr_parse(nlh, sizeof(*frh), rule_attr_cb, &t) < 0) {
    return bad_attr("rule message", t.bad ? t.bad : "(attribute stream)");
  }
  RuleInfo r;
  r.priority = t.tb[FRA_PRIORITY] != nullptr ? mnl_attr_get_u32(t.tb[FRA_PRIORITY]) : 0;
  r.table = t.tb[FRA_TABLE] != nullptr ? mnl_attr_get_u32(t.tb[FRA_TABLE]) : frh->table;
  r.action = frh->action;
  r.selectors = t.tb[0] != nullptr || frh->dst_len != 0 || frh->src_len != 0 || frh->tos != 0 ||
                (frh->flags & FIB_RULE_INVERT) != 0;
  return std::optional<RuleInfo>(r);
}

Result<std::optional<NeighInfo>> parse_neigh(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) {
    return Status::error("neighbour message: unexpected type " + std::to_string(nlh->nlmsg_type),
                         EBADMSG);
  }
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ndmsg)) {
    return Status::error("neighbour message: truncated header", EBADMSG);
  }
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ndm->ndm_family != AF_INET) {
    return std::optional<NeighInfo>();
  }
  AttrTable t;
  if (mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, &t) < 0) {
    return bad_attr("neighbour message", t.bad ? t.bad : "(attribute stream)");
  }
  if (t.tb[NDA_DST] == nullptr) {
    return Status::error("neighbour message: no NDA_DST", EBADMSG);
  }
  NeighInfo n;
  n.ifindex = static_cast<std::uint32_t>(ndm->ndm_ifindex);
  n.state = ndm->ndm_state;
  n.flags = ndm->ndm_flags;
  n.dst = ipv4_attr(t.tb[NDA_DST]);
  n.lladdr = mac_attr(t.tb[NDA_LLADDR]);
  return std::optional<NeighInfo>(n);
}

}  // namespace vnet::netlink

#include "util/drop_reasons.h"

#include <iterator>

namespace vnet {
namespace {

struct ReasonName {
  vnet_drop_reason reason;
  std::string_view name;
};

// Indexed by reason: the table pairs each name with its enumerator so a
// reordering of the enum cannot silently shift the names (checked below).
constexpr ReasonName kReasons[] = {
    {VNET_DROP_NONE, "none"},
    {VNET_DROP_MALFORMED, "malformed"},
    {VNET_DROP_NO_PORT, "no_port"},
    {VNET_DROP_SPOOF_MAC, "spoof_mac"},
    {VNET_DROP_SPOOF_IP, "spoof_ip"},
    {VNET_DROP_SPOOF_ARP, "spoof_arp"},
    {VNET_DROP_ETHERTYPE, "ethertype"},
    {VNET_DROP_UNKNOWN_UNICAST, "unknown_unicast"},
    {VNET_DROP_UNKNOWN_VTEP, "unknown_vtep"},
    {VNET_DROP_UNKNOWN_VNI, "unknown_vni"},
    {VNET_DROP_FOREIGN_SOURCE, "foreign_source"},
    {VNET_DROP_VXLAN_FLAGS, "vxlan_flags"},
    {VNET_DROP_OUTER_FRAGMENT, "outer_fragment"},
    {VNET_DROP_FRAG_NEEDED, "frag_needed"},
    {VNET_DROP_TOO_BIG, "too_big"},
    {VNET_DROP_NO_ROUTE_VTEP, "no_route_vtep"},
    {VNET_DROP_NOT_LOCAL, "not_local"},
    {VNET_DROP_HAIRPIN, "hairpin"},
    {VNET_DROP_FLOOD_LIMIT, "flood_limit"},
    {VNET_DROP_NOT_OUR_VTEP, "not_our_vtep"},
    {VNET_DROP_NO_ROUTE, "no_route"},
    {VNET_DROP_TTL_EXCEEDED, "ttl_exceeded"},
    {VNET_DROP_HOST_UNREACHABLE, "host_unreachable"},
    {VNET_DROP_ROUTER_LOCAL, "router_local"},
    {VNET_DROP_NOT_UNDERLAY, "not_underlay"},
    {VNET_DROP_POLICY_EGRESS, "policy_egress"},
    {VNET_DROP_POLICY_INGRESS, "policy_ingress"},
    {VNET_DROP_POLICY_FRAGMENT, "policy_fragment"},
    {VNET_DROP_POLICY_REVOKED, "policy_revoked"},
    {VNET_DROP_ERROR, "error"},
};

static_assert(std::size(kReasons) == VNET_DROP_MAX,
              "every vnet_drop_reason needs a name in drop_reasons.cc");

constexpr bool indexed_by_reason() {
  for (std::size_t i = 0; i < std::size(kReasons); ++i) {
    if (static_cast<std::size_t>(kReasons[i].reason) != i) {
      return false;
    }
  }
  return true;
}
static_assert(indexed_by_reason(), "kReasons must follow the order of enum vnet_drop_reason");

}  // namespace

std::string_view drop_reason_name(std::uint32_t reason) {
  if (reason >= std::size(kReasons)) {
    return "unknown";
  }
  return kReasons[reason].name;
}

std::optional<vnet_drop_reason> drop_reason_from_name(std::string_view name) {
  for (const auto& r : kReasons) {
    if (r.name == name) {
      return r.reason;
    }
  }
  return std::nullopt;
}

}  // namespace vnet

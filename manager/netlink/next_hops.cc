#include "netlink/next_hops.h"

#include <linux/neighbour.h>

#include <cstring>
#include <utility>

namespace vnet::netlink {
namespace {

// The kernel's NUD_VALID (include/net/neighbour.h, not in the uapi): the
// states in which it sends to the entry's address, and bpf_fib_lookup
// returns it.
constexpr std::uint16_t kValidStates =
    NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;

}  // namespace

std::optional<Mac> usable_mac(const NeighInfo& n) {
  if (!(n.state & kValidStates) || !n.lladdr || n.lladdr->is_zero() || n.lladdr->is_multicast()) {
    return std::nullopt;
  }
  return n.lladdr;
}

std::vector<Ipv4> NextHopTable::replace(std::map<Ipv4, NextHop> fresh) {
  std::vector<Ipv4> changed;
  auto old = hops_.begin();
  auto now = fresh.begin();
  // Both maps are ordered by VTEP: one merge finds what differs.
  while (old != hops_.end() || now != fresh.end()) {
    if (now == fresh.end() || (old != hops_.end() && old->first < now->first)) {
      changed.push_back(old->first);
      ++old;
    } else if (old == hops_.end() || now->first < old->first) {
      changed.push_back(now->first);
      ++now;
    } else {
      if (!(old->second == now->second)) {
        changed.push_back(now->first);
      }
      ++old;
      ++now;
    }
  }
  hops_ = std::move(fresh);
  return changed;
}

std::vector<Ipv4> NextHopTable::apply(const NeighInfo& n, bool deleted) {
  const std::optional<Mac> mac = deleted ? std::nullopt : usable_mac(n);
  std::vector<Ipv4> changed;
  for (auto& [vtep, hop] : hops_) {
    if (hop.ifindex == n.ifindex && hop.via == n.dst && hop.mac != mac) {
      hop.mac = mac;
      changed.push_back(vtep);
    }
  }
  return changed;
}

std::vector<Ipv4> NextHopTable::forget(const Ipv4Prefix& prefix) {
  std::vector<Ipv4> gone;
  for (auto it = hops_.begin(); it != hops_.end();) {
    if (prefix.contains(it->first)) {
      gone.push_back(it->first);
      it = hops_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::vector<Ipv4> NextHopTable::forget_all() {
  std::vector<Ipv4> gone;
  gone.reserve(hops_.size());
  for (const auto& [vtep, hop] : hops_) {
    gone.push_back(vtep);
  }
  hops_.clear();
  return gone;
}

const NextHop* NextHopTable::find(Ipv4 vtep) const {
  auto it = hops_.find(vtep);
  return it == hops_.end() ? nullptr : &it->second;
}

vnet_vtep vtep_value(const NextHop* hop, const LinkInfo* underlay) {
  vnet_vtep v;
  std::memset(&v, 0, sizeof(v));
  if (hop == nullptr || !hop->mac || underlay == nullptr || hop->ifindex != underlay->ifindex ||
      !underlay->address) {
    return v;
  }
  v.flags = VNET_VTEP_F_NEXT_HOP;
  v.ifindex = hop->ifindex;
  std::memcpy(v.dmac, hop->mac->bytes.data(), sizeof(v.dmac));
  std::memcpy(v.smac, underlay->address->bytes.data(), sizeof(v.smac));
  return v;
}

}  // namespace vnet::netlink

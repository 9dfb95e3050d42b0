#include "netlink/neighbours.h"

#include <linux/fib_rules.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>

#include "netlink/messages.h"

namespace vnet::netlink {
namespace {

// States in which bpf_fib_lookup already finds a usable MAC and the kernel
// keeps the entry fresh by itself. STALE is usable too but is refreshed
// (NTF_USE moves it to DELAY/PROBE) so it is confirmed before GC reaps it.
constexpr std::uint16_t kNoActionStates = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE |
                                          NUD_DELAY | NUD_PROBE;

}  // namespace

Result<NeighbourKeeper> NeighbourKeeper::open() {
  auto s = Socket::open();
  if (!s) {
    return s.status().with_context("neighbour socket");
  }
  auto events =
      Socket::open(RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV4_RULE, /*nonblocking=*/true);
  if (!events) {
    return events.status().with_context("neighbour notification socket");
  }
  // Nexthop objects (ip nexthop) change routes without route messages; the
  // group is beyond the bind() mask. Kernels without it have no such objects.
  if (Status j = events->join_group(RTNLGRP_NEXTHOP); !j && j.err() != EINVAL) {
    return j.with_context("neighbour notification socket");
  }
  return NeighbourKeeper(std::move(*s), std::move(*events));
}

NeighbourEvents NeighbourKeeper::read_events() {
  NeighbourEvents ev;
  Status s = events_.drain([&](const nlmsghdr* nlh) {
    switch (nlh->nlmsg_type) {
      case RTM_NEWROUTE:
      case RTM_DELROUTE: {
        auto r = parse_route(nlh);
        if (!r) {
          // Another family (EAFNOSUPPORT) is not ours; a bad message is.
          ev.everything |= r.status().err() != EAFNOSUPPORT;
        } else if (r->table == RT_TABLE_LOCAL || r->table == RT_TABLE_MAIN ||
                   r->table == RT_TABLE_DEFAULT) {
          ev.routes.push_back(r->dst);
        }
        return Status::ok();
      }
      case RTM_NEWRULE:
      case RTM_DELRULE:
      case RTM_NEWNEXTHOP:
      case RTM_DELNEXTHOP:
        ev.everything = true;
        return Status::ok();
      default:
        break;
    }
    if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH) {
      return Status::ok();
    }
    auto n = parse_neigh(nlh);
    if (!n) {
      ev.everything = true;  // unreadable: the pass asks the kernel instead
    } else if (n->has_value()) {
      ev.neighbours.emplace_back(**n, nlh->nlmsg_type == RTM_DELNEIGH);
    }
    return Status::ok();
  });
  if (!s) {
    // ENOBUFS: lost notifications. What is still queued predates them.
    events_.discard();
    ev.everything = true;
  }
  return ev;
}

Result<NeighbourPass> NeighbourKeeper::keep(const std::vector<Ipv4>& vteps) {
  NeighbourPass pass;
  if (vteps.empty()) {
    return pass;
  }
  // One dump per pass instead of a lookup per VTEP.
  std::map<std::pair<std::uint32_t, Ipv4>, NeighInfo> table;
  char buf[kRequestBufferSize];
  Status s = sock_.request(build_neigh_dump(buf, sock_.next_seq()), [&](const nlmsghdr* nlh) {
    auto n = parse_neigh(nlh);
    if (!n) {
      return n.status();
    }
    if (n->has_value()) {
      table[{(*n)->ifindex, (*n)->dst}] = **n;
    }
    return Status::ok();
  });
  // An interrupted dump (EAGAIN) may lack entries: those VTEPs are only
  // resolved again below, which is harmless, so it is used as it is.
  if (!s && s.err() != EAGAIN) {
    return s.with_context("dump neighbours");
  }
  // Policy routing: no next hop is kept (an interrupted dump counts as it).
  Status rules = sock_.request(build_rule_dump(buf, sock_.next_seq()), [&](const nlmsghdr* nlh) {
    auto r = parse_rule(nlh);
    if (!r) {
      return r.status();
    }
    if (r->has_value() && !is_default_rule(**r)) {
      pass.policy_routing = true;
    }
    return Status::ok();
  });
  // A kernel without policy routing (no rules at all) routes by destination.
  if (!rules && rules.err() != EOPNOTSUPP && rules.err() != EAFNOSUPPORT) {
    pass.policy_routing = true;
  }

  const auto route_get = [&](Ipv4 vtep, bool fib_match, std::optional<RouteInfo>* route) {
    return sock_.request(build_route_get(buf, sock_.next_seq(), vtep, fib_match),
                         [&](const nlmsghdr* nlh) {
                           auto r = parse_route(nlh);
                           if (!r) {
                             return r.status();
                           }
                           *route = *r;
                           return Status::ok();
                         });
  };
  for (const Ipv4& vtep : vteps) {
    // The FIB entry first: one path (RTA_OIF) is the common case and the
    // answer. An ECMP entry has none: the path the kernel would choose now
    // is asked for to keep its neighbour, and the XDP path asks the FIB.
    std::optional<RouteInfo> route;
    Status rs = route_get(vtep, /*fib_match=*/true, &route);
    bool single_path = rs && route && route->oif != 0 && !route->multipath && !route->via;
    if (rs && route && route->type == RTN_UNICAST && !single_path) {
      route.reset();
      rs = route_get(vtep, /*fib_match=*/false, &route);
    }
    if (!rs || !route) {
      // The kernel's answer (ENETUNREACH, EHOSTUNREACH, ...) says it all.
      pass.problems.push_back(
          {vtep, "no route to VTEP " + vtep.str() + ": " +
                     (rs ? std::string("empty reply")
                         : rs.err() != 0 ? std::string(std::strerror(rs.err())) : rs.message())});
      continue;
    }
    if (route->type == RTN_LOCAL) {
      pass.problems.push_back({vtep, "VTEP " + vtep.str() + " is an address of this host"});
      continue;
    }
    if (route->type != RTN_UNICAST || route->oif == 0) {
      pass.problems.push_back({vtep, "no unicast route to VTEP " + vtep.str() + " (route type " +
                                         std::to_string(route->type) + ")"});
      continue;
    }
    if (route->via) {
      // An IPv6 gateway: the kernel resolves it over IPv6 neighbour
      // discovery itself; there is no IPv4 neighbour to keep.
      ++pass.resolved;
      continue;
    }
    const Ipv4 next_hop = route->gateway.value_or(vtep);
    auto it = table.find({route->oif, next_hop});
    if (single_path && !pass.policy_routing) {
      pass.next_hops[vtep] = NextHop{.ifindex = route->oif,
                                     .via = next_hop,
                                     .mac = it != table.end() ? usable_mac(it->second) : std::nullopt};
    }
    if (it != table.end() && (it->second.state & kNoActionStates)) {
      ++pass.resolved;
      continue;
    }
    Status us = sock_.request(build_neigh_use(buf, sock_.next_seq(), route->oif, next_hop),
                              [](const nlmsghdr*) { return Status::ok(); });
    if (!us) {
      pass.problems.push_back({vtep, "resolve next hop " + next_hop.str() + " of VTEP " +
                                         vtep.str() + ": " + us.message()});
      continue;
    }
    ++pass.triggered;
    if (it != table.end() && (it->second.state & NUD_FAILED)) {
      // Still worth a retry (done above), but tell the operator why flood
      // copies to this VTEP are being dropped.
      pass.problems.push_back({vtep, "next hop " + next_hop.str() + " of VTEP " + vtep.str() +
                                         " does not answer ARP"});
    }
  }
  return pass;
}

}  // namespace vnet::netlink

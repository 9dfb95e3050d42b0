#include "netlink/neighbours.h"

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
  return NeighbourKeeper(std::move(*s));
}

Result<NeighbourPass> NeighbourKeeper::keep(const std::vector<Ipv4>& vteps) {
  NeighbourPass pass;
  if (vteps.empty()) {
    return pass;
  }
  // One dump per pass instead of a lookup per VTEP.
  std::map<std::pair<std::uint32_t, Ipv4>, std::uint16_t> table;
  char buf[kRequestBufferSize];
  Status s = sock_.request(build_neigh_dump(buf, sock_.next_seq()), [&](const nlmsghdr* nlh) {
    auto n = parse_neigh(nlh);
    if (!n) {
      return n.status();
    }
    if (n->has_value()) {
      table[{(*n)->ifindex, (*n)->dst}] = (*n)->state;
    }
    return Status::ok();
  });
  // An interrupted dump (EAGAIN) may lack entries: those VTEPs are only
  // resolved again below, which is harmless, so it is used as it is.
  if (!s && s.err() != EAGAIN) {
    return s.with_context("dump neighbours");
  }

  for (const Ipv4& vtep : vteps) {
    std::optional<RouteInfo> route;
    Status rs = sock_.request(build_route_get(buf, sock_.next_seq(), vtep),
                              [&](const nlmsghdr* nlh) {
                                auto r = parse_route(nlh);
                                if (!r) {
                                  return r.status();
                                }
                                route = *r;
                                return Status::ok();
                              });
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
    const Ipv4 next_hop = route->gateway.value_or(vtep);
    auto it = table.find({route->oif, next_hop});
    if (it != table.end() && (it->second & kNoActionStates)) {
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
    if (it != table.end() && (it->second & NUD_FAILED)) {
      // Still worth a retry (done above), but tell the operator why flood
      // copies to this VTEP are being dropped.
      pass.problems.push_back({vtep, "next hop " + next_hop.str() + " of VTEP " + vtep.str() +
                                         " does not answer ARP"});
    }
  }
  return pass;
}

}  // namespace vnet::netlink

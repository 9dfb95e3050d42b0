#pragma once
// Incremental compile: a generation that changes only endpoints (the usual
// store delta, such as one endpoint's new MAC) can change a host's plan only
// in the networks those endpoints were or are in. vnetd keeps a NetworkIndex
// next to the decoded topology and, for such a delta, rebuilds just those
// networks' share of the plan with recompile_networks() instead of
// compiling every endpoint of the topology again (~100k of them, for a
// change to one). The result is compile()'s exactly (tests/unit prove it on
// random deltas); the periodic full resync stays the safety net.

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compile/plan.h"
#include "store/store.h"
#include "topology/model.h"
#include "util/result.h"

namespace vnet::compile {

// The endpoints of each network, as positions in Topology::endpoints, so a
// network's endpoints are found without a pass over all of them. Keyed by
// the network an endpoint names, whether or not that network exists.
class NetworkIndex {
 public:
  NetworkIndex() = default;
  explicit NetworkIndex(const topology::Topology& topo);

  // Ascending positions of the endpoints of `network` (empty if none).
  const std::vector<std::uint32_t>& endpoints(std::string_view network) const;
  // How many endpoints the index describes.
  std::size_t size() const { return network_of_.size(); }

  // Follows the edit store::apply_delta() makes to the endpoint list
  // (replace in place, remove keeping the survivors' order, append), so the
  // index describes the target once `delta` has been applied to the state
  // it described. Returns every network whose endpoints changed: old and
  // new network of each modified, removed or added endpoint. A delta that
  // does not fit the index (another base) is an error and leaves it as it
  // was; the caller then rebuilds it from the topology.
  Result<std::set<std::string>> apply(const store::StateDelta& delta);

 private:
  std::uint32_t id_of(std::string_view network);

  // Transparent, so a lookup by string_view allocates nothing.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::unordered_map<std::string, std::uint32_t, NameHash, std::equal_to<>> ids_;  // name -> id
  std::vector<std::string> names_;                       // id -> network name
  std::vector<std::vector<std::uint32_t>> members_;      // id -> ascending positions
  std::vector<std::uint32_t> network_of_;                // position -> id
};

// The part of a plan recompile_networks() replaced, as it was and as it is
// now: the entries of the recompiled networks' VNIs (ports, fdb, neigh,
// remote_src, networks), each side sorted like a plan. Security groups add
// the policy entries that changed (old ones in `before`, new ones in
// `after`; entries both have are in neither) and the ports of other
// networks whose policy ids changed, with their local fdb entries (a
// membership change alters the policies of endpoints in the
// neighbourhood; compile/policy.h). Both carry the
// plan's host fields, its whole VTEP list (a network change can add or
// drop a VTEP) and, alike, the router interfaces on the networks of the
// ports they hold (unchanged, but a port carries its network's gateway
// from them), so bind_plan() of `before` and `after` yields every map key
// whose entry the change can have touched (reconcile::reconcile_change).
struct PlanChange {
  HostPlan before;
  HostPlan after;
};

// Brings `plan`, compiled for `host` from the previous generation, up to
// `topo` by recompiling only `networks` (by name). Preconditions: the
// previous generation and `topo` differ only in endpoints, and the old and
// the new network of every changed endpoint are in `networks` (what
// NetworkIndex::apply() returns); `index` describes `topo`. The plan is then
// equal to compile(topo, host).
//
// Refused (plan untouched, the caller compiles in full) when a recompiled
// network shares its VNI with a network outside `networks` present on this
// host, or one of its local ports shares an interface or endpoint id with a
// port outside them. A validated topology never does; the refusal keeps the
// change's map keys disjoint from the rest of the plan's. Also refused
// (EXDEV) when a recompiled network attached to a router arrives on or
// leaves the host: which routers are here, and so which networks the host
// holds for routing, would change. Otherwise a routed network's share (its
// endpoints, its routers' gateways on it) is keyed by its VNI like any.
Result<PlanChange> recompile_networks(const topology::Topology& topo, const std::string& host,
                                      const NetworkIndex& index,
                                      const std::set<std::string>& networks, HostPlan& plan);

}  // namespace vnet::compile

#pragma once
// Security groups -> the policy maps of a host (PlannedPolicyRemote,
// PlannedPolicyRule in compile/plan.h; vnet/abi.h describes the lookups).
//
// A policy is what one direction of a filtered local endpoint allows: the
// rules of that direction of all its groups. The remote side of a rule is
// its remote_cidr, or the addresses (ip/32 and allowed_addresses) of the
// members of its remote_group that live in the endpoint's neighbourhood:
// its own network and the networks a router attached to it attaches (so
// two tenants' overlapping address plans never mix); neither means any
// address. Every distinct remote prefix becomes a remote entry whose class
// is what the rules containing it allow together; the datapath's longest
// prefix match then yields exactly the rules whose remote contains an
// address, whatever their number.
//
// A policy's id is a hash of its content, so endpoints with the same
// content share it, an unchanged policy keeps its id across generations
// and a changed one gets a new id (the datapath's conntrack re-checks
// flows when the id changes). Distinct contents on one host always get
// distinct ids: collisions are resolved by probing in content order.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "compile/plan.h"
#include "net/addr.h"
#include "topology/model.h"

namespace vnet::compile {

struct PlanChange;

// A policy without its id: what the datapath's entries say. Canonical (a
// function of what the rules allow, classes numbered in the order of what
// they allow), so equal contents mean equal entries.
struct PolicyRemoteEntry {
  Ipv4Prefix prefix;
  std::uint32_t class_id = 0;
  auto operator<=>(const PolicyRemoteEntry&) const = default;
};

struct PolicyRuleEntry {
  std::uint32_t class_id = 0;
  std::optional<std::uint8_t> protocol;  // nullopt: any
  std::uint16_t port = 0;
  std::uint8_t port_bits = 0;
  auto operator<=>(const PolicyRuleEntry&) const = default;
};

struct PolicyContent {
  topology::Direction direction = topology::Direction::kIngress;
  std::vector<PolicyRemoteEntry> remotes;  // by prefix
  std::vector<PolicyRuleEntry> rules;      // by (class, protocol, port, bits)
  auto operator<=>(const PolicyContent&) const = default;
};

// The endpoints whose `network` field is `network`, as ascending positions
// in Topology::endpoints (NetworkIndex::endpoints() is one).
using NetworkEndpoints = std::function<const std::vector<std::uint32_t>&(std::string_view network)>;

// Compiles policy contents, caching per (groups, direction, neighbourhood):
// endpoints that share those share the work. Membership is read through
// `endpoints_of`, one neighbourhood network at a time, so the cost follows
// the endpoints asked about and their neighbourhoods, not the topology.
// Tolerates unvalidated topologies (unknown groups match nothing).
class PolicyCompiler {
 public:
  PolicyCompiler(const topology::Topology& topo, NetworkEndpoints endpoints_of);
  ~PolicyCompiler();
  PolicyCompiler(const PolicyCompiler&) = delete;
  PolicyCompiler& operator=(const PolicyCompiler&) = delete;

  // `ep`'s policy for `direction`; nullptr if it has no groups (unfiltered).
  // The pointer lives as long as the compiler.
  const PolicyContent* content(const topology::Endpoint& ep, topology::Direction direction);

  // The networks whose members can be remote_group peers of an endpoint of
  // `network` (the neighbourhood above), sorted.
  const std::vector<std::string_view>& neighbourhood(std::string_view network);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// FNV-1a of the content's canonical bytes (before probing; may be 0).
std::uint32_t policy_hash(const PolicyContent& content);

// Ids of distinct contents on one host: the hash, bumped past 0 and past
// ids already given, in content order (so the result depends only on the
// set). `contents` is sorted by content and unique.
std::vector<std::uint32_t> policy_ids(const std::vector<const PolicyContent*>& contents);

// The content of policy `id` as `plan` holds it (its entries, in `direction`).
PolicyContent planned_policy(const HostPlan& plan, std::uint32_t id, topology::Direction direction);

// Fills the policy part of `plan`, whose ports, fdb and networks are
// compiled: every port's policy ids, the local fdb entries' ids, and
// policy_remotes/policy_rules (sorted, unique). Local endpoints are found
// through `endpoints_of` on the plan's networks.
void compile_policies(const topology::Topology& topo, const NetworkEndpoints& endpoints_of,
                      HostPlan& plan);

// The policy part of recompile_networks(): `plan` holds the recompiled
// `networks`' fresh share (ports with policy 0), everything else as
// compiled before, including the old policy entries; `change` the replaced
// share. Brings the policy part to what compile_policies() gives and adds
// to `change` what it touched: the policy entries that differ (old ones in
// `before`, new ones in `after`), and ports outside `networks` whose ids
// changed with their local fdb entries (old and new values). Policies of
// other endpoints change when an endpoint of their neighbourhood joins,
// leaves or changes address; ids can also move when another content's
// probe does.
void recompile_policies(const topology::Topology& topo, const NetworkEndpoints& endpoints_of,
                        const std::set<std::string>& networks, HostPlan& plan, PlanChange& change);

// Exact per-host entry counts of the policy maps, for the validator: what
// compile_policies() would emit for each host. Shares one PolicyCompiler
// over all hosts (a policy's content does not depend on the host).
struct PolicyCounts {
  std::size_t remotes = 0;
  std::size_t rules = 0;
};
class PolicyCounter {
 public:
  PolicyCounter(const topology::Topology& topo, NetworkEndpoints endpoints_of);
  // The counts for a host whose local endpoints are `local` (positions in
  // Topology::endpoints).
  PolicyCounts count(const std::vector<std::uint32_t>& local);

 private:
  const topology::Topology& topo_;
  PolicyCompiler compiler_;
};

}  // namespace vnet::compile

#include "compile/policy.h"

#include <algorithm>
#include <deque>
#include <unordered_set>
#include <utility>

#include "compile/incremental.h"

namespace vnet::compile {

namespace {

using topology::Direction;
using topology::Endpoint;
using topology::Rule;
using topology::SecurityGroup;
using topology::Topology;

constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kIcmp = 1;

// What one rule allows, before classes: a protocol (nullopt: any) and the
// values of the 16-bit port field it accepts, all of them (`whole`, which
// also passes non-first fragments) or [lo, hi].
struct Allow {
  std::optional<std::uint8_t> protocol;
  bool whole = true;
  std::uint32_t lo = 0;
  std::uint32_t hi = 0xffff;
};

Allow allow_of(const Rule& rule) {
  Allow a{.protocol = rule.protocol};
  if (!rule.protocol) {
    return a;
  }
  const std::uint8_t p = *rule.protocol;
  if ((p == kTcp || p == kUdp) && rule.port_min) {
    a.whole = false;
    a.lo = *rule.port_min;
    a.hi = rule.port_max.value_or(*rule.port_min);
  } else if (p == kIcmp && rule.icmp_type) {
    a.whole = false;
    a.lo = std::uint32_t{*rule.icmp_type} << 8;
    a.hi = rule.icmp_code ? (a.lo | *rule.icmp_code) : (a.lo | 0xff);
    if (rule.icmp_code) {
      a.lo |= *rule.icmp_code;
    }
  }
  return a;
}

// The minimal prefix cover of [lo, hi] (16-bit values) as (value, bits).
void cover(std::uint32_t lo, std::uint32_t hi, std::uint8_t protocol,
           std::vector<PolicyRuleEntry>& out) {
  while (lo <= hi) {
    int size = 16;  // log2 of the block
    while (size > 0 && ((lo & ((1u << size) - 1)) != 0 || lo + (1u << size) - 1 > hi)) {
      --size;
    }
    out.push_back(PolicyRuleEntry{.protocol = protocol,
                                  .port = static_cast<std::uint16_t>(lo),
                                  .port_bits = static_cast<std::uint8_t>(16 - size)});
    lo += 1u << size;
  }
}

// What a set of rules allows together, as rule entries without a class:
// sorted, nothing subsumed, port ranges merged.
std::vector<PolicyRuleEntry> allowed_by(const std::vector<Allow>& allows,
                                        const std::vector<std::uint32_t>& rules) {
  std::vector<PolicyRuleEntry> out;
  struct PerProtocol {
    bool whole = false;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges;
  };
  std::map<std::uint8_t, PerProtocol> per;
  for (std::uint32_t r : rules) {
    const Allow& a = allows[r];
    if (!a.protocol) {
      return {PolicyRuleEntry{}};  // any protocol subsumes everything
    }
    PerProtocol& p = per[*a.protocol];
    if (a.whole) {
      p.whole = true;
    } else {
      p.ranges.emplace_back(a.lo, a.hi);
    }
  }
  for (auto& [protocol, p] : per) {
    if (p.whole) {
      out.push_back(PolicyRuleEntry{.protocol = protocol});
      continue;
    }
    std::sort(p.ranges.begin(), p.ranges.end());
    const std::size_t first = out.size();
    std::uint32_t lo = p.ranges.front().first;
    std::uint32_t hi = p.ranges.front().second;
    for (const auto& [a, b] : p.ranges) {
      if (a > hi + 1) {
        cover(lo, hi, protocol, out);
        lo = a;
        hi = b;
      } else {
        hi = std::max(hi, b);
      }
    }
    cover(lo, hi, protocol, out);
    // Ranges that happen to cover every value still need a port: a
    // non-first fragment (looked up without one) must not pass them.
    if (out.size() == first + 1 && out.back().port_bits == 0) {
      out.back().port_bits = 1;
      out.push_back(PolicyRuleEntry{.protocol = protocol, .port = 0x8000, .port_bits = 1});
    }
  }
  return out;
}

Ipv4Prefix normalised(Ipv4Prefix p) {
  p.addr.value &= p.mask();
  return p;
}

std::uint64_t prefix_key(const Ipv4Prefix& p) {
  return std::uint64_t{p.addr.value} << 6 | static_cast<std::uint64_t>(p.len);
}

struct Fnv {
  std::uint32_t h = 2166136261u;
  void byte(std::uint8_t b) {
    h ^= b;
    h *= 16777619u;
  }
  void u32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      byte(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
};

struct DerefLess {
  bool operator()(const PolicyContent* a, const PolicyContent* b) const { return *a < *b; }
};

auto remote_order(const PlannedPolicyRemote& r) { return std::tie(r.policy, r.prefix, r.class_id); }
auto rule_order(const PlannedPolicyRule& r) {
  return std::tie(r.policy, r.class_id, r.protocol, r.port, r.port_bits);
}
struct EntryLess {
  bool operator()(const PlannedPolicyRemote& a, const PlannedPolicyRemote& b) const {
    return remote_order(a) < remote_order(b);
  }
  bool operator()(const PlannedPolicyRule& a, const PlannedPolicyRule& b) const {
    return rule_order(a) < rule_order(b);
  }
};

// The entries of `ids[i]` = `contents[i]`, sorted.
void emit(const std::vector<const PolicyContent*>& contents, const std::vector<std::uint32_t>& ids,
          std::vector<PlannedPolicyRemote>& remotes, std::vector<PlannedPolicyRule>& rules) {
  remotes.clear();
  rules.clear();
  for (std::size_t i = 0; i < contents.size(); ++i) {
    for (const auto& r : contents[i]->remotes) {
      remotes.push_back(
          PlannedPolicyRemote{.policy = ids[i], .prefix = r.prefix, .class_id = r.class_id});
    }
    for (const auto& r : contents[i]->rules) {
      rules.push_back(PlannedPolicyRule{.policy = ids[i],
                                        .class_id = r.class_id,
                                        .protocol = r.protocol,
                                        .port = r.port,
                                        .port_bits = r.port_bits});
    }
  }
  std::sort(remotes.begin(), remotes.end(), EntryLess{});
  std::sort(rules.begin(), rules.end(), EntryLess{});
}

// Contents -> ids for a host, as a map.
using IdMap = std::map<const PolicyContent*, std::uint32_t, DerefLess>;

void assign(IdMap& ids) {
  std::vector<const PolicyContent*> contents;
  contents.reserve(ids.size());
  for (const auto& [c, id] : ids) {
    contents.push_back(c);
  }
  const std::vector<std::uint32_t> assigned = policy_ids(contents);
  std::size_t i = 0;
  for (auto& [c, id] : ids) {
    id = assigned[i++];
  }
}

void emit(const IdMap& ids, HostPlan& plan) {
  std::vector<const PolicyContent*> contents;
  std::vector<std::uint32_t> id_list;
  for (const auto& [c, id] : ids) {
    contents.push_back(c);
    id_list.push_back(id);
  }
  emit(contents, id_list, plan.policy_remotes, plan.policy_rules);
}

// The local endpoints of `plan`'s networks (those in `only`, if given), by name.
std::unordered_map<std::string_view, const Endpoint*> local_endpoints(
    const Topology& topo, const NetworkEndpoints& endpoints_of, const HostPlan& plan,
    const std::set<std::string_view>* only) {
  std::unordered_map<std::string_view, const Endpoint*> out;
  for (const auto& net : plan.networks) {
    if (only != nullptr && only->count(net.name) == 0) {
      continue;
    }
    for (std::uint32_t i : endpoints_of(net.name)) {
      const Endpoint& ep = topo.endpoints[i];
      if (ep.host == plan.host) {
        out.emplace(ep.name, &ep);
      }
    }
  }
  return out;
}

}  // namespace

// ---- PolicyCompiler ----------------------------------------------------------

struct PolicyCompiler::State {
  const Topology& topo;
  NetworkEndpoints endpoints_of;
  std::unordered_map<std::string_view, const SecurityGroup*> groups;
  // network -> the networks of the routers attached to it
  std::unordered_map<std::string_view, std::vector<std::string_view>> router_networks;
  std::unordered_map<std::string_view, std::vector<std::string_view>> neighbourhoods;
  // network -> group -> its members' prefixes there (unsorted)
  std::unordered_map<std::string_view,
                     std::unordered_map<std::string_view, std::vector<Ipv4Prefix>>>
      members;
  using Key = std::tuple<std::vector<std::string_view>, int, std::vector<std::string_view>>;
  std::map<Key, std::unique_ptr<PolicyContent>> contents;

  State(const Topology& t, NetworkEndpoints e) : topo(t), endpoints_of(std::move(e)) {}

  const std::unordered_map<std::string_view, std::vector<Ipv4Prefix>>& members_of(
      std::string_view network) {
    auto it = members.find(network);
    if (it != members.end()) {
      return it->second;
    }
    auto& out = members[network];
    for (std::uint32_t i : endpoints_of(network)) {
      const Endpoint& ep = topo.endpoints[i];
      for (const std::string& g : ep.security_groups) {
        auto& list = out[g];
        list.push_back(Ipv4Prefix{ep.ip, 32});
        for (const auto& a : ep.allowed_addresses) {
          list.push_back(normalised(a));
        }
      }
    }
    return out;
  }

  std::unique_ptr<PolicyContent> build(Direction direction, const std::vector<const Rule*>& rules,
                                       const std::vector<std::string_view>& neighbourhood);
};

std::unique_ptr<PolicyContent> PolicyCompiler::State::build(
    Direction direction, const std::vector<const Rule*>& rules,
    const std::vector<std::string_view>& neighbourhood) {
  auto content = std::make_unique<PolicyContent>();
  content->direction = direction;

  // Which rules name each remote prefix, and the prefix lengths that occur,
  // so the rules containing p are found with one lookup per length up to
  // p's: the cost follows the prefixes, not prefixes times rules.
  std::vector<Allow> allows;
  std::unordered_map<std::uint64_t, std::vector<std::uint32_t>> rules_of;  // prefix_key -> rules
  std::uint64_t lengths = 0;  // bit l: some rule names a prefix /l
  std::vector<Ipv4Prefix> all;
  std::vector<Ipv4Prefix> prefixes;
  for (std::size_t r = 0; r < rules.size(); ++r) {
    const Rule& rule = *rules[r];
    allows.push_back(allow_of(rule));
    prefixes.clear();
    if (rule.remote_cidr) {
      prefixes.push_back(normalised(*rule.remote_cidr));
    } else if (rule.remote_group) {
      for (std::string_view net : neighbourhood) {
        const auto& m = members_of(net);
        if (auto it = m.find(*rule.remote_group); it != m.end()) {
          prefixes.insert(prefixes.end(), it->second.begin(), it->second.end());
        }
      }
    } else {
      prefixes.push_back(Ipv4Prefix{Ipv4{0}, 0});  // Neutron: no remote is any
    }
    for (const auto& p : prefixes) {
      auto& named = rules_of[prefix_key(p)];
      if (named.empty() || named.back() != r) {
        named.push_back(static_cast<std::uint32_t>(r));
      }
      lengths |= std::uint64_t{1} << p.len;
    }
    all.insert(all.end(), prefixes.begin(), prefixes.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());

  // Each stored prefix's rules (those whose remote contains it) and what
  // they allow; prefixes with the same rules share the work.
  std::map<std::vector<std::uint32_t>, std::size_t> by_rules;  // -> index in `allowed`
  std::vector<std::vector<PolicyRuleEntry>> allowed;
  std::vector<std::size_t> allowed_of(all.size());
  std::vector<std::uint32_t> matched;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Ipv4Prefix& p = all[i];
    matched.clear();
    for (int len = 0; len <= p.len; ++len) {
      if ((lengths >> len & 1) == 0) {
        continue;
      }
      auto it = rules_of.find(prefix_key(normalised(Ipv4Prefix{p.addr, len})));
      if (it != rules_of.end()) {
        matched.insert(matched.end(), it->second.begin(), it->second.end());
      }
    }
    std::sort(matched.begin(), matched.end());
    matched.erase(std::unique(matched.begin(), matched.end()), matched.end());
    auto [it, inserted] = by_rules.try_emplace(matched, allowed.size());
    if (inserted) {
      allowed.push_back(allowed_by(allows, matched));
    }
    allowed_of[i] = it->second;
  }

  // Classes: distinct allowed sets, numbered in the order of the sets, so
  // the numbering depends on what is allowed only.
  std::map<std::vector<PolicyRuleEntry>, std::uint32_t> classes;
  for (const auto& a : allowed) {
    classes.emplace(a, 0);
  }
  std::uint32_t next = 1;
  for (auto& [set, id] : classes) {
    id = next++;
    for (PolicyRuleEntry e : set) {
      e.class_id = id;
      content->rules.push_back(e);
    }
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    content->remotes.push_back(
        PolicyRemoteEntry{.prefix = all[i], .class_id = classes.at(allowed[allowed_of[i]])});
  }
  std::sort(content->rules.begin(), content->rules.end());
  return content;
}

PolicyCompiler::PolicyCompiler(const Topology& topo, NetworkEndpoints endpoints_of)
    : s_(std::make_unique<State>(topo, std::move(endpoints_of))) {
  for (const auto& g : topo.security_groups) {
    s_->groups.emplace(g.name, &g);  // the first of duplicate names
  }
  for (const auto& router : topo.routers) {
    for (const auto& iface : router.interfaces) {
      auto& nets = s_->router_networks[iface.network];
      for (const auto& other : router.interfaces) {
        nets.push_back(other.network);
      }
    }
  }
}

PolicyCompiler::~PolicyCompiler() = default;

const std::vector<std::string_view>& PolicyCompiler::neighbourhood(std::string_view network) {
  auto it = s_->neighbourhoods.find(network);
  if (it != s_->neighbourhoods.end()) {
    return it->second;
  }
  std::vector<std::string_view> out{network};
  if (auto r = s_->router_networks.find(network); r != s_->router_networks.end()) {
    out.insert(out.end(), r->second.begin(), r->second.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return s_->neighbourhoods.emplace(network, std::move(out)).first->second;
}

const PolicyContent* PolicyCompiler::content(const Endpoint& ep, Direction direction) {
  if (ep.security_groups.empty()) {
    return nullptr;
  }
  std::vector<std::string_view> groups(ep.security_groups.begin(), ep.security_groups.end());
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::vector<const Rule*> rules;
  bool by_group = false;
  for (std::string_view name : groups) {
    auto it = s_->groups.find(name);
    if (it == s_->groups.end()) {
      continue;
    }
    for (const Rule& rule : it->second->rules) {
      if (rule.direction == direction) {
        rules.push_back(&rule);
        by_group = by_group || (rule.remote_group && !rule.remote_cidr);
      }
    }
  }
  // Only remote_group rules depend on where the endpoint is.
  std::vector<std::string_view> hood;
  if (by_group) {
    hood = neighbourhood(ep.network);
  }
  State::Key key{std::move(groups), static_cast<int>(direction), hood};
  auto it = s_->contents.find(key);
  if (it == s_->contents.end()) {
    it = s_->contents.emplace(std::move(key), s_->build(direction, rules, hood)).first;
  }
  return it->second.get();
}

// ---- ids ---------------------------------------------------------------------------

std::uint32_t policy_hash(const PolicyContent& c) {
  Fnv f;
  f.byte(c.direction == Direction::kIngress ? 'i' : 'e');
  f.u32(static_cast<std::uint32_t>(c.remotes.size()));
  for (const auto& r : c.remotes) {
    f.u32(r.prefix.addr.value);
    f.byte(static_cast<std::uint8_t>(r.prefix.len));
    f.u32(r.class_id);
  }
  f.u32(static_cast<std::uint32_t>(c.rules.size()));
  for (const auto& r : c.rules) {
    f.u32(r.class_id);
    f.byte(r.protocol ? 1 : 0);
    f.byte(r.protocol.value_or(0));
    f.u32(r.port);
    f.byte(r.port_bits);
  }
  return f.h;
}

std::vector<std::uint32_t> policy_ids(const std::vector<const PolicyContent*>& contents) {
  std::vector<std::uint32_t> out;
  out.reserve(contents.size());
  std::unordered_set<std::uint32_t> taken;
  for (const PolicyContent* c : contents) {
    std::uint32_t id = policy_hash(*c);
    while (id == 0 || !taken.insert(id).second) {
      ++id;
    }
    out.push_back(id);
  }
  return out;
}

PolicyContent planned_policy(const HostPlan& plan, std::uint32_t id, Direction direction) {
  PolicyContent c;
  c.direction = direction;
  auto r = std::equal_range(plan.policy_remotes.begin(), plan.policy_remotes.end(),
                            PlannedPolicyRemote{.policy = id},
                            [](const PlannedPolicyRemote& a, const PlannedPolicyRemote& b) {
                              return a.policy < b.policy;
                            });
  for (auto it = r.first; it != r.second; ++it) {
    c.remotes.push_back(PolicyRemoteEntry{.prefix = it->prefix, .class_id = it->class_id});
  }
  auto k = std::equal_range(
      plan.policy_rules.begin(), plan.policy_rules.end(), PlannedPolicyRule{.policy = id},
      [](const PlannedPolicyRule& a, const PlannedPolicyRule& b) { return a.policy < b.policy; });
  for (auto it = k.first; it != k.second; ++it) {
    c.rules.push_back(PolicyRuleEntry{.class_id = it->class_id,
                                      .protocol = it->protocol,
                                      .port = it->port,
                                      .port_bits = it->port_bits});
  }
  return c;
}

// ---- whole host ----------------------------------------------------------------

void compile_policies(const Topology& topo, const NetworkEndpoints& endpoints_of, HostPlan& plan) {
  const auto local = local_endpoints(topo, endpoints_of, plan, nullptr);
  PolicyCompiler compiler(topo, endpoints_of);
  std::vector<std::pair<const PolicyContent*, const PolicyContent*>> of_port(plan.ports.size());
  IdMap ids;
  for (std::size_t i = 0; i < plan.ports.size(); ++i) {
    auto it = local.find(plan.ports[i].endpoint);
    if (it == local.end() || it->second->security_groups.empty()) {
      continue;
    }
    of_port[i] = {compiler.content(*it->second, Direction::kIngress),
                  compiler.content(*it->second, Direction::kEgress)};
    ids.emplace(of_port[i].first, 0);
    ids.emplace(of_port[i].second, 0);
  }
  assign(ids);
  // interface -> (policy_in, policy_out) of the filtered ports
  std::unordered_map<std::string_view, std::pair<std::uint32_t, std::uint32_t>> ids_of;
  for (std::size_t i = 0; i < plan.ports.size(); ++i) {
    PlannedPort& port = plan.ports[i];
    port.policy_in = of_port[i].first ? ids.at(of_port[i].first) : 0;
    port.policy_out = of_port[i].second ? ids.at(of_port[i].second) : 0;
    if (port.policy_in != 0 || port.policy_out != 0) {
      ids_of.emplace(port.interface, std::pair{port.policy_in, port.policy_out});
    }
  }
  for (PlannedFdb& f : plan.fdb) {
    if (!f.interface.empty()) {
      auto it = ids_of.find(f.interface);
      f.policy_in = it == ids_of.end() ? 0 : it->second.first;
      f.policy_out = it == ids_of.end() ? 0 : it->second.second;
    }
  }
  emit(ids, plan);
}

namespace {

// The local fdb entry of `port` in `fdb` (sorted by (vni, mac)), or end.
std::vector<PlannedFdb>::iterator local_fdb(std::vector<PlannedFdb>& fdb, const PlannedPort& port) {
  auto it =
      std::lower_bound(fdb.begin(), fdb.end(), port, [](const PlannedFdb& f, const PlannedPort& p) {
        return std::tie(f.vni, f.mac) < std::tie(p.vni, p.mac);
      });
  for (; it != fdb.end() && it->vni == port.vni && it->mac == port.mac; ++it) {
    if (it->interface == port.interface) {
      return it;
    }
  }
  return fdb.end();
}

template <typename T>
void append_difference(const std::vector<T>& a, const std::vector<T>& b, std::vector<T>& out) {
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out), EntryLess{});
}

}  // namespace

void recompile_policies(const Topology& topo, const NetworkEndpoints& endpoints_of,
                        const std::set<std::string>& networks, HostPlan& plan, PlanChange& change) {
  // Networks whose local endpoints' policies can have changed: the
  // recompiled ones, and those sharing a router with one (their
  // neighbourhood includes it). Any other endpoint's policy keeps its
  // content; only its id can move, by another content's probe.
  std::set<std::string_view> affected(networks.begin(), networks.end());
  for (const auto& router : topo.routers) {
    const bool touched = std::any_of(router.interfaces.begin(), router.interfaces.end(),
                                     [&](const auto& i) { return networks.count(i.network) != 0; });
    if (touched) {
      for (const auto& iface : router.interfaces) {
        affected.insert(iface.network);
      }
    }
  }
  std::unordered_set<std::uint32_t> affected_vnis;
  for (const auto& net : plan.networks) {
    if (affected.count(net.name) != 0) {
      affected_vnis.insert(net.vni);
    }
  }
  std::unordered_set<std::uint32_t> recompiled_vnis;
  for (const std::string& name : networks) {
    if (const auto* n = topo.find_network(name)) {
      recompiled_vnis.insert(n->vni);
    }
  }
  const auto local = local_endpoints(topo, endpoints_of, plan, &affected);

  // Nothing filtered among the endpoints concerned, before or after: the
  // policy part stands (fresh ports already say 0).
  const auto filtered = [](const PlannedPort& p) { return p.policy_in != 0 || p.policy_out != 0; };
  const bool any = std::any_of(local.begin(), local.end(),
                               [](const auto& e) { return !e.second->security_groups.empty(); }) ||
                   std::any_of(change.before.ports.begin(), change.before.ports.end(), filtered) ||
                   std::any_of(plan.ports.begin(), plan.ports.end(), [&](const PlannedPort& p) {
                     return affected_vnis.count(p.vni) != 0 && filtered(p);
                   });
  if (!any) {
    return;
  }

  // The old ids in use, with their direction (ids are per direction).
  std::unordered_map<std::uint32_t, Direction> old_ids;
  const auto note_old = [&](const PlannedPort& p) {
    if (p.policy_in != 0) {
      old_ids.emplace(p.policy_in, Direction::kIngress);
    }
    if (p.policy_out != 0) {
      old_ids.emplace(p.policy_out, Direction::kEgress);
    }
  };
  std::for_each(change.before.ports.begin(), change.before.ports.end(), note_old);
  for (const auto& p : plan.ports) {
    if (recompiled_vnis.count(p.vni) == 0) {
      note_old(p);
    }
  }
  std::map<std::uint32_t, PolicyContent> old_contents;  // reconstructed on demand
  const auto old_content = [&](std::uint32_t id) -> const PolicyContent& {
    auto it = old_contents.find(id);
    if (it == old_contents.end()) {
      it = old_contents.emplace(id, planned_policy(plan, id, old_ids.at(id))).first;
    }
    return it->second;
  };
  // The old id of `c`, or 0 if no old policy had that content: probing
  // gave c the first id from its hash not taken before it, so the walk
  // stops at the first id no old policy has.
  const auto find_old = [&](const PolicyContent& c) -> std::uint32_t {
    for (std::uint32_t id = policy_hash(c);; ++id) {
      if (id == 0) {
        continue;
      }
      auto it = old_ids.find(id);
      if (it == old_ids.end()) {
        return 0;
      }
      if (it->second == c.direction && old_content(id) == c) {
        return id;
      }
    }
  };

  PolicyCompiler compiler(topo, endpoints_of);
  std::vector<std::pair<const PolicyContent*, const PolicyContent*>> wanted(plan.ports.size());
  std::vector<std::pair<std::uint32_t, std::uint32_t>> new_ids(plan.ports.size());
  bool same_set = true;
  std::unordered_set<std::uint32_t> used;
  for (std::size_t i = 0; i < plan.ports.size(); ++i) {
    const PlannedPort& port = plan.ports[i];
    if (affected_vnis.count(port.vni) == 0) {
      new_ids[i] = {port.policy_in, port.policy_out};
    } else if (auto it = local.find(port.endpoint);
               it != local.end() && !it->second->security_groups.empty()) {
      wanted[i] = {compiler.content(*it->second, Direction::kIngress),
                   compiler.content(*it->second, Direction::kEgress)};
      new_ids[i] = {find_old(*wanted[i].first), find_old(*wanted[i].second)};
      same_set = same_set && new_ids[i].first != 0 && new_ids[i].second != 0;
    }
    for (std::uint32_t id : {new_ids[i].first, new_ids[i].second}) {
      if (id != 0) {
        used.insert(id);
      }
    }
  }
  same_set = same_set && used.size() == old_ids.size();

  if (!same_set) {
    // Contents came or went: ids are given again over the host's whole set
    // (a probe can move), and the entries rebuilt and diffed.
    IdMap ids;
    std::vector<std::pair<const PolicyContent*, const PolicyContent*>> content_of(
        plan.ports.size());
    for (std::size_t i = 0; i < plan.ports.size(); ++i) {
      const PlannedPort& port = plan.ports[i];
      if (affected_vnis.count(port.vni) == 0) {
        if (port.policy_in != 0) {
          content_of[i].first = &old_content(port.policy_in);
        }
        if (port.policy_out != 0) {
          content_of[i].second = &old_content(port.policy_out);
        }
      } else {
        content_of[i] = wanted[i];
      }
      for (const PolicyContent* c : {content_of[i].first, content_of[i].second}) {
        if (c != nullptr) {
          ids.emplace(c, 0);
        }
      }
    }
    assign(ids);
    for (std::size_t i = 0; i < plan.ports.size(); ++i) {
      new_ids[i] = {content_of[i].first ? ids.at(content_of[i].first) : 0,
                    content_of[i].second ? ids.at(content_of[i].second) : 0};
    }
    HostPlan fresh;
    emit(ids, fresh);
    append_difference(plan.policy_remotes, fresh.policy_remotes, change.before.policy_remotes);
    append_difference(plan.policy_rules, fresh.policy_rules, change.before.policy_rules);
    append_difference(fresh.policy_remotes, plan.policy_remotes, change.after.policy_remotes);
    append_difference(fresh.policy_rules, plan.policy_rules, change.after.policy_rules);
    plan.policy_remotes = std::move(fresh.policy_remotes);
    plan.policy_rules = std::move(fresh.policy_rules);
  }

  // Ports: the recompiled ones are in the change already (fresh, policy
  // 0); any other whose ids moved joins it, old and new, with its local
  // fdb entry (which carries both ids).
  std::unordered_map<std::string_view, PlannedPort*> after_ports;
  for (auto& p : change.after.ports) {
    after_ports.emplace(p.interface, &p);
  }
  // Appended once the pointers above are no longer used.
  HostPlan moved_before;
  HostPlan moved_after;
  for (std::size_t i = 0; i < plan.ports.size(); ++i) {
    PlannedPort& port = plan.ports[i];
    const auto [in, out] = new_ids[i];
    if (recompiled_vnis.count(port.vni) != 0) {
      port.policy_in = in;
      port.policy_out = out;
      if (auto it = after_ports.find(port.interface); it != after_ports.end()) {
        it->second->policy_in = in;
        it->second->policy_out = out;
      }
      if (auto f = local_fdb(plan.fdb, port); f != plan.fdb.end()) {
        f->policy_in = in;
        f->policy_out = out;
      }
      if (auto f = local_fdb(change.after.fdb, port); f != change.after.fdb.end()) {
        f->policy_in = in;
        f->policy_out = out;
      }
      continue;
    }
    if (port.policy_in == in && port.policy_out == out) {
      continue;
    }
    moved_before.ports.push_back(port);
    port.policy_in = in;
    port.policy_out = out;
    moved_after.ports.push_back(port);
    if (auto f = local_fdb(plan.fdb, port); f != plan.fdb.end()) {
      moved_before.fdb.push_back(*f);
      f->policy_in = in;
      f->policy_out = out;
      moved_after.fdb.push_back(*f);
    }
  }
  for (auto [from, to] :
       {std::pair{&moved_before, &change.before}, {&moved_after, &change.after}}) {
    to->ports.insert(to->ports.end(), from->ports.begin(), from->ports.end());
    to->fdb.insert(to->fdb.end(), from->fdb.begin(), from->fdb.end());
  }
}

// ---- capacity ----------------------------------------------------------------------

PolicyCounter::PolicyCounter(const Topology& topo, NetworkEndpoints endpoints_of)
    : topo_(topo), compiler_(topo, std::move(endpoints_of)) {}

PolicyCounts PolicyCounter::count(const std::vector<std::uint32_t>& local) {
  std::set<const PolicyContent*, DerefLess> distinct;
  for (std::uint32_t i : local) {
    const Endpoint& ep = topo_.endpoints[i];
    if (ep.security_groups.empty()) {
      continue;
    }
    distinct.insert(compiler_.content(ep, Direction::kIngress));
    distinct.insert(compiler_.content(ep, Direction::kEgress));
  }
  PolicyCounts out;
  for (const PolicyContent* c : distinct) {
    out.remotes += c->remotes.size();
    out.rules += c->rules.size();
  }
  return out;
}

}  // namespace vnet::compile

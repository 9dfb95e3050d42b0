#include "store/delta.h"

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "store/codec.h"

namespace vnet::store {

namespace {

using topology::Endpoint;

// Field-wise equality without the source location, which is not stored (a
// decoded base has none, a freshly parsed target does).
bool same_endpoint(const Endpoint& a, const Endpoint& b) {
  return a.name == b.name && a.id == b.id && a.host == b.host && a.network == b.network &&
         a.interface == b.interface && a.mac == b.mac && a.ip == b.ip && a.vlan == b.vlan &&
         a.security_groups == b.security_groups && a.allowed_addresses == b.allowed_addresses;
}

}  // namespace

std::optional<StateDelta> make_delta(const StoredState& base, const StateVersion& base_version,
                                     const StoredState& target,
                                     const StateVersion& target_version) {
  const auto& before = base.topology.endpoints;
  const auto& after = target.topology.endpoints;
  std::unordered_map<std::string_view, std::size_t> index;
  index.reserve(before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (!index.emplace(before[i].name, i).second) {
      return std::nullopt;  // duplicate names: a validated state has none
    }
  }

  StateDelta d;
  d.base = base_version;
  d.target = target_version;
  d.others = target.topology;
  d.others.endpoints.clear();
  d.others_changed = encode_others(base.topology) != encode_others(d.others);

  std::vector<bool> survives(before.size(), false);
  std::size_t last = 0;
  bool any_survivor = false;
  for (const auto& ep : after) {
    auto it = index.find(ep.name);
    if (it == index.end()) {
      d.added.push_back(ep);
      continue;
    }
    const std::size_t i = it->second;
    // Survivors keep their relative order and come before every new one:
    // otherwise in-place replace + append would not reproduce `after`.
    if (!d.added.empty() || survives[i] || (any_survivor && i <= last)) {
      return std::nullopt;
    }
    survives[i] = true;
    any_survivor = true;
    last = i;
    if (!same_endpoint(before[i], ep)) {
      d.modified.push_back(IndexedEndpoint{.base_index = i, .endpoint = ep});
    }
  }
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (!survives[i]) {
      IndexedEndpoint rm;
      rm.base_index = i;
      rm.endpoint.name = before[i].name;
      d.removed.push_back(std::move(rm));
    }
  }
  return d;
}

Status apply_delta(StoredState& state, const StateDelta& delta) {
  auto& eps = state.topology.endpoints;
  if (state.generation != delta.base.generation) {
    return Status::error("delta base generation " + std::to_string(delta.base.generation) +
                             " is not the state's " + std::to_string(state.generation),
                         ESTALE);
  }
  std::vector<bool> touched(eps.size(), false);
  auto check = [&](const IndexedEndpoint& e) -> Status {
    if (e.base_index >= eps.size() || eps[e.base_index].name != e.endpoint.name ||
        touched[e.base_index]) {
      return Status::error("delta names endpoint " + e.endpoint.name + " at index " +
                               std::to_string(e.base_index) + ", which does not match",
                           ESTALE);
    }
    touched[e.base_index] = true;
    return Status::ok();
  };
  for (const auto& m : delta.modified) {
    if (Status s = check(m); !s) {
      return s;
    }
  }
  for (const auto& r : delta.removed) {
    if (Status s = check(r); !s) {
      return s;
    }
  }

  // Validated: from here on nothing fails.
  for (const auto& m : delta.modified) {
    eps[m.base_index] = m.endpoint;
  }
  if (!delta.removed.empty()) {
    std::vector<bool> gone(eps.size(), false);
    for (const auto& r : delta.removed) {
      gone[r.base_index] = true;
    }
    std::size_t out = 0;
    for (std::size_t i = 0; i < eps.size(); ++i) {
      if (!gone[i]) {
        if (out != i) {
          eps[out] = std::move(eps[i]);
        }
        ++out;
      }
    }
    eps.resize(out);
  }
  eps.insert(eps.end(), delta.added.begin(), delta.added.end());
  // The lists are small; taking them whole keeps the state exact whether
  // or not they changed.
  auto endpoints = std::move(eps);
  state.topology = delta.others;
  state.topology.endpoints = std::move(endpoints);
  state.generation = delta.target.generation;
  return Status::ok();
}

bool delta_affects_host(const topology::Topology& base, const StateDelta& delta,
                        const std::string& host, const std::set<std::string>& present) {
  if (delta.others_changed) {
    return true;
  }
  auto touches = [&](const Endpoint& ep) {
    return ep.host == host || present.count(ep.network) != 0;
  };
  // The old value of an endpoint named by index; a mismatch means the delta
  // does not fit `base`, which apply_delta() refuses: call it affected.
  auto old_touches = [&](const IndexedEndpoint& e) {
    if (e.base_index >= base.endpoints.size() ||
        base.endpoints[e.base_index].name != e.endpoint.name) {
      return true;
    }
    return touches(base.endpoints[e.base_index]);
  };
  for (const auto& m : delta.modified) {
    if (old_touches(m) || touches(m.endpoint)) {
      return true;
    }
  }
  for (const auto& r : delta.removed) {
    if (old_touches(r)) {
      return true;
    }
  }
  for (const auto& e : delta.added) {
    if (touches(e)) {
      return true;
    }
  }
  return false;
}

}  // namespace vnet::store

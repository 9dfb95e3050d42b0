#include "compile/incremental.h"

#include <algorithm>

namespace vnet::compile {

namespace {

const std::vector<std::uint32_t> kNoEndpoints;

}  // namespace

NetworkIndex::NetworkIndex(const topology::Topology& topo) {
  network_of_.reserve(topo.endpoints.size());
  for (std::size_t i = 0; i < topo.endpoints.size(); ++i) {
    const std::uint32_t id = id_of(topo.endpoints[i].network);
    members_[id].push_back(static_cast<std::uint32_t>(i));
    network_of_.push_back(id);
  }
}

const std::vector<std::uint32_t>& NetworkIndex::endpoints(std::string_view network) const {
  auto it = ids_.find(network);
  return it == ids_.end() ? kNoEndpoints : members_[it->second];
}

std::uint32_t NetworkIndex::id_of(std::string_view network) {
  auto it = ids_.find(network);
  if (it != ids_.end()) {
    return it->second;
  }
  // A network that loses its last endpoint keeps its (empty) entry: names
  // are few, and it usually gets endpoints again.
  const auto id = static_cast<std::uint32_t>(names_.size());
  ids_.emplace(std::string(network), id);
  names_.emplace_back(network);
  members_.emplace_back();
  return id;
}

Result<std::set<std::string>> NetworkIndex::apply(const store::StateDelta& delta) {
  const std::size_t base_size = network_of_.size();
  auto fits = [&](const store::IndexedEndpoint& e) { return e.base_index < base_size; };
  if (!std::all_of(delta.modified.begin(), delta.modified.end(), fits) ||
      !std::all_of(delta.removed.begin(), delta.removed.end(), fits)) {
    return Status::error("delta names an endpoint position beyond the network index's " +
                             std::to_string(base_size),
                         ESTALE);
  }

  std::set<std::string> changed;
  // In place: positions are the base's until the removals below.
  for (const auto& m : delta.modified) {
    const auto pos = static_cast<std::uint32_t>(m.base_index);
    const std::uint32_t from = network_of_[pos];
    const std::uint32_t to = id_of(m.endpoint.network);
    changed.insert(names_[from]);
    changed.insert(m.endpoint.network);
    if (from == to) {
      continue;
    }
    auto& old_members = members_[from];
    old_members.erase(std::lower_bound(old_members.begin(), old_members.end(), pos));
    auto& new_members = members_[to];
    new_members.insert(std::upper_bound(new_members.begin(), new_members.end(), pos), pos);
    network_of_[pos] = to;
  }

  if (!delta.removed.empty()) {
    std::vector<bool> gone(base_size, false);
    for (const auto& r : delta.removed) {
      gone[r.base_index] = true;
      changed.insert(names_[network_of_[r.base_index]]);
    }
    // Survivors keep their order and move down by the removals before them:
    // one pass renumbers every network's list (all of them shift).
    std::vector<std::uint32_t> moved_to(base_size);
    std::uint32_t next = 0;
    for (std::size_t i = 0; i < base_size; ++i) {
      moved_to[i] = next;
      if (!gone[i]) {
        network_of_[next++] = network_of_[i];
      }
    }
    network_of_.resize(next);
    for (auto& members : members_) {
      std::size_t out = 0;
      for (std::uint32_t pos : members) {
        if (!gone[pos]) {
          members[out++] = moved_to[pos];
        }
      }
      members.resize(out);
    }
  }

  for (const auto& ep : delta.added) {
    const auto pos = static_cast<std::uint32_t>(network_of_.size());
    const std::uint32_t id = id_of(ep.network);
    members_[id].push_back(pos);
    network_of_.push_back(id);
    changed.insert(ep.network);
  }
  return changed;
}

}  // namespace vnet::compile

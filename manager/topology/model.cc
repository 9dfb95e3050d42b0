#include "topology/model.h"

#include <algorithm>

namespace vnet::topology {

namespace {

// Lookups are linear: a Topology is a plain value that callers may build or
// edit field by field, so it keeps no index that could go stale. Bulk
// callers (compile, validate) build their own hash maps.
template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  const auto it =
      std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

std::string SourceLoc::str() const {
  if (line <= 0) {
    return file;
  }
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const Host* Topology::find_host(const std::string& name) const { return find_named(hosts, name); }

const Network* Topology::find_network(const std::string& name) const {
  return find_named(networks, name);
}

const Endpoint* Topology::find_endpoint(const std::string& name) const {
  return find_named(endpoints, name);
}

const Router* Topology::find_router(const std::string& name) const {
  return find_named(routers, name);
}

const SecurityGroup* Topology::find_security_group(const std::string& name) const {
  return find_named(security_groups, name);
}

// Derived MAC: 02 followed by the first five bytes of the 64-bit FNV-1a hash
// of "<router>/<network>". The first byte makes it locally administered and
// unicast; hashing the names (not list positions) keeps it stable across
// generations and reordered files, so peers' ARP caches stay right. A
// collision with another MAC on the network is a validation error, fixed by
// writing `mac` explicitly.
Mac effective_mac(const Router& router, const RouterInterface& iface) {
  if (iface.mac) {
    return *iface.mac;
  }
  constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
  constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;
  std::uint64_t hash = kFnvOffset;
  const auto mix = [&hash](const std::string& s) {
    for (unsigned char c : s) {
      hash ^= c;
      hash *= kFnvPrime;
    }
  };
  mix(router.name);
  mix("/");
  mix(iface.network);
  Mac mac;
  mac.bytes[0] = 0x02;
  for (int i = 1; i < 6; ++i) {
    mac.bytes[i] = static_cast<std::uint8_t>(hash >> (64 - 8 * i));
  }
  return mac;
}

}  // namespace vnet::topology

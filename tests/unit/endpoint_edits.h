#pragma once
// Random generation steps over a topology's endpoints, as vnetctl makes
// them: endpoints removed, changed and appended. Shared by the store-delta
// and incremental-compile property tests, each of which brings its own
// endpoint maker and adds its own change outside the endpoints.

#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "topology/model.h"

namespace vnet::testing {

struct EndpointEditSpace {
  int hosts = 1;     // endpoints move among hv0 .. hv<hosts-1>
  int networks = 1;  // and among net0 .. net<networks-1>
  // A new endpoint numbered n (names, MACs and ids derive from n).
  std::function<topology::Endpoint(std::mt19937&, int n)> make;
  // Also rename interfaces (an endpoint that moves to another port).
  bool rename_interfaces = false;
  // When set, also replace an endpoint's security groups with these.
  std::function<std::vector<std::string>(std::mt19937&)> groups;
};

// 1-4 edits of random endpoints of `eps`; `next_name` numbers appended ones.
inline void edit_endpoints(std::mt19937& rng, std::vector<topology::Endpoint>& eps,
                           int& next_name, const EndpointEditSpace& space) {
  const unsigned kinds = 6 + (space.rename_interfaces ? 1 : 0) + (space.groups ? 1 : 0);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !eps.empty(); ++i) {
    const std::size_t at = rng() % eps.size();
    unsigned kind = rng() % kinds;
    if (kind == 6 && !space.rename_interfaces) {
      kind = 7;  // the seventh kind is the groups' when interfaces stay
    }
    switch (kind) {
      case 0:
        eps.erase(eps.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      case 1:
        eps[at].mac.bytes[0] ^= 0x10;
        break;
      case 2:
        eps[at].host = "hv" + std::to_string(rng() % static_cast<unsigned>(space.hosts));
        break;
      case 3:
        eps[at].network = "net" + std::to_string(rng() % static_cast<unsigned>(space.networks));
        break;
      case 4:
        eps.push_back(space.make(rng, next_name++));
        break;
      case 5:
        eps[at].allowed_addresses.clear();
        eps[at].ip.value ^= 0x100;
        break;
      case 6:
        eps[at].interface += "x";
        break;
      case 7:
        eps[at].security_groups = space.groups(rng);
        break;
    }
  }
}

}  // namespace vnet::testing

#pragma once
// Object-level difference between two topologies, for `vnetctl diff` and
// `apply --dry-run`. Objects are matched by kind and name and compared as
// their topology-format documents, so source positions and store-assigned
// endpoint ids never show up as changes. Pure.

#include <string>
#include <vector>

#include "topology/model.h"

namespace vnet::cli {

struct Change {
  char op = '~';                     // '+' added, '-' removed, '~' changed
  std::string kind;                  // "endpoint", "security-group", "underlay"
  std::string name;                  // empty for the underlay
  std::vector<std::string> details;  // '~' only: "mac: 02:..:11 -> 02:..:12"

  // "+ endpoint vm5", "~ endpoint vm1 (mac: A -> B, ip: C -> D)"
  std::string str() const;
};

// Underlay first, then hosts, networks, endpoints, routers, security groups;
// within a kind removed and changed objects in `before`'s order, then added
// ones in `after`'s order.
std::vector<Change> diff_topologies(const topology::Topology& before,
                                    const topology::Topology& after);

}  // namespace vnet::cli

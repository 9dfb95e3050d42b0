#pragma once
// Where each field of each object was written. The parser keeps these
// beside the Topology it builds, so that cross-object errors (validate.cc)
// point at the offending value instead of at its object, and so validation
// skips values that already failed to parse: one mistake, one error.
// Internal to topology/.

#include <cstdint>
#include <string_view>
#include <vector>

#include "topology/model.h"
#include "topology/parser.h"

namespace vnet::topology {

enum class Field : std::uint8_t {
  kName,
  kRole,
  kVtepIp,
  kUnderlayInterface,
  kVni,
  kSubnet,
  kHost,
  kNetwork,
  kInterface,
  kMac,
  kIp,
  kVlan,
  kSecurityGroups,
  kAllowedAddresses,
  kInterfaces,
  kRoutes,
  kDestination,
  kNextHop,
  kRules,
  kDirection,
  kProtocol,
  kPorts,
  kIcmpType,
  kIcmpCode,
  kRemoteCidr,
  kRemoteGroup,
  kVxlanPort,
  kMtu,
  kCount,
};

// The YAML key of a field.
std::string_view field_name(Field f);

class ObjectMarks {
 public:
  // The value of `field` (element `index` of a list field) is at line:column.
  void set(Field field, int line, int column, int index = -1);
  // The field is missing or was rejected; checks that need it skip it.
  void set_invalid(Field field) { invalid_ |= bit(field); }
  bool valid(Field field) const { return (invalid_ & bit(field)) == 0; }

  // Where `field` (or its element `index`) was written; the object's own
  // position when unknown.
  SourceLoc at(const SourceLoc& object, Field field, int index = -1) const;

 private:
  struct Mark {
    Field field;
    int index;
    int line;
    int column;
  };
  static std::uint32_t bit(Field f) { return std::uint32_t{1} << static_cast<int>(f); }
  static_assert(static_cast<int>(Field::kCount) <= 32);

  std::vector<Mark> marks_;
  std::uint32_t invalid_ = 0;
};

struct RouterMarks {
  ObjectMarks self;
  std::vector<ObjectMarks> interfaces;
  std::vector<ObjectMarks> routes;
};

struct GroupMarks {
  ObjectMarks self;
  std::vector<ObjectMarks> rules;
};

// Parallel to the Topology's lists, index for index.
struct TopologyMarks {
  std::vector<ObjectMarks> hosts;
  std::vector<ObjectMarks> networks;
  std::vector<ObjectMarks> endpoints;
  std::vector<RouterMarks> routers;
  std::vector<GroupMarks> security_groups;
};

// validate() with field positions; `marks` may be null.
std::vector<Diagnostic> validate(const Topology& topo, const TopologyMarks* marks);

}  // namespace vnet::topology

#include "topology/marks.h"

#include <array>

namespace vnet::topology {

std::string_view field_name(Field f) {
  // In the order of enum Field.
  static constexpr std::array<std::string_view, static_cast<std::size_t>(Field::kCount)> kNames = {
      "name",
      "role",
      "vtep_ip",
      "underlay_interface",
      "vni",
      "subnet",
      "host",
      "network",
      "interface",
      "mac",
      "ip",
      "vlan",
      "security_groups",
      "allowed_addresses",
      "interfaces",
      "routes",
      "destination",
      "next_hop",
      "rules",
      "direction",
      "protocol",
      "ports",
      "icmp_type",
      "icmp_code",
      "remote_cidr",
      "remote_group",
      "vxlan_port",
      "mtu",
  };
  return kNames[static_cast<std::size_t>(f)];
}

void ObjectMarks::set(Field field, int line, int column, int index) {
  marks_.push_back({field, index, line, column});
}

SourceLoc ObjectMarks::at(const SourceLoc& object, Field field, int index) const {
  for (const Mark& m : marks_) {
    if (m.field == field && m.index == index) {
      return SourceLoc{object.file, m.line, m.column};
    }
  }
  return object;
}

}  // namespace vnet::topology

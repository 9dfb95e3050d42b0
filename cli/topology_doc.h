#pragma once
// Topology -> output::Value: the documents `vnetctl get` prints and `diff`
// compares. The document uses the topology format's own key names and
// order, so `get -o yaml` is valid `apply` input that reads back as the same
// topology. Pure: no store, no I/O.
//
// Defaults are handled by one rule: fields that are optional in the model
// (std::optional, lists that may be empty: vlan, security_groups,
// allowed_addresses, router mac and routes, rule ports/icmp/remote, a
// switch's underlay_interface) are
// omitted when absent; fields that always have a value (role, vxlan_port,
// protocol, rules, interfaces) are always written.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "output/document.h"
#include "topology/model.h"

namespace vnet::cli {

enum class ObjectKind { kHost, kNetwork, kEndpoint, kRouter, kSecurityGroup };

inline constexpr ObjectKind kAllKinds[] = {ObjectKind::kHost, ObjectKind::kNetwork,
                                           ObjectKind::kEndpoint, ObjectKind::kRouter,
                                           ObjectKind::kSecurityGroup};

// "hosts", "host", ..., "security-groups", "security-group", "sg", also
// "security_groups" (the YAML key).
std::optional<ObjectKind> parse_kind(const std::string& text);
// "host", "security-group": what messages and diff lines call one object.
const char* kind_name(ObjectKind kind);
// "hosts", "security_groups": the top-level key in the topology format.
const char* kind_key(ObjectKind kind);
// "hosts|networks|endpoints|routers|security-groups", for usage messages.
std::string kind_choices();

// Names of the objects of one kind, in document order.
std::vector<std::string> object_names(const topology::Topology& topo, ObjectKind kind);

// Every object of one kind as (name, document), in document order.
std::vector<std::pair<std::string, output::Value>> object_documents(
    const topology::Topology& topo, ObjectKind kind);

// One object as a map in the topology format, or nullopt if `name` is not
// there.
std::optional<output::Value> object_document(const topology::Topology& topo, ObjectKind kind,
                                             const std::string& name);

// The underlay section alone.
output::Value underlay_document(const topology::Underlay& underlay);

// The whole topology: version, underlay and all five lists.
output::Value topology_document(const topology::Topology& topo);

// version plus the one list of `kind` (all objects, or just `name`): what
// `get KIND [NAME] -o yaml|json` prints. Returns nullopt if `name` is given
// and not found. Every kind but security groups is an apply fragment; each
// security group adds, after its rules, a read-only `members` list (the
// endpoints that list the group: endpoint, host, network, ip and, when
// present, allowed_addresses, in document order) that `apply` rejects.
std::optional<output::Value> kind_document(const topology::Topology& topo, ObjectKind kind,
                                           const std::optional<std::string>& name);

// Rows for `get` tables (columns in table_spec()); nullopt if `name` is given
// and not found. Routers: one row per effective route; security groups: one
// row per rule (a group without rules: one row with only its name).
std::optional<output::Value> table_rows(const topology::Topology& topo, ObjectKind kind,
                                        const std::optional<std::string>& name);
output::TableSpec table_spec(ObjectKind kind);

// The second table of `get security-groups`: one row per (group, member
// endpoint), a group without members one row with only its name.
std::optional<output::Value> member_table_rows(const topology::Topology& topo,
                                               const std::optional<std::string>& name);
output::TableSpec member_table_spec();

// Everything `get KIND [NAME]` prints as a table: table_rows(), and for
// security groups a blank line and the members table. nullopt if `name` is
// given and not found.
std::optional<std::string> tables_text(const topology::Topology& topo, ObjectKind kind,
                                       const std::optional<std::string>& name);

// Protocol as written in the topology format: tcp/udp/icmp/any or a number.
output::Value protocol_value(const std::optional<std::uint8_t>& protocol);

// Structural equality of two documents (maps compare in order).
bool values_equal(const output::Value& a, const output::Value& b);

}  // namespace vnet::cli

#include "topology_doc.h"

#include <algorithm>
#include <map>
#include <string>

#include "topology/routes.h"

namespace vnet::cli {

namespace {

using output::Value;
using topology::Topology;

Value str(std::string s) { return Value::string(std::move(s)); }
Value num(std::int64_t i) { return Value::integer(i); }

Value host_doc(const topology::Host& h) {
  Value v = Value::map();
  v.set("name", str(h.name));
  v.set("role", str(h.role == topology::HostRole::kSwitch ? "switch" : "hypervisor"));
  v.set("vtep_ip", str(h.vtep_ip.str()));
  if (!h.underlay_interface.empty()) {
    v.set("underlay_interface", str(h.underlay_interface));  // optional on switches
  }
  return v;
}

Value network_doc(const topology::Network& n) {
  Value v = Value::map();
  v.set("name", str(n.name));
  v.set("vni", num(n.vni));
  v.set("subnet", str(n.subnet.str()));
  return v;
}

Value endpoint_doc(const topology::Endpoint& e) {
  Value v = Value::map();
  v.set("name", str(e.name));
  v.set("host", str(e.host));
  v.set("network", str(e.network));
  v.set("interface", str(e.interface));
  v.set("mac", str(e.mac.str()));
  v.set("ip", str(e.ip.str()));
  if (e.vlan) {
    v.set("vlan", num(*e.vlan));
  }
  if (!e.security_groups.empty()) {
    Value& groups = v.set("security_groups", Value::list());
    for (const std::string& g : e.security_groups) {
      groups.push(str(g));
    }
  }
  if (!e.allowed_addresses.empty()) {
    Value& allowed = v.set("allowed_addresses", Value::list());
    for (const Ipv4Prefix& p : e.allowed_addresses) {
      allowed.push(str(p.str()));
    }
  }
  return v;
}

Value router_doc(const topology::Router& r) {
  Value v = Value::map();
  v.set("name", str(r.name));
  Value& interfaces = v.set("interfaces", Value::list());
  for (const topology::RouterInterface& i : r.interfaces) {
    Value& iv = interfaces.push(Value::map());
    iv.set("network", str(i.network));
    iv.set("ip", str(i.ip.str()));
    if (i.mac) {
      // As written, not effective_mac(): a derived MAC must stay derived so
      // the round trip reproduces the same topology.
      iv.set("mac", str(i.mac->str()));
    }
  }
  if (!r.routes.empty()) {
    Value& routes = v.set("routes", Value::list());
    for (const topology::Route& route : r.routes) {
      Value& rv = routes.push(Value::map());
      rv.set("destination", str(route.destination.str()));
      rv.set("next_hop", str(route.next_hop.str()));
    }
  }
  return v;
}

Value rule_doc(const topology::Rule& rule) {
  Value v = Value::map();
  v.set("direction", str(rule.direction == topology::Direction::kEgress ? "egress" : "ingress"));
  v.set("protocol", protocol_value(rule.protocol));
  if (rule.port_min) {
    const std::uint16_t hi = rule.port_max.value_or(*rule.port_min);
    if (hi == *rule.port_min) {
      v.set("ports", num(hi));
    } else {
      v.set("ports", str(std::to_string(*rule.port_min) + "-" + std::to_string(hi)));
    }
  }
  if (rule.icmp_type) {
    v.set("icmp_type", num(*rule.icmp_type));
  }
  if (rule.icmp_code) {
    v.set("icmp_code", num(*rule.icmp_code));
  }
  if (rule.remote_cidr) {
    v.set("remote_cidr", str(rule.remote_cidr->str()));
  }
  if (rule.remote_group) {
    v.set("remote_group", str(*rule.remote_group));
  }
  return v;
}

Value security_group_doc(const topology::SecurityGroup& g) {
  Value v = Value::map();
  v.set("name", str(g.name));
  Value& rules = v.set("rules", Value::list());
  for (const topology::Rule& rule : g.rules) {
    rules.push(rule_doc(rule));
  }
  return v;
}

Value underlay_doc(const topology::Underlay& u) {
  Value v = Value::map();
  // Always written (see the header): also keeps `underlay` from being an
  // empty mapping.
  v.set("vxlan_port", num(u.vxlan_port));
  if (u.mtu) {
    v.set("mtu", num(*u.mtu));
  }
  return v;
}

// Calls fn(name, document) for each object of `kind`, in order.
template <typename Fn>
void for_each_object(const Topology& topo, ObjectKind kind, Fn&& fn) {
  switch (kind) {
    case ObjectKind::kHost:
      for (const auto& o : topo.hosts) {
        fn(o.name, [&] { return host_doc(o); });
      }
      return;
    case ObjectKind::kNetwork:
      for (const auto& o : topo.networks) {
        fn(o.name, [&] { return network_doc(o); });
      }
      return;
    case ObjectKind::kEndpoint:
      for (const auto& o : topo.endpoints) {
        fn(o.name, [&] { return endpoint_doc(o); });
      }
      return;
    case ObjectKind::kRouter:
      for (const auto& o : topo.routers) {
        fn(o.name, [&] { return router_doc(o); });
      }
      return;
    case ObjectKind::kSecurityGroup:
      for (const auto& o : topo.security_groups) {
        fn(o.name, [&] { return security_group_doc(o); });
      }
      return;
  }
}

Value list_document(const Topology& topo, ObjectKind kind) {
  Value list = Value::list();
  for_each_object(topo, kind, [&](const std::string&, auto make) { list.push(make()); });
  return list;
}

Value table_row(const Topology& topo, ObjectKind kind, std::size_t index,
                const std::map<std::string, std::size_t>& endpoints_per_network) {
  Value row = Value::map();
  switch (kind) {
    case ObjectKind::kHost: {
      const auto& h = topo.hosts[index];
      row.set("name", str(h.name));
      row.set("role", str(h.role == topology::HostRole::kSwitch ? "switch" : "hypervisor"));
      row.set("vtep", str(h.vtep_ip.str()));
      row.set("underlay-if", str(h.underlay_interface));
      break;
    }
    case ObjectKind::kNetwork: {
      const auto& n = topo.networks[index];
      const auto it = endpoints_per_network.find(n.name);
      row.set("name", str(n.name));
      row.set("vni", num(n.vni));
      row.set("subnet", str(n.subnet.str()));
      row.set("endpoints", num(it == endpoints_per_network.end() ? 0 : it->second));
      break;
    }
    case ObjectKind::kEndpoint: {
      const auto& e = topo.endpoints[index];
      row.set("name", str(e.name));
      row.set("host", str(e.host));
      row.set("network", str(e.network));
      row.set("interface", str(e.interface));
      row.set("mac", str(e.mac.str()));
      row.set("ip", str(e.ip.str()));
      Value& groups = row.set("groups", Value::list());
      for (const std::string& g : e.security_groups) {
        groups.push(str(g));
      }
      break;
    }
    case ObjectKind::kRouter:
      break;  // router_rows(): one row per effective route
    case ObjectKind::kSecurityGroup:
      break;  // security_group_rows(): one row per rule
  }
  return row;
}

// Members of each security group: the endpoints that list it, in document
// order (an endpoint listing a group twice counts once).
std::map<std::string, std::vector<const topology::Endpoint*>> group_members(const Topology& topo) {
  std::map<std::string, std::vector<const topology::Endpoint*>> members;
  for (const topology::Endpoint& e : topo.endpoints) {
    for (const std::string& g : e.security_groups) {
      auto& list = members[g];
      if (list.empty() || list.back() != &e) {
        list.push_back(&e);
      }
    }
  }
  return members;
}

const std::vector<const topology::Endpoint*>& members_of(
    const std::map<std::string, std::vector<const topology::Endpoint*>>& members,
    const std::string& group) {
  static const std::vector<const topology::Endpoint*> kNone;
  const auto it = members.find(group);
  return it == members.end() ? kNone : it->second;
}

Value member_doc(const topology::Endpoint& e) {
  Value v = Value::map();
  v.set("endpoint", str(e.name));
  v.set("host", str(e.host));
  v.set("network", str(e.network));
  v.set("ip", str(e.ip.str()));
  if (!e.allowed_addresses.empty()) {
    // They count as the endpoint's addresses for remote_group.
    Value& allowed = v.set("allowed_addresses", Value::list());
    for (const Ipv4Prefix& p : e.allowed_addresses) {
      allowed.push(str(p.str()));
    }
  }
  return v;
}

// `get security-groups -o yaml|json`: the group in the topology format, then
// the read-only list of its members.
Value security_group_get_doc(const topology::SecurityGroup& g,
                             const std::vector<const topology::Endpoint*>& members) {
  Value v = security_group_doc(g);
  Value& list = v.set("members", Value::list());
  for (const topology::Endpoint* e : members) {
    list.push(member_doc(*e));
  }
  return v;
}

// The rules table, one row per rule as `openstack security group rule
// list` shows them. Cells never contain blanks (awk-friendly): ports and
// icmp say "any" where the rule matches every port or type of its
// protocol and "-" where they do not apply; a rule with no remote shows
// 0.0.0.0/0 (it matches every peer, as OpenStack's CLI shows it).
void security_group_rows(const topology::SecurityGroup& g, Value* rows) {
  if (g.rules.empty()) {
    // Still listed: a group without rules lets its members send and
    // accept nothing, which an operator must be able to see.
    rows->push(Value::map()).set("name", str(g.name));
    return;
  }
  for (const topology::Rule& rule : g.rules) {
    Value& row = rows->push(Value::map());
    row.set("name", str(g.name));
    row.set("direction", str(rule.direction == topology::Direction::kEgress ? "egress" : "ingress"));
    row.set("protocol", protocol_value(rule.protocol));
    constexpr std::uint8_t kIcmp = 1, kTcp = 6, kUdp = 17;
    const bool ported = rule.protocol == kTcp || rule.protocol == kUdp;
    if (rule.port_min) {
      const std::uint16_t hi = rule.port_max.value_or(*rule.port_min);
      row.set("ports", str(hi == *rule.port_min
                               ? std::to_string(hi)
                               : std::to_string(*rule.port_min) + "-" + std::to_string(hi)));
    } else if (ported) {
      row.set("ports", str("any"));
    }
    if (rule.icmp_type) {
      row.set("icmp", str(std::to_string(*rule.icmp_type) +
                          (rule.icmp_code ? "/" + std::to_string(*rule.icmp_code) : "")));
    } else if (rule.protocol == kIcmp) {
      row.set("icmp", str("any"));
    }
    if (rule.remote_group) {
      row.set("remote-group", str(*rule.remote_group));
    } else {
      row.set("remote-cidr", str(rule.remote_cidr ? rule.remote_cidr->str() : "0.0.0.0/0"));
    }
  }
}

// The members table: one row per (group, member endpoint); a group without
// members still has one row, with "-" for the endpoint.
void member_rows(const topology::SecurityGroup& g,
                 const std::vector<const topology::Endpoint*>& members, Value* rows) {
  if (members.empty()) {
    rows->push(Value::map()).set("name", str(g.name));
    return;
  }
  for (const topology::Endpoint* e : members) {
    Value& row = rows->push(Value::map());
    row.set("name", str(g.name));
    row.set("endpoint", str(e->name));
    row.set("host", str(e->host));
    row.set("network", str(e->network));
    row.set("ip", str(e->ip.str()));
  }
}

}  // namespace

std::optional<ObjectKind> parse_kind(const std::string& text) {
  static const std::map<std::string, ObjectKind> kKinds = {
      {"hosts", ObjectKind::kHost},
      {"host", ObjectKind::kHost},
      {"networks", ObjectKind::kNetwork},
      {"network", ObjectKind::kNetwork},
      {"net", ObjectKind::kNetwork},
      {"endpoints", ObjectKind::kEndpoint},
      {"endpoint", ObjectKind::kEndpoint},
      {"ep", ObjectKind::kEndpoint},
      {"routers", ObjectKind::kRouter},
      {"router", ObjectKind::kRouter},
      {"security-groups", ObjectKind::kSecurityGroup},
      {"security-group", ObjectKind::kSecurityGroup},
      {"security_groups", ObjectKind::kSecurityGroup},
      {"security_group", ObjectKind::kSecurityGroup},
      {"sg", ObjectKind::kSecurityGroup},
      {"sgs", ObjectKind::kSecurityGroup},
  };
  const auto it = kKinds.find(text);
  if (it == kKinds.end()) {
    return std::nullopt;
  }
  return it->second;
}

const char* kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kHost: return "host";
    case ObjectKind::kNetwork: return "network";
    case ObjectKind::kEndpoint: return "endpoint";
    case ObjectKind::kRouter: return "router";
    case ObjectKind::kSecurityGroup: return "security-group";
  }
  return "object";
}

const char* kind_key(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kHost: return "hosts";
    case ObjectKind::kNetwork: return "networks";
    case ObjectKind::kEndpoint: return "endpoints";
    case ObjectKind::kRouter: return "routers";
    case ObjectKind::kSecurityGroup: return "security_groups";
  }
  return "objects";
}

std::string kind_choices() { return "hosts|networks|endpoints|routers|security-groups"; }

std::vector<std::string> object_names(const Topology& topo, ObjectKind kind) {
  std::vector<std::string> names;
  for_each_object(topo, kind, [&](const std::string& name, auto) { names.push_back(name); });
  return names;
}

std::vector<std::pair<std::string, Value>> object_documents(const Topology& topo,
                                                            ObjectKind kind) {
  std::vector<std::pair<std::string, Value>> docs;
  for_each_object(topo, kind,
                  [&](const std::string& name, auto make) { docs.emplace_back(name, make()); });
  return docs;
}

Value underlay_document(const topology::Underlay& underlay) { return underlay_doc(underlay); }

std::optional<Value> object_document(const Topology& topo, ObjectKind kind,
                                     const std::string& name) {
  std::optional<Value> found;
  for_each_object(topo, kind, [&](const std::string& n, auto make) {
    if (!found && n == name) {
      found = make();
    }
  });
  return found;
}

Value topology_document(const Topology& topo) {
  Value doc = Value::map();
  doc.set("version", num(1));
  doc.set("underlay", underlay_doc(topo.underlay));
  for (ObjectKind kind : kAllKinds) {
    doc.set(kind_key(kind), list_document(topo, kind));
  }
  return doc;
}

std::optional<Value> kind_document(const Topology& topo, ObjectKind kind,
                                   const std::optional<std::string>& name) {
  Value doc = Value::map();
  doc.set("version", num(1));
  if (kind == ObjectKind::kSecurityGroup) {
    // Groups with their members: see the header.
    const auto members = group_members(topo);
    Value& list = doc.set(kind_key(kind), Value::list());
    for (const topology::SecurityGroup& g : topo.security_groups) {
      if (!name || g.name == *name) {
        list.push(security_group_get_doc(g, members_of(members, g.name)));
      }
    }
    if (name && list.items().empty()) {
      return std::nullopt;
    }
    return doc;
  }
  if (!name) {
    doc.set(kind_key(kind), list_document(topo, kind));
    return doc;
  }
  std::optional<Value> object = object_document(topo, kind, *name);
  if (!object) {
    return std::nullopt;
  }
  doc.set(kind_key(kind), Value::list()).push(std::move(*object));
  return doc;
}

// A router's effective table (topology::effective_routes), longest prefix
// first as the datapath matches: destination, how it is reached, the
// egress network and the router's address and MAC there.
void router_rows(const Topology& topo, const topology::Router& r, Value* rows) {
  auto table = topology::effective_routes(topo, r);
  std::stable_sort(table.begin(), table.end(), [](const auto& a, const auto& b) {
    return a.destination.len > b.destination.len;
  });
  for (const topology::EffectiveRoute& route : table) {
    Value& row = rows->push(Value::map());
    row.set("name", str(r.name));
    row.set("destination", str(route.destination.str()));
    row.set("via", str(route.next_hop ? route.next_hop->str() : "connected"));
    row.set("network", str(route.network));
    for (const topology::RouterInterface& i : r.interfaces) {
      if (i.network == route.network) {
        row.set("gateway", str(i.ip.addr.str()));
      }
    }
    row.set("router-mac", str(route.mac.str()));
  }
}

std::optional<Value> table_rows(const Topology& topo, ObjectKind kind,
                                const std::optional<std::string>& name) {
  std::map<std::string, std::size_t> endpoints_per_network;
  if (kind == ObjectKind::kNetwork) {
    for (const auto& e : topo.endpoints) {
      ++endpoints_per_network[e.network];
    }
  }
  Value rows = Value::list();
  const std::vector<std::string> names = object_names(topo, kind);
  bool found = false;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (name && names[i] != *name) {
      continue;
    }
    found = true;
    if (kind == ObjectKind::kRouter) {
      router_rows(topo, topo.routers[i], &rows);
      continue;
    }
    if (kind == ObjectKind::kSecurityGroup) {
      security_group_rows(topo.security_groups[i], &rows);
      continue;
    }
    rows.push(table_row(topo, kind, i, endpoints_per_network));
  }
  if (name && !found) {
    return std::nullopt;
  }
  return rows;
}

std::optional<Value> member_table_rows(const Topology& topo,
                                       const std::optional<std::string>& name) {
  const auto members = group_members(topo);
  Value rows = Value::list();
  bool found = false;
  for (const topology::SecurityGroup& g : topo.security_groups) {
    if (name && g.name != *name) {
      continue;
    }
    found = true;
    member_rows(g, members_of(members, g.name), &rows);
  }
  if (name && !found) {
    return std::nullopt;
  }
  return rows;
}

output::TableSpec table_spec(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kHost: return {{"name", "role", "vtep", "underlay-if"}};
    case ObjectKind::kNetwork: return {{"name", "vni", "subnet", "endpoints"}};
    case ObjectKind::kEndpoint:
      return {{"name", "host", "network", "interface", "mac", "ip", "groups"}};
    case ObjectKind::kRouter:
      return {{"name", "destination", "via", "network", "gateway", "router-mac"}};
    case ObjectKind::kSecurityGroup:
      return {{"name", "direction", "protocol", "ports", "icmp", "remote-cidr", "remote-group"}};
  }
  return {};
}

output::TableSpec member_table_spec() { return {{"name", "endpoint", "host", "network", "ip"}}; }

std::optional<std::string> tables_text(const Topology& topo, ObjectKind kind,
                                       const std::optional<std::string>& name) {
  const auto rows = table_rows(topo, kind, name);
  if (!rows) {
    return std::nullopt;
  }
  std::string out = output::to_table(*rows, table_spec(kind));
  if (kind == ObjectKind::kSecurityGroup) {
    out += "\n" + output::to_table(*member_table_rows(topo, name), member_table_spec());
  }
  return out;
}

Value protocol_value(const std::optional<std::uint8_t>& protocol) {
  if (!protocol) {
    return str("any");
  }
  switch (*protocol) {
    case 1: return str("icmp");
    case 6: return str("tcp");
    case 17: return str("udp");
    default: return num(*protocol);
  }
}

bool values_equal(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case Value::Kind::kNull: return true;
    case Value::Kind::kBool: return a.as_bool() == b.as_bool();
    case Value::Kind::kInt: return a.as_int() == b.as_int();
    case Value::Kind::kString: return a.as_string() == b.as_string();
    case Value::Kind::kList: {
      if (a.items().size() != b.items().size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        if (!values_equal(a.items()[i], b.items()[i])) {
          return false;
        }
      }
      return true;
    }
    case Value::Kind::kMap: {
      if (a.fields().size() != b.fields().size()) {
        return false;
      }
      for (std::size_t i = 0; i < a.fields().size(); ++i) {
        if (a.fields()[i].first != b.fields()[i].first ||
            !values_equal(a.fields()[i].second, b.fields()[i].second)) {
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

}  // namespace vnet::cli

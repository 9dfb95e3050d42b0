// YAML -> Topology: merges the documents and reads each object's shape
// (keys, types, value syntax and ranges; reader.h does the per-value work).
// Everything that relates two objects is validate.cc's. Every document is
// read to the end, so one run reports every mistake.

#include "topology/parser.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "topology/marks.h"
#include "topology/reader.h"
#include "topology/yaml_tree.h"
#include "vnet/abi.h"

namespace vnet::topology {

namespace {

using yaml::Kind;
using yaml::Node;

constexpr std::int64_t kVlanMax = 4094;
constexpr std::int64_t kMtuMin = 1280;
constexpr std::int64_t kMtuMax = 65535;

constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;

// Addresses a VTEP cannot have: "this network", loopback, multicast,
// reserved and broadcast.
bool unicast_ipv4(Ipv4 ip) {
  const std::uint32_t first = ip.value >> 24;
  return first != 0 && first != 127 && first < 224;
}

class Loader {
 public:
  void add_document(const std::string& file, const yaml::Document& doc) {
    ctx_.set_document(file, doc);
    doc_ = &doc;
    note_file(file);
    if (const Node* root = doc.root()) {
      read_root(*root);
    }
  }

  void error(const SourceLoc& loc, std::string message) { ctx_.error(loc, std::move(message)); }
  void error(const Node& at, std::string message) { ctx_.error(at, std::move(message)); }

  // A file that could not be read or parsed still takes its place in the
  // order of the diagnostics.
  void note_file(const std::string& file) { file_order_.try_emplace(file, file_order_.size()); }
  // Part of the input is unknown: "missing version" may be a false alarm.
  void set_incomplete() { incomplete_ = true; }

  LoadResult finish(bool any_input);

 private:
  void read_root(const Node& root);
  // Top-level sections.
  void read_version(const Node& key, const Node& value);
  void read_underlay(const Node& key, const Node& value);
  void read_hosts(const Node& key, const Node& value);
  void read_networks(const Node& key, const Node& value);
  void read_endpoints(const Node& key, const Node& value);
  void read_routers(const Node& key, const Node& value);
  void read_security_groups(const Node& key, const Node& value);
  template <typename Fn>
  void read_list(const Node& n, std::string_view what, Fn&& read_item);
  void read_host(const Node& n, std::size_t i);
  void read_network(const Node& n, std::size_t i);
  void read_endpoint(const Node& n, std::size_t i);
  void read_router(const Node& n, std::size_t i);
  void read_security_group(const Node& n, std::size_t i);
  void read_rule(ObjectReader& group, const Node& n, std::size_t i, SecurityGroup& out,
                 GroupMarks& marks);

  std::vector<Diagnostic> errors_;
  ReadContext ctx_{errors_};
  const yaml::Document* doc_ = nullptr;
  Topology topo_;
  TopologyMarks marks_;
  std::unordered_map<std::string, std::size_t> file_order_;
  bool version_seen_ = false;
  bool incomplete_ = false;  // a file was unreadable or cut short by a syntax error
  std::optional<SourceLoc> underlay_at_;
};

// ---- Loader --------------------------------------------------------------------

void Loader::read_root(const Node& root) {
  // A top-level key and what reads its value.
  struct Section {
    std::string_view name;
    void (Loader::*read)(const Node& key, const Node& value);
  };
  static constexpr Section kSections[] = {
      {"version", &Loader::read_version},
      {"underlay", &Loader::read_underlay},
      {"hosts", &Loader::read_hosts},
      {"networks", &Loader::read_networks},
      {"endpoints", &Loader::read_endpoints},
      {"routers", &Loader::read_routers},
      {"security_groups", &Loader::read_security_groups},
  };
  static const std::string kNames = [] {
    std::string names;
    for (const Section& s : kSections) {
      names += (names.empty() ? "" : ", ") + std::string(s.name);
    }
    return names;
  }();

  if (root.kind == Kind::kNull) {
    return;
  }
  if (root.kind != Kind::kMap) {
    error(root, "expected a mapping with any of: " + kNames + ", got " + yaml::describe(root));
    return;
  }
  const yaml::Document& doc = *doc_;
  std::array<const Node*, std::size(kSections)> seen{};
  for (std::size_t i = 0; i < doc.size(root); ++i) {
    const Node& key = doc.key(root, i);
    const auto section = std::find_if(
        std::begin(kSections), std::end(kSections),
        [&](const Section& s) { return key.kind == Kind::kScalar && s.name == key.value; });
    if (section == std::end(kSections)) {
      error(key, "unknown top-level key " +
                     (key.kind == Kind::kScalar ? quoted(key.value) : yaml::describe(key)) +
                     "; expected one of: " + kNames);
      continue;
    }
    const Node*& first = seen[section - std::begin(kSections)];
    if (first != nullptr) {
      error(key,
            "duplicate key " + quoted(key.value) + " (first at " + ctx_.loc(*first).str() + ")");
      continue;
    }
    first = &key;
    (this->*section->read)(key, doc.value(root, i));
  }
}

void Loader::read_hosts(const Node&, const Node& value) {
  read_list(value, "hosts", [this](const Node& n, std::size_t i) { read_host(n, i); });
}

void Loader::read_networks(const Node&, const Node& value) {
  read_list(value, "networks", [this](const Node& n, std::size_t i) { read_network(n, i); });
}

void Loader::read_endpoints(const Node&, const Node& value) {
  read_list(value, "endpoints", [this](const Node& n, std::size_t i) { read_endpoint(n, i); });
}

void Loader::read_routers(const Node&, const Node& value) {
  read_list(value, "routers", [this](const Node& n, std::size_t i) { read_router(n, i); });
}

void Loader::read_security_groups(const Node&, const Node& value) {
  read_list(value, "security_groups",
            [this](const Node& n, std::size_t i) { read_security_group(n, i); });
}

void Loader::read_version(const Node&, const Node& n) {
  version_seen_ = true;
  const auto v = n.kind == Kind::kScalar && n.plain ? parse_int(n.value) : std::nullopt;
  if (!v) {
    error(n, "version: expected an integer, got " + yaml::describe(n));
  } else if (*v != 1) {
    error(n, "version: unsupported version " + n.value + "; expected 1");
  }
}

void Loader::read_underlay(const Node& key, const Node& n) {
  if (underlay_at_) {
    error(key, "underlay is already defined at " + underlay_at_->str() +
                   "; it may appear in one file only");
    return;
  }
  underlay_at_ = ctx_.loc(key);
  if (n.kind == Kind::kNull) {
    return;
  }
  static constexpr KeySpec kKeys[] = {{"vxlan_port", Field::kVxlanPort}, {"mtu", Field::kMtu}};
  ObjectReader o(ctx_, n, kKeys, "underlay", "underlay");
  if (!o.ok()) {
    return;
  }
  if (const auto port = o.integer(Field::kVxlanPort, false, 1, 65535)) {
    topo_.underlay.vxlan_port = static_cast<std::uint16_t>(*port);
  }
  if (const auto mtu = o.integer(Field::kMtu, false, kMtuMin, kMtuMax)) {
    topo_.underlay.mtu = static_cast<std::uint32_t>(*mtu);
  }
}

template <typename Fn>
void Loader::read_list(const Node& n, std::string_view what, Fn&& read_item) {
  if (n.kind == Kind::kNull) {
    return;
  }
  if (n.kind != Kind::kSequence) {
    error(n, std::string(what) + ": expected a list, got " + yaml::describe(n));
    return;
  }
  for (std::size_t i = 0; i < doc_->size(n); ++i) {
    read_item(doc_->item(n, i), i);
  }
}

std::string item_path(std::string_view list, std::size_t i) {
  return std::string(list) + "[" + std::to_string(i) + "]";
}

void Loader::read_host(const Node& n, std::size_t i) {
  static constexpr KeySpec kKeys[] = {
      {"name", Field::kName},
      {"role", Field::kRole},
      {"vtep_ip", Field::kVtepIp},
      {"underlay_interface", Field::kUnderlayInterface},
  };
  ObjectReader o(ctx_, n, kKeys, "host", item_path("hosts", i));
  if (!o.ok()) {
    return;
  }
  Host h;
  h.loc = o.loc();
  const auto name = o.name();
  bool role_known = true;
  if (const auto role = o.string(Field::kRole, false)) {
    if (*role == "switch") {
      h.role = HostRole::kSwitch;
    } else if (*role != "hypervisor") {
      o.fail(Field::kRole, *o.raw(Field::kRole),
             "expected hypervisor or switch, got " + yaml::describe(*o.raw(Field::kRole)));
      role_known = false;
    }
  } else if (o.has(Field::kRole)) {
    role_known = false;
  }
  if (const auto ip = o.ipv4(Field::kVtepIp, true)) {
    if (!unicast_ipv4(*ip)) {
      o.fail(Field::kVtepIp, *o.raw(Field::kVtepIp),
             ip->str() + " is not a unicast address a VTEP can have");
    }
    h.vtep_ip = *ip;
  }
  // XDP attaches to it on hypervisors; a switch's underlay is its own business.
  const bool needs_underlay = role_known && h.role == HostRole::kHypervisor;
  if (needs_underlay && !o.has(Field::kUnderlayInterface)) {
    error(o.loc(), o.label() +
                       ": missing required key 'underlay_interface' (required for "
                       "hypervisors: XDP attaches there)");
    o.marks().set_invalid(Field::kUnderlayInterface);
  } else if (const auto ifname = o.ifname(Field::kUnderlayInterface, false)) {
    h.underlay_interface = *ifname;
  }
  if (!name) {
    return;
  }
  h.name = *name;
  topo_.hosts.push_back(std::move(h));
  marks_.hosts.push_back(std::move(o.marks()));
}

void Loader::read_network(const Node& n, std::size_t i) {
  static constexpr KeySpec kKeys[] = {
      {"name", Field::kName}, {"vni", Field::kVni}, {"subnet", Field::kSubnet}};
  ObjectReader o(ctx_, n, kKeys, "network", item_path("networks", i));
  if (!o.ok()) {
    return;
  }
  Network net;
  net.loc = o.loc();
  const auto name = o.name();
  if (const auto vni = o.integer(Field::kVni, true, 1, VNET_VNI_MAX)) {
    net.vni = static_cast<std::uint32_t>(*vni);
  }
  if (const auto subnet = o.prefix(Field::kSubnet, true)) {
    // Endpoints take neither the network nor the broadcast address, so a
    // /31 or /32 would have room for none.
    if (subnet->len > 30) {
      o.fail(Field::kSubnet, *o.raw(Field::kSubnet),
             subnet->str() + " has no room for endpoints: expected a prefix length of 30 or less");
    }
    net.subnet = *subnet;
  }
  if (!name) {
    return;
  }
  net.name = *name;
  topo_.networks.push_back(std::move(net));
  marks_.networks.push_back(std::move(o.marks()));
}

void Loader::read_endpoint(const Node& n, std::size_t i) {
  static constexpr KeySpec kKeys[] = {
      {"name", Field::kName},
      {"host", Field::kHost},
      {"network", Field::kNetwork},
      {"interface", Field::kInterface},
      {"mac", Field::kMac},
      {"ip", Field::kIp},
      {"vlan", Field::kVlan},
      {"security_groups", Field::kSecurityGroups},
      {"allowed_addresses", Field::kAllowedAddresses},
  };
  ObjectReader o(ctx_, n, kKeys, "endpoint", item_path("endpoints", i));
  if (!o.ok()) {
    return;
  }
  Endpoint ep;
  ep.loc = o.loc();
  const auto name = o.name();
  ep.host = o.reference(Field::kHost, true).value_or("");
  ep.network = o.reference(Field::kNetwork, true).value_or("");
  ep.interface = o.ifname(Field::kInterface, true).value_or("");
  ep.mac = o.unicast_mac(Field::kMac, true).value_or(Mac{});
  ep.ip = o.ipv4(Field::kIp, true).value_or(Ipv4{});
  if (const auto vlan = o.integer(Field::kVlan, false, 1, kVlanMax)) {
    ep.vlan = static_cast<std::uint16_t>(*vlan);
  }
  ep.security_groups = o.names(Field::kSecurityGroups);
  ep.allowed_addresses = o.prefixes(Field::kAllowedAddresses);
  if (!name) {
    return;
  }
  ep.name = *name;
  topo_.endpoints.push_back(std::move(ep));
  marks_.endpoints.push_back(std::move(o.marks()));
}

void Loader::read_router(const Node& n, std::size_t i) {
  static constexpr KeySpec kKeys[] = {
      {"name", Field::kName}, {"interfaces", Field::kInterfaces}, {"routes", Field::kRoutes}};
  static constexpr KeySpec kInterfaceKeys[] = {
      {"network", Field::kNetwork}, {"ip", Field::kIp}, {"mac", Field::kMac}};
  static constexpr KeySpec kRouteKeys[] = {{"destination", Field::kDestination},
                                           {"next_hop", Field::kNextHop}};
  ObjectReader o(ctx_, n, kKeys, "router", item_path("routers", i));
  if (!o.ok()) {
    return;
  }
  Router r;
  RouterMarks marks;
  r.loc = o.loc();
  const auto name = o.name();
  if (const Node* seq = o.list(Field::kInterfaces, true)) {
    for (std::size_t k = 0; k < doc_->size(*seq); ++k) {
      ObjectReader io(ctx_, doc_->item(*seq, k), kInterfaceKeys, "router interface",
                      o.label() + " interfaces[" + std::to_string(k) + "]");
      if (!io.ok()) {
        continue;
      }
      RouterInterface iface;
      iface.loc = io.loc();
      iface.network = io.reference(Field::kNetwork, true).value_or("");
      if (const auto ip = io.interface_address(Field::kIp, true)) {
        iface.ip = *ip;
      }
      iface.mac = io.unicast_mac(Field::kMac, false);
      if (io.has(Field::kMac) && !iface.mac) {
        // Deriving a MAC here would report collisions with a value the
        // user never wrote.
        io.marks().set_invalid(Field::kMac);
      }
      r.interfaces.push_back(std::move(iface));
      marks.interfaces.push_back(std::move(io.marks()));
    }
  }
  if (const Node* seq = o.list(Field::kRoutes, false)) {
    for (std::size_t k = 0; k < doc_->size(*seq); ++k) {
      ObjectReader ro(ctx_, doc_->item(*seq, k), kRouteKeys, "route",
                      o.label() + " routes[" + std::to_string(k) + "]");
      if (!ro.ok()) {
        continue;
      }
      Route route;
      route.loc = ro.loc();
      route.destination = ro.prefix(Field::kDestination, true).value_or(Ipv4Prefix{});
      route.next_hop = ro.ipv4(Field::kNextHop, true).value_or(Ipv4{});
      r.routes.push_back(route);
      marks.routes.push_back(std::move(ro.marks()));
    }
  }
  if (!name) {
    return;
  }
  r.name = *name;
  marks.self = std::move(o.marks());
  topo_.routers.push_back(std::move(r));
  marks_.routers.push_back(std::move(marks));
}

void Loader::read_security_group(const Node& n, std::size_t i) {
  static constexpr KeySpec kKeys[] = {{"name", Field::kName}, {"rules", Field::kRules}};
  ObjectReader o(ctx_, n, kKeys, "security group", item_path("security_groups", i));
  if (!o.ok()) {
    return;
  }
  SecurityGroup g;
  GroupMarks marks;
  g.loc = o.loc();
  const auto name = o.name();
  // No rules is a valid group: its members accept and send nothing.
  if (const Node* seq = o.list(Field::kRules, false)) {
    for (std::size_t k = 0; k < doc_->size(*seq); ++k) {
      read_rule(o, doc_->item(*seq, k), k, g, marks);
    }
  }
  if (!name) {
    return;
  }
  g.name = *name;
  marks.self = std::move(o.marks());
  topo_.security_groups.push_back(std::move(g));
  marks_.security_groups.push_back(std::move(marks));
}

// "80" or "8000-8080" (a YAML integer or a string), 1 <= N <= M <= 65535.
std::optional<std::pair<std::uint16_t, std::uint16_t>> parse_ports(const Node& n) {
  if (n.kind != Kind::kScalar) {
    return std::nullopt;
  }
  const std::string_view text = n.value;
  const auto dash = text.find('-');
  const auto lo = parse_int(text.substr(0, dash));
  const auto hi = dash == std::string_view::npos ? lo : parse_int(text.substr(dash + 1));
  if (!lo || !hi || *lo < 1 || *lo > *hi || *hi > 65535) {
    return std::nullopt;
  }
  return std::pair{static_cast<std::uint16_t>(*lo), static_cast<std::uint16_t>(*hi)};
}

void Loader::read_rule(ObjectReader& group, const Node& n, std::size_t i, SecurityGroup& out,
                       GroupMarks& marks) {
  static constexpr KeySpec kKeys[] = {
      {"direction", Field::kDirection},
      {"protocol", Field::kProtocol},
      {"ports", Field::kPorts},
      {"icmp_type", Field::kIcmpType},
      {"icmp_code", Field::kIcmpCode},
      {"remote_cidr", Field::kRemoteCidr},
      {"remote_group", Field::kRemoteGroup},
  };
  ObjectReader o(ctx_, n, kKeys, "rule", group.label() + " rules[" + std::to_string(i) + "]");
  if (!o.ok()) {
    return;
  }
  Rule rule;
  rule.loc = o.loc();
  if (const auto dir = o.string(Field::kDirection, true)) {
    if (*dir == "egress") {
      rule.direction = Direction::kEgress;
    } else if (*dir != "ingress") {
      o.fail(Field::kDirection, *o.raw(Field::kDirection),
             "expected ingress or egress, got " + yaml::describe(*o.raw(Field::kDirection)));
    }
  }
  // Absent means any, as in Neutron.
  bool protocol_known = true;
  if (const auto proto = o.string(Field::kProtocol, false)) {
    const Node& at = *o.raw(Field::kProtocol);
    const auto number = parse_int(*proto);
    if (*proto == "tcp") {
      rule.protocol = kProtoTcp;
    } else if (*proto == "udp") {
      rule.protocol = kProtoUdp;
    } else if (*proto == "icmp") {
      rule.protocol = kProtoIcmp;
    } else if (*proto == "any") {
      rule.protocol = std::nullopt;
    } else if (number && *number >= 0 && *number <= 255) {
      rule.protocol = static_cast<std::uint8_t>(*number);
    } else {
      o.fail(Field::kProtocol, at,
             "expected tcp, udp, icmp, any or an IP protocol number 0..255, got " +
                 yaml::describe(at));
      protocol_known = false;
    }
  } else if (o.has(Field::kProtocol)) {
    protocol_known = false;
  }
  const bool ported = rule.protocol == kProtoTcp || rule.protocol == kProtoUdp;
  const bool icmp = rule.protocol == kProtoIcmp;
  const std::string proto_text =
      rule.protocol ? "protocol " + std::to_string(*rule.protocol) : std::string("protocol any");

  if (o.has(Field::kPorts)) {
    const Node& at = *o.raw(Field::kPorts);
    o.mark(Field::kPorts, at);
    const auto ports = parse_ports(at);
    if (!ports) {
      o.fail(Field::kPorts, at,
             "expected a port N or a range \"N-M\" with 1 <= N <= M <= 65535, got " +
                 yaml::describe(at));
    } else if (protocol_known && !ported) {
      o.fail(Field::kPorts, at, "ports apply only to tcp and udp rules, not " + proto_text);
    } else {
      rule.port_min = ports->first;
      rule.port_max = ports->second;
    }
  }
  for (const Field f : {Field::kIcmpType, Field::kIcmpCode}) {
    if (!o.has(f)) {
      continue;
    }
    const auto v = o.integer(f, false, 0, 255);
    if (!v) {
      continue;
    }
    if (protocol_known && !icmp) {
      o.fail(f, *o.raw(f),
             std::string(field_name(f)) + " applies only to icmp rules, not " + proto_text);
      continue;
    }
    (f == Field::kIcmpType ? rule.icmp_type : rule.icmp_code) = static_cast<std::uint8_t>(*v);
  }
  if (o.has(Field::kIcmpCode) && !o.has(Field::kIcmpType)) {
    o.fail(Field::kIcmpCode, *o.raw(Field::kIcmpCode),
           "icmp_code requires icmp_type (a code means nothing without its type)");
    rule.icmp_code.reset();
  }
  if (o.has(Field::kRemoteCidr) && o.has(Field::kRemoteGroup)) {
    o.fail(Field::kRemoteGroup, *o.raw(Field::kRemoteGroup),
           "remote_cidr and remote_group are mutually exclusive: a rule matches peers by "
           "address or by group membership, not both");
  } else {
    rule.remote_cidr = o.prefix(Field::kRemoteCidr, false);
    rule.remote_group = o.reference(Field::kRemoteGroup, false);
  }
  out.rules.push_back(std::move(rule));
  marks.rules.push_back(std::move(o.marks()));
}

LoadResult Loader::finish(bool any_input) {
  if (!any_input) {
    error(SourceLoc{}, "no topology given");
  } else if (!version_seen_ && !incomplete_) {
    // Point at the first file: that is where an operator would add it.
    const auto first =
        std::min_element(file_order_.begin(), file_order_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    error(SourceLoc{first->first, 1, 1},
          "missing 'version: 1': at least one file must say which format it is");
  }
  // Cross-object checks run even after errors, on what parsed, so the
  // first run shows every mistake; values that failed are skipped (marks).
  auto more = validate(topo_, &marks_);
  errors_.insert(errors_.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
  // Files in the order given, then by position; identical reports (an
  // alias repeats its anchor's node) once.
  const auto order = [this](const SourceLoc& l) {
    const auto it = file_order_.find(l.file);
    return it == file_order_.end() ? file_order_.size() : it->second;
  };
  std::stable_sort(errors_.begin(), errors_.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::tuple(order(a.loc), a.loc.line, a.loc.column) <
           std::tuple(order(b.loc), b.loc.line, b.loc.column);
  });
  errors_.erase(std::unique(errors_.begin(), errors_.end(),
                            [](const Diagnostic& a, const Diagnostic& b) {
                              return a.loc.file == b.loc.file && a.loc.line == b.loc.line &&
                                     a.loc.column == b.loc.column && a.message == b.message;
                            }),
                errors_.end());
  LoadResult result;
  if (errors_.empty()) {
    result.topology = std::move(topo_);
  } else {
    result.errors = std::move(errors_);
  }
  return result;
}

LoadResult load(const std::vector<std::pair<std::string, const std::string*>>& docs,
                std::vector<Diagnostic> read_errors) {
  Loader loader;
  for (const auto& [name, text] : docs) {
    loader.note_file(name);
    if (text == nullptr) {
      loader.set_incomplete();
      continue;
    }
    const yaml::Stream stream = yaml::parse(*text);
    for (const yaml::Document& doc : stream.documents) {
      loader.add_document(name, doc);
    }
    if (stream.error) {
      loader.set_incomplete();
      loader.error(SourceLoc{name, stream.error->line, stream.error->column},
                   "YAML syntax error: " + stream.error->message);
    }
  }
  for (Diagnostic& d : read_errors) {
    loader.error(d.loc, std::move(d.message));
  }
  return loader.finish(!docs.empty());
}

}  // namespace

std::string Diagnostic::str() const {
  const std::string where = loc.str();
  return where.empty() ? message : where + ": " + message;
}

LoadResult load_strings(const std::vector<std::pair<std::string, std::string>>& docs) {
  std::vector<std::pair<std::string, const std::string*>> refs;
  refs.reserve(docs.size());
  for (const auto& [name, text] : docs) {
    refs.emplace_back(name, &text);
  }
  return load(refs, {});
}

LoadResult load_files(const std::vector<std::string>& paths) {
  std::vector<std::string> texts(paths.size());
  std::vector<std::pair<std::string, const std::string*>> refs;
  std::vector<Diagnostic> read_errors;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::ifstream in(paths[i], std::ios::binary);
    if (!in) {
      read_errors.push_back(Diagnostic{SourceLoc{paths[i], 0, 0},
                                       std::string("cannot read: ") + std::strerror(errno)});
      refs.emplace_back(paths[i], nullptr);
      continue;
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad()) {
      read_errors.push_back(Diagnostic{SourceLoc{paths[i], 0, 0},
                                       std::string("read error: ") + std::strerror(errno)});
      refs.emplace_back(paths[i], nullptr);
      continue;
    }
    texts[i] = std::move(buf).str();
    refs.emplace_back(paths[i], &texts[i]);
  }
  return load(refs, std::move(read_errors));
}

std::vector<Diagnostic> validate(const Topology& topo) { return validate(topo, nullptr); }

}  // namespace vnet::topology

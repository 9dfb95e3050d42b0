#include "object_refs.h"

#include <set>
#include <string>
#include <utility>

#include <yaml-cpp/yaml.h>

namespace vnet::cli {

namespace {

topology::Diagnostic diag(const std::string& file, const YAML::Mark& mark, std::string message) {
  topology::Diagnostic d;
  d.loc.file = file;
  // yaml-cpp marks are 0-based; a null node's mark is -1.
  d.loc.line = mark.line >= 0 ? mark.line + 1 : 0;
  d.loc.column = mark.column >= 0 ? mark.column + 1 : 0;
  d.message = std::move(message);
  return d;
}

void read_document(const std::string& file, const YAML::Node& root, RefsResult& out,
                   std::set<std::pair<ObjectKind, std::string>>& seen) {
  if (!root || root.IsNull()) {
    return;
  }
  if (!root.IsMap()) {
    out.errors.push_back(diag(file, root.Mark(), "expected a mapping of top-level lists"));
    return;
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (key == "version" || key == "underlay") {
      continue;  // nothing to delete by name
    }
    const std::optional<ObjectKind> kind = parse_kind(key);
    if (!kind || key != kind_key(*kind)) {
      out.errors.push_back(diag(file, entry.first.Mark(),
                                "unknown key '" + key +
                                    "' (expected hosts, networks, endpoints, routers, "
                                    "security_groups)"));
      continue;
    }
    const YAML::Node& list = entry.second;
    if (list.IsNull()) {
      continue;
    }
    if (!list.IsSequence()) {
      out.errors.push_back(diag(file, list.Mark(), "'" + key + "' must be a list"));
      continue;
    }
    for (const auto& item : list) {
      const YAML::Node name = item.IsMap() ? item["name"] : YAML::Node();
      if (!name || !name.IsScalar() || name.Scalar().empty()) {
        out.errors.push_back(diag(file, item.Mark(), std::string("each item of '") + key +
                                                         "' needs a name"));
        continue;
      }
      if (seen.emplace(*kind, name.Scalar()).second) {
        out.refs.push_back({*kind, name.Scalar()});
      }
    }
  }
}

// One pass per list (not one erase per name): deleting a whole file of
// 100k endpoints stays linear.
template <typename T>
void erase_named(std::vector<T>& items, ObjectKind kind,
                 std::set<std::pair<ObjectKind, std::string>>& wanted) {
  std::erase_if(items, [&](const T& item) { return wanted.erase({kind, item.name}) > 0; });
}

}  // namespace

RefsResult read_object_refs(const std::vector<std::pair<std::string, std::string>>& docs) {
  RefsResult out;
  std::set<std::pair<ObjectKind, std::string>> seen;
  for (const auto& [file, text] : docs) {
    try {
      for (const YAML::Node& root : YAML::LoadAll(text)) {
        read_document(file, root, out, seen);
      }
    } catch (const YAML::Exception& e) {
      out.errors.push_back(diag(file, e.mark, e.msg));
    }
  }
  return out;
}

std::vector<ObjectRef> remove_objects(topology::Topology& topo,
                                      const std::vector<ObjectRef>& refs) {
  std::set<std::pair<ObjectKind, std::string>> wanted;
  for (const ObjectRef& ref : refs) {
    wanted.emplace(ref.kind, ref.name);
  }
  erase_named(topo.hosts, ObjectKind::kHost, wanted);
  erase_named(topo.networks, ObjectKind::kNetwork, wanted);
  erase_named(topo.endpoints, ObjectKind::kEndpoint, wanted);
  erase_named(topo.routers, ObjectKind::kRouter, wanted);
  erase_named(topo.security_groups, ObjectKind::kSecurityGroup, wanted);
  // What is left was not found; report it in the order it was asked for.
  std::vector<ObjectRef> missing;
  for (const ObjectRef& ref : refs) {
    if (wanted.count({ref.kind, ref.name}) > 0) {
      missing.push_back(ref);
    }
  }
  return missing;
}

}  // namespace vnet::cli

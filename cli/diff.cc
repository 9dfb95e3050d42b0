#include "diff.h"

#include <string>
#include <unordered_map>
#include <utility>

#include "topology_doc.h"

namespace vnet::cli {

namespace {

using output::Value;

// A value on one line: plain text, lists and maps in flow style. For people,
// not parsers.
std::string inline_text(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return "none";
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kString: return v.as_string().empty() ? "\"\"" : v.as_string();
    case Value::Kind::kList: {
      std::string out = "[";
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        out += (i == 0 ? "" : ", ") + inline_text(v.items()[i]);
      }
      return out + "]";
    }
    case Value::Kind::kMap: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : v.fields()) {
        out += (first ? "" : ", ") + key + ": " + inline_text(item);
        first = false;
      }
      return out + "}";
    }
  }
  return "";
}

std::string join_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void diff_values(const std::string& path, const Value& a, const Value& b,
                 std::vector<std::string>& details) {
  if (values_equal(a, b)) {
    return;
  }
  if (a.kind() == Value::Kind::kMap && b.kind() == Value::Kind::kMap) {
    // Keys of `a` in order (changed or removed), then keys only in `b`.
    for (const auto& [key, av] : a.fields()) {
      const Value* bv = b.get(key);
      diff_values(join_path(path, key), av, bv ? *bv : Value(), details);
    }
    for (const auto& [key, bv] : b.fields()) {
      if (a.get(key) == nullptr) {
        diff_values(join_path(path, key), Value(), bv, details);
      }
    }
    return;
  }
  // Lists of the same length compare item by item (rules[1].ports: ...);
  // otherwise the whole list is shown before and after.
  if (a.kind() == Value::Kind::kList && b.kind() == Value::Kind::kList &&
      a.items().size() == b.items().size()) {
    bool all_scalar = true;
    for (const Value& item : a.items()) {
      all_scalar = all_scalar && item.kind() != Value::Kind::kMap &&
                   item.kind() != Value::Kind::kList;
    }
    if (!all_scalar) {
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        diff_values(path + "[" + std::to_string(i) + "]", a.items()[i], b.items()[i], details);
      }
      return;
    }
  }
  details.push_back(path + ": " + inline_text(a) + " -> " + inline_text(b));
}

void diff_kind(ObjectKind kind, const topology::Topology& before, const topology::Topology& after,
               std::vector<Change>& changes) {
  auto old_docs = object_documents(before, kind);
  auto new_docs = object_documents(after, kind);
  std::unordered_map<std::string, const Value*> new_by_name;
  std::unordered_map<std::string, const Value*> old_by_name;
  for (const auto& [name, doc] : new_docs) {
    new_by_name.emplace(name, &doc);
  }
  for (const auto& [name, doc] : old_docs) {
    old_by_name.emplace(name, &doc);
    const auto it = new_by_name.find(name);
    if (it == new_by_name.end()) {
      changes.push_back({'-', kind_name(kind), name, {}});
      continue;
    }
    std::vector<std::string> details;
    diff_values("", doc, *it->second, details);
    if (!details.empty()) {
      changes.push_back({'~', kind_name(kind), name, std::move(details)});
    }
  }
  for (const auto& [name, doc] : new_docs) {
    if (old_by_name.count(name) == 0) {
      changes.push_back({'+', kind_name(kind), name, {}});
    }
  }
}

}  // namespace

std::string Change::str() const {
  std::string out(1, op);
  out += ' ';
  out += kind;
  if (!name.empty()) {
    out += ' ' + name;
  }
  if (!details.empty()) {
    out += " (";
    for (std::size_t i = 0; i < details.size(); ++i) {
      out += (i == 0 ? "" : ", ") + details[i];
    }
    out += ')';
  }
  return out;
}

std::vector<Change> diff_topologies(const topology::Topology& before,
                                    const topology::Topology& after) {
  std::vector<Change> changes;
  std::vector<std::string> underlay;
  diff_values("", underlay_document(before.underlay), underlay_document(after.underlay),
              underlay);
  if (!underlay.empty()) {
    changes.push_back({'~', "underlay", "", std::move(underlay)});
  }
  for (ObjectKind kind : kAllKinds) {
    diff_kind(kind, before, after, changes);
  }
  return changes;
}

}  // namespace vnet::cli

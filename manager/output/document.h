#pragma once
// One document tree, three printers: everything vnetctl and vnetd show
// (get, stats, status) is built once as a Value and printed as a table, YAML
// or JSON (iproute2's print_*(PRINT_ANY, ...) idea). Maps keep insertion
// order so output is stable and matches the topology format's key order.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vnet::output {

enum class Format { kTable, kYaml, kJson };

// "table" | "yaml" | "json"
std::optional<Format> parse_format(const std::string& text);

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kString, kList, kMap };

  Value() = default;  // null
  static Value boolean(bool b);
  static Value integer(std::int64_t i);
  static Value string(std::string s);
  static Value list();
  static Value map();

  Kind kind() const { return kind_; }
  // Lists.
  Value& push(Value v);
  // Maps: appends (keys are not deduplicated; callers add each key once).
  Value& set(std::string key, Value v);
  const Value* get(const std::string& key) const;

  bool as_bool() const { return b_; }
  std::int64_t as_int() const { return i_; }
  const std::string& as_string() const { return s_; }
  const std::vector<Value>& items() const { return items_; }
  const std::vector<std::pair<std::string, Value>>& fields() const { return fields_; }

 private:
  Kind kind_ = Kind::kNull;
  bool b_ = false;
  std::int64_t i_ = 0;
  std::string s_;
  std::vector<Value> items_;
  std::vector<std::pair<std::string, Value>> fields_;
};

// A table is a list of maps with scalar-ish values; `columns` picks and
// orders the keys (a nested list is shown comma-separated).
struct TableSpec {
  std::vector<std::string> columns;
};

std::string to_json(const Value& v, bool pretty = true);
std::string to_yaml(const Value& v);
std::string to_table(const Value& rows, const TableSpec& spec);

}  // namespace vnet::output

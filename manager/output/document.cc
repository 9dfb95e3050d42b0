#include "output/document.h"

#include <utility>

namespace vnet::output {

std::optional<Format> parse_format(const std::string& text) {
  if (text == "table") {
    return Format::kTable;
  }
  if (text == "yaml") {
    return Format::kYaml;
  }
  if (text == "json") {
    return Format::kJson;
  }
  return std::nullopt;
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::kBool;
  v.b_ = b;
  return v;
}

Value Value::integer(std::int64_t i) {
  Value v;
  v.kind_ = Kind::kInt;
  v.i_ = i;
  return v;
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::kString;
  v.s_ = std::move(s);
  return v;
}

Value Value::list() {
  Value v;
  v.kind_ = Kind::kList;
  return v;
}

Value Value::map() {
  Value v;
  v.kind_ = Kind::kMap;
  return v;
}

// A null Value becomes a list (or map) on first use, so callers can build
// documents without declaring every container first.
Value& Value::push(Value v) {
  if (kind_ == Kind::kNull) {
    kind_ = Kind::kList;
  }
  items_.push_back(std::move(v));
  return items_.back();
}

Value& Value::set(std::string key, Value v) {
  if (kind_ == Kind::kNull) {
    kind_ = Kind::kMap;
  }
  fields_.emplace_back(std::move(key), std::move(v));
  return fields_.back().second;
}

const Value* Value::get(const std::string& key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

}  // namespace vnet::output

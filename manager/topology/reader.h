#pragma once
// Reading one YAML mapping into a model object: known keys, each value's
// type and syntax, and a message with file:line:column for everything
// else. parser.cc composes these into documents. Internal to topology/.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/addr.h"
#include "topology/marks.h"
#include "topology/parser.h"
#include "topology/yaml_tree.h"

namespace vnet::topology {

struct KeySpec {
  std::string_view name;
  Field field;
};

// The document being read and where its errors go.
class ReadContext {
 public:
  explicit ReadContext(std::vector<Diagnostic>& errors) : errors_(errors) {}

  void set_document(const std::string& file, const yaml::Document& doc) {
    file_ = &file;
    doc_ = &doc;
  }
  const yaml::Document& doc() const { return *doc_; }
  SourceLoc loc(const yaml::Node& n) const { return SourceLoc{*file_, n.line, n.column}; }

  void error(const SourceLoc& loc, std::string message) {
    errors_.push_back(Diagnostic{loc, std::move(message)});
  }
  void error(const yaml::Node& at, std::string message) { error(loc(at), std::move(message)); }

 private:
  std::vector<Diagnostic>& errors_;
  const std::string* file_ = nullptr;
  const yaml::Document* doc_ = nullptr;
};

// One mapping being read into a model object: the values of its known keys
// (unknown and repeated keys are reported on construction), its marks, and
// a label for messages: "endpoint 'vm1'", or "endpoints[3]" until the name
// is known to be good.
class ObjectReader {
 public:
  ObjectReader(ReadContext& ctx, const yaml::Node& node, std::span<const KeySpec> keys,
               std::string_view kind, std::string path);

  bool ok() const { return ok_; }
  const SourceLoc& loc() const { return loc_; }
  const std::string& label() const { return label_; }
  ObjectMarks& marks() { return marks_; }

  // The name, which also becomes the label. nullopt (reported) if missing
  // or malformed: such an object cannot be referenced, so it is dropped.
  std::optional<std::string> name();

  bool has(Field f) const { return slot(f) != nullptr && slot(f)->kind != yaml::Kind::kNull; }
  const yaml::Node* raw(Field f) const { return slot(f); }

  // The typed readers: nullopt when absent (reported if required) or
  // invalid (reported).
  std::optional<std::string> string(Field f, bool required);
  std::optional<std::string> reference(Field f, bool required);
  std::optional<std::string> ifname(Field f, bool required);
  std::optional<std::int64_t> integer(Field f, bool required, std::int64_t lo, std::int64_t hi);
  std::optional<Ipv4> ipv4(Field f, bool required);
  std::optional<Ipv4Prefix> prefix(Field f, bool required);
  std::optional<Ipv4Interface> interface_address(Field f, bool required);
  std::optional<Mac> unicast_mac(Field f, bool required);
  // A list of names, each marked by index; empty when absent.
  std::vector<std::string> names(Field f);
  // A list of prefixes ("a.b.c.d" meaning /32), each marked by index.
  std::vector<Ipv4Prefix> prefixes(Field f);
  // A sequence node, or nullptr when absent or null (an empty list).
  const yaml::Node* list(Field f, bool required);

  // Reports "<label>: <field>: <problem>" at `at` and marks the field
  // invalid.
  void fail(Field f, const yaml::Node& at, const std::string& problem);
  // Records where the field's value is, for later cross-object errors.
  void mark(Field f, const yaml::Node& at, int index = -1) {
    marks_.set(f, at.line, at.column, index);
  }

 private:
  static constexpr std::size_t kMaxKeys = 10;

  // The value (or the key) node of a field; nullptr when absent.
  const yaml::Node* slot(Field f, bool key = false) const;
  const yaml::Node* value(Field f, bool required);
  const yaml::Node* scalar(Field f, bool required, std::string_view expected);

  ReadContext& ctx_;
  const yaml::Node& node_;
  std::span<const KeySpec> keys_;
  std::array<const yaml::Node*, kMaxKeys> values_{};
  std::array<const yaml::Node*, kMaxKeys> key_nodes_{};
  std::string label_;
  SourceLoc loc_;
  ObjectMarks marks_;
  bool ok_ = false;
};

// "'text'".
std::string quoted(std::string_view s);
// "a, b, c": the keys a mapping accepts, for messages.
std::string list_keys(std::span<const KeySpec> keys);
// Object names: 1 to 63 of [A-Za-z0-9._-], starting with a letter or digit.
bool valid_name(std::string_view s);
// Interface names the kernel accepts (dev_valid_name()).
bool valid_ifname(std::string_view s);
// A strict decimal integer (see reader.cc).
std::optional<std::int64_t> parse_int(std::string_view s);

}  // namespace vnet::topology

#pragma once
// A compact YAML document tree that keeps the position of every node, built
// from yaml-cpp's event parser. YAML::Node would do, but it costs several
// heap objects per node and hides whether a scalar was quoted; a 100k
// endpoint topology is a few million nodes, and `vni: "7"` should not pass
// for an integer. Internal to topology/.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vnet::topology::yaml {

enum class Kind : std::uint8_t { kNull, kScalar, kSequence, kMap };

struct Node {
  Kind kind = Kind::kNull;
  bool plain = false;  // scalar without quotes or tag: may be read as a number
  int line = 0;        // 1-based
  int column = 0;      // 1-based
  // Children live in Document::children_[first, first + n): a sequence's
  // items, or a mapping's keys and values alternating (n = 2 * pairs).
  std::uint32_t first = 0;
  std::uint32_t n = 0;
  std::string value;  // scalars only
};

class Document {
 public:
  // nullptr for a document with no content (an empty file, comments only).
  const Node* root() const { return nodes_.empty() ? nullptr : &nodes_[root_]; }

  // Items of a sequence, pairs of a mapping.
  std::size_t size(const Node& n) const { return n.kind == Kind::kMap ? n.n / 2 : n.n; }
  const Node& item(const Node& seq, std::size_t i) const { return child(seq, i); }
  const Node& key(const Node& map, std::size_t i) const { return child(map, 2 * i); }
  const Node& value(const Node& map, std::size_t i) const { return child(map, 2 * i + 1); }

 private:
  friend class Builder;
  const Node& child(const Node& n, std::size_t i) const { return nodes_[children_[n.first + i]]; }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> children_;
  std::uint32_t root_ = 0;
};

struct SyntaxError {
  int line = 0;  // 1-based
  int column = 0;
  std::string message;
};

struct Stream {
  std::vector<Document> documents;  // those read before any syntax error
  std::optional<SyntaxError> error;
};

// Parses every document of a YAML stream; stops at the first syntax error
// (the YAML grammar has no way to resynchronise after one). libyaml reads
// it (fast); a stream libyaml rejects, or with constructs it maps
// differently (explicit tags, undefined aliases), is read again by yaml-cpp,
// whose error message and position are reported.
Stream parse(const std::string& text);

// yaml-cpp only: the reference parse() must agree with (unit tests).
Stream parse_reference(const std::string& text);

// The tree as text, one node per line with kind, position, plain flag and
// value: for comparing two parses.
std::string dump(const Document& doc);

// "a list", "a mapping", "null", "'text'": what a value is, for messages.
std::string describe(const Node& n);

}  // namespace vnet::topology::yaml

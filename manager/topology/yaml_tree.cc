#include "topology/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>

namespace vnet::topology::yaml {

// Receives one document's events. A container's children are collected on
// a stack of pending indices and copied into one flat array when the
// container ends, so a document costs two vectors however large it is.
class Builder : public YAML::EventHandler {
 public:
  explicit Builder(Document& doc) : doc_(doc) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    add(mark, Kind::kNull, anchor);
  }

  void OnAlias(const YAML::Mark&, YAML::anchor_t anchor) override {
    // An alias shares the anchored node (and its position): the schema
    // walk never recurses on its own, so even a cyclic alias is harmless.
    if (anchor < anchors_.size()) {
      link(anchors_[anchor]);
    }
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    const std::uint32_t id = add(mark, Kind::kScalar, anchor);
    Node& n = doc_.nodes_[id];
    // yaml-cpp tags plain scalars "?" and quoted ones "!"; anything else is
    // an explicit tag (!!str ...), which is not a plain number either.
    n.plain = tag == "?";
    n.value = value;
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(add(mark, Kind::kSequence, anchor));
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(add(mark, Kind::kMap, anchor));
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    std::uint32_t node;
    std::size_t pending_start;
  };

  std::uint32_t add(const YAML::Mark& mark, Kind kind, YAML::anchor_t anchor) {
    const auto id = static_cast<std::uint32_t>(doc_.nodes_.size());
    Node& n = doc_.nodes_.emplace_back();
    n.kind = kind;
    n.line = mark.line + 1;  // yaml-cpp marks are 0-based
    n.column = mark.column + 1;
    if (anchor != YAML::NullAnchor) {
      if (anchors_.size() <= anchor) {
        anchors_.resize(anchor + 1);
      }
      anchors_[anchor] = id;
    }
    link(id);
    return id;
  }

  void link(std::uint32_t id) {
    if (open_.empty()) {
      doc_.root_ = id;
    } else {
      pending_.push_back(id);
    }
  }

  void open(std::uint32_t id) { open_.push_back({id, pending_.size()}); }

  void close() {
    const Open o = open_.back();
    open_.pop_back();
    Node& n = doc_.nodes_[o.node];
    n.first = static_cast<std::uint32_t>(doc_.children_.size());
    n.n = static_cast<std::uint32_t>(pending_.size() - o.pending_start);
    doc_.children_.insert(doc_.children_.end(), pending_.begin() + o.pending_start, pending_.end());
    pending_.resize(o.pending_start);
  }

  Document& doc_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_;
  std::vector<std::uint32_t> anchors_;
};

Stream parse(const std::string& text) {
  Stream stream;
  std::istringstream in(text);
  YAML::Parser parser(in);
  try {
    for (;;) {
      Document doc;
      Builder builder(doc);
      if (!parser.HandleNextDocument(builder)) {
        break;
      }
      stream.documents.push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    // Some yaml-cpp errors carry no position; the start of the file is
    // still better than nothing.
    const bool known = !e.mark.is_null();
    stream.error = SyntaxError{known ? e.mark.line + 1 : 1, known ? e.mark.column + 1 : 1, e.msg};
  }
  return stream;
}

std::string describe(const Node& n) {
  switch (n.kind) {
    case Kind::kNull:
      return "null";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a mapping";
    case Kind::kScalar:
      break;
  }
  constexpr std::size_t kMaxShown = 40;
  std::string shown = n.value.size() > kMaxShown ? n.value.substr(0, kMaxShown) + "..." : n.value;
  return (n.plain ? "'" : "the string '") + shown + "'";
}

}  // namespace vnet::topology::yaml

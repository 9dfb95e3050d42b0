#include "topology/yaml_tree.h"

#include <yaml.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string_view>
#include <unordered_map>

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

  // The same tree from libyaml's events (see parse_libyaml): marks are
  // 0-based there too; anchors are names, numbered here in order of
  // appearance like yaml-cpp does.
  std::uint32_t add_at(std::size_t line, std::size_t column, Kind kind, YAML::anchor_t anchor) {
    YAML::Mark mark;
    mark.line = static_cast<int>(line);
    mark.column = static_cast<int>(column);
    return add(mark, kind, anchor);
  }
  void scalar_at(std::size_t line, std::size_t column, YAML::anchor_t anchor, bool plain,
                 std::string_view value) {
    Node& n = doc_.nodes_[add_at(line, column, Kind::kScalar, anchor)];
    n.plain = plain;
    n.value.assign(value);
  }
  void alias(YAML::anchor_t anchor) { OnAlias(YAML::Mark(), anchor); }
  // Room for the nodes of `text_bytes` of YAML, so a large document is not
  // copied node by node each time the arrays double (a tenth of `vnetctl
  // apply` at 100k endpoints). A topology spends about 8 bytes of text per
  // node; a sparser document only leaves untouched capacity behind.
  void reserve_for(std::size_t text_bytes) {
    const std::size_t nodes = text_bytes / 8 + 16;
    doc_.nodes_.reserve(nodes);
    doc_.children_.reserve(nodes);
  }
  void open_at(std::uint32_t id) { open(id); }
  void close_at() { close(); }

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

namespace {

// yaml-cpp's reading of an untagged plain scalar as null (IsNullString).
bool null_string(std::string_view v) {
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

// The reference yaml-cpp parse: slow (its scanner's regex matching was
// 3/4 of `vnetctl apply` for 100k endpoints) but it is what the error
// messages and positions users and tests see come from.
Stream parse_yaml_cpp(const std::string& text) {
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

// The same tree through libyaml's event parser, about 10x faster. Returns
// false on any syntax error or construct it does not map the way yaml-cpp
// does (then the caller parses again with yaml-cpp, whose verdict and
// message stand), so a document is accepted only if libyaml accepts it;
// every document that reaches the schema reader through here comes out
// node for node as yaml-cpp's Builder would have built it.
bool parse_libyaml(const std::string& text, Stream& stream) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    return false;
  }
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  std::optional<Document> doc;
  std::optional<Builder> builder;
  std::unordered_map<std::string, YAML::anchor_t> anchors;
  bool ok = true;
  bool done = false;
  while (ok && !done) {
    yaml_event_t ev;
    if (yaml_parser_parse(&parser, &ev) == 0) {
      ok = false;
      break;
    }
    const auto line = ev.start_mark.line;
    const auto column = ev.start_mark.column;
    auto anchor_of = [&](const yaml_char_t* name) -> YAML::anchor_t {
      if (name == nullptr) {
        return YAML::NullAnchor;
      }
      // yaml-cpp numbers anchors 1, 2, ... per document, a redefinition
      // getting a new number.
      const YAML::anchor_t id = anchors.size() + 1;
      anchors[reinterpret_cast<const char*>(name)] = id;
      return id;
    };
    switch (ev.type) {
      case YAML_STREAM_START_EVENT:
        break;
      case YAML_STREAM_END_EVENT:
        done = true;
        break;
      case YAML_DOCUMENT_START_EVENT:
        doc.emplace();
        builder.emplace(*doc);
        // The first document only (a topology is one): every document
        // kept would otherwise hold room for the whole rest of the file.
        if (stream.documents.empty()) {
          builder->reserve_for(text.size() - std::min(text.size(), ev.start_mark.index));
        }
        anchors.clear();
        break;
      case YAML_DOCUMENT_END_EVENT:
        builder.reset();
        stream.documents.push_back(std::move(*doc));
        doc.reset();
        break;
      case YAML_ALIAS_EVENT: {
        auto it = anchors.find(reinterpret_cast<const char*>(ev.data.alias.anchor));
        if (it == anchors.end()) {
          ok = false;  // yaml-cpp words this one itself
          break;
        }
        builder->alias(it->second);
        break;
      }
      case YAML_SCALAR_EVENT: {
        const auto& sc = ev.data.scalar;
        const std::string_view value(reinterpret_cast<const char*>(sc.value), sc.length);
        const bool untagged = sc.tag == nullptr;
        const bool plain = sc.style == YAML_PLAIN_SCALAR_STYLE;
        if (!untagged && std::strcmp(reinterpret_cast<const char*>(sc.tag), "!") != 0) {
          ok = false;  // explicit tags: rare, leave them to yaml-cpp
          break;
        }
        if (sc.length == 0 && plain) {
          // An empty value ("key:" with nothing after it): yaml-cpp places
          // it at the next token, libyaml at the end of the previous one.
          // Rare in topologies; yaml-cpp positions the message.
          ok = false;
          break;
        }
        const YAML::anchor_t anchor = anchor_of(sc.anchor);
        if (untagged && plain && null_string(value)) {
          builder->add_at(line, column, Kind::kNull, anchor);
          break;
        }
        builder->scalar_at(line, column, anchor, untagged && plain, value);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const yaml_char_t* tag = ev.type == YAML_SEQUENCE_START_EVENT
                                     ? ev.data.sequence_start.tag
                                     : ev.data.mapping_start.tag;
        if (tag != nullptr) {
          ok = false;
          break;
        }
        const yaml_char_t* anchor = ev.type == YAML_SEQUENCE_START_EVENT
                                        ? ev.data.sequence_start.anchor
                                        : ev.data.mapping_start.anchor;
        const Kind kind = ev.type == YAML_SEQUENCE_START_EVENT ? Kind::kSequence : Kind::kMap;
        builder->open_at(builder->add_at(line, column, kind, anchor_of(anchor)));
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        builder->close_at();
        break;
      case YAML_NO_EVENT:
        ok = false;
        break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return ok;
}

}  // namespace

Stream parse(const std::string& text) {
  // yaml-cpp reports an empty stream as no document and so must we: libyaml
  // would too, but the yaml-cpp path is cheap for tiny inputs anyway.
  Stream fast;
  if (parse_libyaml(text, fast)) {
    return fast;
  }
  return parse_yaml_cpp(text);
}

Stream parse_reference(const std::string& text) { return parse_yaml_cpp(text); }

std::string dump(const Document& doc) {
  std::string out;
  auto walk = [&](auto&& self, const Node& n, int depth) -> void {
    out += std::string(static_cast<std::size_t>(depth) * 2, ' ');
    out += std::to_string(static_cast<int>(n.kind)) + " " + std::to_string(n.line) + ":" +
           std::to_string(n.column) + (n.plain ? " plain " : " ") + n.value + "\n";
    if (depth > 64) {
      return;  // aliases may form cycles
    }
    const std::size_t items = n.kind == Kind::kMap ? 2 * doc.size(n) : doc.size(n);
    for (std::size_t i = 0; i < items; ++i) {
      self(self, n.kind == Kind::kMap ? (i % 2 == 0 ? doc.key(n, i / 2) : doc.value(n, i / 2))
                                      : doc.item(n, i),
           depth + 1);
    }
  };
  if (const Node* root = doc.root()) {
    walk(walk, *root, 0);
  }
  return out;
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

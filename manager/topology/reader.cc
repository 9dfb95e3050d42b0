#include "topology/reader.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace vnet::topology {

using yaml::Kind;
using yaml::Node;

namespace {

constexpr std::size_t kNameMax = 63;
constexpr std::size_t kIfNameMax = 15;  // IFNAMSIZ - 1

}  // namespace

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string list_keys(std::span<const KeySpec> keys) {
  std::string out;
  for (const KeySpec& k : keys) {
    if (!out.empty()) {
      out += ", ";
    }
    out += k.name;
  }
  return out;
}

// Object names end up in store paths (status/<host>) and on command lines,
// so they stay in a conservative alphabet.
bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > kNameMax || !std::isalnum(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

// What the kernel's dev_valid_name() accepts.
bool valid_ifname(std::string_view s) {
  if (s.empty() || s.size() > kIfNameMax || s == "." || s == "..") {
    return false;
  }
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c));
  });
}

// A decimal integer: optional '-', no leading zeros (YAML 1.1 reads "010"
// as octal), no hex, no '+'. Values too long for int64 saturate, so the
// caller's range check reports them.
std::optional<std::int64_t> parse_int(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) {
    s.remove_prefix(1);
  }
  if (s.empty() || (s.size() > 1 && s[0] == '0')) {
    return std::nullopt;
  }
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  if (s.size() > 18) {
    return negative ? std::numeric_limits<std::int64_t>::min()
                    : std::numeric_limits<std::int64_t>::max();
  }
  std::int64_t v = 0;
  for (char c : s) {
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

// ---- ObjectReader ------------------------------------------------------------------

ObjectReader::ObjectReader(ReadContext& ctx, const Node& node, std::span<const KeySpec> keys,
                           std::string_view kind, std::string path)
    : ctx_(ctx), node_(node), keys_(keys), label_(std::move(path)), loc_(ctx.loc(node)) {
  if (node.kind != Kind::kMap) {
    ctx_.error(node, label_ + ": expected a mapping (a " + std::string(kind) + "), got " +
                         yaml::describe(node));
    return;
  }
  ok_ = true;
  const yaml::Document& doc = ctx_.doc();
  // Look the name up first so even errors about other keys say whose they are.
  for (std::size_t i = 0; i < doc.size(node); ++i) {
    const Node& key = doc.key(node, i);
    const Node& value = doc.value(node, i);
    if (key.kind == Kind::kScalar && key.value == "name" && value.kind == Kind::kScalar &&
        valid_name(value.value)) {
      label_ = std::string(kind) + " " + quoted(value.value);
    }
  }
  for (std::size_t i = 0; i < doc.size(node); ++i) {
    const Node& key = doc.key(node, i);
    const auto spec = std::find_if(keys_.begin(), keys_.end(), [&](const KeySpec& k) {
      return key.kind == Kind::kScalar && k.name == key.value;
    });
    if (spec == keys_.end()) {
      ctx_.error(key, label_ + ": unknown key " +
                          (key.kind == Kind::kScalar ? quoted(key.value) : yaml::describe(key)) +
                          "; expected one of: " + list_keys(keys_));
      continue;
    }
    const Node*& slot = values_[spec - keys_.begin()];
    if (slot != nullptr) {
      // yaml-cpp keeps both; silently taking either would hide a mistake.
      ctx_.error(key, label_ + ": duplicate key " + quoted(key.value));
      continue;
    }
    slot = &doc.value(node, i);
    key_nodes_[spec - keys_.begin()] = &key;
  }
}

const Node* ObjectReader::slot(Field f, bool key) const {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].field == f) {
      return key ? key_nodes_[i] : values_[i];
    }
  }
  return nullptr;
}

void ObjectReader::fail(Field f, const Node& at, const std::string& problem) {
  ctx_.error(at, label_ + ": " + std::string(field_name(f)) + ": " + problem);
  marks_.set_invalid(f);
}

const Node* ObjectReader::value(Field f, bool required) {
  const Node* n = slot(f);
  if (n != nullptr && n->kind != Kind::kNull) {
    mark(f, *n);
    return n;
  }
  if (required) {
    if (n != nullptr) {
      // An empty value's mark is the next token's; the key is where it is missing.
      fail(f, *slot(f, true), "a value is required");
    } else {
      ctx_.error(loc_, label_ + ": missing required key " + quoted(field_name(f)));
      marks_.set_invalid(f);
    }
  }
  return nullptr;
}

const Node* ObjectReader::scalar(Field f, bool required, std::string_view expected) {
  const Node* n = value(f, required);
  if (n != nullptr && n->kind != Kind::kScalar) {
    fail(f, *n, "expected " + std::string(expected) + ", got " + yaml::describe(*n));
    return nullptr;
  }
  return n;
}

std::optional<std::string> ObjectReader::string(Field f, bool required) {
  const Node* n = scalar(f, required, "a string");
  if (n == nullptr) {
    return std::nullopt;
  }
  return n->value;
}

std::optional<std::string> ObjectReader::name() {
  const Node* n = scalar(Field::kName, true, "a name");
  if (n == nullptr) {
    return std::nullopt;
  }
  if (!valid_name(n->value)) {
    fail(
        Field::kName, *n,
        "invalid name " + quoted(n->value) +
            ": expected 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit");
    return std::nullopt;
  }
  return n->value;
}

std::optional<std::string> ObjectReader::reference(Field f, bool required) {
  const Node* n = scalar(f, required, "a name");
  if (n == nullptr) {
    return std::nullopt;
  }
  if (!valid_name(n->value)) {
    // Cannot name anything that exists; validate would only repeat it.
    fail(f, *n, "invalid name " + quoted(n->value));
    return std::nullopt;
  }
  return n->value;
}

std::optional<std::string> ObjectReader::ifname(Field f, bool required) {
  const Node* n = scalar(f, required, "an interface name");
  if (n == nullptr) {
    return std::nullopt;
  }
  if (!valid_ifname(n->value)) {
    fail(f, *n,
         "invalid interface name " + quoted(n->value) +
             ": the kernel takes 1 to 15 characters, without '/', ':' or whitespace, "
             "and not '.' or '..'");
    return std::nullopt;
  }
  return n->value;
}

std::optional<std::int64_t> ObjectReader::integer(Field f, bool required, std::int64_t lo,
                                                  std::int64_t hi) {
  const Node* n = scalar(f, required, "an integer");
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto v = n->plain ? parse_int(n->value) : std::nullopt;
  if (!v) {
    fail(f, *n, "expected an integer, got " + yaml::describe(*n));
    return std::nullopt;
  }
  if (*v < lo || *v > hi) {
    fail(f, *n,
         n->value + " is out of range: expected " + std::to_string(lo) + ".." + std::to_string(hi));
    return std::nullopt;
  }
  return v;
}

std::optional<Ipv4> ObjectReader::ipv4(Field f, bool required) {
  const Node* n = scalar(f, required, "an IPv4 address");
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto ip = Ipv4::parse(n->value);
  if (!ip) {
    fail(f, *n, "expected an IPv4 address like 10.0.1.11, got " + yaml::describe(*n));
  }
  return ip;
}

std::optional<Ipv4Prefix> ObjectReader::prefix(Field f, bool required) {
  const Node* n = scalar(f, required, "an IPv4 prefix");
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto p = Ipv4Prefix::parse(n->value);
  if (!p) {
    // Name the most likely mistake when the text is an address/len.
    const auto with_host = Ipv4Interface::parse(n->value);
    if (with_host) {
      fail(f, *n,
           n->value + " has host bits set: expected the network address " +
               with_host->network().str());
    } else {
      fail(f, *n, "expected an IPv4 prefix like 10.0.1.0/24, got " + yaml::describe(*n));
    }
  }
  return p;
}

std::optional<Ipv4Interface> ObjectReader::interface_address(Field f, bool required) {
  const Node* n = scalar(f, required, "an IPv4 address with prefix length");
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto a = Ipv4Interface::parse(n->value);
  if (!a) {
    fail(f, *n,
         "expected an IPv4 address with prefix length like 10.0.1.1/24, got " + yaml::describe(*n));
  }
  return a;
}

std::optional<Mac> ObjectReader::unicast_mac(Field f, bool required) {
  const Node* n = scalar(f, required, "a MAC address");
  if (n == nullptr) {
    return std::nullopt;
  }
  const auto mac = Mac::parse(n->value);
  if (!mac) {
    fail(f, *n, "expected a MAC address like 02:00:00:00:00:11, got " + yaml::describe(*n));
    return std::nullopt;
  }
  if (mac->is_multicast()) {
    fail(f, *n, n->value + " is a multicast/broadcast MAC: expected a unicast MAC");
    return std::nullopt;
  }
  if (mac->is_zero()) {
    fail(f, *n, "the all-zero MAC is not a valid address");
    return std::nullopt;
  }
  return mac;
}

const Node* ObjectReader::list(Field f, bool required) {
  const Node* n = value(f, required);
  if (n != nullptr && n->kind != Kind::kSequence) {
    fail(f, *n, "expected a list, got " + yaml::describe(*n));
    return nullptr;
  }
  return n;
}

std::vector<std::string> ObjectReader::names(Field f) {
  std::vector<std::string> out;
  const Node* seq = list(f, false);
  if (seq == nullptr) {
    return out;
  }
  const yaml::Document& doc = ctx_.doc();
  for (std::size_t i = 0; i < doc.size(*seq); ++i) {
    const Node& item = doc.item(*seq, i);
    if (item.kind != Kind::kScalar || !valid_name(item.value)) {
      fail(f, item, "expected a name, got " + yaml::describe(item));
      continue;
    }
    mark(f, item, static_cast<int>(out.size()));
    out.push_back(item.value);
  }
  return out;
}

std::vector<Ipv4Prefix> ObjectReader::prefixes(Field f) {
  std::vector<Ipv4Prefix> out;
  const Node* seq = list(f, false);
  if (seq == nullptr) {
    return out;
  }
  const yaml::Document& doc = ctx_.doc();
  for (std::size_t i = 0; i < doc.size(*seq); ++i) {
    const Node& item = doc.item(*seq, i);
    const auto p = item.kind == Kind::kScalar ? Ipv4Prefix::parse(item.value, true) : std::nullopt;
    if (!p) {
      const auto with_host =
          item.kind == Kind::kScalar ? Ipv4Interface::parse(item.value) : std::nullopt;
      fail(f, item,
           with_host ? item.value + " has host bits set: expected " + with_host->network().str() +
                           " or " + with_host->addr.str() + "/32"
                     : "expected an IPv4 address or prefix like 10.0.1.100/32, got " +
                           yaml::describe(item));
      continue;
    }
    mark(f, item, static_cast<int>(out.size()));
    out.push_back(*p);
  }
  return out;
}

}  // namespace vnet::topology

// YAML printer, block style. `get -o yaml` must be valid `apply` input that
// reads back as the same topology, so a string is written plain only when
// every YAML reader would read it back as that same string: the YAML 1.2
// core schema (yaml-cpp, our parser) and the YAML 1.1 resolvers still used
// by PyYAML and friends (yes/no/on/off, 0755 octal, 1:30 sexagesimal,
// 2001-12-14 dates). Anything else is double-quoted with escapes.

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

#include "output/document.h"

namespace vnet::output {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [0-9_]* from `i`; returns the position after it.
std::size_t skip_digits(std::string_view s, std::size_t i) {
  while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) {
    ++i;
  }
  return i;
}

// (:[0-5]?[0-9])+ from `i`; npos if there is not at least one group.
std::size_t skip_sexagesimal_groups(std::string_view s, std::size_t i) {
  std::size_t groups = 0;
  while (i < s.size() && s[i] == ':') {
    std::size_t j = i + 1;
    if (j + 1 < s.size() && s[j] >= '0' && s[j] <= '5' && is_digit(s[j + 1])) {
      j += 2;
    } else if (j < s.size() && is_digit(s[j])) {
      j += 1;
    } else {
      break;
    }
    i = j;
    ++groups;
  }
  return groups == 0 ? std::string_view::npos : i;
}

bool all_of_set(std::string_view s, std::string_view allowed) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (allowed.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// True if some YAML 1.1 or 1.2 resolver reads `text` as an int or a float.
bool looks_numeric(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF" || text == ".nan" || text == ".NaN" ||
      text == ".NAN") {
    return true;
  }
  // 0b1010, 0x1f, 0o17 (underscores allowed by YAML 1.1).
  if (s.size() > 2 && s[0] == '0') {
    const std::string_view rest = s.substr(2);
    if (s[1] == 'b' && all_of_set(rest, "01_")) {
      return true;
    }
    if (s[1] == 'x' && all_of_set(rest, "0123456789abcdefABCDEF_")) {
      return true;
    }
    if (s[1] == 'o' && all_of_set(rest, "01234567_")) {
      return true;
    }
  }
  // Integers (1.1 octals included) and floats: [0-9][0-9_]* ('.' [0-9_]*)?
  // ([eE][-+]?[0-9]+)?, or the same without the integer part (".5").
  const bool lead_digit = is_digit(s[0]);
  const std::size_t int_end = lead_digit ? skip_digits(s, 0) : 0;
  std::size_t i = int_end;
  bool mantissa = lead_digit;
  if (i < s.size() && s[i] == '.') {
    const std::size_t frac_end = skip_digits(s, i + 1);
    mantissa = mantissa || frac_end > i + 1;
    i = frac_end;
  }
  if (mantissa && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t k = i + 1;
    if (k < s.size() && (s[k] == '-' || s[k] == '+')) {
      ++k;
    }
    std::size_t end = k;
    while (end < s.size() && is_digit(s[end])) {
      ++end;
    }
    if (end > k) {
      i = end;
    }
  }
  if (mantissa && i == s.size()) {
    return true;  // 42, 0755, 1_000, 1.5, .5, 1., 1e3, 1.5e-3
  }
  // Sexagesimal (YAML 1.1): int [1-9][0-9_]*(:[0-5]?[0-9])+, float the same
  // from any digit followed by .[0-9_]*.
  if (lead_digit) {
    const std::size_t end = skip_sexagesimal_groups(s, int_end);
    if (end != std::string_view::npos) {
      if (end == s.size() && s[0] != '0') {
        return true;
      }
      if (end < s.size() && s[end] == '.' && skip_digits(s, end + 1) == s.size()) {
        return true;
      }
    }
  }
  return false;
}

// YAML 1.1 timestamps start with yyyy-m-d; PyYAML turns them into dates.
bool looks_like_date(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && i < 4 && is_digit(s[i])) {
    ++i;
  }
  if (i != 4 || i >= s.size() || s[i] != '-') {
    return false;
  }
  ++i;
  const std::size_t month = i;
  while (i < s.size() && is_digit(s[i])) {
    ++i;
  }
  if (i == month || i - month > 2 || i >= s.size() || s[i] != '-') {
    return false;
  }
  return i + 1 < s.size() && is_digit(s[i + 1]);
}

bool is_reserved_word(std::string_view s) {
  std::string lower;
  for (char c : s) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static constexpr std::string_view kWords[] = {"y",    "n",     "yes", "no", "true", "false",
                                                "on",   "off",   "null", "~", "=",    "<<"};
  for (std::string_view w : kWords) {
    if (lower == w) {
      return true;
    }
  }
  return false;
}

// Decodes the well-formed UTF-8 sequence at s[i]; returns its length (0 if
// malformed) and stores the code point.
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  const bool overlong = (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000);
  if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

// Code points a YAML reader treats as line breaks, BOMs or non-printable:
// they can only appear escaped inside double quotes.
bool must_escape(std::uint32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF;
}

bool needs_quotes(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') {
    return true;
  }
  // Indicators that start something else than a plain scalar.
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) {
    return true;
  }
  if (s.back() == ':' || s.find(": ") != std::string_view::npos ||
      s.find(" #") != std::string_view::npos) {
    return true;
  }
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = 0;
    const std::size_t n = decode_utf8(s, i, cp);
    if (n == 0 || must_escape(cp)) {
      return true;
    }
    i += n;
  }
  return is_reserved_word(s) || looks_numeric(s) || looks_like_date(s);
}

void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    std::uint32_t cp = 0;
    const std::size_t n = decode_utf8(s, i, cp);
    if (n == 0) {
      // Not UTF-8: YAML streams are Unicode, so a stray byte has no
      // representation; write the replacement character like JSON does.
      out += "\\uFFFD";
      ++i;
      continue;
    }
    char buf[16];
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (must_escape(cp)) {
          if (cp <= 0xFF) {
            std::snprintf(buf, sizeof(buf), "\\x%02X", cp);
          } else {
            std::snprintf(buf, sizeof(buf), "\\u%04X", cp);
          }
          out += buf;
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  out += '"';
}

void append_scalar_string(std::string& out, std::string_view s) {
  if (needs_quotes(s)) {
    append_quoted(out, s);
  } else {
    out.append(s);
  }
}

bool is_block(const Value& v) {
  return (v.kind() == Value::Kind::kList && !v.items().empty()) ||
         (v.kind() == Value::Kind::kMap && !v.fields().empty());
}

// A scalar or an empty container, on the current line.
void append_inline(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: out += "null"; break;
    case Value::Kind::kBool: out += v.as_bool() ? "true" : "false"; break;
    case Value::Kind::kInt: out += std::to_string(v.as_int()); break;
    case Value::Kind::kString: append_scalar_string(out, v.as_string()); break;
    case Value::Kind::kList: out += "[]"; break;
    case Value::Kind::kMap: out += "{}"; break;
  }
}

void append_block(std::string& out, const Value& v, std::size_t indent);

// One "- item" (or "key:" "value") body: block values continue on the next
// lines at `indent`; a map inside a list starts on the dash's line.
void append_map(std::string& out, const Value& v, std::size_t indent, bool first_inline) {
  bool first = true;
  for (const auto& [key, item] : v.fields()) {
    if (!(first && first_inline)) {
      out.append(indent, ' ');
    }
    first = false;
    append_scalar_string(out, key);
    out += ':';
    if (is_block(item)) {
      out += '\n';
      append_block(out, item, indent + 2);
    } else {
      out += ' ';
      append_inline(out, item);
      out += '\n';
    }
  }
}

void append_list(std::string& out, const Value& v, std::size_t indent, bool first_inline) {
  bool first = true;
  for (const Value& item : v.items()) {
    if (!(first && first_inline)) {
      out.append(indent, ' ');
    }
    first = false;
    out += "- ";
    if (item.kind() == Value::Kind::kMap && is_block(item)) {
      append_map(out, item, indent + 2, true);
    } else if (item.kind() == Value::Kind::kList && is_block(item)) {
      append_list(out, item, indent + 2, true);
    } else {
      append_inline(out, item);
      out += '\n';
    }
  }
}

void append_block(std::string& out, const Value& v, std::size_t indent) {
  if (v.kind() == Value::Kind::kMap) {
    append_map(out, v, indent, false);
  } else {
    append_list(out, v, indent, false);
  }
}

}  // namespace

std::string to_yaml(const Value& v) {
  std::string out;
  if (is_block(v)) {
    append_block(out, v, 0);
  } else {
    append_inline(out, v);
    out += '\n';
  }
  return out;
}

}  // namespace vnet::output

// JSON printer (RFC 8259). Strings are escaped so that any byte string in a
// Value (interface names, error messages from the kernel) still yields valid
// JSON: control characters as \uXXXX, and bytes that are not well-formed
// UTF-8 as U+FFFD, since JSON text must be UTF-8.

#include <cstdio>
#include <string>

#include "output/document.h"

namespace vnet::output {

namespace {

// Length of the well-formed UTF-8 sequence starting at s[i], or 0 if the
// bytes there are not one (overlongs, surrogates and > U+10FFFF included).
std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  std::size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) {
      lo = 0xA0;
    } else if (c == 0xED) {
      hi = 0x9F;  // no UTF-16 surrogates
    }
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) {
      lo = 0x90;
    } else if (c == 0xF4) {
      hi = 0x8F;
    }
  } else {
    return 0;
  }
  if (i + n > s.size()) {
    return 0;
  }
  if (byte(i + 1) < lo || byte(i + 1) > hi) {
    return 0;
  }
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
      return 0;
    }
  }
  return n;
}

void append_string(std::string& out, const std::string& s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof(buf), "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  out += '"';
}

void newline(std::string& out, bool pretty, int depth) {
  if (pretty) {
    out += '\n';
    out.append(static_cast<std::size_t>(depth) * 2, ' ');
  }
}

void append_value(std::string& out, const Value& v, bool pretty, int depth) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kInt:
      out += std::to_string(v.as_int());
      return;
    case Value::Kind::kString:
      append_string(out, v.as_string());
      return;
    case Value::Kind::kList: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += '[';
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) {
          out += ',';
        }
        first = false;
        newline(out, pretty, depth + 1);
        append_value(out, item, pretty, depth + 1);
      }
      newline(out, pretty, depth);
      out += ']';
      return;
    }
    case Value::Kind::kMap: {
      if (v.fields().empty()) {
        out += "{}";
        return;
      }
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.fields()) {
        if (!first) {
          out += ',';
        }
        first = false;
        newline(out, pretty, depth + 1);
        append_string(out, key);
        out += pretty ? ": " : ":";
        append_value(out, item, pretty, depth + 1);
      }
      newline(out, pretty, depth);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string to_json(const Value& v, bool pretty) {
  std::string out;
  append_value(out, v, pretty, 0);
  if (pretty) {
    out += '\n';  // a complete line, ready to print
  }
  return out;
}

}  // namespace vnet::output

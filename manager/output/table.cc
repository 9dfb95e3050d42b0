// Table printer: one row per map in a list, columns picked by TableSpec,
// header in upper case, columns separated by three spaces (kubectl's look)
// and no trailing blanks. Empty cells show "-" so every row keeps the same
// number of whitespace-separated fields for awk and friends.

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "output/document.h"

namespace vnet::output {

namespace {

constexpr const char* kEmptyCell = "-";
constexpr std::size_t kGap = 3;

std::string scalar_text(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return "";
    case Value::Kind::kBool: return v.as_bool() ? "true" : "false";
    case Value::Kind::kInt: return std::to_string(v.as_int());
    case Value::Kind::kString: return v.as_string();
    case Value::Kind::kList: {
      std::string joined;
      for (const Value& item : v.items()) {
        const std::string text = scalar_text(item);
        if (text.empty()) {
          continue;
        }
        if (!joined.empty()) {
          joined += ',';
        }
        joined += text;
      }
      return joined;
    }
    case Value::Kind::kMap: {
      // Not meant for tables; show key=value pairs rather than nothing.
      std::string joined;
      for (const auto& [key, item] : v.fields()) {
        if (!joined.empty()) {
          joined += ',';
        }
        joined += key + "=" + scalar_text(item);
      }
      return joined;
    }
  }
  return "";
}

// A cell is one line: control characters would break the alignment.
std::string cell_text(const Value* v) {
  std::string text = v == nullptr ? "" : scalar_text(*v);
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      c = ' ';
    }
  }
  return text.empty() ? kEmptyCell : text;
}

// Display width: one column per code point (UTF-8 continuation bytes do not
// count), which is right for the names and addresses tables show.
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string header_text(const std::string& column) {
  std::string h = column;
  for (char& c : h) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return h;
}

}  // namespace

std::string to_table(const Value& rows, const TableSpec& spec) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> header;
  for (const std::string& column : spec.columns) {
    header.push_back(header_text(column));
  }
  cells.push_back(header);
  if (rows.kind() == Value::Kind::kList) {
    for (const Value& row : rows.items()) {
      std::vector<std::string> line;
      for (const std::string& column : spec.columns) {
        line.push_back(cell_text(row.kind() == Value::Kind::kMap ? row.get(column) : nullptr));
      }
      cells.push_back(std::move(line));
    }
  }
  std::vector<std::size_t> widths(spec.columns.size(), 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(line[i]));
    }
  }
  std::string out;
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) {
        text.append(widths[i] - display_width(line[i]) + kGap, ' ');
      }
    }
    out += text;
    out += '\n';
  }
  return out;
}

}  // namespace vnet::output

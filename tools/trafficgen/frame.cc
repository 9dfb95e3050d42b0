#include "frame.h"

#include <string>
#include <utility>

namespace vnet::trafficgen {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool is_separator(char c) {
  return c == ':' || c == '-' || c == '.' || c == '_' || c == ' ' || c == '\t' || c == '\n' ||
         c == '\r';
}

}  // namespace

Result<std::vector<std::uint8_t>> parse_hex(std::string_view hex, std::string_view option) {
  const std::string opt(option);
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
    hex.remove_prefix(2);
  }
  std::vector<std::uint8_t> bytes;
  int high = -1;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    if (is_separator(c)) {
      if (high >= 0) {
        return Status::error(opt + ": separator inside a byte at position " +
                             std::to_string(i));
      }
      continue;
    }
    int v = hex_value(c);
    if (v < 0) {
      return Status::error(opt + ": '" + std::string(1, c) + "' at position " +
                           std::to_string(i) + " is not a hex digit");
    }
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) {
    return Status::error(opt + ": odd number of hex digits");
  }
  return bytes;
}

Result<std::vector<std::uint8_t>> parse_frame_hex(std::string_view hex) {
  auto parsed = parse_hex(hex, "--frame-hex");
  if (!parsed) {
    return parsed.status();
  }
  std::vector<std::uint8_t> frame = std::move(*parsed);
  if (frame.size() < kMinFrameLen) {
    return Status::error("--frame-hex: frame of " + std::to_string(frame.size()) +
                         " bytes is shorter than an Ethernet header (14)");
  }
  if (frame.size() > kMaxFrameLen) {
    return Status::error("--frame-hex: frame of " + std::to_string(frame.size()) +
                         " bytes is larger than live frames allow (" +
                         std::to_string(kMaxFrameLen) + ")");
  }
  return frame;
}

std::uint16_t read_be16(const std::vector<std::uint8_t>& frame, std::size_t offset) {
  return static_cast<std::uint16_t>(frame[offset] << 8 | frame[offset + 1]);
}

}  // namespace vnet::trafficgen

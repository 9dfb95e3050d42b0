#include "net/addr.h"

#include <arpa/inet.h>

#include <cstdio>

namespace vnet {

namespace {

// A decimal number of at most `max_digits` digits, without sign, leading
// zeros ("010" reads as octal to inet_aton) or anything else around it.
std::optional<std::uint32_t> parse_decimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) {
    return std::nullopt;
  }
  if (text.size() > 1 && text[0] == '0') {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

int hex_digit(char c) {
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

// Splits "addr/len"; nullopt when there is no '/'.
std::optional<std::pair<std::string_view, std::string_view>> split_prefix(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{text.substr(0, slash), text.substr(slash + 1)};
}

std::optional<int> parse_prefix_len(std::string_view text) {
  const auto len = parse_decimal(text, 2);
  if (!len || *len > 32) {
    return std::nullopt;
  }
  return static_cast<int>(*len);
}

std::uint32_t mask_of(int len) { return len == 0 ? 0 : ~std::uint32_t{0} << (32 - len); }

}  // namespace

// Exactly four dotted decimal octets: inet_aton's "10.1", "0x0a.0.0.1" and
// "010.0.0.1" (octal) are refused, since they mean something else to
// someone.
std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const auto dot = text.find('.');
    const bool last = i == 3;
    if (last != (dot == std::string_view::npos)) {
      return std::nullopt;
    }
    const auto octet = parse_decimal(last ? text : text.substr(0, dot), 3);
    if (!octet || *octet > 255) {
      return std::nullopt;
    }
    value = (value << 8) | *octet;
    if (!last) {
      text.remove_prefix(dot + 1);
    }
  }
  return Ipv4{value};
}

std::string Ipv4::str() const {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                (value >> 8) & 0xff, value & 0xff);
  return buf;
}

std::uint32_t Ipv4::be() const { return htonl(value); }

std::optional<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text, bool allow_host) {
  const auto parts = split_prefix(text);
  if (!parts) {
    if (!allow_host) {
      return std::nullopt;
    }
    const auto addr = Ipv4::parse(text);
    if (!addr) {
      return std::nullopt;
    }
    return Ipv4Prefix{*addr, 32};
  }
  const auto addr = Ipv4::parse(parts->first);
  const auto len = parse_prefix_len(parts->second);
  if (!addr || !len) {
    return std::nullopt;
  }
  // "10.0.1.5/24" as a prefix is a typo for either the address or the
  // network; guessing which would hide it.
  if ((addr->value & ~mask_of(*len)) != 0) {
    return std::nullopt;
  }
  return Ipv4Prefix{*addr, *len};
}

std::string Ipv4Prefix::str() const { return addr.str() + "/" + std::to_string(len); }

std::optional<Ipv4Interface> Ipv4Interface::parse(std::string_view text) {
  const auto parts = split_prefix(text);
  if (!parts) {
    return std::nullopt;
  }
  const auto addr = Ipv4::parse(parts->first);
  const auto len = parse_prefix_len(parts->second);
  if (!addr || !len) {
    return std::nullopt;
  }
  return Ipv4Interface{*addr, *len};
}

Ipv4Prefix Ipv4Interface::network() const {
  return Ipv4Prefix{Ipv4{addr.value & mask_of(len)}, len};
}

std::string Ipv4Interface::str() const { return addr.str() + "/" + std::to_string(len); }

std::optional<Mac> Mac::parse(std::string_view text) {
  // Six two-digit groups and five colons: "2:0:0:0:0:11" and "0200.0000.0011"
  // are refused.
  if (text.size() != 17) {
    return std::nullopt;
  }
  Mac mac;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t at = i * 3;
    if (i > 0 && text[at - 1] != ':') {
      return std::nullopt;
    }
    const int hi = hex_digit(text[at]);
    const int lo = hex_digit(text[at + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    mac.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return mac;
}

std::string Mac::str() const {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                bytes[3], bytes[4], bytes[5]);
  return buf;
}

bool Mac::is_zero() const {
  for (auto b : bytes) {
    if (b != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace vnet

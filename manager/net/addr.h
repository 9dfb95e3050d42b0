#pragma once
// Value types for the addresses vnet handles (IPv4, IPv4 prefix, MAC) and
// their strict text forms. Parsing never accepts what the kernel or a user
// would read differently (no octal, no short forms, no trailing junk).

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vnet {

// IPv4 address in host byte order.
struct Ipv4 {
  std::uint32_t value = 0;

  static std::optional<Ipv4> parse(std::string_view text);
  std::string str() const;
  std::uint32_t be() const;  // network byte order, for map keys
  auto operator<=>(const Ipv4&) const = default;
};

struct Ipv4Prefix {
  Ipv4 addr;  // host bits are zero (parse rejects otherwise)
  int len = 32;

  // "a.b.c.d/len"; with allow_host, "a.b.c.d" means /32.
  static std::optional<Ipv4Prefix> parse(std::string_view text, bool allow_host = false);
  std::uint32_t mask() const { return len == 0 ? 0 : ~std::uint32_t{0} << (32 - len); }
  bool contains(Ipv4 ip) const { return (ip.value & mask()) == addr.value; }
  bool contains(const Ipv4Prefix& p) const { return p.len >= len && contains(p.addr); }
  std::string str() const;
  auto operator<=>(const Ipv4Prefix&) const = default;
};

// An address with a prefix length whose host bits may be set ("10.0.1.1/24").
struct Ipv4Interface {
  Ipv4 addr;
  int len = 32;

  static std::optional<Ipv4Interface> parse(std::string_view text);
  Ipv4Prefix network() const;
  std::string str() const;
  auto operator<=>(const Ipv4Interface&) const = default;
};

struct Mac {
  std::array<std::uint8_t, 6> bytes{};

  // "02:00:00:00:00:11" (lower or upper case hex, colons only).
  static std::optional<Mac> parse(std::string_view text);
  std::string str() const;
  bool is_multicast() const { return bytes[0] & 1; }
  bool is_zero() const;
  auto operator<=>(const Mac&) const = default;
};

}  // namespace vnet

// A deliberately small, independent packet builder for the BPF fixtures.
//
// Nothing here is shared with the datapath: headers are laid out byte by byte
// from RFC 791 / 768 / 826 / 7348 and checksums come from a plain RFC 1071
// routine, so a bug in the datapath's header code cannot hide in the
// expectations. The key fixtures are also written out as hex in
// fixtures_test.cc and compared against this builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace vt {

using Bytes = std::vector<std::uint8_t>;

struct Mac {
  std::uint8_t b[6];
};

// Host-order IPv4 address a.b.c.d.
constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// "aa bb cc" / "aabbcc" / with newlines; anything that is not a hex digit is
// a separator. Aborts on an odd number of digits.
Bytes hex(std::string_view text);
std::string to_hex(const Bytes& b, std::size_t from = 0, std::size_t to = SIZE_MAX);
// Side-by-side dump of two frames, marking differing bytes (for failures).
std::string diff_hex(const Bytes& want, const Bytes& got, const std::vector<bool>* mask = nullptr);

// RFC 1071 internet checksum over data, starting from a partial sum.
std::uint32_t csum_partial(const std::uint8_t* data, std::size_t len, std::uint32_t sum = 0);
std::uint16_t csum_fold(std::uint32_t sum);
inline std::uint16_t inet_csum(const std::uint8_t* data, std::size_t len) {
  return csum_fold(csum_partial(data, len));
}
inline std::uint16_t inet_csum(const Bytes& b) { return inet_csum(b.data(), b.size()); }

Bytes cat(std::initializer_list<Bytes> parts);
Bytes pattern(std::size_t n, std::uint8_t seed = 0);  // n bytes: seed, seed+1, ...
Bytes filled(std::size_t n, std::uint8_t v);

void put16(Bytes& b, std::size_t off, std::uint16_t v);  // big endian
void put32(Bytes& b, std::size_t off, std::uint32_t v);
std::uint16_t get16(const Bytes& b, std::size_t off);
std::uint32_t get32(const Bytes& b, std::size_t off);

constexpr std::uint16_t kEthIp = 0x0800;
constexpr std::uint16_t kEthArp = 0x0806;
constexpr std::uint16_t kEthIpv6 = 0x86dd;
constexpr std::uint16_t kEthVlan = 0x8100;
constexpr std::uint16_t kEthLldp = 0x88cc;

Bytes eth(const Mac& dst, const Mac& src, std::uint16_t type);

constexpr std::uint16_t kDF = 0x4000;
constexpr std::uint16_t kMF = 0x2000;

struct Ip4 {
  std::uint8_t tos = 0;
  std::uint16_t id = 0;
  std::uint16_t frag = kDF;  // flags + fragment offset (in 8-byte units)
  std::uint8_t ttl = 64;
  std::uint8_t proto = 17;
  std::uint32_t src = 0;
  std::uint32_t dst = 0;
  Bytes options;             // must be a multiple of 4 bytes
  int ihl = -1;              // override (otherwise from options)
  int tot_len = -1;          // override (otherwise header + payload)
  int version = 4;
};
// IPv4 header (valid checksum) followed by payload.
Bytes ipv4(const Ip4& h, const Bytes& payload);

// UDP header + payload. With compute_csum the checksum covers the RFC 768
// pseudo header for src/dst; otherwise it is 0 ("not computed").
Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload,
          bool compute_csum = false, std::uint32_t src = 0, std::uint32_t dst = 0);

// 8-byte VXLAN header: flags byte, 24 reserved bits, VNI, 8 reserved bits.
Bytes vxlan(std::uint32_t vni, std::uint8_t flags = 0x08, std::uint32_t reserved1 = 0,
            std::uint8_t reserved2 = 0);

// 28-byte ARP body for Ethernet/IPv4.
Bytes arp(std::uint16_t op, const Mac& sha, std::uint32_t spa, const Mac& tha, std::uint32_t tpa);

Bytes tcp_syn(std::uint16_t sport, std::uint16_t dport);  // 20 bytes, checksum 0
Bytes icmp_echo(std::uint16_t id, std::uint16_t seq, const Bytes& data);

}  // namespace vt

#include "packet.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace vt {

namespace {
int nibble(char c) {
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
}  // namespace

Bytes hex(std::string_view text) {
  Bytes out;
  int hi = -1;
  for (char c : text) {
    int n = nibble(c);
    if (n < 0) {
      continue;
    }
    if (hi < 0) {
      hi = n;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi << 4 | n));
      hi = -1;
    }
  }
  if (hi >= 0) {
    std::fprintf(stderr, "hex(): odd number of digits in fixture\n");
    std::abort();
  }
  return out;
}

std::string to_hex(const Bytes& b, std::size_t from, std::size_t to) {
  std::string s;
  char buf[4];
  if (to > b.size()) {
    to = b.size();
  }
  for (std::size_t i = from; i < to; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    s += buf;
  }
  return s;
}

std::string diff_hex(const Bytes& want, const Bytes& got, const std::vector<bool>* mask) {
  std::ostringstream o;
  o << "want " << want.size() << " bytes, got " << got.size() << " bytes\n";
  std::size_t n = std::max(want.size(), got.size());
  for (std::size_t row = 0; row < n; row += 16) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04zx ", row);
    std::string w = buf, g = "     ", m = "     ";
    bool differs = false;
    for (std::size_t i = row; i < row + 16 && i < n; ++i) {
      bool masked = mask && i < mask->size() && !(*mask)[i];
      std::snprintf(buf, sizeof buf, i < want.size() ? "%02x " : "-- ", i < want.size() ? want[i] : 0);
      w += masked ? "** " : buf;
      std::snprintf(buf, sizeof buf, i < got.size() ? "%02x " : "-- ", i < got.size() ? got[i] : 0);
      g += buf;
      bool d = !masked && (i >= want.size() || i >= got.size() || want[i] != got[i]);
      m += d ? "^^ " : "   ";
      differs |= d;
    }
    o << "want " << w << "\n got " << g << "\n";
    if (differs) {
      o << "     " << m << "\n";
    }
  }
  return o.str();
}

std::uint32_t csum_partial(const std::uint8_t* data, std::size_t len, std::uint32_t sum) {
  for (std::size_t i = 0; i + 1 < len; i += 2) {
    sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  }
  if (len & 1) {
    sum += static_cast<std::uint32_t>(data[len - 1] << 8);
  }
  return sum;
}

std::uint16_t csum_fold(std::uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) {
    b[i] = static_cast<std::uint8_t>(seed + i);
  }
  return b;
}

Bytes filled(std::size_t n, std::uint8_t v) { return Bytes(n, v); }

void put16(Bytes& b, std::size_t off, std::uint16_t v) {
  b[off] = v >> 8;
  b[off + 1] = v & 0xff;
}

void put32(Bytes& b, std::size_t off, std::uint32_t v) {
  b[off] = v >> 24;
  b[off + 1] = (v >> 16) & 0xff;
  b[off + 2] = (v >> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

std::uint16_t get16(const Bytes& b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] << 8 | b[off + 1]);
}

std::uint32_t get32(const Bytes& b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) << 24 | static_cast<std::uint32_t>(b[off + 1]) << 16 |
         static_cast<std::uint32_t>(b[off + 2]) << 8 | b[off + 3];
}

Bytes eth(const Mac& dst, const Mac& src, std::uint16_t type) {
  Bytes b(14);
  for (int i = 0; i < 6; ++i) {
    b[i] = dst.b[i];
    b[6 + i] = src.b[i];
  }
  put16(b, 12, type);
  return b;
}

Bytes ipv4(const Ip4& h, const Bytes& payload) {
  std::size_t hlen = 20 + h.options.size();
  Bytes b(hlen);
  int ihl = h.ihl >= 0 ? h.ihl : static_cast<int>(hlen / 4);
  b[0] = static_cast<std::uint8_t>(h.version << 4 | (ihl & 0xf));
  b[1] = h.tos;
  put16(b, 2, h.tot_len >= 0 ? static_cast<std::uint16_t>(h.tot_len)
                             : static_cast<std::uint16_t>(hlen + payload.size()));
  put16(b, 4, h.id);
  put16(b, 6, h.frag);
  b[8] = h.ttl;
  b[9] = h.proto;
  put32(b, 12, h.src);
  put32(b, 16, h.dst);
  for (std::size_t i = 0; i < h.options.size(); ++i) {
    b[20 + i] = h.options[i];
  }
  put16(b, 10, inet_csum(b));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes udp(std::uint16_t sport, std::uint16_t dport, const Bytes& payload, bool compute_csum,
          std::uint32_t src, std::uint32_t dst) {
  Bytes b(8);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<std::uint16_t>(8 + payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  if (compute_csum) {
    Bytes pseudo(12);
    put32(pseudo, 0, src);
    put32(pseudo, 4, dst);
    pseudo[9] = 17;
    put16(pseudo, 10, static_cast<std::uint16_t>(b.size()));
    std::uint16_t c = csum_fold(csum_partial(b.data(), b.size(), csum_partial(pseudo.data(), 12)));
    put16(b, 6, c == 0 ? 0xffff : c);
  }
  return b;
}

Bytes vxlan(std::uint32_t vni, std::uint8_t flags, std::uint32_t reserved1, std::uint8_t reserved2) {
  Bytes b(8);
  b[0] = flags;
  b[1] = (reserved1 >> 16) & 0xff;
  b[2] = (reserved1 >> 8) & 0xff;
  b[3] = reserved1 & 0xff;
  b[4] = (vni >> 16) & 0xff;
  b[5] = (vni >> 8) & 0xff;
  b[6] = vni & 0xff;
  b[7] = reserved2;
  return b;
}

Bytes arp(std::uint16_t op, const Mac& sha, std::uint32_t spa, const Mac& tha, std::uint32_t tpa) {
  Bytes b(28);
  put16(b, 0, 1);
  put16(b, 2, 0x0800);
  b[4] = 6;
  b[5] = 4;
  put16(b, 6, op);
  for (int i = 0; i < 6; ++i) {
    b[8 + i] = sha.b[i];
    b[18 + i] = tha.b[i];
  }
  put32(b, 14, spa);
  put32(b, 24, tpa);
  return b;
}

Bytes tcp_syn(std::uint16_t sport, std::uint16_t dport) {
  Bytes b(20);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, 0x01020304);
  b[12] = 5 << 4;
  b[13] = 0x02;
  put16(b, 14, 64240);
  return b;
}

Bytes icmp_echo(std::uint16_t id, std::uint16_t seq, const Bytes& data) {
  Bytes b(8);
  b[0] = 8;
  put16(b, 4, id);
  put16(b, 6, seq);
  b.insert(b.end(), data.begin(), data.end());
  put16(b, 2, inet_csum(b));
  return b;
}

}  // namespace vt

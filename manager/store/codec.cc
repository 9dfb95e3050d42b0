#include "store/codec.h"

#include <array>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace vnet::store {

namespace {

using topology::Direction;
using topology::HostRole;
using topology::Topology;

constexpr char kMagic[4] = {'V', 'N', 'E', 'T'};

// Flag bits, see codec.h.
constexpr std::uint8_t kUnderlayMtu = 1u << 0;
constexpr std::uint8_t kEndpointVlan = 1u << 0;
constexpr std::uint8_t kIfaceMac = 1u << 0;
constexpr std::uint8_t kRuleProtocol = 1u << 0;
constexpr std::uint8_t kRulePortMin = 1u << 1;
constexpr std::uint8_t kRulePortMax = 1u << 2;
constexpr std::uint8_t kRuleIcmpType = 1u << 3;
constexpr std::uint8_t kRuleIcmpCode = 1u << 4;
constexpr std::uint8_t kRuleRemoteCidr = 1u << 5;
constexpr std::uint8_t kRuleRemoteGroup = 1u << 6;

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // reflected Castagnoli
    }
    t[i] = c;
  }
  return t;
}
constexpr auto kCrc32cTable = make_crc32c_table();

// ---- encoding ---------------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v));
    u8(static_cast<std::uint8_t>(v >> 8));
  }
  void u32(std::uint32_t v) {
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
    out_.append(b, 4);
  }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      u8(static_cast<std::uint8_t>(v) | 0x80);
      v >>= 7;
    }
    u8(static_cast<std::uint8_t>(v));
  }
  void bytes(std::string_view b) { out_.append(b); }
  void prefix(const Ipv4Prefix& p) {
    u32(p.addr.value);
    u8(static_cast<std::uint8_t>(p.len));
  }
  void mac(const Mac& m) { out_.append(reinterpret_cast<const char*>(m.bytes.data()), 6); }

 private:
  std::string& out_;
};

using NameIndex = std::unordered_map<std::string_view, std::uint32_t>;

template <typename T>
NameIndex index_names(const std::vector<T>& items) {
  NameIndex idx;
  idx.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    idx.try_emplace(items[i].name, static_cast<std::uint32_t>(i));  // first wins
  }
  return idx;
}

class TopologyEncoder {
 public:
  explicit TopologyEncoder(std::string& out) : w_(out) {}

  void str(std::string_view s) {
    w_.varint(s.size());
    w_.bytes(s);
  }

  void ref(const NameIndex& idx, const std::string& name) {
    if (auto it = idx.find(name); it != idx.end()) {
      w_.varint(std::uint64_t{it->second} + 1);
      return;
    }
    w_.varint(0);
    str(name);
  }

  void topology(const Topology& t) {
    head(t);
    const Refs refs(t);
    w_.varint(t.endpoints.size());
    for (const auto& e : t.endpoints) {
      endpoint(refs, e);
    }
    routers(refs, t);
  }

  // What an endpoint's references resolve against.
  struct Refs {
    explicit Refs(const Topology& t)
        : hosts(index_names(t.hosts)),
          networks(index_names(t.networks)),
          groups(index_names(t.security_groups)) {}
    NameIndex hosts;
    NameIndex networks;
    NameIndex groups;
  };

  // underlay, hosts, networks, groups.
  void head(const Topology& t) {
    w_.u16(t.underlay.vxlan_port);
    w_.u8(t.underlay.mtu ? kUnderlayMtu : 0);
    if (t.underlay.mtu) {
      w_.u32(*t.underlay.mtu);
    }

    w_.varint(t.hosts.size());
    for (const auto& h : t.hosts) {
      str(h.name);
      w_.u8(h.role == HostRole::kSwitch ? 1 : 0);
      w_.u32(h.vtep_ip.value);
      str(h.underlay_interface);
    }

    w_.varint(t.networks.size());
    for (const auto& n : t.networks) {
      str(n.name);
      w_.u32(n.vni);
      w_.prefix(n.subnet);
    }

    w_.varint(t.security_groups.size());
    for (const auto& g : t.security_groups) {
      str(g.name);
      w_.varint(g.rules.size());
      for (const auto& r : g.rules) {
        rule(r);
      }
    }
  }

  void endpoint(const Refs& refs, const topology::Endpoint& e) {
    str(e.name);
    w_.varint(e.id);
    ref(refs.hosts, e.host);
    ref(refs.networks, e.network);
    str(e.interface);
    w_.mac(e.mac);
    w_.u32(e.ip.value);
    w_.u8(e.vlan ? kEndpointVlan : 0);
    if (e.vlan) {
      w_.u16(*e.vlan);
    }
    w_.varint(e.security_groups.size());
    for (const auto& g : e.security_groups) {
      ref(refs.groups, g);
    }
    w_.varint(e.allowed_addresses.size());
    for (const auto& p : e.allowed_addresses) {
      w_.prefix(p);
    }
  }

  void routers(const Refs& refs, const Topology& t) {
    w_.varint(t.routers.size());
    for (const auto& r : t.routers) {
      str(r.name);
      w_.varint(r.interfaces.size());
      for (const auto& i : r.interfaces) {
        ref(refs.networks, i.network);
        w_.u32(i.ip.addr.value);
        w_.u8(static_cast<std::uint8_t>(i.ip.len));
        w_.u8(i.mac ? kIfaceMac : 0);
        if (i.mac) {
          w_.mac(*i.mac);
        }
      }
      w_.varint(r.routes.size());
      for (const auto& rt : r.routes) {
        w_.prefix(rt.destination);
        w_.u32(rt.next_hop.value);
      }
    }
  }

  Writer& writer() { return w_; }

  void rule(const topology::Rule& r) {
    w_.u8(r.direction == Direction::kEgress ? 1 : 0);
    std::uint8_t flags = 0;
    flags |= r.protocol ? kRuleProtocol : 0;
    flags |= r.port_min ? kRulePortMin : 0;
    flags |= r.port_max ? kRulePortMax : 0;
    flags |= r.icmp_type ? kRuleIcmpType : 0;
    flags |= r.icmp_code ? kRuleIcmpCode : 0;
    flags |= r.remote_cidr ? kRuleRemoteCidr : 0;
    flags |= r.remote_group ? kRuleRemoteGroup : 0;
    w_.u8(flags);
    if (r.protocol) {
      w_.u8(*r.protocol);
    }
    if (r.port_min) {
      w_.u16(*r.port_min);
    }
    if (r.port_max) {
      w_.u16(*r.port_max);
    }
    if (r.icmp_type) {
      w_.u8(*r.icmp_type);
    }
    if (r.icmp_code) {
      w_.u8(*r.icmp_code);
    }
    if (r.remote_cidr) {
      w_.prefix(*r.remote_cidr);
    }
    if (r.remote_group) {
      // Inline: a group may name one declared after it.
      str(*r.remote_group);
    }
  }

 private:
  Writer w_;
};

// ---- decoding ---------------------------------------------------------------

// A bounds-checked cursor with a sticky error: after the first failure every
// read returns zero and remaining() is 0, so callers check once per object
// (or at the end) instead of after every field, and loops over counts that
// were validated against remaining() stay short.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::size_t remaining() const { return failed() ? 0 : data_.size() - pos_; }

  void fail(const std::string& what) {
    if (!failed()) {
      error_ = what + " at offset " + std::to_string(pos_);
    }
  }

  std::uint8_t u8() {
    if (!need(1, "u8")) {
      return 0;
    }
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint16_t u16() {
    if (!need(2, "u16")) {
      return 0;
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(data_.data() + pos_);
    pos_ += 2;
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
  }
  std::uint32_t u32() {
    if (!need(4, "u32")) {
      return 0;
    }
    const auto* p = reinterpret_cast<const std::uint8_t*>(data_.data() + pos_);
    pos_ += 4;
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
           (std::uint32_t{p[3]} << 24);
  }
  std::uint64_t varint(int max_bits = 64) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!need(1, "varint")) {
        return 0;
      }
      if (shift >= max_bits) {
        fail("varint out of range");
        return 0;
      }
      const auto b = static_cast<std::uint8_t>(data_[pos_++]);
      const std::uint64_t chunk = b & 0x7f;
      if (shift > 0 && chunk == 0 && !(b & 0x80)) {
        fail("overlong varint");
        return 0;
      }
      if (shift + 7 > max_bits && (chunk >> (max_bits - shift)) != 0) {
        fail("varint out of range");
        return 0;
      }
      v |= chunk << shift;
      if (!(b & 0x80)) {
        return v;
      }
    }
    fail("varint too long");
    return 0;
  }
  std::uint32_t varint32() { return static_cast<std::uint32_t>(varint(32)); }

  // A count of objects that each take at least `min_size` bytes: a count the
  // remaining input cannot hold is corrupt, and rejecting it here keeps a
  // flipped length byte from turning into a multi-gigabyte reserve().
  std::size_t count(std::size_t min_size, const char* what) {
    const std::uint64_t n = varint();
    if (failed()) {
      return 0;
    }
    if (n > remaining() / min_size) {
      fail(std::string("count of ") + what + " exceeds input");
      return 0;
    }
    return static_cast<std::size_t>(n);
  }

  std::string_view bytes(std::size_t n) {
    if (!need(n, "bytes")) {
      return {};
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  bool at_end() const { return pos_ == data_.size(); }

 private:
  bool need(std::size_t n, const char* what) {
    if (failed()) {
      return false;
    }
    if (data_.size() - pos_ < n) {
      fail(std::string("truncated ") + what);
      return false;
    }
    return true;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string error_;
};

class TopologyDecoder {
 public:
  explicit TopologyDecoder(Reader& r) : r_(r) {}

  std::string str() {
    const std::size_t len = r_.varint32();
    const std::string_view b = r_.bytes(len);
    return std::string(b);
  }

  // The name a `ref` stands for, from a list decoded earlier.
  template <typename T>
  std::string ref(const std::vector<T>& items, const char* what) {
    const std::uint32_t k = r_.varint32();
    if (r_.failed()) {
      return {};
    }
    if (k == 0) {
      return str();
    }
    if (k > items.size()) {
      r_.fail(std::string(what) + " reference out of range");
      return {};
    }
    return items[k - 1].name;
  }

  Ipv4 ip() { return Ipv4{r_.u32()}; }

  Ipv4Prefix prefix() {
    Ipv4Prefix p;
    p.addr = ip();
    p.len = r_.u8();
    if (p.len > 32) {
      r_.fail("prefix length > 32");
    } else if ((p.addr.value & ~p.mask()) != 0) {
      r_.fail("prefix has host bits set");
    }
    return p;
  }

  Mac mac() {
    Mac m;
    std::string_view b = r_.bytes(6);
    if (b.size() == 6) {
      std::memcpy(m.bytes.data(), b.data(), 6);
    }
    return m;
  }

  std::uint8_t flags(std::uint8_t allowed) {
    const std::uint8_t f = r_.u8();
    if ((f & ~allowed) != 0) {
      r_.fail("unknown flag bits");
    }
    return f;
  }

  // Counts are bounded by the input (Reader::count), so a resize() below is
  // never larger than the file; the minimum sizes are each object's
  // smallest encoding.
  void topology(Topology& t) {
    head(t);
    t.endpoints.resize(r_.count(kMinEndpointSize, "endpoints"));
    for (auto& e : t.endpoints) {
      endpoint(t, e);
      if (r_.failed()) {
        return;
      }
    }
    routers(t);
  }

  static constexpr std::size_t kMinEndpointSize = 18;

  // underlay, hosts, networks, groups.
  void head(Topology& t) {
    t.underlay.vxlan_port = r_.u16();
    if (flags(kUnderlayMtu) & kUnderlayMtu) {
      t.underlay.mtu = r_.u32();
    }

    t.hosts.resize(r_.count(7, "hosts"));
    for (auto& h : t.hosts) {
      h.name = str();
      const std::uint8_t role = r_.u8();
      if (role > 1) {
        r_.fail("bad host role");
      }
      h.role = role == 1 ? HostRole::kSwitch : HostRole::kHypervisor;
      h.vtep_ip = ip();
      h.underlay_interface = str();
    }

    t.networks.resize(r_.count(10, "networks"));
    for (auto& n : t.networks) {
      n.name = str();
      n.vni = r_.u32();
      n.subnet = prefix();
    }

    t.security_groups.resize(r_.count(2, "security groups"));
    for (auto& g : t.security_groups) {
      g.name = str();
      g.rules.resize(r_.count(2, "rules"));
      for (auto& rule : g.rules) {
        decode_rule(rule);
      }
    }
  }

  // References resolve against `t`'s hosts, networks and groups.
  void endpoint(const Topology& t, topology::Endpoint& e) {
    e.name = str();
    e.id = r_.varint32();
    e.host = ref(t.hosts, "host");
    e.network = ref(t.networks, "network");
    e.interface = str();
    e.mac = mac();
    e.ip = ip();
    if (flags(kEndpointVlan) & kEndpointVlan) {
      e.vlan = r_.u16();
    }
    e.security_groups.resize(r_.count(1, "endpoint groups"));
    for (auto& g : e.security_groups) {
      g = ref(t.security_groups, "security group");
    }
    e.allowed_addresses.resize(r_.count(5, "allowed addresses"));
    for (auto& p : e.allowed_addresses) {
      p = prefix();
    }
  }

  void routers(Topology& t) {
    t.routers.resize(r_.count(3, "routers"));
    for (auto& rt : t.routers) {
      rt.name = str();
      rt.interfaces.resize(r_.count(7, "router interfaces"));
      for (auto& i : rt.interfaces) {
        i.network = ref(t.networks, "network");
        i.ip.addr = ip();
        i.ip.len = r_.u8();
        if (i.ip.len > 32) {
          r_.fail("interface prefix length > 32");
        }
        if (flags(kIfaceMac) & kIfaceMac) {
          i.mac = mac();
        }
      }
      rt.routes.resize(r_.count(9, "routes"));
      for (auto& route : rt.routes) {
        route.destination = prefix();
        route.next_hop = ip();
      }
    }
  }

  void decode_rule(topology::Rule& r) {
    const std::uint8_t dir = r_.u8();
    if (dir > 1) {
      r_.fail("bad rule direction");
    }
    r.direction = dir == 1 ? Direction::kEgress : Direction::kIngress;
    const std::uint8_t f = flags(kRuleProtocol | kRulePortMin | kRulePortMax | kRuleIcmpType |
                                 kRuleIcmpCode | kRuleRemoteCidr | kRuleRemoteGroup);
    if (f & kRuleProtocol) {
      r.protocol = r_.u8();
    }
    if (f & kRulePortMin) {
      r.port_min = r_.u16();
    }
    if (f & kRulePortMax) {
      r.port_max = r_.u16();
    }
    if (f & kRuleIcmpType) {
      r.icmp_type = r_.u8();
    }
    if (f & kRuleIcmpCode) {
      r.icmp_code = r_.u8();
    }
    if (f & kRuleRemoteCidr) {
      r.remote_cidr = prefix();
    }
    if (f & kRuleRemoteGroup) {
      r.remote_group = str();
    }
  }

 private:
  Reader& r_;
};

std::uint32_t load_le32(std::string_view b, std::size_t off) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(b.data() + off);
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}

// ---- status text --------------------------------------------------------------

std::string escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\') {
      out.push_back(v[i]);
      continue;
    }
    if (++i == v.size()) {
      return std::nullopt;
    }
    if (v[i] == '\\') {
      out.push_back('\\');
    } else if (v[i] == 'n') {
      out.push_back('\n');
    } else {
      return std::nullopt;
    }
  }
  return out;
}

const char* state_name(HostState s) {
  switch (s) {
    case HostState::kStarting:
      return "starting";
    case HostState::kOk:
      return "ok";
    case HostState::kError:
      return "error";
  }
  return "error";
}

template <typename T>
bool parse_int(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end && !text.empty();
}

}  // namespace

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes the same CRC-32C 8 bytes at a time:
// the table loop cost every vnetd ~10 ms per load of a 100k-endpoint state.
static __attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::string_view data) {
  std::uint64_t c = 0xFFFFFFFFu;
  const char* p = data.data();
  std::size_t n = data.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; ++p, --n) {
    c32 = __builtin_ia32_crc32qi(c32, static_cast<unsigned char>(*p));
  }
  return c32 ^ 0xFFFFFFFFu;
}
#endif

std::uint32_t crc32c(std::string_view data) {
#if defined(__x86_64__)
  static const bool kHardware = __builtin_cpu_supports("sse4.2");
  if (kHardware) {
    return crc32c_sse42(data);
  }
#endif
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) {
    c = kCrc32cTable[(c ^ b) & 0xff] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFu;
}

namespace {

constexpr char kDeltaMagic[4] = {'V', 'N', 'D', 'L'};

// Starts a file: magic, format, and room for the length and checksum that
// seal() fills in once the payload is written.
void begin_file(std::string& out, const char (&magic)[4], std::uint16_t format) {
  Writer w(out);
  w.bytes(std::string_view(magic, 4));
  w.u16(format);
  w.u16(0);
  w.u32(0);  // payload_len, patched by seal()
  w.u32(0);  // crc32c, patched by seal()
}

std::uint32_t seal(std::string& out) {
  const std::string_view payload = std::string_view(out).substr(kCodecHeaderSize);
  const std::uint32_t len = static_cast<std::uint32_t>(payload.size());
  const std::uint32_t crc = crc32c(payload);
  for (int i = 0; i < 4; ++i) {
    out[8 + i] = static_cast<char>(len >> (8 * i));
    out[12 + i] = static_cast<char>(crc >> (8 * i));
  }
  return crc;
}

// Checks the header and checksum; the payload, or why the file is unusable.
Result<std::string_view> open_file(std::string_view bytes, const char (&magic)[4],
                                   std::uint16_t want_format, const std::string& what) {
  auto corrupt = [&](const std::string& why) {
    return Status::error(what + " is corrupt: " + why, EBADMSG);
  };
  if (bytes.size() < kCodecHeaderSize) {
    return corrupt("shorter than the header");
  }
  if (std::memcmp(bytes.data(), magic, 4) != 0) {
    return corrupt("bad magic (not a vnet " + what + " file)");
  }
  const std::uint16_t format = static_cast<std::uint16_t>(
      static_cast<std::uint8_t>(bytes[4]) | (static_cast<std::uint8_t>(bytes[5]) << 8));
  if (format != want_format) {
    return Status::error(what + " has format " + std::to_string(format) +
                             ", this vnet reads format " + std::to_string(want_format),
                         EPROTO);
  }
  if (bytes[6] != 0 || bytes[7] != 0) {
    return corrupt("reserved header bytes are not zero");
  }
  const std::uint32_t payload_len = load_le32(bytes, 8);
  if (payload_len != bytes.size() - kCodecHeaderSize) {
    return corrupt("payload length " + std::to_string(payload_len) + " but " +
                   std::to_string(bytes.size() - kCodecHeaderSize) + " bytes follow the header");
  }
  const std::string_view payload = bytes.substr(kCodecHeaderSize);
  if (crc32c(payload) != load_le32(bytes, 12)) {
    return corrupt("checksum mismatch");
  }
  return payload;
}

}  // namespace

std::string encode_state(const StoredState& state, std::uint32_t next_id) {
  std::string out;
  out.reserve(kCodecHeaderSize + 64 + state.topology.endpoints.size() * 48);
  begin_file(out, kMagic, kCodecFormat);
  Writer w(out);
  w.varint(state.generation);
  w.varint(next_id);
  TopologyEncoder enc(out);
  enc.topology(state.topology);
  seal(out);
  return out;
}

Result<EncodedState> decode_state(std::string_view bytes) {
  auto payload = open_file(bytes, kMagic, kCodecFormat, "desired state");
  if (!payload) {
    return payload.status();
  }
  EncodedState out;
  out.crc = load_le32(bytes, 12);
  Reader r(*payload);
  out.state.generation = r.varint();
  out.next_id = r.varint32();
  TopologyDecoder dec(r);
  dec.topology(out.state.topology);
  if (!r.failed() && !r.at_end()) {
    r.fail("trailing bytes");
  }
  if (r.failed()) {
    return Status::error("desired state is corrupt: " + r.error(), EBADMSG);
  }
  return out;
}

Result<StateVersion> peek_state_version(std::string_view head) {
  if (head.size() < kCodecHeaderSize || std::memcmp(head.data(), kMagic, 4) != 0) {
    return Status::error("desired state is corrupt: no header", EBADMSG);
  }
  StateVersion v;
  v.crc = load_le32(head, 12);
  Reader r(head.substr(kCodecHeaderSize));
  v.generation = r.varint();
  if (r.failed()) {
    return Status::error("desired state is corrupt: " + r.error(), EBADMSG);
  }
  return v;
}

std::string encode_others(const Topology& topo) {
  std::string out;
  TopologyEncoder enc(out);
  enc.head(topo);
  enc.routers(TopologyEncoder::Refs(topo), topo);
  return out;
}

std::string encode_delta(const StateDelta& d) {
  std::string out;
  begin_file(out, kDeltaMagic, kDeltaFormat);
  TopologyEncoder enc(out);
  Writer& w = enc.writer();
  w.varint(d.base.generation);
  w.u32(d.base.crc);
  w.varint(d.target.generation);
  w.u32(d.target.crc);
  w.u8(d.others_changed ? 1 : 0);
  enc.head(d.others);
  const TopologyEncoder::Refs refs(d.others);
  enc.routers(refs, d.others);
  w.varint(d.removed.size());
  for (const auto& r : d.removed) {
    w.varint(r.base_index);
    enc.str(r.endpoint.name);
  }
  w.varint(d.modified.size());
  for (const auto& m : d.modified) {
    w.varint(m.base_index);
    enc.endpoint(refs, m.endpoint);
  }
  w.varint(d.added.size());
  for (const auto& e : d.added) {
    enc.endpoint(refs, e);
  }
  seal(out);
  return out;
}

Result<StateDelta> decode_delta(std::string_view bytes) {
  auto payload = open_file(bytes, kDeltaMagic, kDeltaFormat, "state delta");
  if (!payload) {
    return payload.status();
  }
  StateDelta d;
  Reader r(*payload);
  TopologyDecoder dec(r);
  d.base.generation = r.varint();
  d.base.crc = r.u32();
  d.target.generation = r.varint();
  d.target.crc = r.u32();
  d.others_changed = (dec.flags(1) & 1) != 0;
  dec.head(d.others);
  dec.routers(d.others);
  d.removed.resize(r.count(2, "removed endpoints"));
  for (auto& rm : d.removed) {
    rm.base_index = r.varint();
    rm.endpoint.name = dec.str();
  }
  d.modified.resize(r.count(TopologyDecoder::kMinEndpointSize + 1, "modified endpoints"));
  for (auto& m : d.modified) {
    m.base_index = r.varint();
    dec.endpoint(d.others, m.endpoint);
    if (r.failed()) {
      break;
    }
  }
  d.added.resize(r.count(TopologyDecoder::kMinEndpointSize, "added endpoints"));
  for (auto& e : d.added) {
    dec.endpoint(d.others, e);
    if (r.failed()) {
      break;
    }
  }
  if (!r.failed() && !r.at_end()) {
    r.fail("trailing bytes");
  }
  if (r.failed()) {
    return Status::error("state delta is corrupt: " + r.error(), EBADMSG);
  }
  return d;
}

std::string encode_status(const HostStatus& s) {
  std::string out;
  out += "vnet-status=1\n";
  out += "host=" + escape(s.host) + "\n";
  out += "applied_generation=" + std::to_string(s.applied_generation) + "\n";
  out += std::string("state=") + state_name(s.state) + "\n";
  out += "heartbeat_unix_ms=" + std::to_string(s.heartbeat_unix_ms) + "\n";
  out += "pid=" + std::to_string(s.pid) + "\n";
  for (const auto& e : s.errors) {
    out += "error=" + escape(e) + "\n";
  }
  return out;
}

Result<HostStatus> decode_status(std::string_view text) {
  HostStatus s;
  bool seen_version = false;
  bool seen_host = false;
  bool seen_generation = false;
  bool seen_state = false;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      // Every line is terminated; a missing final newline means a torn write.
      return Status::error("status: line " + std::to_string(line_no) + " is not terminated",
                           EBADMSG);
    }
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::error("status: line " + std::to_string(line_no) + " has no '='", EBADMSG);
    }
    const std::string_view key = line.substr(0, eq);
    const std::string_view raw = line.substr(eq + 1);
    auto bad = [&]() {
      return Status::error(
          "status: line " + std::to_string(line_no) + ": bad value for " + std::string(key),
          EBADMSG);
    };
    if (key == "vnet-status") {
      if (raw != "1") {
        return Status::error("status: unsupported version " + std::string(raw), EPROTO);
      }
      seen_version = true;
    } else if (key == "host") {
      auto v = unescape(raw);
      if (!v || v->empty()) {
        return bad();
      }
      s.host = std::move(*v);
      seen_host = true;
    } else if (key == "applied_generation") {
      if (!parse_int(raw, s.applied_generation)) {
        return bad();
      }
      seen_generation = true;
    } else if (key == "state") {
      if (raw == "starting") {
        s.state = HostState::kStarting;
      } else if (raw == "ok") {
        s.state = HostState::kOk;
      } else if (raw == "error") {
        s.state = HostState::kError;
      } else {
        return bad();
      }
      seen_state = true;
    } else if (key == "heartbeat_unix_ms") {
      if (!parse_int(raw, s.heartbeat_unix_ms)) {
        return bad();
      }
    } else if (key == "pid") {
      if (!parse_int(raw, s.pid)) {
        return bad();
      }
    } else if (key == "error") {
      auto v = unescape(raw);
      if (!v) {
        return bad();
      }
      s.errors.push_back(std::move(*v));
    }
    // Unknown keys: written by a newer vnetd, ignored.
  }
  if (!seen_version || !seen_host || !seen_generation || !seen_state) {
    return Status::error("status: missing vnet-status, host, applied_generation or state", EBADMSG);
  }
  return s;
}

}  // namespace vnet::store

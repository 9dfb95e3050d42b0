// store/codec: desired-state round trip, strictness on corrupt input,
// speed at 100k endpoints, and the host-status text format.

#include "store/codec.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstring>
#include <random>

namespace vnet::store {
namespace {

using topology::Direction;
using topology::Endpoint;
using topology::Host;
using topology::HostRole;
using topology::Network;
using topology::Route;
using topology::Router;
using topology::RouterInterface;
using topology::Rule;
using topology::SecurityGroup;
using topology::Topology;

Ipv4 ip(const char* s) { return Ipv4::parse(s).value(); }
Ipv4Prefix pfx(const char* s) { return Ipv4Prefix::parse(s).value(); }
Mac mac(const char* s) { return Mac::parse(s).value(); }

// Every field and every optional, set and unset.
double thread_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

Topology full_topology() {
  Topology t;
  t.underlay.vxlan_port = 8472;
  t.underlay.mtu = 9000;
  t.hosts = {
      Host{.name = "hv1", .vtep_ip = ip("198.18.0.1"), .underlay_interface = "eth0"},
      Host{.name = "sw1",
           .role = HostRole::kSwitch,
           .vtep_ip = ip("198.18.0.10"),
           .underlay_interface = "swp51"},
  };
  t.networks = {
      Network{.name = "blue", .vni = 1001, .subnet = pfx("10.0.1.0/24")},
      Network{.name = "red", .vni = 16777214, .subnet = pfx("10.0.1.0/24")},
  };
  Endpoint e1;
  e1.name = "vm1";
  e1.id = 1;
  e1.host = "hv1";
  e1.network = "blue";
  e1.interface = "vm1-h";
  e1.mac = mac("02:00:00:00:00:11");
  e1.ip = ip("10.0.1.11");
  e1.security_groups = {"web", "ssh"};
  e1.allowed_addresses = {pfx("10.0.1.100/32"), pfx("10.0.1.128/25")};
  Endpoint e2;
  e2.name = "bm1";
  e2.id = 4000000000u;
  e2.host = "sw1";
  e2.network = "red";
  e2.interface = "swp1";
  e2.mac = mac("02:00:00:00:00:12");
  e2.ip = ip("10.0.1.12");
  e2.vlan = 100;
  // References that match no declared object (never in a validated
  // topology) still round-trip, inline.
  Endpoint e3 = e1;
  e3.name = "dangling";
  e3.id = 0;
  e3.host = "ghost";
  e3.network = "";
  e3.security_groups = {"undeclared", "web"};
  t.endpoints = {e1, e2, e3};
  Router r;
  r.name = "r1";
  r.interfaces = {
      RouterInterface{.network = "blue",
                      .ip = Ipv4Interface::parse("10.0.1.1/24").value(),
                      .mac = mac("02:00:00:00:01:01")},
      RouterInterface{.network = "red", .ip = Ipv4Interface::parse("10.0.1.254/24").value()},
  };
  r.routes = {Route{.destination = pfx("192.168.50.0/24"), .next_hop = ip("10.0.1.12")},
              Route{.destination = pfx("0.0.0.0/0"), .next_hop = ip("10.0.1.11")}};
  t.routers = {r, Router{.name = "empty"}};
  SecurityGroup web;
  web.name = "web";
  web.rules = {
      Rule{.direction = Direction::kIngress,
           .protocol = 6,
           .port_min = 80,
           .port_max = 443,
           .remote_cidr = pfx("0.0.0.0/0")},
      Rule{.direction = Direction::kIngress,
           .protocol = 1,
           .icmp_type = 8,
           .icmp_code = 0,
           .remote_group = "web"},
      Rule{.direction = Direction::kEgress},
  };
  t.security_groups = {web, SecurityGroup{.name = "ssh"}};
  return t;
}

void expect_loc_empty(const topology::SourceLoc& loc) {
  EXPECT_TRUE(loc.file.empty());
  EXPECT_EQ(loc.line, 0);
}

// Field-by-field: Topology has no operator== (it carries SourceLocs, which
// the codec deliberately drops).
void expect_same(const Topology& a, const Topology& b) {
  EXPECT_EQ(a.underlay.vxlan_port, b.underlay.vxlan_port);
  EXPECT_EQ(a.underlay.mtu, b.underlay.mtu);
  ASSERT_EQ(a.hosts.size(), b.hosts.size());
  for (std::size_t i = 0; i < a.hosts.size(); ++i) {
    EXPECT_EQ(a.hosts[i].name, b.hosts[i].name);
    EXPECT_EQ(a.hosts[i].role, b.hosts[i].role);
    EXPECT_EQ(a.hosts[i].vtep_ip, b.hosts[i].vtep_ip);
    EXPECT_EQ(a.hosts[i].underlay_interface, b.hosts[i].underlay_interface);
    expect_loc_empty(b.hosts[i].loc);
  }
  ASSERT_EQ(a.networks.size(), b.networks.size());
  for (std::size_t i = 0; i < a.networks.size(); ++i) {
    EXPECT_EQ(a.networks[i].name, b.networks[i].name);
    EXPECT_EQ(a.networks[i].vni, b.networks[i].vni);
    EXPECT_EQ(a.networks[i].subnet, b.networks[i].subnet);
  }
  ASSERT_EQ(a.endpoints.size(), b.endpoints.size());
  for (std::size_t i = 0; i < a.endpoints.size(); ++i) {
    const Endpoint& x = a.endpoints[i];
    const Endpoint& y = b.endpoints[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.host, y.host);
    EXPECT_EQ(x.network, y.network);
    EXPECT_EQ(x.interface, y.interface);
    EXPECT_EQ(x.mac, y.mac);
    EXPECT_EQ(x.ip, y.ip);
    EXPECT_EQ(x.vlan, y.vlan);
    EXPECT_EQ(x.security_groups, y.security_groups);
    EXPECT_EQ(x.allowed_addresses, y.allowed_addresses);
    expect_loc_empty(y.loc);
  }
  ASSERT_EQ(a.routers.size(), b.routers.size());
  for (std::size_t i = 0; i < a.routers.size(); ++i) {
    EXPECT_EQ(a.routers[i].name, b.routers[i].name);
    ASSERT_EQ(a.routers[i].interfaces.size(), b.routers[i].interfaces.size());
    for (std::size_t j = 0; j < a.routers[i].interfaces.size(); ++j) {
      EXPECT_EQ(a.routers[i].interfaces[j].network, b.routers[i].interfaces[j].network);
      EXPECT_EQ(a.routers[i].interfaces[j].ip, b.routers[i].interfaces[j].ip);
      EXPECT_EQ(a.routers[i].interfaces[j].mac, b.routers[i].interfaces[j].mac);
    }
    ASSERT_EQ(a.routers[i].routes.size(), b.routers[i].routes.size());
    for (std::size_t j = 0; j < a.routers[i].routes.size(); ++j) {
      EXPECT_EQ(a.routers[i].routes[j].destination, b.routers[i].routes[j].destination);
      EXPECT_EQ(a.routers[i].routes[j].next_hop, b.routers[i].routes[j].next_hop);
    }
  }
  ASSERT_EQ(a.security_groups.size(), b.security_groups.size());
  for (std::size_t i = 0; i < a.security_groups.size(); ++i) {
    EXPECT_EQ(a.security_groups[i].name, b.security_groups[i].name);
    ASSERT_EQ(a.security_groups[i].rules.size(), b.security_groups[i].rules.size());
    for (std::size_t j = 0; j < a.security_groups[i].rules.size(); ++j) {
      const Rule& x = a.security_groups[i].rules[j];
      const Rule& y = b.security_groups[i].rules[j];
      EXPECT_EQ(x.direction, y.direction);
      EXPECT_EQ(x.protocol, y.protocol);
      EXPECT_EQ(x.port_min, y.port_min);
      EXPECT_EQ(x.port_max, y.port_max);
      EXPECT_EQ(x.icmp_type, y.icmp_type);
      EXPECT_EQ(x.icmp_code, y.icmp_code);
      EXPECT_EQ(x.remote_cidr, y.remote_cidr);
      EXPECT_EQ(x.remote_group, y.remote_group);
    }
  }
}

std::string valid_encoding() {
  StoredState s;
  s.generation = 42;
  s.topology = full_topology();
  return encode_state(s, 4000000001u);
}

void put_le32(std::string& b, std::size_t off, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[off + i] = static_cast<char>(v >> (8 * i));
  }
}

// Fixes the header's length and checksum after a payload edit, so the
// decoder's structural checks (not the CRC) have to catch the damage.
std::string reseal(std::string b) {
  put_le32(b, 8, static_cast<std::uint32_t>(b.size() - kCodecHeaderSize));
  put_le32(b, 12, crc32c(std::string_view(b).substr(kCodecHeaderSize)));
  return b;
}

TEST(Codec, RoundTrip) {
  StoredState s;
  s.generation = (1ull << 40) + 3;
  s.topology = full_topology();
  s.topology.hosts[0].loc = {"a.yaml", 3, 5};  // dropped by design
  const std::string bytes = encode_state(s, 4000000001u);
  auto d = decode_state(bytes);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->state.generation, s.generation);
  EXPECT_EQ(d->next_id, 4000000001u);
  expect_same(s.topology, d->state.topology);
  // Encoding is a function of the content: re-encoding is byte-identical.
  EXPECT_EQ(encode_state(d->state, d->next_id), bytes);
}

TEST(Codec, EmptyTopology) {
  StoredState s;
  auto d = decode_state(encode_state(s, 1));
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->state.generation, 0u);
  EXPECT_EQ(d->next_id, 1u);
  expect_same(s.topology, d->state.topology);
}

TEST(Codec, HeaderChecks) {
  const std::string good = valid_encoding();
  ASSERT_TRUE(decode_state(good).is_ok());

  std::string magic = good;
  magic[0] = 'X';
  EXPECT_NE(decode_state(magic).status().message().find("magic"), std::string::npos);

  std::string newer = good;
  newer[4] = 2;
  auto r = decode_state(newer);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("format 2"), std::string::npos) << r.status().message();

  std::string reserved = good;
  reserved[6] = 1;
  EXPECT_FALSE(decode_state(reserved).is_ok());

  std::string crc = good;
  crc.back() ^= 0x01;
  EXPECT_NE(decode_state(crc).status().message().find("checksum"), std::string::npos);

  EXPECT_NE(decode_state(good + "x").status().message().find("length"), std::string::npos);
}

TEST(Codec, EveryTruncationFails) {
  const std::string good = valid_encoding();
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_state(std::string_view(good).substr(0, n)).is_ok()) << "length " << n;
    if (n >= kCodecHeaderSize) {
      // Even with a consistent header, a cut payload is incomplete.
      const std::string sealed = reseal(good.substr(0, n));
      EXPECT_FALSE(decode_state(sealed).is_ok()) << "resealed length " << n;
    }
  }
}

TEST(Codec, TrailingBytesFail) {
  auto r = decode_state(reseal(valid_encoding() + std::string(1, '\0')));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("trailing"), std::string::npos) << r.status().message();
}

TEST(Codec, RandomCorruptionNeverCrashes) {
  const std::string good = valid_encoding();
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::size_t accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string b = good;
    const int flips = 1 + i % 4;
    for (int f = 0; f < flips; ++f) {
      b[pos(rng)] = static_cast<char>(byte(rng));
    }
    if (b == good) {
      continue;
    }
    // Unsealed: the checksum (or header) must catch every change.
    EXPECT_FALSE(decode_state(b).is_ok());
    // Resealed: reaches the structural decoder; it may accept a flip that
    // yields another valid state (an address byte, say), and then that
    // state must itself round-trip.
    if (b.size() > kCodecHeaderSize) {
      const std::string sealed = reseal(b);
      if (std::memcmp(sealed.data(), "VNET\x01\x00\x00\x00", 8) != 0) {
        continue;
      }
      auto d = decode_state(sealed);
      if (d.is_ok()) {
        ++accepted;
        auto again = decode_state(encode_state(d->state, d->next_id));
        ASSERT_TRUE(again.is_ok());
        expect_same(d->state.topology, again->state.topology);
      }
    }
  }
  // Most single-byte flips land on addresses, ids or flags and some decode;
  // the counter documents that the structural path was really exercised.
  EXPECT_GT(accepted, 0u);
}

TEST(Codec, HugeCountsAreRejectedBeforeAllocating) {
  // generation 0, next_id 1, port 4789, no mtu, then 2^32-1 hosts.
  std::string b(kCodecHeaderSize, '\0');
  std::memcpy(b.data(), "VNET\x01\x00\x00\x00", 8);
  b += std::string("\x00\x01\xb5\x12\x00", 5);
  b += "\xff\xff\xff\xff\x0f";
  auto r = decode_state(reseal(b));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("count"), std::string::npos) << r.status().message();
}

TEST(Codec, OverlongVarintRejected) {
  std::string b(kCodecHeaderSize, '\0');
  std::memcpy(b.data(), "VNET\x01\x00\x00\x00", 8);
  b += std::string("\x80\x00", 2);  // generation 0 in two bytes
  b += std::string("\x01\x00", 2);  // next_id 1, no strings
  auto r = decode_state(reseal(b + std::string(8, '\0')));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("overlong"), std::string::npos) << r.status().message();
}

TEST(Codec, HundredThousandEndpointsRoundTripCompactly) {
  StoredState s;
  s.generation = 7;
  s.topology = full_topology();
  s.topology.endpoints.clear();
  s.topology.hosts.clear();
  s.topology.networks.clear();
  for (int i = 0; i < 500; ++i) {
    s.topology.hosts.push_back(Host{.name = "hv" + std::to_string(i),
                                    .vtep_ip = Ipv4{0xc6120000u + static_cast<std::uint32_t>(i)},
                                    .underlay_interface = "eth0"});
  }
  for (int i = 0; i < 2000; ++i) {
    s.topology.networks.push_back(Network{.name = "net" + std::to_string(i),
                                          .vni = static_cast<std::uint32_t>(1000 + i),
                                          .subnet = pfx("10.0.0.0/8")});
  }
  constexpr int kEndpoints = 100000;
  s.topology.endpoints.reserve(kEndpoints);
  for (int i = 0; i < kEndpoints; ++i) {
    Endpoint e;
    e.name = "vm" + std::to_string(i);
    e.id = static_cast<std::uint32_t>(i + 1);
    e.host = "hv" + std::to_string(i % 500);
    e.network = "net" + std::to_string(i % 2000);
    e.interface = "tap" + std::to_string(i);
    e.mac.bytes = {2,
                   0,
                   static_cast<std::uint8_t>(i >> 24),
                   static_cast<std::uint8_t>(i >> 16),
                   static_cast<std::uint8_t>(i >> 8),
                   static_cast<std::uint8_t>(i)};
    e.ip = Ipv4{0x0a000000u + static_cast<std::uint32_t>(i)};
    e.security_groups = {"web"};
    s.topology.endpoints.push_back(std::move(e));
  }
  // Tests assert behaviour, not speed: the time is recorded for the
  // benchmarks to read, never asserted.
  const double start_ms = thread_cpu_ms();
  const std::string bytes = encode_state(s, kEndpoints + 1);
  auto d = decode_state(bytes);
  const double ms = thread_cpu_ms() - start_ms;
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  ASSERT_EQ(d->state.topology.endpoints.size(), static_cast<std::size_t>(kEndpoints));
  EXPECT_EQ(d->state.topology.endpoints.back().name, "vm99999");
  EXPECT_EQ(d->state.topology.endpoints.back().network, "net1999");
  // Compact: hosts, networks and groups are references, ~38 bytes/endpoint.
  EXPECT_LT(bytes.size(), static_cast<std::size_t>(kEndpoints) * 40) << bytes.size();
  EXPECT_EQ(d->state.topology.endpoints[12345].host, "hv345");
  RecordProperty("encode_decode_ms", static_cast<int>(ms));
  RecordProperty("bytes", static_cast<int>(bytes.size()));
}

TEST(Codec, Crc32cKnownAnswer) {
  // RFC 3720 B.4 check value.
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
}

// ---- status ------------------------------------------------------------------

TEST(StatusCodec, RoundTrip) {
  HostStatus s;
  s.host = "hv1";
  s.applied_generation = 12;
  s.state = HostState::kError;
  s.errors = {"vm3-h: interface missing", "two\nlines and a \\ backslash", ""};
  s.heartbeat_unix_ms = 1700000000123;
  s.pid = 4242;
  const std::string text = encode_status(s);
  EXPECT_EQ(text.substr(0, 23), "vnet-status=1\nhost=hv1\n");
  auto d = decode_status(text);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->host, s.host);
  EXPECT_EQ(d->applied_generation, s.applied_generation);
  EXPECT_EQ(d->state, s.state);
  EXPECT_EQ(d->errors, s.errors);
  EXPECT_EQ(d->heartbeat_unix_ms, s.heartbeat_unix_ms);
  EXPECT_EQ(d->pid, s.pid);
}

TEST(StatusCodec, Strictness) {
  const std::string ok =
      "vnet-status=1\nhost=hv1\napplied_generation=3\nstate=ok\nfuture_key=whatever\n";
  auto d = decode_status(ok);
  ASSERT_TRUE(d.is_ok()) << d.status().message();
  EXPECT_EQ(d->state, HostState::kOk);
  EXPECT_EQ(d->applied_generation, 3u);

  EXPECT_FALSE(decode_status("").is_ok());
  EXPECT_FALSE(decode_status(ok.substr(0, ok.size() - 1)).is_ok());  // torn write
  EXPECT_FALSE(decode_status("vnet-status=2\nhost=a\napplied_generation=1\nstate=ok\n").is_ok());
  EXPECT_FALSE(decode_status("vnet-status=1\nhost=a\napplied_generation=x\nstate=ok\n").is_ok());
  EXPECT_FALSE(decode_status("vnet-status=1\nhost=a\napplied_generation=1\nstate=meh\n").is_ok());
  EXPECT_FALSE(decode_status("vnet-status=1\nhost=a\nstate=ok\n").is_ok());
  EXPECT_FALSE(
      decode_status("vnet-status=1\nhost=a\napplied_generation=1\nstate=ok\nnoeq\n").is_ok());
  EXPECT_FALSE(
      decode_status("vnet-status=1\nhost=a\napplied_generation=1\nstate=ok\nerror=bad\\q\n")
          .is_ok());
}

}  // namespace
}  // namespace vnet::store

// Security groups, property test: the BPF datapath (lib/policy.h, through
// vnet_tc_endpoint and BPF_PROG_TEST_RUN) gives the same verdict as the
// reference evaluator (compile/reference.h: a plain loop over the rules of
// the topology, no kernel) on random rule sets and packets.
//
// Each round builds a random topology in memory: a filtered endpoint E
// ("vm1", the lab's vm1-h: ep 1, 10.0.1.11 on blue) with 1-3 of 1-4 random
// groups of 1-12 rules, and random peers on E's network, on a network a
// router attaches to it (members count for remote_group), on a network two
// routers away and on another tenant with the same subnet (members do not
// count). It compiles the topology for E's host exactly as vnetd does
// (compile::compile, reconcile::bind_plan), writes the policy entries into
// the lab's maps and points vm1-h at E's two policies. Then:
//
//  - classifier cases, each from an empty conntrack table: egress frames
//    vm1 -> vm3's MAC (allowed: encapsulated, TC_ACT_REDIRECT) and ingress
//    frames vm2 -> vm1 delivered locally (allowed: TC_ACT_REDIRECT); denied
//    is TC_ACT_SHOT with exactly one drop counted, POLICY_EGRESS,
//    POLICY_INGRESS or (non-first fragments) POLICY_FRAGMENT. Half the
//    ingress cases arrive from the underlay instead: VXLAN from VTEP A
//    (vm3's MAC, any inner source) to vm5, the lab's XDP-delivered port,
//    which carries E's policies for the round, through vnet_xdp_underlay
//    (allowed: XDP_REDIRECT; denied: XDP_DROP, counted the same). The
//    verdict must be reference_allows() of the packet as E sees it.
//  - stateful cases: after an allowed packet, its reply (the other way,
//    ports swapped, echo reply for an echo request) passes whatever the
//    rules say when the first packet opens a flow, and is classified like
//    any packet when it does not; with the table emptied again, the same
//    reply passes iff the reference allows it as a new packet. Half of
//    them are vm5's: its ingress through XDP, its egress through
//    vnet_tc_endpoint on vm5-t, so flows opened in XDP are followed in tc
//    and the other way round.
//
// The generator aims at the edges: remote addresses at and around the
// bounds of every rule's prefix and every member's addresses, ports at and
// around range bounds (0, 1, 1023/1024, 65535), ICMP types/codes of the
// rules and next to them, every protocol the rules name plus others (0,
// 255, ...), non-first and first fragments, IPv4 options. Half the
// classifier cases are built from one of E's rules (at or just past its
// edges), half from everything the round knows. A full run fails if fewer
// than a fifth of its classifier cases (the stateful cases' first packets
// and empty-table replies included) are allowed or fewer than a fifth
// denied: a generator that only ever denies proves nothing.
//
// Reproduce: VNET_PROPERTY_SEED=<seed> (default kDefaultSeed) replays the
// same rounds; VNET_PROPERTY_ROUND=<n> runs only round n of that seed (every
// round has its own generator, seeded from (seed, round)). A seed's cases
// change whenever the generator does: replay with the build that failed.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compile/plan.h"
#include "compile/reference.h"
#include "datapath.h"
#include "fixtures.h"
#include "reconcile/reconcile.h"

namespace vt {
namespace {

namespace topo = vnet::topology;
using topo::Direction;
using vnet::Ipv4;
using vnet::Ipv4Prefix;
using vnet::compile::PolicyPacket;

constexpr std::uint32_t kDefaultSeed = 0x5eed2024;
constexpr int kRounds = 50;
constexpr int kClassifierCasesPerRound = 110;
constexpr int kStatefulCasesPerRound = 16;

constexpr std::uint8_t kTcp = 6, kUdp = 17, kIcmp = 1;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// The in-memory topology's networks: E's (blue, the lab's vni 1001), one a
// router attaches to it (green), one only reachable through green (orange)
// and another tenant with blue's subnet (red).
constexpr std::uint32_t kBlueNet = ip4(10, 0, 1, 0);
constexpr std::uint32_t kGreenNet = ip4(10, 0, 3, 0);
constexpr std::uint32_t kOrangeNet = ip4(10, 0, 4, 0);
constexpr const char* kEndpoint = "vm1";

std::uint32_t env_u32(const char* name, std::uint32_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? static_cast<std::uint32_t>(std::strtoul(v, nullptr, 0))
                                    : fallback;
}

std::string ip_str(std::uint32_t host) { return Ipv4{host}.str(); }

// ---- raw map access (the fixtures keep theirs internal) ----------------------

void clear_map(int fd) {
  std::vector<std::uint8_t> next(64);
  // Deleting while iterating restarts the walk: always take the first key.
  while (bpf_map_get_next_key(fd, nullptr, next.data()) == 0) {
    if (bpf_map_delete_elem(fd, next.data()) != 0) {
      ADD_FAILURE() << "delete: " << std::strerror(errno);
      return;
    }
  }
}

std::size_t map_size(int fd) {
  std::vector<std::uint8_t> key(64), next(64);
  std::size_t n = 0;
  void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
    key = next;
    prev = key.data();
    ++n;
  }
  return n;
}

// vnet_drops summed over CPUs, one counter per reason.
std::vector<std::uint64_t> drop_counters() {
  static const int ncpus = libbpf_num_possible_cpus();
  std::vector<std::uint64_t> per_cpu(static_cast<std::size_t>(ncpus));
  std::vector<std::uint64_t> out(VNET_DROP_MAX, 0);
  for (__u32 k = 0; k < VNET_DROP_MAX; ++k) {
    if (bpf_map_lookup_elem(maps().drops, &k, per_cpu.data()) == 0) {
      for (std::uint64_t v : per_cpu) {
        out[k] += v;
      }
    }
  }
  return out;
}

// ---- the random topology -----------------------------------------------------

topo::Endpoint endpoint(const std::string& name, std::uint32_t id, const std::string& host,
                        const std::string& network, std::uint32_t ip) {
  topo::Endpoint e;
  e.name = name;
  e.id = id;
  e.host = host;
  e.network = network;
  e.interface = name == kEndpoint ? "vm1-h" : "p" + std::to_string(id);
  e.mac.bytes = {0x02, 0, 0, 0, static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id)};
  e.ip = Ipv4{ip};
  return e;
}

std::string rule_str(const topo::Rule& r) {
  std::ostringstream os;
  os << (r.direction == Direction::kIngress ? "ingress" : "egress") << " proto "
     << (r.protocol ? std::to_string(*r.protocol) : std::string("any"));
  if (r.port_min) {
    os << " ports " << *r.port_min << "-" << r.port_max.value_or(*r.port_min);
  }
  if (r.icmp_type) {
    os << " icmp " << int{*r.icmp_type};
    if (r.icmp_code) {
      os << "/" << int{*r.icmp_code};
    }
  }
  if (r.remote_cidr) {
    os << " cidr " << r.remote_cidr->str();
  }
  if (r.remote_group) {
    os << " group " << *r.remote_group;
  }
  return os.str();
}

// The rules and members a failure needs to be read.
std::string topology_str(const topo::Topology& t) {
  std::ostringstream os;
  for (const auto& e : t.endpoints) {
    os << "  endpoint " << e.name << " net " << e.network << " ip " << e.ip.str();
    for (const auto& a : e.allowed_addresses) {
      os << " +" << a.str();
    }
    os << " groups [";
    for (const auto& g : e.security_groups) {
      os << " " << g;
    }
    os << " ]\n";
  }
  for (const auto& g : t.security_groups) {
    for (const auto& r : g.rules) {
      os << "  " << g.name << ": " << rule_str(r) << "\n";
    }
  }
  return os.str();
}

// ---- a packet ----------------------------------------------------------------

struct Packet {
  Direction dir = Direction::kEgress;  // as E sees it
  std::uint32_t remote = 0;            // host order: destination out, source in
  std::uint8_t protocol = kUdp;
  std::uint16_t sport = 0, dport = 0;  // TCP/UDP
  std::uint8_t tcp_flags = kSyn;
  std::uint8_t icmp_type = 8, icmp_code = 0;
  std::uint16_t icmp_id = 1;
  std::uint16_t frag_offset = 0;  // != 0: a non-first fragment (8-byte units)
  bool more_fragments = false;    // with offset 0: a first fragment
  std::size_t option_words = 0;   // IPv4 options (NOPs), 32-bit words
  // vm5's rather than vm1's (vm5 has E's policies): ingress from VTEP A
  // through vnet_xdp_underlay, egress from vm5 through vnet_tc_endpoint.
  bool underlay = false;

  bool non_first_fragment() const { return frag_offset != 0; }

  PolicyPacket reference() const {
    PolicyPacket p;
    p.remote = Ipv4{remote};
    p.protocol = protocol;
    p.dst_port = dport;
    p.icmp_type = icmp_type;
    p.icmp_code = icmp_code;
    p.non_first_fragment = non_first_fragment();
    return p;
  }

  // The reply to it: the other way, ports swapped; echo requests are answered
  // with echo replies, other ICMP with the same type and code.
  Packet reply(std::uint8_t flags) const {
    Packet r = *this;
    r.dir = dir == Direction::kEgress ? Direction::kIngress : Direction::kEgress;
    std::swap(r.sport, r.dport);
    r.tcp_flags = flags;
    if (protocol == kIcmp && icmp_type == 8) {
      r.icmp_type = 0;
      r.icmp_code = 0;
    }
    r.more_fragments = false;
    return r;
  }

  // Whether lib/policy.h opens a flow for it when allowed: not a fragment,
  // not ICMP other than an echo request, not a TCP RST.
  bool opens_flow() const {
    if (non_first_fragment()) {
      return false;
    }
    if (protocol == kIcmp) {
      return icmp_type == 8;
    }
    return !(protocol == kTcp && (tcp_flags & kRst));
  }

  std::string str() const {
    std::ostringstream os;
    os << (dir == Direction::kEgress ? "egress to " : "ingress from ") << ip_str(remote)
       << " proto " << int{protocol};
    if (protocol == kTcp || protocol == kUdp) {
      os << " sport " << sport << " dport " << dport;
    }
    if (protocol == kTcp) {
      os << " flags 0x" << std::hex << int{tcp_flags} << std::dec;
    }
    if (protocol == kIcmp) {
      os << " icmp " << int{icmp_type} << "/" << int{icmp_code} << " id " << icmp_id;
    }
    if (frag_offset != 0) {
      os << " frag_offset " << frag_offset;
    }
    if (more_fragments) {
      os << " MF";
    }
    if (option_words != 0) {
      os << " options " << option_words * 4 << "B";
    }
    if (underlay) {
      os << (dir == Direction::kIngress ? " (VXLAN from VTEP A to vm5, through XDP)"
                                        : " (from vm5, through vnet_tc_endpoint on vm5-t)");
    }
    return os.str();
  }

  // The Ethernet frame: egress from vm1 (its MAC and IP: anti-spoofing
  // passes) to vm3's MAC (a remote endpoint: allowed means encapsulated);
  // ingress from vm2 (allowed any source in the test) to vm1, or from vm3's
  // MAC behind VTEP A (allowed any source on blue) to vm5, in VXLAN.
  Bytes frame() const {
    const bool out = dir == Direction::kEgress;
    const std::uint32_t local = underlay ? kIpVm5 : kIpVm1;
    const std::uint32_t src = out ? local : remote;
    const std::uint32_t dst = out ? remote : local;
    Bytes l4;
    switch (protocol) {
      case kTcp: {
        l4.assign(20, 0);
        put16(l4, 0, sport);
        put16(l4, 2, dport);
        put32(l4, 4, 1000);
        put32(l4, 8, (tcp_flags & kAck) ? 2000 : 0);
        l4[12] = 5 << 4;
        l4[13] = tcp_flags;
        put16(l4, 14, 65535);
        l4 = cat({l4, pattern(12)});
        break;
      }
      case kUdp:
        l4 = udp(sport, dport, pattern(12));
        break;
      case kIcmp: {
        // Header, then what an error quotes (an IPv4 header and 8 bytes of
        // a datagram the other way), which for other types is just data.
        Ip4 q;
        q.proto = kUdp;
        q.src = dst;
        q.dst = src;
        Bytes quoted = ipv4(q, udp(static_cast<std::uint16_t>(icmp_id ^ 0x5555), 33434, {}));
        l4 = Bytes{icmp_type, icmp_code, 0, 0, 0, 0, 0, 1};
        put16(l4, 4, icmp_id);
        l4 = cat({l4, quoted, pattern(8)});
        put16(l4, 2, inet_csum(l4));
        break;
      }
      default:
        l4 = pattern(24, protocol);
    }
    Ip4 h;
    h.proto = protocol;
    h.src = src;
    h.dst = dst;
    h.id = 0x4242;
    h.frag = frag_offset != 0 ? static_cast<std::uint16_t>(frag_offset | (more_fragments ? kMF : 0))
                              : (more_fragments ? kMF : kDF);
    h.options.assign(option_words * 4, 1);  // NOP
    if (underlay && !out) {
      return vxlan_frame(kVtepA, kVniBlue, cat({eth(kVm5Mac, kVm3Mac, kEthIp), ipv4(h, l4)}));
    }
    if (underlay) {
      return cat({eth(kVm3Mac, kVm5Mac, kEthIp), ipv4(h, l4)});
    }
    return cat({eth(out ? kVm3Mac : kVm1Mac, out ? kVm1Mac : kVm2Mac, kEthIp), ipv4(h, l4)});
  }
};

// ---- the generator -------------------------------------------------------------

// Port values where range covers and their neighbours differ most.
const std::uint16_t kEdgePorts[] = {1,     2,     7,     8,     22,    53,   80,
                                    443,   1023,  1024,  1025,  2047,  2048, 4095,
                                    32767, 32768, 49151, 49152, 65534, 65535};
// ICMP: echo reply/request, the errors lib/policy.h parses, others.
const std::uint8_t kIcmpTypes[] = {0, 3, 4, 5, 8, 11, 12, 13, 14, 30, 128, 255};
// Protocol numbers besides tcp/udp/icmp (0 is a real number, not "any").
const std::uint8_t kOtherProtocols[] = {0, 2, 4, 41, 47, 50, 51, 89, 132, 254, 255};

class Generator {
 public:
  Generator(std::uint32_t seed, int round) {
    std::seed_seq seq{seed, static_cast<std::uint32_t>(round)};
    rng_.seed(seq);
  }

  // A topology whose endpoint kEndpoint is E. Also collects the addresses
  // and ports worth aiming at.
  topo::Topology topology() {
    topo::Topology t;
    t.hosts.push_back(
        topo::Host{.name = "hv1", .vtep_ip = Ipv4{kVtepLocal}, .underlay_interface = "ul0"});
    t.hosts.push_back(
        topo::Host{.name = "hv2", .vtep_ip = Ipv4{kVtepA}, .underlay_interface = "eth0"});
    const struct {
      const char* name;
      std::uint32_t vni, subnet;
    } nets[] = {{"blue", kVniBlue, kBlueNet},
                {"red", kVniT2, kBlueNet},
                {"green", kVniC, kGreenNet},
                {"orange", 4001, kOrangeNet}};
    for (const auto& n : nets) {
      t.networks.push_back(
          topo::Network{.name = n.name, .vni = n.vni, .subnet = Ipv4Prefix{Ipv4{n.subnet}, 24}});
    }
    topo::Router r1{.name = "r1"};
    r1.interfaces.push_back({.network = "blue", .ip = {Ipv4{kBlueNet | 1}, 24}});
    r1.interfaces.push_back({.network = "green", .ip = {Ipv4{kGreenNet | 1}, 24}});
    topo::Router r2{.name = "r2"};
    r2.interfaces.push_back({.network = "green", .ip = {Ipv4{kGreenNet | 2}, 24}});
    r2.interfaces.push_back({.network = "orange", .ip = {Ipv4{kOrangeNet | 1}, 24}});
    t.routers = {r1, r2};

    const int groups = 1 + static_cast<int>(below(4));
    for (int g = 0; g < groups; ++g) {
      group_names_.push_back("sg" + std::to_string(g));
    }
    for (const auto& name : group_names_) {
      topo::SecurityGroup g{.name = name};
      const int rules = 1 + static_cast<int>(below(12));
      for (int k = 0; k < rules; ++k) {
        g.rules.push_back(rule());
      }
      t.security_groups.push_back(std::move(g));
    }

    // E: always filtered (1-3 groups), sometimes with an allowed address
    // (which counts for remote_group like its ip).
    topo::Endpoint e = endpoint(kEndpoint, 1, "hv1", "blue", kIpVm1);
    e.security_groups = some_groups(1);
    if (chance(20)) {
      e.allowed_addresses.push_back(Ipv4Prefix{Ipv4{kIpVm1Allowed}, 32});
    }
    t.endpoints.push_back(e);
    // Peers: random networks, hosts, memberships and allowed addresses.
    std::set<std::pair<std::string, std::uint32_t>> used{{"blue", kIpVm1}};
    const int peers = 4 + static_cast<int>(below(8));
    for (int i = 0; i < peers; ++i) {
      const auto& n = nets[below(4)];
      std::uint32_t ip;
      do {
        ip = n.subnet | (3 + below(250));
      } while (!used.insert({n.name, ip}).second);
      topo::Endpoint p = endpoint("peer" + std::to_string(i), static_cast<std::uint32_t>(10 + i),
                                  chance(50) ? "hv1" : "hv2", n.name, ip);
      p.security_groups = some_groups(0);
      if (chance(30)) {
        const int len = chance(20) ? 24 : 26 + static_cast<int>(below(7));
        Ipv4Prefix a{Ipv4{chance(80) ? n.subnet | below(256) : ip4(192, 168, below(256), 0)}, len};
        a.addr.value &= a.mask();
        p.allowed_addresses.push_back(a);
        aim_prefix(a);
      }
      aim_address(ip);
      t.endpoints.push_back(std::move(p));
    }
    aim_address(kIpVm1);
    aim_address(kIpVm1Allowed);
    // What packet_near_rule() aims at: E's rules, every group's members
    // (in E's neighbourhood or not: those outside must not match).
    for (const auto& g : t.security_groups) {
      if (std::find(e.security_groups.begin(), e.security_groups.end(), g.name) !=
          e.security_groups.end()) {
        own_rules_.insert(own_rules_.end(), g.rules.begin(), g.rules.end());
      }
    }
    for (const auto& ep : t.endpoints) {
      for (const auto& g : ep.security_groups) {
        auto& prefixes = members_[g];
        prefixes.push_back(Ipv4Prefix{ep.ip, 32});
        prefixes.insert(prefixes.end(), ep.allowed_addresses.begin(), ep.allowed_addresses.end());
      }
    }
    return t;
  }

  // A packet built from one of E's rules, at or just past its edges: the
  // rule's direction and protocol, a port at a bound of its range or one
  // beyond, its ICMP type and code (or a neighbour), an address at a bound
  // of its prefix or of a member's address, or one beyond. Many of these
  // are allowed, and the ones just past an edge are the interesting denials.
  Packet packet_near_rule() {
    const topo::Rule& r = own_rules_[below(own_rules_.size())];
    Packet p = packet(r.direction);
    if (r.protocol) {
      p.protocol = *r.protocol;
    }
    if (r.port_min) {
      const std::uint16_t lo = *r.port_min, hi = r.port_max.value_or(lo);
      const std::uint16_t at[] = {lo, hi, static_cast<std::uint16_t>(lo - 1),
                                  static_cast<std::uint16_t>(hi + 1),
                                  static_cast<std::uint16_t>(lo + below(hi - lo + 1u))};
      p.dport = at[below(std::size(at))];
    }
    if (r.icmp_type) {
      p.icmp_type = chance(80) ? *r.icmp_type
                               : static_cast<std::uint8_t>(*r.icmp_type + (chance(50) ? 1 : -1));
      if (r.icmp_code) {
        p.icmp_code = chance(80) ? *r.icmp_code
                                 : static_cast<std::uint8_t>(*r.icmp_code + (chance(50) ? 1 : -1));
      }
    }
    std::optional<Ipv4Prefix> target = r.remote_cidr;
    if (r.remote_group) {
      const auto& members = members_[*r.remote_group];
      if (!members.empty()) {
        target = members[below(members.size())];
      }
    }
    if (target) {
      const std::uint32_t first = target->addr.value, last = first | ~target->mask();
      const std::uint32_t inside = first | (static_cast<std::uint32_t>(rng_()) & ~target->mask());
      const int k = static_cast<int>(below(10));
      p.remote = k < 3   ? first
                 : k < 5 ? last
                 : k < 7 ? inside
                 : k < 8 ? first - 1
                 : k < 9 ? last + 1
                         : p.remote;
    }
    if (p.frag_offset != 0 && chance(50)) {
      p.frag_offset = 0;
    }
    return p;
  }

  // A packet aimed at the rules' edges.
  Packet packet(Direction dir) {
    Packet p;
    p.dir = dir;
    p.remote = remote();
    p.protocol = protocol();
    p.sport = port();
    p.dport = port();
    const std::uint8_t flags[] = {kSyn,        kSyn,        kAck, kSyn | kAck,
                                  kPsh | kAck, kFin | kAck, kRst, kRst | kAck};
    p.tcp_flags = flags[below(8)];
    if (chance(60) && !icmp_aims_.empty()) {
      const auto [type, code] = icmp_aims_[below(icmp_aims_.size())];
      p.icmp_type = static_cast<std::uint8_t>(type + static_cast<int>(below(3)) - 1);
      p.icmp_code = code < 0 ? static_cast<std::uint8_t>(below(4))
                             : static_cast<std::uint8_t>(code + static_cast<int>(below(3)) - 1);
      if (chance(50)) {
        p.icmp_type = static_cast<std::uint8_t>(type);  // exactly the rule's type
      }
    } else {
      p.icmp_type = kIcmpTypes[below(std::size(kIcmpTypes))];
      p.icmp_code = static_cast<std::uint8_t>(chance(70) ? below(4) : below(256));
    }
    p.icmp_id = static_cast<std::uint16_t>(below(65536));
    if (chance(12)) {
      p.frag_offset = static_cast<std::uint16_t>(1 + below(chance(50) ? 8 : 8191));
      p.more_fragments = chance(50);
    } else if (chance(5)) {
      p.more_fragments = true;  // a first fragment: classified on its ports
    }
    if (chance(10)) {
      p.option_words = 1 + below(10);
    }
    return p;
  }

  std::uint8_t reply_flags() {
    const std::uint8_t flags[] = {kSyn | kAck, kAck, kPsh | kAck, kFin | kAck, kRst};
    return flags[below(5)];
  }

  std::uint32_t below(std::size_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  bool chance(int percent) { return static_cast<int>(below(100)) < percent; }

 private:
  std::vector<std::string> some_groups(int at_least) {
    std::vector<std::string> out;
    for (const auto& g : group_names_) {
      if (chance(45)) {
        out.push_back(g);
      }
    }
    while (static_cast<int>(out.size()) < at_least || out.size() > 3) {
      out.clear();
      for (const auto& g : group_names_) {
        if (chance(45)) {
          out.push_back(g);
        }
      }
    }
    return out;
  }

  std::uint16_t edge_port() { return kEdgePorts[below(std::size(kEdgePorts))]; }

  topo::Rule rule() {
    topo::Rule r;
    r.direction = chance(50) ? Direction::kIngress : Direction::kEgress;
    const int kind = static_cast<int>(below(100));
    if (kind < 30) {
      r.protocol = kTcp;
    } else if (kind < 50) {
      r.protocol = kUdp;
    } else if (kind < 72) {
      r.protocol = kIcmp;
    } else if (kind < 80) {
      r.protocol = std::nullopt;  // any
    } else {
      r.protocol = chance(70) ? kOtherProtocols[below(std::size(kOtherProtocols))]
                              : static_cast<std::uint8_t>(below(256));
    }
    if (r.protocol) {
      protocols_.push_back(*r.protocol);
    }
    if ((r.protocol == kTcp || r.protocol == kUdp) && chance(75)) {
      const std::uint16_t lo =
          chance(70) ? edge_port() : static_cast<std::uint16_t>(1 + below(65535));
      std::uint16_t hi = lo;
      if (chance(60)) {
        const std::uint32_t room = 65535u - lo;
        const std::uint32_t span =
            chance(50) ? below(std::min<std::uint32_t>(room, 64) + 1) : below(room + 1);
        hi = static_cast<std::uint16_t>(chance(10) ? 65535 : lo + span);
      }
      r.port_min = lo;
      r.port_max = hi;
      aim_port(lo);
      aim_port(hi);
    }
    if (r.protocol == kIcmp && chance(70)) {
      r.icmp_type = chance(70) ? kIcmpTypes[below(std::size(kIcmpTypes))]
                               : static_cast<std::uint8_t>(below(256));
      if (chance(50)) {
        r.icmp_code = static_cast<std::uint8_t>(chance(80) ? below(4) : below(256));
      }
      icmp_aims_.emplace_back(*r.icmp_type, r.icmp_code ? int{*r.icmp_code} : -1);
    }
    const int remote = static_cast<int>(below(100));
    if (remote < 45) {
      const int lens[] = {0, 1, 8, 16, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 32};
      const int len = chance(80) ? lens[below(std::size(lens))] : static_cast<int>(below(33));
      const std::uint32_t bases[] = {kBlueNet, kGreenNet, kOrangeNet, ip4(192, 168, 0, 0),
                                     static_cast<std::uint32_t>(rng_())};
      Ipv4Prefix c{Ipv4{bases[below(5)] | (chance(70) ? below(256) : 0)}, len};
      c.addr.value &= c.mask();
      r.remote_cidr = c;
      aim_prefix(c);
    } else if (remote < 80) {
      r.remote_group = group_names_[below(group_names_.size())];
    }
    return r;
  }

  // A prefix's network and broadcast addresses and their outer neighbours.
  void aim_prefix(const Ipv4Prefix& p) {
    const std::uint32_t first = p.addr.value;
    const std::uint32_t last = first | ~p.mask();
    for (std::uint32_t a : {first, last, first - 1, last + 1}) {
      addresses_.push_back(a);
    }
    inside_.push_back(p);
  }
  void aim_address(std::uint32_t a) {
    for (std::uint32_t x : {a, a, a - 1, a + 1}) {
      addresses_.push_back(x);
    }
  }
  void aim_port(std::uint16_t port) {
    for (int d = -1; d <= 1; ++d) {
      ports_.push_back(static_cast<std::uint16_t>(port + d));
    }
  }

  std::uint32_t remote() {
    const int k = static_cast<int>(below(100));
    if (k < 65 && !addresses_.empty()) {
      return addresses_[below(addresses_.size())];
    }
    if (k < 85 && !inside_.empty()) {  // anywhere inside a prefix
      const Ipv4Prefix& p = inside_[below(inside_.size())];
      return p.addr.value | (static_cast<std::uint32_t>(rng_()) & ~p.mask());
    }
    if (k < 90) {
      const std::uint32_t special[] = {
          0, 0xffffffffu, ip4(127, 0, 0, 1), ip4(224, 0, 0, 251), kBlueNet, kBlueNet | 255};
      return special[below(std::size(special))];
    }
    return static_cast<std::uint32_t>(rng_());
  }

  std::uint8_t protocol() {
    const int k = static_cast<int>(below(100));
    if (k < 50 && !protocols_.empty()) {
      return protocols_[below(protocols_.size())];
    }
    if (k < 85) {
      const std::uint8_t common[] = {kTcp, kUdp, kIcmp};
      return common[below(3)];
    }
    return chance(50) ? kOtherProtocols[below(std::size(kOtherProtocols))]
                      : static_cast<std::uint8_t>(below(256));
  }

  std::uint16_t port() {
    const int k = static_cast<int>(below(100));
    if (k < 60 && !ports_.empty()) {
      return ports_[below(ports_.size())];
    }
    if (k < 70) {
      return 0;
    }
    if (k < 85) {
      return edge_port();
    }
    return static_cast<std::uint16_t>(below(65536));
  }

  std::mt19937 rng_;
  std::vector<std::string> group_names_;
  std::vector<std::uint32_t> addresses_;
  std::vector<Ipv4Prefix> inside_;
  std::vector<std::uint16_t> ports_;
  std::vector<std::uint8_t> protocols_;
  std::vector<std::pair<int, int>> icmp_aims_;              // (type, code or -1)
  std::vector<topo::Rule> own_rules_;                       // E's groups' rules
  std::map<std::string, std::vector<Ipv4Prefix>> members_;  // group -> member addresses
};

// ---- running cases ---------------------------------------------------------------

struct Verdict {
  bool passed = false;
  std::string problem;  // non-empty: neither a clean pass nor a clean policy drop
};

// Runs `p` through vnet_tc_endpoint (or, from the underlay,
// vnet_xdp_underlay) and reads what happened: a pass (TC_ACT_REDIRECT /
// XDP_REDIRECT, nothing counted) or a policy drop (TC_ACT_SHOT / XDP_DROP,
// exactly the expected reason counted once). Anything else is a problem.
Verdict run(const Packet& p) {
  const bool egress = p.dir == Direction::kEgress;
  const bool xdp = p.underlay && !egress;
  const Prog prog = xdp ? Prog::kXdpUnderlay : Prog::kTcEndpoint;
  const std::uint32_t redirect = xdp ? kXdpRedirect : kTcRedirect;
  const std::uint32_t shot = xdp ? kXdpDrop : kTcShot;
  const char* ifname = xdp ? "ul0" : p.underlay ? "vm5-t" : egress ? "vm1-h" : "vm2-h";
  const auto before = drop_counters();
  const RunResult r = run_prog(prog, p.frame(), ifname);
  const auto after = drop_counters();
  Verdict v;
  if (r.err != 0) {
    v.problem = std::string("test_run failed: ") + std::strerror(r.err);
    return v;
  }
  std::vector<int> moved;
  for (int k = 0; k < VNET_DROP_MAX; ++k) {
    if (after[k] != before[k]) {
      moved.push_back(k);
    }
  }
  const int policy_reason = p.non_first_fragment()        ? VNET_DROP_POLICY_FRAGMENT
                            : p.dir == Direction::kEgress ? VNET_DROP_POLICY_EGRESS
                                                          : VNET_DROP_POLICY_INGRESS;
  if (r.verdict == redirect && moved.empty()) {
    v.passed = true;
  } else if (r.verdict == shot && moved.size() == 1 && moved[0] == policy_reason &&
             after[policy_reason] == before[policy_reason] + 1) {
    v.passed = false;
  } else {
    std::ostringstream os;
    os << "verdict " << verdict_name(prog, r.verdict) << ", drops counted:";
    for (int k : moved) {
      os << " " << drop_name(k) << "+" << (after[k] - before[k]);
    }
    if (moved.empty()) {
      os << " none";
    }
    os << " (want redirect, or shot with " << drop_name(policy_reason) << ")";
    v.problem = os.str();
  }
  return v;
}

// The policy entries of one compiled host as bind_plan() turns them into
// map bytes, written into the lab's maps. Returns (remotes, rules) written.
std::pair<std::size_t, std::size_t> install_policies(const vnet::compile::HostPlan& plan) {
  const auto bound = vnet::reconcile::bind_plan(
      plan, [](const std::string&) { return std::optional<vnet::reconcile::InterfaceInfo>{}; },
      [](std::uint32_t) -> std::uint16_t { return 0; });  // no ports: no slots
  std::size_t remotes = 0, rules = 0;
  for (const auto& m : bound.maps) {
    int fd = -1;
    std::size_t* count = nullptr;
    if (m.name == VNET_MAP_POLICY_REMOTE) {
      fd = maps().pol_remote;
      count = &remotes;
    } else if (m.name == VNET_MAP_POLICY_RULES) {
      fd = maps().pol_rules;
      count = &rules;
    } else {
      continue;
    }
    for (const auto& [k, v] : m.entries) {
      if (bpf_map_update_elem(fd, k.data(), v.data(), BPF_ANY) != 0) {
        ADD_FAILURE() << "update " << m.name << ": " << std::strerror(errno);
      }
      ++*count;
    }
  }
  return {remotes, rules};
}

class PolicyProperty : public Datapath {};

TEST_F(PolicyProperty, DatapathAgreesWithTheReference) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kXdpUnderlay);
  const std::uint32_t seed = env_u32("VNET_PROPERTY_SEED", kDefaultSeed);
  const int only_round = static_cast<int>(env_u32("VNET_PROPERTY_ROUND", 0xffffffffu));
  const auto t0 = std::chrono::steady_clock::now();

  // vm2 (unfiltered) may send from any address: ingress cases come from it.
  {
    vnet_port_src_key k{};
    k.prefixlen = 32;  // ifindex, then a /0
    k.ifindex = static_cast<__u32>(ifindex("vm2-h"));
    __u8 one = 1;
    ASSERT_EQ(bpf_map_update_elem(maps().port_src, &k, &one, BPF_ANY), 0) << std::strerror(errno);
  }
  // VTEP A may send any inner source on blue: underlay ingress cases come
  // from it (vm3's MAC, which lives behind it).
  {
    vnet_remote_src_key k{};
    k.prefixlen = 64;  // vni and vtep, then a /0
    k.vni = kVniBlue;
    k.vtep_be = htonl(kVtepA);
    __u8 one = 1;
    ASSERT_EQ(bpf_map_update_elem(maps().remote_src, &k, &one, BPF_ANY), 0)
        << std::strerror(errno);
  }

  int cases = 0, allowed = 0, denied = 0, fragments = 0, from_underlay = 0;
  int stateful = 0, tracked_replies = 0, classified_replies = 0, vm5_stateful = 0;
  int mismatches = 0;
  std::size_t max_remotes = 0, max_rules = 0;
  std::ostringstream failures;

  for (int round = 0; round < kRounds; ++round) {
    if (only_round >= 0 && round != only_round) {
      continue;
    }
    Generator gen(seed, round);
    const topo::Topology t = gen.topology();
    auto plan = vnet::compile::compile(t, "hv1");
    ASSERT_TRUE(plan.is_ok()) << plan.status().message();
    const auto port = std::find_if(plan->ports.begin(), plan->ports.end(),
                                   [](const auto& p) { return p.endpoint == kEndpoint; });
    ASSERT_NE(port, plan->ports.end());
    ASSERT_NE(port->policy_in, 0u);
    ASSERT_NE(port->policy_out, 0u);

    clear_map(maps().pol_remote);
    clear_map(maps().pol_rules);
    const auto [remotes, rules] = install_policies(*plan);
    max_remotes = std::max(max_remotes, remotes);
    max_rules = std::max(max_rules, rules);
    set_port_policy("vm1-h", port->policy_in, port->policy_out);
    set_port_policy("vm5-t", port->policy_in, port->policy_out);

    // A failure: counted, and the first few printed with what reproduces them.
    auto fail = [&](const Packet& p, const std::string& what, const std::string& detail) {
      if (++mismatches > 5) {
        return;
      }
      failures << "\n=== round " << round << " (VNET_PROPERTY_SEED=0x" << std::hex << seed
               << std::dec << " VNET_PROPERTY_ROUND=" << round << "), " << what
               << "\n  packet: " << p.str() << "\n  " << detail << "\n  policies in 0x" << std::hex
               << port->policy_in << " out 0x" << port->policy_out << std::dec << "\n"
               << topology_str(t);
    };
    // Checks one case against `want`.
    auto check = [&](const Packet& p, bool want, const std::string& what) {
      const Verdict got = run(p);
      if (got.problem.empty() && got.passed == want) {
        return true;
      }
      fail(p, what,
           std::string("want ") + (want ? "pass" : "deny") + ", got " +
               (got.problem.empty() ? (got.passed ? "pass" : "deny") : got.problem));
      return false;
    };
    auto reference = [&](const Packet& p) {
      const auto r = vnet::compile::reference_allows(t, kEndpoint, p.dir, p.reference());
      EXPECT_TRUE(r.is_ok());
      return r.is_ok() && *r;
    };
    // A classifier case: from an empty table, the verdict is the rules'.
    auto classify = [&](const Packet& p, const std::string& what) {
      clear_map(maps().conntrack);
      const bool want = reference(p);
      ++cases;
      (want ? allowed : denied) += 1;
      fragments += p.non_first_fragment() ? 1 : 0;
      from_underlay += p.underlay && p.dir == Direction::kIngress ? 1 : 0;
      return check(p, want, what) && want;
    };

    // Half aimed at one of E's rules, half at everything the round knows.
    for (int i = 0; i < kClassifierCasesPerRound; ++i) {
      Packet p = i % 2 ? gen.packet_near_rule()
                       : gen.packet(i % 4 ? Direction::kIngress : Direction::kEgress);
      p.underlay = p.dir == Direction::kIngress && gen.chance(50);
      classify(p, "classifier case");
    }

    // Stateful: a first packet the rules allow, then its reply.
    for (int i = 0; i < kStatefulCasesPerRound; ++i) {
      Packet first;
      bool ok = false;
      for (int tries = 0; tries < 40 && !ok; ++tries) {
        first = gen.chance(50) ? gen.packet_near_rule()
                               : gen.packet(i % 2 ? Direction::kIngress : Direction::kEgress);
        first.frag_offset = gen.chance(90) ? 0 : first.frag_offset;
        first.underlay = gen.chance(50);
        ok = reference(first);
      }
      if (!ok || !classify(first, "stateful: the first packet")) {
        continue;
      }
      const bool opens = first.opens_flow();
      const std::size_t flows = map_size(maps().conntrack);
      if (flows != (opens ? 1u : 0u)) {
        fail(first, "stateful: the first packet",
             "left " + std::to_string(flows) + " conntrack entries, want " + (opens ? "1" : "0"));
      }
      const Packet reply = first.reply(gen.reply_flags());
      ++stateful;
      vm5_stateful += first.underlay ? 1 : 0;
      // Tracked: passes whatever the rules say; untracked: classified.
      const bool want = opens || reference(reply);
      (opens ? tracked_replies : classified_replies) += 1;
      check(reply, want,
            opens ? "stateful: the reply of a tracked flow"
                  : "stateful: the reply of an untracked packet");
      // The same reply with no state is a new packet.
      classify(reply, "stateful: the reply with an empty table");
    }
    capture_drain_all();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf(
      "[ property ] seed 0x%x: %d classifier cases (%d allowed, %d denied, %d non-first "
      "fragments, %d from the underlay through XDP), %d replies after an allowed packet (%d "
      "tracked, %d classified; %d of vm5's flows, XDP one way and tc the other); largest "
      "policy set %zu remote + %zu rule entries; %.1f s\n",
      seed, cases, allowed, denied, fragments, from_underlay, stateful, tracked_replies,
      classified_replies, vm5_stateful, max_remotes, max_rules, secs);
  EXPECT_EQ(mismatches, 0) << mismatches
                           << " case(s) disagree with the reference; the first:" << failures.str();
  // The generator's own quality, over a whole run (a replayed round is too
  // small to be held to it): thousands of cases, neither verdict rare.
  if (only_round < 0) {
    EXPECT_GE(cases, 5000);
    EXPECT_GE(allowed * 5, cases) << "fewer than a fifth of the cases allowed";
    EXPECT_GE(denied * 5, cases) << "fewer than a fifth of the cases denied";
    EXPECT_GE(from_underlay * 8, cases) << "fewer than an eighth of the cases through XDP";
  }
}

}  // namespace
}  // namespace vt

// The vnet programs loaded once with a shared pin root (plus the test
// shim that gives vnet_tc_tunnel its tunnel metadata), the topology of
// lab.h written into their maps through the abi.h structs, one-shot
// BPF_PROG_TEST_RUN, map snapshots and the generic expectation checker every
// fixture table goes through.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab.h"
#include "packet.h"
#include "vnet/abi.h"

namespace vt {

enum class Prog { kXdpUnderlay, kTcTunnel, kTcEndpoint, kTcUnderlay, kXdpEndpoint };
const char* prog_name(Prog p);

// Verdicts (uapi values, spelled out so a reader needs no header).
inline constexpr std::uint32_t kXdpDrop = 1;
inline constexpr std::uint32_t kXdpPass = 2;
inline constexpr std::uint32_t kXdpRedirect = 4;
inline constexpr std::uint32_t kTcOk = 0;
inline constexpr std::uint32_t kTcShot = 2;
inline constexpr std::uint32_t kTcRedirect = 7;
std::string verdict_name(Prog p, std::uint32_t v);
std::string drop_name(int reason);

// Loads the skeletons that were built (once per process). False with a
// message when a program is missing or fails to load.
bool programs_load(std::string* err);
bool program_available(Prog p, std::string* why);
void programs_unload();

struct MapFds {
  int ports = -1, port_src = -1, fdb = -1, neigh = -1, remote_host = -1, remote_src = -1, vteps = -1,
      networks = -1,
      ep_stats = -1, drops = -1, rtr_ifaces = -1, routes = -1, icmp_rate = -1, pol_remote = -1,
      pol_rules = -1, conntrack = -1, ct_stats = -1, state = -1;
};
const MapFds& maps();

// Security groups, written as vnetd's bind does (abi.h): a remote prefix's
// class, a class's allowed (protocol, port prefix) with protocol -1 = any,
// and a local port's policy ids (its vnet_ports and local fdb entries).
void put_policy_remote(std::uint32_t policy, std::uint32_t ip, unsigned plen, std::uint32_t class_id);
void put_policy_rule(std::uint32_t policy, std::uint32_t class_id, int protocol, std::uint16_t port,
                     unsigned port_bits);
void set_port_policy(const char* ifname, std::uint32_t policy_in, std::uint32_t policy_out);
// Gives a local port (and its fdb entry) another endpoint id.
void set_port_endpoint(const char* ifname, std::uint32_t endpoint_id);
// The gateway a local port carries (abi.h: vnet_port.gw): router_id 0
// for none.
void set_port_gateway(const char* ifname, const Mac& mac, std::uint32_t router_id,
                      std::uint32_t ip);
// Removes a router interface's vnet_rtr_ifaces entry.
void del_router_iface(std::uint32_t vni, const Mac& mac);
// A remote endpoint's fdb entry: behind VTEP vtep, with the endpoint's
// address ip (host order; 0: none, as before ABI 12).
void put_fdb_remote(std::uint32_t vni, const Mac& mac, std::uint32_t vtep, std::uint32_t ep,
                    std::uint32_t ip = 0);
// Removes an inner source put_remote_src() allowed (a host address).
void del_remote_host(std::uint32_t vni, std::uint32_t vtep, std::uint32_t ip);
// The underlay next hop vnetd keeps for a VTEP in vnet_vteps: out of
// `ifname` to `dmac`, from `smac` (flags VNET_VTEP_F_NEXT_HOP unless told).
// Also leases the kept next hops for as long as the test runs.
void put_vtep_next_hop(std::uint32_t vtep, const char* ifname, const Mac& dmac, const Mac& smac,
                       std::uint32_t flags = VNET_VTEP_F_NEXT_HOP);
// vnet_state's lease on the kept next hops (CLOCK_MONOTONIC ns; reset: 0).
void set_next_hop_lease(std::uint64_t until_ns);
// A vnet_conntrack key as bytes (addresses and ports in host order).
Bytes ct_key(std::uint32_t ep, std::uint32_t local, std::uint32_t remote, std::uint16_t lport,
             std::uint16_t rport, std::uint8_t proto, std::uint32_t vni = kVniBlue);
// vnet_conntrack's entries by key bytes.
std::map<Bytes, vnet_ct_entry> conntrack();
// vnet_ct_stats' `created`, summed over CPUs.
std::uint64_t conntrack_created();

// Empties every map, then writes the lab topology.
void reset_maps();
void install_topology();

struct RunResult {
  int err = 0;  // test_run errno (0 = ran)
  std::uint32_t verdict = 0;
  Bytes out;
  std::uint32_t mark = 0;  // tc programs: skb->mark after the run
};
RunResult run_prog(Prog p, const Bytes& in, const std::string& ifname);

// What the kernel's VXLAN device attaches to a frame it decapsulated, as
// vnet_tc_tunnel reads it (bpf_skb_get_tunnel_key). run_prog(kTcTunnel)
// runs the program through tests/bpf/tunnel_shim.bpf.c with this metadata;
// present = false runs it bare (no metadata at all).
struct TunnelMeta {
  bool present = true;
  bool marked = true;        // skb->mark = VNET_MARK_UNDERLAY (vnet_tc_underlay's)
  std::uint32_t remote = 0;  // outer source: the sending VTEP (host order)
  std::uint32_t local = 0;   // outer destination (host order)
  std::uint32_t vni = 0;
};
void set_tunnel_meta(const TunnelMeta& meta);

struct Snapshot {
  std::map<std::string, std::map<Bytes, Bytes>> config;  // config maps: key -> value
  std::vector<std::uint64_t> drops;                       // vnet_drops summed over CPUs
  std::map<std::uint32_t, vnet_ep_stats> ep;     // kLocalEndpoints' counters, by endpoint id
  std::map<std::uint32_t, vnet_ep_stats> slots;  // every scanned vnet_ep_stats slot, by slot
};
Snapshot snapshot();

// ---- expectations -----------------------------------------------------------
struct EpExpect {
  enum Mode { kExact, kDropOptional, kAny };
  std::uint32_t id = 0;
  std::int64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0;
  int drop_reason = 0;
  std::int64_t drops = 0;  // delta of drops[drop_reason]
  Mode mode = kExact;      // kDropOptional: drops[drop_reason] may stay 0
};
EpExpect ep_tx(std::uint32_t id, std::size_t bytes);
EpExpect ep_rx(std::uint32_t id, std::size_t bytes);
EpExpect ep_drop(std::uint32_t id, int reason);
EpExpect ep_maybe_drop(std::uint32_t id, int reason);
EpExpect ep_any(std::uint32_t id);

struct FrameExpect {
  Bytes bytes;
  std::vector<bool> mask;  // empty: every byte compared; else mask[i] = compare byte i
};

struct Expect {
  std::uint32_t verdict = 0;
  enum Out { kUnchecked, kUnchanged, kEquals } out = kUnchecked;
  FrameExpect out_frame;
  int drop = VNET_DROP_NONE;  // the one vnet_drops counter that moves by +1
  std::vector<EpExpect> ep;   // endpoints not listed must not change
  // Frames that must arrive at capture points (order-insensitive). Every
  // capture point not listed must receive nothing.
  std::map<std::string, std::vector<FrameExpect>> captures;
};

// Runs one case once and checks verdict, output, counters, untouched
// configuration maps and what was really transmitted.
void check_case(Prog p, const Bytes& in, const std::string& ifname, const Expect& e);

// Compares with a mask; returns an empty string when equal.
std::string frame_mismatch(const FrameExpect& want, const Bytes& got);

// Fixture base: every test starts from a freshly written topology and skips
// when the program it needs is not built yet.
class Datapath : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  void SetUp() override;
};

// First statement of every test: skip while the program's skeleton is not
// built yet; fail when it is built but does not load.
bool program_built(Prog p);
#define VT_NEED(p)                                      \
  do {                                                  \
    std::string why_;                                   \
    if (!::vt::program_built(p)) {                      \
      GTEST_SKIP() << ::vt::prog_name(p) << " not built yet"; \
    }                                                   \
    if (!::vt::program_available(p, &why_)) {           \
      GTEST_FAIL() << why_;                             \
    }                                                   \
  } while (0)

}  // namespace vt

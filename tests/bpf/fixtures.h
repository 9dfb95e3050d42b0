// Frames of the lab topology, built from the spec (docs/architecture.md) with
// the independent builder in packet.h. fixtures_test.cc pins the key ones
// to hand-written hex.
#pragma once

#include <cstdint>

#include "datapath.h"
#include "lab.h"
#include "packet.h"

namespace vt {

// An inner (or endpoint) IPv4/UDP frame.
struct Udp4 {
  Mac dst, src;
  std::uint32_t sip = 0, dip = 0;
  std::uint16_t sport = 1234, dport = 5678;
  std::size_t payload = 16;
  std::uint8_t tos = 0;
  std::uint16_t frag = kDF;
  std::uint16_t id = 0x1234;
  std::uint8_t ttl = 64;
  Bytes ip_opts;
};
Bytes udp4(const Udp4& u);
Bytes udp4(const Mac& dst, const Mac& src, std::uint32_t sip, std::uint32_t dip);

// Ethernet + ARP, padded to 60 bytes with pad bytes (so "padding kept" shows).
Bytes arp_frame(const Mac& eth_dst, const Mac& eth_src, std::uint16_t op, const Mac& sha,
                std::uint32_t spa, const Mac& tha, std::uint32_t tpa, std::uint8_t pad = 0x5a);
inline Bytes arp_request(const Mac& src, std::uint32_t spa, std::uint32_t tpa) {
  return arp_frame(kBcast, src, 1, src, spa, kZeroMac, tpa);
}

// A VXLAN frame as a remote VTEP sends it to us on ul0.
struct Outer {
  std::uint32_t src = kVtepA;
  std::uint32_t dst = kVtepLocal;
  std::uint32_t vni = kVniBlue;
  std::uint8_t flags = 0x08;
  std::uint32_t reserved1 = 0;
  std::uint8_t reserved2 = 0;
  Bytes ip_opts;
  std::uint16_t frag = kDF;
  std::uint16_t sport = 54321;
  std::uint16_t dport = kVxlanPort;
  bool udp_csum = false;
};
Bytes vxlan_frame(const Outer& o, const Bytes& inner);
inline Bytes vxlan_frame(std::uint32_t src, std::uint32_t vni, const Bytes& inner) {
  Outer o;
  o.src = src;
  o.vni = vni;
  return vxlan_frame(o, inner);
}

// Offsets in an encapsulated frame (outer IPv4 without options).
inline constexpr std::size_t kOffOuterIp = 14;
inline constexpr std::size_t kOffOuterUdp = 34;
inline constexpr std::size_t kOffVxlan = 42;
inline constexpr std::size_t kOffInner = 50;

// What tc_endpoint must emit for `inner` toward vtep through next hop nh
// (spec "Encapsulation"): everything compared except the UDP source port.
FrameExpect encap_expect(std::uint32_t vtep, const Mac& nh, std::uint32_t vni, const Bytes& inner);
// ARP reply built in place from a request (spec "ARP reply").
Bytes arp_reply_expect(const Bytes& request, const Mac& target_mac);
// ICMP fragmentation-needed for an endpoint's frame (spec "ICMP fragmentation-needed").
Bytes frag_needed_expect(const Bytes& original, std::uint16_t mtu);

FrameExpect exact(const Bytes& b);

// The hand-written hex fixtures (fixtures_test.cc), for the datapath tests.
Bytes hex_vxlan_vm3_to_vm1();
Bytes hex_arp_request_vm1_for_vm2();
Bytes hex_arp_reply_vm2_to_vm1();
Bytes hex_big_df_frame();     // vm1 -> vm3, IPv4 total length 1451, DF
Bytes hex_frag_needed();      // its ICMP fragmentation-needed, MTU 1450
FrameExpect hex_encap_vm1_to_vm3();

}  // namespace vt

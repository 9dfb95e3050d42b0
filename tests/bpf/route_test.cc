// Distributed routing in vnet_tc_endpoint, against the routers of lab.h:
// routed output bytes (MACs, TTL, checksum recomputed from scratch by the
// independent builder equals the program's incremental one), longest
// prefix, local delivery and encapsulation with the egress VNI, the
// router's ping replies and ICMP errors, tenants' routers kept apart; and
// routed frames arriving from a VTEP (router MAC as inner source).
#include <gtest/gtest.h>

#include "fixtures.h"

namespace vt {
namespace {

constexpr std::uint8_t kIcmpUnreach = 3, kIcmpTimeExceeded = 11;

Bytes with_ttl(const Mac& dst, const Mac& src, std::uint32_t sip, std::uint32_t dip, std::uint8_t ttl) {
  Udp4 u;
  u.dst = dst;
  u.src = src;
  u.sip = sip;
  u.dip = dip;
  u.ttl = ttl;
  return udp4(u);
}

// The router's ICMP error for `orig` (spec: from the router interface
// address, the original IP header and 8 bytes quoted, back to the sender).
Bytes icmp_error_expect(const Bytes& orig, std::uint8_t type, std::uint8_t code, std::uint32_t from,
                        std::uint16_t mtu = 0) {
  Mac dst{}, src{};
  for (int i = 0; i < 6; ++i) {
    dst.b[i] = orig[i];
    src.b[i] = orig[6 + i];
  }
  const std::size_t ihl = (orig[14] & 0xf) * 4u;
  // RFC 792: the header and 8 bytes of the datagram, or all of a shorter one.
  const std::size_t quote = std::min<std::size_t>(ihl + 8, get16(orig, 14 + 2));
  Bytes icmp = cat({Bytes{type, code, 0, 0, 0, 0, static_cast<std::uint8_t>(mtu >> 8),
                         static_cast<std::uint8_t>(mtu & 0xff)},
                    Bytes(orig.begin() + 14, orig.begin() + 14 + static_cast<long>(quote))});
  put16(icmp, 2, inet_csum(icmp));
  Ip4 h;
  h.frag = 0;
  h.ttl = 64;
  h.proto = 1;
  h.src = from;
  h.dst = get32(orig, 14 + 12);
  return cat({eth(src, dst, kEthIp), ipv4(h, icmp)});
}

Expect routed_local(const Bytes& out, std::uint32_t from, std::uint32_t to) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = exact(out);
  e.ep = {ep_tx(from, out.size()), ep_rx(to, out.size())};
  return e;
}

Expect router_error(const Bytes& in, std::uint8_t type, std::uint8_t code, std::uint32_t from, int reason,
                    std::uint32_t ep) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = exact(icmp_error_expect(in, type, code, from));
  e.drop = reason;
  e.ep.push_back(ep_drop(ep, reason));
  return e;
}

class Route : public Datapath {};

TEST_F(Route, ConnectedNetworkOnThisHost) {
  VT_NEED(Prog::kTcEndpoint);
  // vm1 (10.0.1.11, vni 1001) -> vm6 (10.0.3.16, vni 3001, local) through r1.
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, 64);
  const Bytes out = with_ttl(kVm6Mac, kRouterMacC, kIpVm1, kIpVm6, 63);
  check_case(Prog::kTcEndpoint, in, "vm1-h", routed_local(out, kEpVm1, kEpVm6));
}

// vnetd writes the network's gateway into each port (abi.h: vnet_port.gw),
// and a frame to it is routed from that copy without vnet_rtr_ifaces ...
TEST_F(Route, PortGatewayRoutesWithoutTheRouterIfaceLookup) {
  VT_NEED(Prog::kTcEndpoint);
  del_router_iface(kVniBlue, kRouterMac);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, 64);
  const Bytes out = with_ttl(kVm6Mac, kRouterMacC, kIpVm1, kIpVm6, 63);
  check_case(Prog::kTcEndpoint, in, "vm1-h", routed_local(out, kEpVm1, kEpVm6));
}

// ... while a port without one finds the router interface by lookup.
TEST_F(Route, WithoutAPortGatewayTheRouterIfaceIsLookedUp) {
  VT_NEED(Prog::kTcEndpoint);
  set_port_gateway("vm1-h", Mac{}, 0, 0);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, 64);
  const Bytes out = with_ttl(kVm6Mac, kRouterMacC, kIpVm1, kIpVm6, 63);
  check_case(Prog::kTcEndpoint, in, "vm1-h", routed_local(out, kEpVm1, kEpVm6));
}

// A port's gateway serves only frames to its own MAC: with another MAC
// in vm1's copy, a frame to r1's blue MAC is found by lookup as before.
TEST_F(Route, PortGatewayServesOnlyItsOwnMac) {
  VT_NEED(Prog::kTcEndpoint);
  set_port_gateway("vm1-h", kRouterMacC, kRouter1, kIpRouterC);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, 64);
  const Bytes out = with_ttl(kVm6Mac, kRouterMacC, kIpVm1, kIpVm6, 63);
  check_case(Prog::kTcEndpoint, in, "vm1-h", routed_local(out, kEpVm1, kEpVm6));
}

TEST_F(Route, ChecksumOfTheIncrementalUpdateEqualsAFreshOne) {
  VT_NEED(Prog::kTcEndpoint);
  // The decrement goes through bpf_l3_csum_replace; the expected frame's
  // checksum is computed from scratch. Several TTLs, so a wrong carry or
  // byte order in the update shows.
  for (std::uint8_t ttl : {2, 17, 128, 255}) {
    const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, ttl);
    const Bytes out = with_ttl(kVm6Mac, kRouterMacC, kIpVm1, kIpVm6, static_cast<std::uint8_t>(ttl - 1));
    RunResult r = run_prog(Prog::kTcEndpoint, in, "vm1-h");
    ASSERT_EQ(r.err, 0);
    EXPECT_EQ(r.verdict, kTcRedirect);
    EXPECT_EQ(to_hex(r.out), to_hex(out)) << "ttl " << int(ttl);
    capture_drain_all();
  }
}

TEST_F(Route, LongestPrefixWinsAndRemoteNextHopIsEncapsulated) {
  VT_NEED(Prog::kTcEndpoint);
  // 192.168.60.200: /25 via vm3 (vni 1001, behind VTEP A) beats /24 via vm6.
  const std::uint32_t dst = kR1StaticPrefix | 200;
  const Bytes in = with_ttl(kRouterMacC, kVm6Mac, kIpVm6, dst, 64);
  const Bytes inner = with_ttl(kVm3Mac, kRouterMac, kIpVm6, dst, 63);
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = encap_expect(kVtepA, kVtepAMac, kVniBlue, inner);
  e.ep.push_back(ep_tx(kEpVm6, in.size()));
  check_case(Prog::kTcEndpoint, in, "vm6-h", e);
}

TEST_F(Route, ShorterPrefixForTheRest) {
  VT_NEED(Prog::kTcEndpoint);
  // 192.168.60.7: only the /24, via vm6 (local, vni 3001).
  const std::uint32_t dst = kR1StaticPrefix | 7;
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, dst, 64);
  const Bytes out = with_ttl(kVm6Mac, kRouterMacC, kIpVm1, dst, 63);
  check_case(Prog::kTcEndpoint, in, "vm1-h", routed_local(out, kEpVm1, kEpVm6));
}

// Too big for the underlay once encapsulated, DF set: fragmentation-needed
// from the gateway the VM sent to, to the VM's own MAC (checked before the
// routing rewrite), advertising the overlay MTU.
TEST_F(Route, TooBigForTheUnderlayAnswersFragNeededFromTheGateway) {
  VT_NEED(Prog::kTcEndpoint);
  Udp4 u;
  u.dst = kRouterMacC;
  u.src = kVm6Mac;
  u.sip = kIpVm6;
  u.dip = kR1StaticPrefix | 200;  // the /25 via vm3, behind VTEP A: encapsulated
  u.payload = 1451 - 20 - 8;      // IPv4 total length 1451: 1 byte over 1450
  const Bytes in = udp4(u);
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = exact(icmp_error_expect(in, kIcmpUnreach, 4, kIpRouterC, 1450));
  e.drop = VNET_DROP_FRAG_NEEDED;
  e.ep.push_back(ep_drop(kEpVm6, VNET_DROP_FRAG_NEEDED));
  check_case(Prog::kTcEndpoint, in, "vm6-h", e);
}

TEST_F(Route, TtlOneAnswersTimeExceededFromTheGateway) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, 1);
  check_case(Prog::kTcEndpoint, in, "vm1-h",
             router_error(in, kIcmpTimeExceeded, 0, kIpRouter, VNET_DROP_TTL_EXCEEDED, kEpVm1));
}

// A datagram shorter than its header + 8 bytes (IPv4 with no payload,
// protocol 59) is quoted whole: the error is still sent and counted as
// TTL_EXCEEDED, not ERROR.
TEST_F(Route, TtlOneOnAHeaderOnlyDatagramQuotesIt) {
  VT_NEED(Prog::kTcEndpoint);
  Ip4 h;
  h.proto = 59;
  h.src = kIpVm1;
  h.dst = kIpVm6;
  h.ttl = 1;
  const Bytes in = cat({eth(kRouterMac, kVm1Mac, kEthIp), ipv4(h, {})});
  ASSERT_EQ(in.size(), 34u);
  check_case(Prog::kTcEndpoint, in, "vm1-h",
             router_error(in, kIcmpTimeExceeded, 0, kIpRouter, VNET_DROP_TTL_EXCEEDED, kEpVm1));
}

TEST_F(Route, NoRouteAnswersNetUnreachable) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, ip4(8, 8, 8, 8), 64);
  check_case(Prog::kTcEndpoint, in, "vm1-h",
             router_error(in, kIcmpUnreach, 0, kIpRouter, VNET_DROP_NO_ROUTE, kEpVm1));
}

TEST_F(Route, UnknownAddressInAConnectedSubnetAnswersHostUnreachable) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, ip4(10, 0, 3, 99), 64);
  check_case(Prog::kTcEndpoint, in, "vm1-h",
             router_error(in, kIcmpUnreach, 1, kIpRouter, VNET_DROP_HOST_UNREACHABLE, kEpVm1));
}

// Ping to `router_ip` (an address of r1) from vm1, and r1's reply.
void check_router_ping(std::uint32_t router_ip, std::uint8_t ttl) {
  Ip4 h;
  h.proto = 1;
  h.src = kIpVm1;
  h.dst = router_ip;
  h.ttl = ttl;
  const Bytes in = cat({eth(kRouterMac, kVm1Mac, kEthIp), ipv4(h, icmp_echo(0x77, 3, pattern(24)))});
  Bytes reply_icmp = icmp_echo(0x77, 3, pattern(24));
  reply_icmp[0] = 0;
  put16(reply_icmp, 2, 0);
  put16(reply_icmp, 2, inet_csum(reply_icmp));
  Ip4 r = h;
  r.src = router_ip;
  r.dst = kIpVm1;
  r.ttl = 64;
  const Bytes out = cat({eth(kVm1Mac, kRouterMac, kEthIp), ipv4(r, reply_icmp)});
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = exact(out);
  e.ep.push_back(ep_tx(kEpVm1, in.size()));
  e.ep.back().rx_packets = 1;
  e.ep.back().rx_bytes = static_cast<std::int64_t>(in.size());
  check_case(Prog::kTcEndpoint, in, "vm1-h", e);
}

TEST_F(Route, GatewayAnswersPing) {
  VT_NEED(Prog::kTcEndpoint);
  check_router_ping(kIpRouter, 64);
}

// Like a Linux router: any of its addresses answers, even with TTL 1.
TEST_F(Route, RouterAnswersPingOnItsOtherInterface) {
  VT_NEED(Prog::kTcEndpoint);
  check_router_ping(kIpRouterC, 1);
}

TEST_F(Route, OtherTrafficToTheGatewayIsDropped) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpRouter, 64);  // UDP
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_ROUTER_LOCAL;
  e.ep.push_back(ep_drop(kEpVm1, VNET_DROP_ROUTER_LOCAL));
  check_case(Prog::kTcEndpoint, in, "vm1-h", e);
}

TEST_F(Route, TenantRoutersNeverMix) {
  VT_NEED(Prog::kTcEndpoint);
  // Tenant 2's r2 has the same gateway address and MAC but no 10.0.3.0/24.
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm6, 64);
  check_case(Prog::kTcEndpoint, in, "t2vm1-h",
             router_error(in, kIcmpUnreach, 0, kIpRouter, VNET_DROP_NO_ROUTE, kEpT2Vm1));
  // Within tenant 2, r2 routes its own network (vm2 of tenant 2, local).
  const Bytes in2 = with_ttl(kRouterMac, kVm1Mac, kIpVm1, kIpVm2, 64);
  const Bytes out2 = with_ttl(kVm2Mac, kRouterMac, kIpVm1, kIpVm2, 63);
  check_case(Prog::kTcEndpoint, in2, "t2vm1-h", routed_local(out2, kEpT2Vm1, kEpT2Vm2));
}

// RFC 1812: no ICMP error about an ICMP error; multicast and broadcast are
// never routed. Dropped and counted, nothing sent back.
TEST_F(Route, NoErrorAboutAnErrorAndNoRoutedMulticast) {
  VT_NEED(Prog::kTcEndpoint);
  Ip4 h;
  h.proto = 1;
  h.src = kIpVm1;
  h.dst = ip4(8, 8, 8, 8);
  Bytes unreach = icmp_echo(1, 1, pattern(28));
  unreach[0] = 3;  // an ICMP error, not an echo request
  put16(unreach, 2, 0);
  put16(unreach, 2, inet_csum(unreach));
  const Bytes err = cat({eth(kRouterMac, kVm1Mac, kEthIp), ipv4(h, unreach)});
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_NO_ROUTE;
  e.ep.push_back(ep_drop(kEpVm1, VNET_DROP_NO_ROUTE));
  check_case(Prog::kTcEndpoint, err, "vm1-h", e);
  for (std::uint32_t dst : {ip4(224, 0, 0, 251), ip4(255, 255, 255, 255), ip4(127, 0, 0, 1)}) {
    check_case(Prog::kTcEndpoint, with_ttl(kRouterMac, kVm1Mac, kIpVm1, dst, 64), "vm1-h", e);
  }
}

TEST_F(Route, ErrorsAreRateLimited) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes in = with_ttl(kRouterMac, kVm1Mac, kIpVm1, ip4(8, 8, 8, 8), 64);
  int sent = 0;
  for (int i = 0; i < VNET_ICMP_BURST + 20; ++i) {
    RunResult r = run_prog(Prog::kTcEndpoint, in, "vm1-h");
    ASSERT_EQ(r.err, 0);
    sent += r.verdict == kTcRedirect;
    EXPECT_TRUE(r.verdict == kTcRedirect || r.verdict == kTcShot) << verdict_name(Prog::kTcEndpoint, r.verdict);
  }
  capture_drain_all();
  // The burst, plus what refilled at VNET_ICMP_RATE/s while the loop ran.
  EXPECT_GE(sent, VNET_ICMP_BURST);
  EXPECT_LT(sent, VNET_ICMP_BURST + 20);

  // Each port has its own bucket: vm1 used up its own, not vm6's.
  const Bytes other = with_ttl(kRouterMacC, kVm6Mac, kIpVm6, ip4(8, 8, 8, 8), 64);
  RunResult r = run_prog(Prog::kTcEndpoint, other, "vm6-h");
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.verdict, kTcRedirect) << "vm6 got no error: buckets are shared";
  capture_drain_all();
}

// A routed frame from VTEP A: vm3 (10.0.1.13) -> vm6 through r1 on A's host,
// arriving on vni 3001 with r1's MAC there as inner source.
TEST_F(Route, RoutedFrameFromAVtepIsAccepted) {
  VT_NEED(Prog::kXdpUnderlay);
  const Bytes inner = with_ttl(kVm6Mac, kRouterMacC, kIpVm3, kIpVm6, 63);
  RunResult r = run_prog(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniC, inner), "ul0");
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.verdict, kXdpPass) << "vm6 is a veth port: to the VXLAN device";
}

TEST_F(Route, RoutedFrameWithASourceNotBehindThatVtepIsDropped) {
  VT_NEED(Prog::kXdpUnderlay);
  // vm4's address lives behind VTEP B, not A.
  const Bytes inner = with_ttl(kVm6Mac, kRouterMacC, kIpVm4, kIpVm6, 63);
  Expect e;
  e.verdict = kXdpDrop;
  e.drop = VNET_DROP_FOREIGN_SOURCE;
  e.ep.push_back(ep_drop(kEpVm6, VNET_DROP_FOREIGN_SOURCE));
  e.out = Expect::kUnchecked;
  check_case(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniC, inner), "ul0", e);
}

// Routers route IPv4 only: ARP with a router's MAC from a VTEP is forged.
TEST_F(Route, ArpWithARouterMacFromAVtepIsDropped) {
  VT_NEED(Prog::kXdpUnderlay);
  const Bytes probe = arp_frame(kBcast, kRouterMacC, 1, kRouterMacC, 0, kZeroMac, kIpVm6);
  Expect e;
  e.verdict = kXdpDrop;
  e.drop = VNET_DROP_FOREIGN_SOURCE;
  check_case(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniC, probe), "ul0", e);
}

TEST_F(Route, RouterMacFromAnUnknownVtepIsUnknownVtep) {
  VT_NEED(Prog::kXdpUnderlay);
  const Bytes inner = with_ttl(kVm6Mac, kRouterMacC, kIpVm3, kIpVm6, 63);
  Expect e;
  e.verdict = kXdpDrop;
  e.drop = VNET_DROP_UNKNOWN_VTEP;
  check_case(Prog::kXdpUnderlay, vxlan_frame(kVtepUnknown, kVniC, inner), "ul0", e);
}

}  // namespace
}  // namespace vt

// Security groups in the datapath (lib/policy.h), against hand-written
// policies in the abi.h layout: egress on the sending port (tc), ingress on
// local delivery (tc), from the VXLAN device (tc) and from the wire (XDP);
// connection tracking (replies, related ICMP errors, FIN/RST, tenants kept
// apart), revalidation when a port's policy id changes, fragments, and
// broadcast copies withheld from receivers whose policy refuses them. The
// conntrack table is read back after each step.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

#include "fixtures.h"

namespace vt {
namespace {

constexpr int kTcp = 6, kUdp = 17, kIcmp = 1, kAnyProto = -1;
constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

// vm1's policies. Ingress: tcp 22 from vm2 and vm3 (class 1), echo
// requests from anywhere (class 2, which the /32s' class includes).
// Egress: to 10.0.1.0/24 tcp 80, udp 1024-2047 (one /6 port prefix) and
// echo requests (class 1); to anywhere else udp 53 only (class 2).
constexpr std::uint32_t kVm1In = 0x1001, kVm1Out = 0x1002;
// Later generations of vm1's egress: still tcp 80 / tcp 443 only.
constexpr std::uint32_t kVm1OutStill80 = 0x1003, kVm1Out443 = 0x1004;
// vm5 (the XDP port): tcp 443 in, anything out.
constexpr std::uint32_t kVm5In = 0x5001, kVm5Out = 0x5002;

constexpr std::uint16_t kEphemeral = 40000;

void install_policies() {
  put_policy_remote(kVm1In, kIpVm2, 32, 1);
  put_policy_remote(kVm1In, kIpVm3, 32, 1);
  put_policy_remote(kVm1In, 0, 0, 2);
  put_policy_rule(kVm1In, 1, kTcp, 22, 16);
  put_policy_rule(kVm1In, 1, kIcmp, 8 << 8, 8);
  put_policy_rule(kVm1In, 2, kIcmp, 8 << 8, 8);

  put_policy_remote(kVm1Out, ip4(10, 0, 1, 0), 24, 1);
  put_policy_remote(kVm1Out, 0, 0, 2);
  put_policy_rule(kVm1Out, 1, kTcp, 80, 16);
  put_policy_rule(kVm1Out, 1, kUdp, 1024, 6);
  put_policy_rule(kVm1Out, 1, kIcmp, 8 << 8, 8);
  put_policy_rule(kVm1Out, 2, kUdp, 53, 16);

  put_policy_remote(kVm1OutStill80, 0, 0, 1);
  put_policy_rule(kVm1OutStill80, 1, kTcp, 80, 16);
  put_policy_remote(kVm1Out443, 0, 0, 1);
  put_policy_rule(kVm1Out443, 1, kTcp, 443, 16);

  put_policy_remote(kVm5In, 0, 0, 1);
  put_policy_rule(kVm5In, 1, kTcp, 443, 16);
  put_policy_remote(kVm5Out, 0, 0, 1);
  put_policy_rule(kVm5Out, 1, kAnyProto, 0, 0);

  set_port_policy("vm1-h", kVm1In, kVm1Out);
  set_port_policy("vm5-t", kVm5In, kVm5Out);
}

// ---- frames (built here from the RFCs, not from lib/policy.h) ---------------

Bytes tcp_frame(const Mac& dst, const Mac& src, std::uint32_t sip, std::uint32_t dip,
                std::uint16_t sport, std::uint16_t dport, std::uint8_t flags) {
  Bytes t(20, 0);
  put16(t, 0, sport);
  put16(t, 2, dport);
  put32(t, 4, 1000);
  t[12] = 5 << 4;  // data offset: 5 words
  t[13] = flags;
  put16(t, 14, 65535);
  Ip4 h;
  h.proto = kTcp;
  h.src = sip;
  h.dst = dip;
  return cat({eth(dst, src, kEthIp), ipv4(h, cat({t, pattern(12)}))});
}

Bytes udp_frame(const Mac& dst, const Mac& src, std::uint32_t sip, std::uint32_t dip,
                std::uint16_t sport, std::uint16_t dport, std::uint16_t frag = kDF) {
  Udp4 u{dst, src, sip, dip};
  u.sport = sport;
  u.dport = dport;
  u.frag = frag;
  return udp4(u);
}

// ICMP of `type`/`code`; errors quote `quoted` (an IPv4 packet, header on).
Bytes icmp_frame(const Mac& dst, const Mac& src, std::uint32_t sip, std::uint32_t dip,
                 std::uint8_t type, std::uint8_t code, std::uint16_t id, const Bytes& quoted = {}) {
  Bytes m{type, code, 0, 0, 0, 0, 0, 0};
  if (quoted.empty()) {
    put16(m, 4, id);
    put16(m, 6, 1);
    m = cat({m, pattern(16)});
  } else {
    m = cat({m, quoted});
  }
  put16(m, 2, inet_csum(m));
  Ip4 h;
  h.proto = kIcmp;
  h.src = sip;
  h.dst = dip;
  return cat({eth(dst, src, kEthIp), ipv4(h, m)});
}

// The IPv4 header and first 8 payload bytes of a frame (an ICMP quote).
Bytes quote_of(const Bytes& frame) {
  const std::size_t ihl = (frame[14] & 0x0f) * 4u;
  return Bytes(frame.begin() + 14, frame.begin() + 14 + static_cast<long>(ihl) + 8);
}

// ---- expectations -------------------------------------------------------------

Expect shot(int reason, std::uint32_t ep) {
  Expect e;
  e.verdict = kTcShot;
  e.drop = reason;
  e.ep.push_back(ep_drop(ep, reason));
  return e;
}

// Encapsulated toward a remote VTEP (by default A, which hosts vm3).
Expect encap(const Bytes& inner, std::uint32_t ep, std::uint32_t vtep = kVtepA,
             const Mac& nh = kVtepAMac, std::uint32_t vni = kVniBlue) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = encap_expect(vtep, nh, vni, inner);
  e.ep.push_back(ep_tx(ep, inner.size()));
  return e;
}

Expect delivered(const Bytes& in, std::uint32_t ep) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kUnchanged;
  e.ep.push_back(ep_rx(ep, in.size()));
  return e;
}

// vm1 -> vm3 (remote, behind A) and back through the VXLAN device.
void from_vm1(const Bytes& f, const Expect& e) { check_case(Prog::kTcEndpoint, f, "vm1-h", e); }
void to_vm1_from_a(const Bytes& f, const Expect& e) {
  set_tunnel_meta({true, true, kVtepA, kVtepLocal, kVniBlue});
  check_case(Prog::kTcTunnel, f, "vnet-vxlan", e);
}

// vm1's TCP flow to vm3:80 from kEphemeral, as vm1's table holds it.
Bytes vm1_web_flow() { return ct_key(kEpVm1, kIpVm1, kIpVm3, kEphemeral, 80, kTcp); }

Bytes vm1_to_vm3_tcp(std::uint16_t dport, std::uint8_t flags, std::uint16_t sport = kEphemeral) {
  return tcp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, sport, dport, flags);
}
Bytes vm3_to_vm1_tcp(std::uint16_t sport, std::uint8_t flags, std::uint16_t dport = kEphemeral) {
  return tcp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, sport, dport, flags);
}

class Policy : public Datapath {
 protected:
  void SetUp() override {
    Datapath::SetUp();
    install_policies();
  }

  // vm1 opens vm1_web_flow() with a SYN.
  void open_web_flow() {
    const Bytes syn = vm1_to_vm3_tcp(80, kSyn);
    from_vm1(syn, encap(syn, kEpVm1));
  }
};

// ---- egress: classification and the flow it opens ------------------------------

TEST_F(Policy, EgressAllowedOpensAFlow) {
  VT_NEED(Prog::kTcEndpoint);
  const std::uint64_t created = conntrack_created();
  open_web_flow();
  EXPECT_EQ(conntrack_created(), created + 1);  // vnetctl stats' "flows created"
  const auto ct = conntrack();
  ASSERT_EQ(ct.size(), 1u);
  ASSERT_EQ(ct.count(vm1_web_flow()), 1u);
  const vnet_ct_entry& e = ct.at(vm1_web_flow());
  EXPECT_EQ(e.origin, VNET_CT_ORIGIN_EGRESS);
  EXPECT_EQ(e.policy, kVm1Out);
  EXPECT_EQ(e.flags, 0);
  EXPECT_NE(e.last_ns, 0u);
}

TEST_F(Policy, EgressDeniedByPortOpensNothing) {
  VT_NEED(Prog::kTcEndpoint);
  const std::uint64_t created = conntrack_created();
  from_vm1(vm1_to_vm3_tcp(81, kSyn), shot(VNET_DROP_POLICY_EGRESS, kEpVm1));
  EXPECT_TRUE(conntrack().empty());
  EXPECT_EQ(conntrack_created(), created);
}

TEST_F(Policy, EgressRemoteClassByLongestPrefix) {
  VT_NEED(Prog::kTcEndpoint);
  // 192.0.2.9 is outside 10.0.1.0/24: only class 2 (udp 53) applies.
  const Bytes web = tcp_frame(kVm3Mac, kVm1Mac, kIpVm1, ip4(192, 0, 2, 9), kEphemeral, 80, kSyn);
  from_vm1(web, shot(VNET_DROP_POLICY_EGRESS, kEpVm1));
  const Bytes dns = udp_frame(kVm3Mac, kVm1Mac, kIpVm1, ip4(192, 0, 2, 9), kEphemeral, 53);
  from_vm1(dns, encap(dns, kEpVm1));
  // ... and 10.0.1.13 is in 10.0.1.0/24, whose class has no udp 53.
  from_vm1(udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, 53),
           shot(VNET_DROP_POLICY_EGRESS, kEpVm1));
}

TEST_F(Policy, PortRangeBounds) {
  VT_NEED(Prog::kTcEndpoint);
  for (std::uint16_t port : {1023, 2048, 65535}) {
    SCOPED_TRACE(port);
    from_vm1(udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, port),
             shot(VNET_DROP_POLICY_EGRESS, kEpVm1));
  }
  for (std::uint16_t port : {1024, 1500, 2047}) {
    SCOPED_TRACE(port);
    const Bytes f = udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, port);
    from_vm1(f, encap(f, kEpVm1));
  }
}

// ---- ingress: replies, new flows, related errors ---------------------------------

TEST_F(Policy, ReplyPassesUnrelatedInboundDropped) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  // Unrelated first: no flow yet, and vm1's ingress allows no tcp from 80.
  to_vm1_from_a(vm3_to_vm1_tcp(80, kSyn | kAck), shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
  open_web_flow();
  const std::uint64_t created = conntrack_created();
  const Bytes synack = vm3_to_vm1_tcp(80, kSyn | kAck);
  to_vm1_from_a(synack, delivered(synack, kEpVm1));
  EXPECT_EQ(conntrack().at(vm1_web_flow()).flags, VNET_CT_F_REPLIED);
  EXPECT_EQ(conntrack_created(), created);  // a reply creates nothing
  // Another port of the same peer is another flow.
  to_vm1_from_a(vm3_to_vm1_tcp(80, kAck, kEphemeral + 1), shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
}

TEST_F(Policy, IngressRuleOpensAFlowTheReplyFollows) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  const Bytes ssh = tcp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, kEphemeral, 22, kSyn);
  to_vm1_from_a(ssh, delivered(ssh, kEpVm1));
  const auto ct = conntrack();
  const Bytes key = ct_key(kEpVm1, kIpVm1, kIpVm3, 22, kEphemeral, kTcp);
  ASSERT_EQ(ct.count(key), 1u);
  EXPECT_EQ(ct.at(key).origin, VNET_CT_ORIGIN_INGRESS);
  EXPECT_EQ(ct.at(key).policy, kVm1In);
  // vm1's egress rules allow no tcp to port 40000: the reply passes as state.
  const Bytes reply = vm1_to_vm3_tcp(kEphemeral, kSyn | kAck, 22);
  from_vm1(reply, encap(reply, kEpVm1));
  // From vm4 (not in class 1) the same port is closed.
  const Bytes from_b = tcp_frame(kVm1Mac, kVm4Mac, kIpVm4, kIpVm1, kEphemeral, 22, kSyn);
  set_tunnel_meta({true, true, kVtepB, kVtepLocal, kVniBlue});
  check_case(Prog::kTcTunnel, from_b, "vnet-vxlan", shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
}

TEST_F(Policy, IcmpErrorRelatedToAFlowPasses) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  const Bytes probe = udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, 1500);
  const Bytes unreachable =
      icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 3, 3, 0, quote_of(probe));
  // Before the flow exists, vm1's ingress (echo requests only) refuses it.
  to_vm1_from_a(unreachable, shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
  from_vm1(probe, encap(probe, kEpVm1));
  to_vm1_from_a(unreachable, delivered(unreachable, kEpVm1));
  // An error quoting another flow is not related.
  const Bytes other = udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, 1501);
  to_vm1_from_a(icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 3, 3, 0, quote_of(other)),
                shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
  // Related errors leave the flow's state alone.
  const auto ct = conntrack();
  EXPECT_EQ(ct.at(ct_key(kEpVm1, kIpVm1, kIpVm3, kEphemeral, 1500, kUdp)).flags, 0);
}

// An error goes back to the sender of the packet it quotes; one sent
// elsewhere relates to nothing (else any tracked flow would open a channel
// to every address the egress rules deny).
TEST_F(Policy, IcmpErrorToAnotherAddressIsNotRelated) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes probe = udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, 1500);
  from_vm1(probe, encap(probe, kEpVm1));
  // What vm1 received from vm3 on that flow, quoted in an error of vm1's.
  const Bytes answer = udp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 1500, kEphemeral);
  const Bytes to_vm3 = icmp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, 3, 3, 0, quote_of(answer));
  from_vm1(to_vm3, encap(to_vm3, kEpVm1));
  from_vm1(icmp_frame(kVm3Mac, kVm1Mac, kIpVm1, ip4(192, 0, 2, 9), 3, 3, 0, quote_of(answer)),
           shot(VNET_DROP_POLICY_EGRESS, kEpVm1));
}

// An echo flow carries requests one way and replies back: a request the
// other way, with the same identifier, is a new ping for the rules.
TEST_F(Policy, EchoRequestBackAlongAPingIsClassified) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  // t2vm1: anything out, only tcp 443 in.
  set_port_policy("t2vm1-h", kVm5In, kVm5Out);
  const Bytes ping = icmp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, 8, 0, 0x55);
  check_case(Prog::kTcEndpoint, ping, "t2vm1-h",
             encap(ping, kEpT2Vm1, kVtepT2a, kVtepT2aMac, kVniT2));
  set_tunnel_meta({true, true, kVtepT2a, kVtepLocal, kVniT2});
  const Bytes reply = icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 0, 0, 0x55);
  check_case(Prog::kTcTunnel, reply, "vnet-vxlan", delivered(reply, kEpT2Vm1));
  check_case(Prog::kTcTunnel, icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 8, 0, 0x55),
             "vnet-vxlan", shot(VNET_DROP_POLICY_INGRESS, kEpT2Vm1));
}

// Two pings with one identifier, one each way, are two flows: the second
// request takes nothing from the first, and each side's replies follow
// its own request (vm1's ingress allows echo requests from vm3, no
// replies; its egress allows requests, no replies either).
TEST_F(Policy, PingsBothWaysWithOneIdentifierAreTwoFlows) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  const Bytes out_request = icmp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, 8, 0, 0x66);
  from_vm1(out_request, encap(out_request, kEpVm1));
  const Bytes in_request = icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 8, 0, 0x66);
  to_vm1_from_a(in_request, delivered(in_request, kEpVm1));
  const auto ct = conntrack();
  ASSERT_EQ(ct.count(ct_key(kEpVm1, kIpVm1, kIpVm3, 0x66, 0, kIcmp)), 1u);
  ASSERT_EQ(ct.count(ct_key(kEpVm1, kIpVm1, kIpVm3, 0, 0x66, kIcmp)), 1u);
  EXPECT_EQ(ct.at(ct_key(kEpVm1, kIpVm1, kIpVm3, 0x66, 0, kIcmp)).origin, VNET_CT_ORIGIN_EGRESS);
  EXPECT_EQ(ct.at(ct_key(kEpVm1, kIpVm1, kIpVm3, 0, 0x66, kIcmp)).origin, VNET_CT_ORIGIN_INGRESS);
  const Bytes in_reply = icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 0, 0, 0x66);
  to_vm1_from_a(in_reply, delivered(in_reply, kEpVm1));
  const Bytes out_reply = icmp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, 0, 0, 0x66);
  from_vm1(out_reply, encap(out_reply, kEpVm1));
}

TEST_F(Policy, EchoReplyFollowsTheRequest) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  const Bytes reply = icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 0, 0, 0x77);
  to_vm1_from_a(reply, shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
  const Bytes request = icmp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, 8, 0, 0x77);
  from_vm1(request, encap(request, kEpVm1));
  EXPECT_EQ(conntrack().count(ct_key(kEpVm1, kIpVm1, kIpVm3, 0x77, 0, kIcmp)), 1u);
  to_vm1_from_a(reply, delivered(reply, kEpVm1));
  // Another identifier is another flow.
  to_vm1_from_a(icmp_frame(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1, 0, 0, 0x78),
                shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
}

// ---- TCP close ------------------------------------------------------------------

TEST_F(Policy, FinEachWayThenRstCloses) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  open_web_flow();
  const Bytes fin_out = vm1_to_vm3_tcp(80, kFin | kAck);
  from_vm1(fin_out, encap(fin_out, kEpVm1));
  EXPECT_EQ(conntrack().at(vm1_web_flow()).flags, VNET_CT_F_FIN_ORIGIN);
  const Bytes fin_in = vm3_to_vm1_tcp(80, kFin | kAck);
  to_vm1_from_a(fin_in, delivered(fin_in, kEpVm1));
  EXPECT_EQ(conntrack().at(vm1_web_flow()).flags,
            VNET_CT_F_FIN_ORIGIN | VNET_CT_F_FIN_REPLY | VNET_CT_F_REPLIED);
  // Closing: a timeout of VNET_CT_TIMEOUT_TCP_CLOSING s from now on.
  EXPECT_EQ(vnet_ct_timeout_ns(kTcp, conntrack().at(vm1_web_flow()).flags),
            VNET_CT_TIMEOUT_TCP_CLOSING * 1000000000ull);
  const Bytes rst = vm3_to_vm1_tcp(80, kRst);
  to_vm1_from_a(rst, delivered(rst, kEpVm1));
  EXPECT_TRUE(conntrack().empty());
  to_vm1_from_a(vm3_to_vm1_tcp(80, kAck), shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
}

TEST_F(Policy, SynReopensAClosingFlow) {
  VT_NEED(Prog::kTcEndpoint);
  open_web_flow();
  const Bytes fin = vm1_to_vm3_tcp(80, kFin | kAck);
  from_vm1(fin, encap(fin, kEpVm1));
  open_web_flow();
  EXPECT_EQ(conntrack().at(vm1_web_flow()).flags, 0);
}

// ---- revalidation after an apply ---------------------------------------------------

TEST_F(Policy, NewPolicyIdStillAllowingKeepsTheFlow) {
  VT_NEED(Prog::kTcEndpoint);
  open_web_flow();
  set_port_policy("vm1-h", kVm1In, kVm1OutStill80);
  const Bytes ack = vm1_to_vm3_tcp(80, kAck);
  from_vm1(ack, encap(ack, kEpVm1));
  EXPECT_EQ(conntrack().at(vm1_web_flow()).policy, kVm1OutStill80);
}

TEST_F(Policy, RevokedRuleStopsTheFlowBothWays) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  open_web_flow();
  const Bytes synack = vm3_to_vm1_tcp(80, kSyn | kAck);
  to_vm1_from_a(synack, delivered(synack, kEpVm1));
  set_port_policy("vm1-h", kVm1In, kVm1Out443);
  // The reply direction is checked against the policy that opened the flow.
  to_vm1_from_a(vm3_to_vm1_tcp(80, kAck), shot(VNET_DROP_POLICY_REVOKED, kEpVm1));
  EXPECT_TRUE(conntrack().empty());
  from_vm1(vm1_to_vm3_tcp(80, kAck), shot(VNET_DROP_POLICY_EGRESS, kEpVm1));
}

TEST_F(Policy, RevokedOnTheSendingSide) {
  VT_NEED(Prog::kTcEndpoint);
  open_web_flow();
  set_port_policy("vm1-h", kVm1In, kVm1Out443);
  from_vm1(vm1_to_vm3_tcp(80, kAck), shot(VNET_DROP_POLICY_REVOKED, kEpVm1));
  EXPECT_TRUE(conntrack().empty());
}

// ---- fragments ----------------------------------------------------------------------

TEST_F(Policy, NonFirstFragmentNeedsARuleWithoutPorts) {
  VT_NEED(Prog::kTcEndpoint);
  // vm1's udp rules all name ports: a fragment cannot be matched to them.
  from_vm1(udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, 1500, 185),
           shot(VNET_DROP_POLICY_FRAGMENT, kEpVm1));
  // The first fragment has its ports.
  const Bytes first = udp_frame(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3, kEphemeral, 1500, 0x2000);
  from_vm1(first, encap(first, kEpVm1));
}

TEST_F(Policy, NonFirstFragmentPassesAnAnyProtocolRule) {
  VT_NEED(Prog::kTcEndpoint);
  // vm5's egress allows any protocol; a fragment of anything goes out.
  Udp4 u{kVm3Mac, kVm5Mac, kIpVm5, kIpVm3};
  u.frag = 185;
  const Bytes frag = udp4(u);
  check_case(Prog::kTcEndpoint, frag, "vm5-t", encap(frag, kEpVm5));
}

// ---- local delivery and the wire -----------------------------------------------------

TEST_F(Policy, LocalDeliveryChecksTheReceiversIngress) {
  VT_NEED(Prog::kTcEndpoint);
  const Bytes ssh = tcp_frame(kVm1Mac, kVm2Mac, kIpVm2, kIpVm1, kEphemeral, 22, kSyn);
  Expect ok;
  ok.verdict = kTcRedirect;
  ok.out = Expect::kUnchanged;
  ok.ep = {ep_any(kEpVm2), ep_any(kEpVm1)};
  check_case(Prog::kTcEndpoint, ssh, "vm2-h", ok);
  // Charged to the receiver, whose policy refused it.
  check_case(Prog::kTcEndpoint, tcp_frame(kVm1Mac, kVm2Mac, kIpVm2, kIpVm1, kEphemeral, 23, kSyn),
             "vm2-h", shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
}

TEST_F(Policy, XdpChecksTheReceiversIngress) {
  VT_NEED(Prog::kXdpUnderlay);
  const Bytes https = tcp_frame(kVm5Mac, kVm3Mac, kIpVm3, kIpVm5, kEphemeral, 443, kSyn);
  Expect ok;
  ok.verdict = kXdpRedirect;
  ok.out = Expect::kEquals;
  ok.out_frame = exact(https);
  ok.ep.push_back(ep_rx(kEpVm5, https.size()));
  check_case(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniBlue, https), "ul0", ok);
  EXPECT_EQ(conntrack().count(ct_key(kEpVm5, kIpVm5, kIpVm3, 443, kEphemeral, kTcp)), 1u);

  Expect denied;
  denied.verdict = kXdpDrop;
  denied.drop = VNET_DROP_POLICY_INGRESS;
  denied.ep.push_back(ep_drop(kEpVm5, VNET_DROP_POLICY_INGRESS));
  check_case(Prog::kXdpUnderlay,
             vxlan_frame(kVtepA, kVniBlue,
                         tcp_frame(kVm5Mac, kVm3Mac, kIpVm3, kIpVm5, kEphemeral, 444, kSyn)),
             "ul0", denied);
}

TEST_F(Policy, ArpIsAlwaysAllowed) {
  VT_NEED(Prog::kTcEndpoint);
  // vm1 asks for vm2: answered in place, whatever vm1's policy.
  const Bytes req = arp_request(kVm1Mac, kIpVm1, kIpVm2);
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = exact(arp_reply_expect(req, kVm2Mac));
  EpExpect x = ep_tx(kEpVm1, req.size());
  x.rx_packets = 1;
  x.rx_bytes = static_cast<std::int64_t>(req.size());
  e.ep = {x};
  from_vm1(req, e);
}

TEST_F(Policy, BroadcastSkipsReceiversWhosePolicyRefusesIt) {
  VT_NEED(Prog::kTcEndpoint);
  set_port_policy("vm5-t", 0, 0);
  Udp4 u{kBcast, kVm2Mac, kIpVm2, ip4(10, 0, 1, 255)};
  u.dport = 9999;
  const Bytes in = udp4(u);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_POLICY_INGRESS;
  e.ep = {ep_tx(kEpVm2, in.size()), ep_rx(kEpVm5, in.size()), ep_drop(kEpVm1, VNET_DROP_POLICY_INGRESS)};
  e.captures["vm5-t"].push_back(exact(in));
  e.captures["ul1"].push_back(encap_expect(kVtepA, kVtepAMac, kVniBlue, in));
  e.captures["ul1"].push_back(encap_expect(kVtepB, kGwMac, kVniBlue, in));
  check_case(Prog::kTcEndpoint, in, "vm2-h", e);
}

// ---- tenants ----------------------------------------------------------------------

TEST_F(Policy, TenantsWithTheSameAddressesShareNoState) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  // t2vm1 has vm1's MAC, IP and policies, in tenant 2 (vni 2001).
  set_port_policy("t2vm1-h", kVm1In, kVm1Out);
  open_web_flow();
  set_tunnel_meta({true, true, kVtepT2a, kVtepLocal, kVniT2});
  check_case(Prog::kTcTunnel, vm3_to_vm1_tcp(80, kSyn | kAck), "vnet-vxlan",
             shot(VNET_DROP_POLICY_INGRESS, kEpT2Vm1));
}

// The same endpoint id on another network (an endpoint moved there by an
// apply) finds none of its flows: state is per endpoint and network.
TEST_F(Policy, AnEndpointOnAnotherNetworkFindsNoState) {
  VT_NEED(Prog::kTcEndpoint);
  VT_NEED(Prog::kTcTunnel);
  open_web_flow();
  set_port_endpoint("t2vm1-h", kEpVm1);
  set_port_policy("t2vm1-h", kVm1In, kVm1Out);
  set_tunnel_meta({true, true, kVtepT2a, kVtepLocal, kVniT2});
  check_case(Prog::kTcTunnel, vm3_to_vm1_tcp(80, kSyn | kAck), "vnet-vxlan",
             shot(VNET_DROP_POLICY_INGRESS, kEpVm1));
}

}  // namespace
}  // namespace vt

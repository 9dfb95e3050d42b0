// vnet_tc_endpoint fixture table: frames a VM sends into its host-side
// interface (ctx ifindex/ingress_ifindex = that interface), plus
// field-by-field checks of the RFC 7348 encapsulation.
#include <gtest/gtest.h>

#include <set>

#include "fixtures.h"

namespace vt {
namespace {

struct ECase {
  std::string name;
  std::string ifname;
  Bytes in;
  Expect e;
};

Expect shot(int reason, std::uint32_t ep) {
  Expect e;
  e.verdict = kTcShot;
  e.drop = reason;
  if (ep) {
    e.ep.push_back(ep_drop(ep, reason));
  }
  return e;
}

Expect encap(const Bytes& inner, std::uint32_t vtep, const Mac& nh, std::uint32_t vni, std::uint32_t ep) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = encap_expect(vtep, nh, vni, inner);
  e.ep.push_back(ep_tx(ep, inner.size()));
  return e;
}

// Local delivery: redirected untouched. Whether local delivery counts as
// tx/rx is not pinned down by the spec, so the two endpoints are free.
Expect local(std::uint32_t from, std::uint32_t to) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kUnchanged;
  e.ep = {ep_any(from), ep_any(to)};
  return e;
}

// architecture.md: "An ARP request answered in place counts tx and rx on
// the requester" (frame length unchanged, so the same bytes both ways).
EpExpect ep_arp_answered(std::uint32_t ep, std::size_t len) {
  EpExpect x = ep_tx(ep, len);
  x.rx_packets = 1;
  x.rx_bytes = static_cast<std::int64_t>(len);
  return x;
}

Expect arp_answer(const Bytes& req, const Mac& target, std::uint32_t ep) {
  Expect e;
  e.verdict = kTcRedirect;
  e.out = Expect::kEquals;
  e.out_frame = exact(arp_reply_expect(req, target));
  e.ep = {ep_arp_answered(ep, req.size())};
  return e;
}

// Flood: the original is dropped (not a drop reason), copies go to the other
// local ports untouched and, encapsulated, to every remote VTEP of the VNI.
Expect flooded(const Bytes& in, std::vector<std::pair<std::uint32_t, std::string>> local_ports,
               std::vector<std::pair<std::uint32_t, Mac>> vteps, std::uint32_t vni, std::uint32_t from) {
  // architecture.md: one tx for the sender, one rx per local port that got
  // a clone.
  Expect e;
  e.verdict = kTcShot;
  e.ep.push_back(ep_tx(from, in.size()));
  for (auto& [ep, point] : local_ports) {
    e.captures[point].push_back(exact(in));
    e.ep.push_back(ep_rx(ep, in.size()));
  }
  for (auto& [vtep, mac] : vteps) {
    e.captures["ul1"].push_back(encap_expect(vtep, mac, vni, in));
  }
  return e;
}

Bytes sized_udp(std::uint16_t ip_total, std::uint16_t frag, const Mac& dst = kVm3Mac,
                std::uint32_t dip = kIpVm3, Bytes opts = {}) {
  Udp4 u{dst, kVm1Mac, kIpVm1, dip};
  u.frag = frag;
  u.ip_opts = opts;
  u.payload = ip_total - 20u - opts.size() - 8u;
  return udp4(u);
}

std::vector<ECase> endpoint_cases() {
  std::vector<ECase> c;
  const Bytes vm1_to_vm3 = udp4(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3);

  // ---- no port ------------------------------------------------------------
  c.push_back({"NoPort", "vm9-h", vm1_to_vm3, shot(VNET_DROP_NO_PORT, 0)});
  c.push_back({"NoPortArp", "vm9-h", arp_request(kVm1Mac, kIpVm1, kIpVm2), shot(VNET_DROP_NO_PORT, 0)});

  // ---- anti-spoofing ----------------------------------------------------------
  c.push_back({"SpoofMac", "vm1-h", udp4(kVm3Mac, kVm2Mac, kIpVm1, kIpVm3),
               shot(VNET_DROP_SPOOF_MAC, kEpVm1)});
  c.push_back({"SpoofMacBeforeEthertype", "vm1-h",
               cat({eth(kVm3Mac, kUnknownMac, kEthIpv6), pattern(60)}), shot(VNET_DROP_SPOOF_MAC, kEpVm1)});
  c.push_back({"SpoofMacArp", "vm1-h", arp_frame(kBcast, kVm2Mac, 1, kVm1Mac, kIpVm1, kZeroMac, kIpVm3),
               shot(VNET_DROP_SPOOF_MAC, kEpVm1)});
  c.push_back({"SpoofIpOfNeighbour", "vm1-h", udp4(kVm3Mac, kVm1Mac, kIpVm2, kIpVm3),
               shot(VNET_DROP_SPOOF_IP, kEpVm1)});
  c.push_back({"SpoofIpOutsideRoutePrefix", "vm1-h", udp4(kVm3Mac, kVm1Mac, ip4(192, 168, 51, 1), kIpVm3),
               shot(VNET_DROP_SPOOF_IP, kEpVm1)});
  c.push_back({"SpoofIpZero", "vm1-h", udp4(kVm3Mac, kVm1Mac, 0, kIpVm3), shot(VNET_DROP_SPOOF_IP, kEpVm1)});
  c.push_back({"SpoofIpToLocalPort", "vm1-h", udp4(kVm2Mac, kVm1Mac, kIpVm3, kIpVm2),
               shot(VNET_DROP_SPOOF_IP, kEpVm1)});
  {
    Bytes in = udp4(kVm3Mac, kVm1Mac, kIpVm1Allowed, kIpVm3);
    c.push_back({"AllowedAddressAccepted", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }
  {
    Bytes in = udp4(kVm3Mac, kVm1Mac, ip4(192, 168, 50, 7), kIpVm3);
    c.push_back({"RoutePrefixSourceAccepted", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }
  c.push_back({"SpoofArpSenderMac", "vm1-h", arp_frame(kBcast, kVm1Mac, 1, kVm2Mac, kIpVm1, kZeroMac, kIpVm3),
               shot(VNET_DROP_SPOOF_ARP, kEpVm1)});
  c.push_back({"SpoofArpSenderIp", "vm1-h", arp_request(kVm1Mac, kIpVm2, kIpVm3),
               shot(VNET_DROP_SPOOF_ARP, kEpVm1)});
  c.push_back({"SpoofArpSenderIpInReply", "vm1-h",
               arp_frame(kVm2Mac, kVm1Mac, 2, kVm1Mac, kIpVm3, kVm2Mac, kIpVm2), shot(VNET_DROP_SPOOF_ARP, kEpVm1)});
  c.push_back({"SpoofArpForgedTargetLookupStillChecked", "vm1-h", arp_request(kVm1Mac, kIpVm5, kIpVm2),
               shot(VNET_DROP_SPOOF_ARP, kEpVm1)});

  // ---- ARP answered in place ---------------------------------------------------
  {
    Expect e;
    e.verdict = kTcRedirect;
    e.out = Expect::kEquals;
    e.out_frame = exact(hex_arp_reply_vm2_to_vm1());
    e.ep = {ep_arp_answered(kEpVm1, 60)};
    c.push_back({"ArpReplyHandWritten", "vm1-h", hex_arp_request_vm1_for_vm2(), e});
  }
  {
    Bytes req = arp_request(kVm1Mac, kIpVm1, kIpVm3);
    c.push_back({"ArpReplyRemoteTarget", "vm1-h", req, arp_answer(req, kVm3Mac, kEpVm1)});
    req = arp_request(kVm1Mac, kIpVm1, kIpRouter);
    c.push_back({"ArpReplyRouter", "vm1-h", req, arp_answer(req, kRouterMac, kEpVm1)});
    req = arp_request(kVm1Mac, kIpVm1Allowed, kIpVm2);
    c.push_back({"ArpReplyToAllowedAddressSender", "vm1-h", req, arp_answer(req, kVm2Mac, kEpVm1)});
    req = arp_request(kVm1Mac, 0, kIpVm2);  // probe (RFC 5227)
    c.push_back({"ArpProbeAnswered", "vm1-h", req, arp_answer(req, kVm2Mac, kEpVm1)});
    req = arp_frame(kVm2Mac, kVm1Mac, 1, kVm1Mac, kIpVm1, kZeroMac, kIpVm2);  // unicast refresh
    c.push_back({"ArpUnicastRequestAnswered", "vm1-h", req, arp_answer(req, kVm2Mac, kEpVm1)});
    req = arp_frame(kBcast, kVm1Mac, 1, kVm1Mac, kIpVm1, kZeroMac, kIpVm2, 0x00);
    c.push_back({"ArpReplyZeroPadding", "vm1-h", req, arp_answer(req, kVm2Mac, kEpVm1)});
  }
  {
    Bytes req = arp_request(kVm1Mac, kIpVm1, kIpUnknown);
    c.push_back({"ArpUnknownTargetFlooded", "vm1-h", req,
                 flooded(req, {{kEpVm2, "vm2-c"}, {kEpVm5, "vm5-t"}}, {{kVtepA, kVtepAMac}, {kVtepB, kGwMac}},
                         kVniBlue, kEpVm1)});
  }
  {
    // An ARP reply is not a request: it follows its destination MAC.
    Bytes rep = arp_frame(kVm2Mac, kVm1Mac, 2, kVm1Mac, kIpVm1, kVm2Mac, kIpVm2);
    c.push_back({"ArpReplyToLocalForwarded", "vm1-h", rep, local(kEpVm1, kEpVm2)});
    rep = arp_frame(kVm3Mac, kVm1Mac, 2, kVm1Mac, kIpVm1, kVm3Mac, kIpVm3);
    c.push_back({"ArpReplyToRemoteEncapsulated", "vm1-h", rep, encap(rep, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }
  {
    Bytes a = arp_request(kVm1Mac, kIpVm1, kIpVm2);
    put16(a, 16, 0x86dd);  // ptype IPv6
    c.push_back({"ArpNotIpv4", "vm1-h", a, shot(VNET_DROP_MALFORMED, kEpVm1)});
    a = arp_request(kVm1Mac, kIpVm1, kIpVm2);
    a[18] = 8;  // hlen
    c.push_back({"ArpNotEthernetLengths", "vm1-h", a, shot(VNET_DROP_MALFORMED, kEpVm1)});
  }
  {
    Bytes req = arp_request(kVm1Mac, kIpVm1, kIpVm2);
    c.push_back({"ArpTruncated", "vm1-h", Bytes(req.begin(), req.begin() + 14 + 20),
                 shot(VNET_DROP_MALFORMED, kEpVm1)});
  }

  // ---- IPv4 sanity -----------------------------------------------------------------
  {
    // A VM's frame is at least 60 bytes, so a short IPv4 packet shows as a
    // total length below the header (test_run refuses shorter skbs anyway).
    Bytes t = vm1_to_vm3;
    put16(t, 16, 10);
    c.push_back({"Ipv4TotalLengthBelowHeader", "vm1-h", t, shot(VNET_DROP_MALFORMED, kEpVm1)});
    Bytes ihl4 = vm1_to_vm3;
    ihl4[14] = 0x44;
    c.push_back({"Ipv4IhlBelow5", "vm1-h", ihl4, shot(VNET_DROP_MALFORMED, kEpVm1)});
    Bytes v6 = vm1_to_vm3;
    v6[14] = 0x65;
    c.push_back({"Ipv4VersionNot4", "vm1-h", v6, shot(VNET_DROP_MALFORMED, kEpVm1)});
  }

  // ---- ethertypes ---------------------------------------------------------------------
  c.push_back({"Ipv6", "vm1-h",
               cat({eth(kVm3Mac, kVm1Mac, kEthIpv6),
                    hex("60000000 0008 11 40 fe800000000000000000000000000011 fe800000000000000000000000000013"),
                    udp(1, 2, {})}),
               shot(VNET_DROP_ETHERTYPE, kEpVm1)});
  c.push_back({"Vlan8021Q", "vm1-h",
               cat({eth(kVm3Mac, kVm1Mac, kEthVlan), hex("0064 0800"), Bytes(vm1_to_vm3.begin() + 14, vm1_to_vm3.end())}),
               shot(VNET_DROP_ETHERTYPE, kEpVm1)});
  c.push_back({"Vlan8021ad", "vm1-h",
               cat({eth(kVm3Mac, kVm1Mac, 0x88a8), hex("0064 0800"), Bytes(vm1_to_vm3.begin() + 14, vm1_to_vm3.end())}),
               shot(VNET_DROP_ETHERTYPE, kEpVm1)});
  c.push_back({"Lldp", "vm1-h", cat({eth(kLldpMac, kVm1Mac, kEthLldp), pattern(46)}),
               shot(VNET_DROP_ETHERTYPE, kEpVm1)});
  c.push_back({"Ipv6Broadcast", "vm1-h", cat({eth(kBcast, kVm1Mac, kEthIpv6), pattern(60)}),
               shot(VNET_DROP_ETHERTYPE, kEpVm1)});

  // ---- destination ------------------------------------------------------------------------
  c.push_back({"UnknownUnicast", "vm1-h", udp4(kUnknownMac, kVm1Mac, kIpVm1, kIpVm3),
               shot(VNET_DROP_UNKNOWN_UNICAST, kEpVm1)});
  c.push_back({"Tenant2OnlyMacIsUnknown", "vm1-h", udp4(kT2OnlyMac, kVm1Mac, kIpVm1, kIpT2Only),
               shot(VNET_DROP_UNKNOWN_UNICAST, kEpVm1)});
  c.push_back({"Hairpin", "vm1-h", udp4(kVm1Mac, kVm1Mac, kIpVm1, kIpVm1), shot(VNET_DROP_HAIRPIN, kEpVm1)});
  {
    Bytes in = udp4(kVm3Mac, kVm5Mac, kIpVm5, kIpVm3);
    c.push_back({"EncapFromTapPort", "vm5-t", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm5)});
    in = udp4(kVm1Mac, kVm5Mac, kIpVm5, kIpVm1);
    c.push_back({"TapToPeerPort", "vm5-t", in, local(kEpVm5, kEpVm1)});
  }
  c.push_back({"LocalPeerPort", "vm1-h", udp4(kVm2Mac, kVm1Mac, kIpVm1, kIpVm2), local(kEpVm1, kEpVm2)});
  c.push_back({"LocalTapPort", "vm1-h", udp4(kVm5Mac, kVm1Mac, kIpVm1, kIpVm5), local(kEpVm1, kEpVm5)});
  c.push_back({"LocalBigPacketNoMtuCheck", "vm1-h", sized_udp(1500, kDF, kVm2Mac, kIpVm2), local(kEpVm1, kEpVm2)});
  {
    Bytes in = udp4(kBcast, kVm1Mac, kIpVm1, ip4(10, 0, 1, 255));
    c.push_back({"BroadcastFlooded", "vm1-h", in,
                 flooded(in, {{kEpVm2, "vm2-c"}, {kEpVm5, "vm5-t"}}, {{kVtepA, kVtepAMac}, {kVtepB, kGwMac}},
                         kVniBlue, kEpVm1)});
    in = udp4(kMcast, kVm1Mac, kIpVm1, ip4(224, 0, 0, 251));
    c.push_back({"MulticastFlooded", "vm1-h", in,
                 flooded(in, {{kEpVm2, "vm2-c"}, {kEpVm5, "vm5-t"}}, {{kVtepA, kVtepAMac}, {kVtepB, kGwMac}},
                         kVniBlue, kEpVm1)});
  }

  // ---- encapsulation ---------------------------------------------------------------------
  {
    Expect e = encap(vm1_to_vm3, kVtepA, kVtepAMac, kVniBlue, kEpVm1);
    e.out_frame = hex_encap_vm1_to_vm3();  // the hand-written expectation
    c.push_back({"EncapHandWritten", "vm1-h", vm1_to_vm3, e});
  }
  {
    Bytes in = udp4(kVm4Mac, kVm1Mac, kIpVm1, kIpVm4);
    c.push_back({"EncapOtherSubnetViaGateway", "vm1-h", in, encap(in, kVtepB, kGwMac, kVniBlue, kEpVm1)});
  }
  {
    Udp4 u{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
    u.tos = 0xb9;  // DSCP EF, ECN ECT(1): outer tos 0xb8
    Bytes in = udp4(u);
    c.push_back({"EncapCopiesDscpNotEcn", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }
  {
    Ip4 h;
    h.id = 77;
    h.proto = 1;
    h.src = kIpVm1;
    h.dst = kIpVm3;
    Bytes in = cat({eth(kVm3Mac, kVm1Mac, kEthIp), ipv4(h, icmp_echo(1, 2, pattern(56)))});
    c.push_back({"EncapIcmpEcho", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }
  {
    Udp4 u{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
    u.ip_opts = hex("01010100");
    Bytes in = udp4(u);
    c.push_back({"EncapInnerIpOptions", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
    Udp4 f{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
    f.frag = kMF;
    in = udp4(f);
    c.push_back({"EncapInnerFragment", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }
  {
    Bytes in = sized_udp(1450, kDF);  // 1450 + 50 = 1500: fits exactly
    c.push_back({"EncapMtuBoundaryFits", "vm1-h", in, encap(in, kVtepA, kVtepAMac, kVniBlue, kEpVm1)});
  }

  // ---- too big ------------------------------------------------------------------------
  {
    Expect e;
    e.verdict = kTcRedirect;
    e.out = Expect::kEquals;
    e.out_frame = exact(hex_frag_needed());
    e.drop = VNET_DROP_FRAG_NEEDED;
    e.ep = {ep_drop(kEpVm1, VNET_DROP_FRAG_NEEDED)};
    c.push_back({"FragNeededHandWritten", "vm1-h", hex_big_df_frame(), e});
  }
  {
    Bytes in = sized_udp(1451, kDF, kVm3Mac, kIpVm3, hex("01010100"));
    Expect e;
    e.verdict = kTcRedirect;
    e.out = Expect::kEquals;
    e.out_frame = exact(frag_needed_expect(in, 1450));
    e.drop = VNET_DROP_FRAG_NEEDED;
    e.ep = {ep_drop(kEpVm1, VNET_DROP_FRAG_NEEDED)};
    c.push_back({"FragNeededQuotesIpOptions", "vm1-h", in, e});
  }
  {
    Bytes in = sized_udp(1500, kDF, kVm4Mac, kIpVm4);
    Expect e;
    e.verdict = kTcRedirect;
    e.out = Expect::kEquals;
    e.out_frame = exact(frag_needed_expect(in, 1450));
    e.drop = VNET_DROP_FRAG_NEEDED;
    e.ep = {ep_drop(kEpVm1, VNET_DROP_FRAG_NEEDED)};
    c.push_back({"FragNeededOtherSubnet", "vm1-h", in, e});
  }
  c.push_back({"TooBigWithoutDf", "vm1-h", sized_udp(1451, 0), shot(VNET_DROP_TOO_BIG, kEpVm1)});

  // ---- tenant isolation ----------------------------------------------------------------
  {
    Bytes in = udp4(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3);
    c.push_back({"Tenant2EncapToTenant2Vtep", "t2vm1-h", in, encap(in, kVtepT2a, kVtepT2aMac, kVniT2, kEpT2Vm1)});
    in = udp4(kVm4Mac, kVm1Mac, kIpVm1, kIpVm4);
    c.push_back({"Tenant2EncapToOtherTenant2Vtep", "t2vm1-h", in,
                 encap(in, kVtepT2b, kVtepT2bMac, kVniT2, kEpT2Vm1)});
    in = udp4(kVm2Mac, kVm1Mac, kIpVm1, kIpVm2);
    c.push_back({"Tenant2LocalStaysInTenant2", "t2vm1-h", in, local(kEpT2Vm1, kEpT2Vm2)});
    in = udp4(kVm3Mac, kVm1Mac, kIpVm1Allowed, kIpVm3);  // vm1's allowed address, not t2vm1's
    c.push_back({"Tenant2CannotUseTenant1AllowedAddress", "t2vm1-h", in, shot(VNET_DROP_SPOOF_IP, kEpT2Vm1)});
    in = udp4(kVm5Mac, kVm1Mac, kIpVm1, kIpVm5);  // vm5 exists in vni 1001 only
    c.push_back({"Tenant2CannotReachTenant1Mac", "t2vm1-h", in, shot(VNET_DROP_UNKNOWN_UNICAST, kEpT2Vm1)});
    Bytes req = arp_request(kVm1Mac, kIpVm1, kIpVm3);
    c.push_back({"Tenant2ArpAnsweredFromTenant2", "t2vm1-h", req, arp_answer(req, kVm3Mac, kEpT2Vm1)});
    req = arp_request(kVm1Mac, kIpVm1, kIpVm5);  // neigh only in vni 1001
    c.push_back({"Tenant2ArpForTenant1OnlyIpFlooded", "t2vm1-h", req,
                 flooded(req, {{kEpT2Vm2, "t2vm2-c"}}, {{kVtepT2a, kVtepT2aMac}, {kVtepT2b, kVtepT2bMac}},
                         kVniT2, kEpT2Vm1)});
  }

  // ---- underlay reachability --------------------------------------------------------------
  {
    Bytes in = udp4(kVm7Mac, kVm6Mac, kIpVm6, kIpVm7);
    Expect e = encap(in, kVtepUnresolved, kZeroMac, kVniC, kEpVm6);
    for (int i = 0; i < 14; ++i) {
      e.out_frame.mask[i] = false;  // bpf_redirect_neigh fills the Ethernet header
    }
    c.push_back({"EncapUnresolvedNeighbour", "vm6-h", in, e});
    in = udp4(kVm8Mac, kVm6Mac, kIpVm6, kIpVm8);
    c.push_back({"EncapNoRouteToVtep", "vm6-h", in, shot(VNET_DROP_NO_ROUTE_VTEP, kEpVm6)});
    in = udp4(kBcast, kVm6Mac, kIpVm6, ip4(10, 0, 3, 255));
    Expect f = flooded(in, {}, {{kVtepA, kVtepAMac}}, kVniC, kEpVm6);
    f.drop = VNET_DROP_NO_ROUTE_VTEP;  // the copy to the unresolved VTEP, charged to the sender
    f.ep[0].drop_reason = VNET_DROP_NO_ROUTE_VTEP;
    f.ep[0].drops = 1;
    c.push_back({"FloodCopyToUnresolvedVtepDropped", "vm6-h", in, f});
  }
  return c;
}

std::string case_name(const ::testing::TestParamInfo<ECase>& i) { return i.param.name; }
void PrintTo(const ECase& c, std::ostream* os) { *os << c.name << " on " << c.ifname; }

class TcEndpoint : public Datapath, public ::testing::WithParamInterface<ECase> {};

TEST_P(TcEndpoint, Case) {
  VT_NEED(Prog::kTcEndpoint);
  const ECase& c = GetParam();
  check_case(Prog::kTcEndpoint, c.in, c.ifname, c.e);
}

INSTANTIATE_TEST_SUITE_P(Table, TcEndpoint, ::testing::ValuesIn(endpoint_cases()), case_name);

// ---- RFC 7348 encapsulation, field by field -------------------------------------------
class Encap : public Datapath {
 protected:
  Bytes encap_once(const Bytes& inner, const char* ifname = "vm1-h") {
    RunResult r = run_prog(Prog::kTcEndpoint, inner, ifname);
    EXPECT_EQ(r.err, 0);
    EXPECT_EQ(r.verdict, kTcRedirect);
    return r.out;
  }
};

TEST_F(Encap, FieldByField) {
  VT_NEED(Prog::kTcEndpoint);
  Udp4 u{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
  u.tos = 0x2a;  // DSCP 10, ECN 2
  u.payload = 100;
  const Bytes inner = udp4(u);
  const Bytes o = encap_once(inner);
  ASSERT_EQ(o.size(), inner.size() + 50) << to_hex(o);
  // Ethernet: to the configured neighbour of VTEP A, from ul0.
  EXPECT_EQ(to_hex(o, 0, 6), "02ee00000002") << "outer destination MAC = neighbour 198.18.0.2";
  EXPECT_EQ(to_hex(o, 6, 12), "02ee00000001") << "outer source MAC = ul0";
  EXPECT_EQ(get16(o, 12), 0x0800);
  // IPv4.
  EXPECT_EQ(o[14] >> 4, 4) << "version";
  EXPECT_EQ(o[14] & 0xf, 5) << "ihl";
  EXPECT_EQ(o[15], 0x28) << "tos = inner DSCP, ECN 0";
  EXPECT_EQ(get16(o, 16), inner.size() + 36) << "total length";
  EXPECT_EQ(get16(o, 18), 0) << "id";
  EXPECT_EQ(get16(o, 20), 0x4000) << "DF, offset 0";
  EXPECT_EQ(o[22], 64) << "ttl";
  EXPECT_EQ(o[23], 17) << "protocol";
  EXPECT_EQ(inet_csum(o.data() + 14, 20), 0) << "header checksum";
  EXPECT_EQ(get32(o, 26), kVtepLocal) << "source = our VTEP";
  EXPECT_EQ(get32(o, 30), kVtepA) << "destination = VTEP A";
  // UDP.
  const std::uint16_t sport = get16(o, 34);
  EXPECT_GE(sport, 49152) << "source port in the dynamic range";
  EXPECT_EQ(get16(o, 36), 4789) << "destination port";
  EXPECT_EQ(get16(o, 38), inner.size() + 16) << "UDP length";
  EXPECT_EQ(get16(o, 40), 0) << "UDP checksum 0";
  // VXLAN.
  EXPECT_EQ(o[42], 0x08) << "flags: I only";
  EXPECT_EQ(to_hex(o, 43, 46), "000000") << "reserved";
  EXPECT_EQ(to_hex(o, 46, 49), "0003e9") << "VNI 1001";
  EXPECT_EQ(o[49], 0) << "reserved";
  // Inner frame intact.
  EXPECT_EQ(to_hex(o, 50), to_hex(inner)) << "inner frame";
}

TEST_F(Encap, SourcePortIsAStableFlowHash) {
  VT_NEED(Prog::kTcEndpoint);
  std::set<std::uint16_t> ports;
  for (std::uint16_t flow = 0; flow < 16; ++flow) {
    Udp4 u{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
    u.sport = static_cast<std::uint16_t>(20000 + flow * 7);
    const Bytes inner = udp4(u);
    const Bytes a = encap_once(inner);
    const Bytes b = encap_once(inner);
    ASSERT_GE(a.size(), 36u);
    ASSERT_GE(b.size(), 36u);
    EXPECT_EQ(get16(a, 34), get16(b, 34)) << "same flow, same source port";
    EXPECT_GE(get16(a, 34), 49152);
    ports.insert(get16(a, 34));
  }
  EXPECT_GE(ports.size(), 4u) << "16 flows should spread over several source ports";
}

TEST_F(Encap, CountersAccumulatePerEndpoint) {
  VT_NEED(Prog::kTcEndpoint);
  Snapshot before = snapshot();
  const Bytes a = udp4(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3);
  const Bytes b = sized_udp(600, kDF);
  encap_once(a);
  encap_once(b);
  encap_once(a, "t2vm1-h");
  run_prog(Prog::kTcEndpoint, udp4(kUnknownMac, kVm1Mac, kIpVm1, kIpVm3), "vm1-h");
  Snapshot after = snapshot();
  const auto& v0 = before.ep[kEpVm1];
  const auto& v1 = after.ep[kEpVm1];
  EXPECT_EQ(v1.tx_packets - v0.tx_packets, 2u);
  EXPECT_EQ(v1.tx_bytes - v0.tx_bytes, a.size() + b.size());
  EXPECT_EQ(v1.drops[VNET_DROP_UNKNOWN_UNICAST] - v0.drops[VNET_DROP_UNKNOWN_UNICAST], 1u);
  EXPECT_EQ(after.ep[kEpT2Vm1].tx_packets - before.ep[kEpT2Vm1].tx_packets, 1u);
  EXPECT_EQ(after.drops[VNET_DROP_UNKNOWN_UNICAST] - before.drops[VNET_DROP_UNKNOWN_UNICAST], 1u);
}

// ---- pinning -------------------------------------------------------------------------
TEST_F(Datapath, AllMapsPinnedByAbiName) {
  bool any = false;
  std::string why;
  for (Prog p : {Prog::kXdpUnderlay, Prog::kTcTunnel, Prog::kTcEndpoint, Prog::kXdpEndpoint}) {
    any |= program_available(p, &why);
  }
  if (!any) {
    GTEST_SKIP() << "no program loaded";
  }
  const MapFds& m = maps();
  for (int fd : {m.ports, m.port_src, m.fdb, m.neigh, m.remote_host, m.remote_src, m.vteps,
                 m.networks, m.ep_stats, m.drops}) {
    EXPECT_GE(fd, 0);
  }
}

}  // namespace
}  // namespace vt

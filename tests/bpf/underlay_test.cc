// Underlay fixture table: every frame arriving on ul0, run through
// vnet_xdp_underlay, and what the kernel's VXLAN device would hand on run
// through vnet_tc_tunnel (spec: "the same checks"). For the tunnel program
// the case's frame is taken apart the way the device does it: the inner
// frame is the input, the outer source, destination and VNI its metadata;
// frames the device never decapsulates (not VXLAN to us, outer fragments,
// no I flag, truncated before the inner frame) are XDP's alone. One outcome
// per case, mapped to each program's verdicts:
//
//   kind        XDP                                tc on the VXLAN device
//   kNotVxlan   XDP_PASS, untouched                -
//   kDrop       XDP_DROP + vnet_drops[reason]      TC_ACT_SHOT + vnet_drops[reason]
//   kToPeer     XDP_PASS, untouched (to the device) TC_ACT_REDIRECT, untouched, rx +1
//   kToXdp      XDP_REDIRECT, output = inner       TC_ACT_REDIRECT, untouched, rx +1
//   kFlood      XDP_PASS, untouched (to the device) TC_ACT_SHOT, inner cloned to each local
//                                                  port of the VNI (captured), rx +1 each
#include <gtest/gtest.h>

#include <optional>

#include "fixtures.h"

namespace vt {
namespace {

enum class Kind { kNotVxlan, kDrop, kToPeer, kToXdp, kFlood };

struct UCase {
  std::string name;
  Bytes in;
  Kind kind;
  int reason = VNET_DROP_NONE;
  // kToPeer/kToXdp: the endpoint delivered to. kDrop: the local endpoint the
  // inner frame is addressed to, charged the drop (architecture.md: only once
  // the inner header is parsed and its destination is a local unicast MAC).
  std::uint32_t ep = 0;
  Bytes inner;
  std::vector<std::pair<std::uint32_t, std::string>> flood;  // (endpoint, capture point)
};

UCase not_vxlan(std::string name, Bytes in) { return {std::move(name), std::move(in), Kind::kNotVxlan}; }
UCase drop(std::string name, Bytes in, int reason, std::uint32_t ep = 0) {
  return {std::move(name), std::move(in), Kind::kDrop, reason, ep};
}
UCase to_peer(std::string name, Bytes in, std::uint32_t ep, Bytes inner) {
  return {std::move(name), std::move(in), Kind::kToPeer, VNET_DROP_NONE, ep, std::move(inner)};
}
UCase to_xdp(std::string name, Bytes in, std::uint32_t ep, Bytes inner) {
  return {std::move(name), std::move(in), Kind::kToXdp, VNET_DROP_NONE, ep, std::move(inner)};
}
UCase flood(std::string name, Bytes in, Bytes inner,
            std::vector<std::pair<std::uint32_t, std::string>> ports) {
  UCase c{std::move(name), std::move(in), Kind::kFlood};
  c.inner = std::move(inner);
  c.flood = std::move(ports);
  return c;
}

Bytes cut(const Bytes& b, std::size_t n) { return Bytes(b.begin(), b.begin() + static_cast<long>(n)); }

const std::vector<std::pair<std::uint32_t, std::string>> kBluePorts = {
    {kEpVm1, "vm1-c"}, {kEpVm2, "vm2-c"}, {kEpVm5, "vm5-t"}};
const std::vector<std::pair<std::uint32_t, std::string>> kT2Ports = {{kEpT2Vm1, "t2vm1-c"},
                                                                     {kEpT2Vm2, "t2vm2-c"}};

std::vector<UCase> underlay_cases() {
  std::vector<UCase> c;
  const Bytes to_vm1 = udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1);
  const Bytes to_vm5 = udp4(kVm5Mac, kVm3Mac, kIpVm3, kIpVm5);
  const Bytes valid_vm1 = vxlan_frame(kVtepA, kVniBlue, to_vm1);
  const Bytes valid_vm5 = vxlan_frame(kVtepA, kVniBlue, to_vm5);
  Outer with_opts;
  with_opts.ip_opts = hex("94040000");  // router alert: outer IHL 6
  const Bytes opts_vm5 = vxlan_frame(with_opts, to_vm5);

  // ---- delivery -------------------------------------------------------------
  c.push_back(to_xdp("DecapToXdpDeliverPort", valid_vm5, kEpVm5, to_vm5));
  {
    const Bytes hw = hex_vxlan_vm3_to_vm1();  // the hand-written fixture itself
    c.push_back(to_peer("HandWrittenFixtureToPeerPort", hw, kEpVm1,
                        Bytes(hw.begin() + kOffInner, hw.end())));
  }
  c.push_back(to_peer("UnicastToPeerPort", valid_vm1, kEpVm1, to_vm1));
  c.push_back(to_xdp("OuterIpOptionsAccepted", opts_vm5, kEpVm5, to_vm5));
  {
    Outer o = with_opts;
    c.push_back(to_peer("OuterIpOptionsToPeerPort", vxlan_frame(o, to_vm1), kEpVm1, to_vm1));
  }
  {
    Outer o;
    o.flags = 0xff;  // I flag plus every reserved flag bit
    o.reserved1 = 0xffffff;
    o.reserved2 = 0xff;
    c.push_back(to_xdp("ReservedBitsIgnored", vxlan_frame(o, to_vm5), kEpVm5, to_vm5));
  }
  {
    Outer o;
    o.udp_csum = true;  // RFC 7348: a correct non-zero checksum is fine too
    c.push_back(to_xdp("OuterUdpChecksumNonZero", vxlan_frame(o, to_vm5), kEpVm5, to_vm5));
  }
  {
    Outer o;
    o.frag = 0;  // DF clear, not a fragment
    c.push_back(to_xdp("OuterWithoutDf", vxlan_frame(o, to_vm5), kEpVm5, to_vm5));
  }
  {
    Bytes inner = udp4(kVm1Mac, kVm3Mac, ip4(172, 16, 5, 5), kIpVm1);  // vm3 routes 172.16/16
    c.push_back(to_peer("InnerSourceInVtepPrefix", vxlan_frame(kVtepA, kVniBlue, inner), kEpVm1, inner));
  }
  {
    Bytes inner = udp4(kVm1Mac, kVm4Mac, kIpVm4, kIpVm1);  // VTEP B is in another subnet
    c.push_back(to_peer("FromRoutedVtep", vxlan_frame(kVtepB, kVniBlue, inner), kEpVm1, inner));
  }
  {
    Bytes inner = arp_frame(kVm1Mac, kVm3Mac, 2, kVm3Mac, kIpVm3, kVm1Mac, kIpVm1);
    c.push_back(to_peer("ArpReplyUnicast", vxlan_frame(kVtepA, kVniBlue, inner), kEpVm1, inner));
  }
  {
    Bytes inner = arp_request(kVm3Mac, kIpVm3, kIpVm1);
    c.push_back(flood("ArpRequestBroadcast", vxlan_frame(kVtepA, kVniBlue, inner), inner, kBluePorts));
  }
  {
    Bytes inner = arp_request(kVm3Mac, 0, kIpVm1);  // ARP probe: sender IP 0.0.0.0
    c.push_back(flood("ArpProbeSenderZero", vxlan_frame(kVtepA, kVniBlue, inner), inner, kBluePorts));
  }
  {
    Bytes inner = udp4(kMcast, kVm3Mac, kIpVm3, ip4(224, 0, 0, 251));
    c.push_back(flood("MulticastInner", vxlan_frame(kVtepA, kVniBlue, inner), inner, kBluePorts));
  }
  {
    Bytes inner = udp4(kBcast, kVm3Mac, kIpVm3, ip4(10, 0, 1, 255));
    c.push_back(flood("BroadcastIpv4Inner", vxlan_frame(kVtepA, kVniBlue, inner), inner, kBluePorts));
  }

  // ---- tenant isolation (same MACs/IPs in vni 2001) -------------------------
  {
    Bytes inner = udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1);
    c.push_back(to_peer("Tenant2DeliversToTenant2Port", vxlan_frame(kVtepT2a, kVniT2, inner),
                        kEpT2Vm1, inner));
    c.push_back(drop("Tenant2VniFromTenant1Vtep", vxlan_frame(kVtepA, kVniT2, inner),
                     VNET_DROP_FOREIGN_SOURCE, kEpT2Vm1));
    c.push_back(drop("Tenant1VniFromTenant2Vtep", vxlan_frame(kVtepT2a, kVniBlue, inner),
                     VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  }
  {
    Bytes inner = arp_request(kVm4Mac, kIpVm4, kIpVm1);
    c.push_back(flood("Tenant2Broadcast", vxlan_frame(kVtepT2b, kVniT2, inner), inner, kT2Ports));
  }
  {
    Bytes inner = udp4(kT2OnlyMac, kVm3Mac, kIpVm3, kIpT2Only);  // a MAC of vni 2001 only
    c.push_back(drop("Tenant2OnlyMacInTenant1", vxlan_frame(kVtepA, kVniBlue, inner),
                     VNET_DROP_UNKNOWN_UNICAST));
  }

  // ---- not VXLAN: untouched ---------------------------------------------------
  {
    Ip4 h{};
    h.proto = 6;
    h.src = kVtepA;
    h.dst = kVtepLocal;
    c.push_back(not_vxlan("TcpToVxlanPort", cat({eth(kUl0Mac, kVtepAMac, kEthIp), ipv4(h, tcp_syn(40000, 4789))})));
    h.proto = 1;
    c.push_back(not_vxlan("IcmpFromVtep", cat({eth(kUl0Mac, kVtepAMac, kEthIp),
                                               ipv4(h, icmp_echo(7, 1, pattern(32)))})));
  }
  {
    Outer o;
    o.dport = 4790;
    c.push_back(not_vxlan("UdpToOtherPort", vxlan_frame(o, to_vm5)));
    Outer s;
    s.sport = 4789;
    s.dport = 5000;
    c.push_back(not_vxlan("UdpFromVxlanPortToOtherPort", vxlan_frame(s, to_vm5)));
    Outer u;
    u.src = kVtepUnknown;
    u.dport = 53;
    c.push_back(not_vxlan("UdpFromUnknownHostToOtherPort", vxlan_frame(u, to_vm5)));
  }
  c.push_back(not_vxlan("ArpOnUnderlay", arp_frame(kBcast, kVtepAMac, 1, kVtepAMac, kVtepA, kZeroMac,
                                                   kVtepLocal)));
  {
    // IPv6 carrying UDP to 4789: "not IPv4" comes first.
    Bytes udp6 = udp(54321, 4789, cat({vxlan(kVniBlue), to_vm5}));
    Bytes ip6 = hex("60000000 0000 11 40 20010db8000000000000000000000002 20010db8000000000000000000000001");
    put16(ip6, 4, static_cast<std::uint16_t>(udp6.size()));
    c.push_back(not_vxlan("Ipv6UdpToVxlanPort", cat({eth(kUl0Mac, kVtepAMac, kEthIpv6), ip6, udp6})));
  }
  {
    // 802.1Q-tagged VXLAN: the outer ethertype is not IPv4.
    Bytes v = valid_vm5;
    Bytes tagged = cat({cut(v, 12), hex("8100 0064 0800"), Bytes(v.begin() + 14, v.end())});
    c.push_back(not_vxlan("VlanTaggedVxlan", tagged));
  }
  {
    Outer o;
    o.frag = kMF;  // first fragment of a UDP datagram to another port
    o.dport = 53;
    c.push_back(not_vxlan("FirstFragmentOtherPort", vxlan_frame(o, to_vm5)));
    Outer n;
    n.src = kVtepUnknown;
    n.frag = 100;  // non-first fragment from an unknown source
    c.push_back(not_vxlan("NonFirstFragmentUnknownSource", vxlan_frame(n, to_vm5)));
    Ip4 h{};
    h.proto = 6;
    h.src = kVtepA;
    h.dst = kVtepLocal;
    h.frag = 100;
    c.push_back(not_vxlan("NonFirstTcpFragmentFromVtep",
                          cat({eth(kUl0Mac, kVtepAMac, kEthIp), ipv4(h, pattern(64))})));
  }

  // ---- truncation at every header boundary ------------------------------------
  // Offsets into valid_vm1 (outer IPv4 without options).
  c.push_back(not_vxlan("TruncEthOnly", cut(valid_vm1, 14)));
  c.push_back(not_vxlan("TruncOuterIp19", cut(valid_vm1, 14 + 19)));
  c.push_back(not_vxlan("TruncOuterIpNoL4", cut(valid_vm1, 14 + 20)));
  c.push_back(not_vxlan("TruncInIpOptions", cut(vxlan_frame(with_opts, to_vm1), 14 + 22)));
  c.push_back(not_vxlan("TruncUdp7", cut(valid_vm1, 14 + 20 + 7)));
  c.push_back(not_vxlan("TruncUdp7AfterOptions", cut(vxlan_frame(with_opts, to_vm1), 14 + 24 + 7)));
  c.push_back(drop("TruncVxlan0", cut(valid_vm1, 14 + 20 + 8), VNET_DROP_MALFORMED));
  c.push_back(drop("TruncVxlan7", cut(valid_vm1, 14 + 20 + 8 + 7), VNET_DROP_MALFORMED));
  c.push_back(drop("TruncVxlanAfterOptions", cut(vxlan_frame(with_opts, to_vm1), 14 + 24 + 8 + 4),
                   VNET_DROP_MALFORMED));
  c.push_back(drop("TruncInnerEth0", cut(valid_vm1, kOffInner), VNET_DROP_MALFORMED));
  c.push_back(drop("TruncInnerEth13", cut(valid_vm1, kOffInner + 13), VNET_DROP_MALFORMED));
  c.push_back(drop("TruncInnerIp0", cut(valid_vm1, kOffInner + 14), VNET_DROP_MALFORMED, kEpVm1));
  c.push_back(drop("TruncInnerIp19", cut(valid_vm1, kOffInner + 14 + 19), VNET_DROP_MALFORMED, kEpVm1));
  c.push_back(drop("TruncInnerEthAfterOptions", cut(vxlan_frame(with_opts, to_vm1), 4 + kOffInner + 10),
                   VNET_DROP_MALFORMED));
  {
    Bytes arp_in = arp_frame(kVm1Mac, kVm3Mac, 2, kVm3Mac, kIpVm3, kVm1Mac, kIpVm1);
    Bytes f = vxlan_frame(kVtepA, kVniBlue, cut(arp_in, 14 + 27));
    c.push_back(drop("TruncInnerArp27", f, VNET_DROP_MALFORMED, kEpVm1));
  }

  // ---- header sanity ("Details the rules above leave open") --------------------------
  {
    Bytes v = valid_vm1;
    v[14] = 0x65;  // outer version 6 under an IPv4 ethertype: not ours
    c.push_back(not_vxlan("OuterVersionNot4", v));
    v = valid_vm1;
    v[14] = 0x44;  // outer ihl 4: not ours
    c.push_back(not_vxlan("OuterIhlBelow5", v));
    Bytes inner = to_vm1;
    inner[14] = 0x65;
    c.push_back(drop("InnerVersionNot4", vxlan_frame(kVtepA, kVniBlue, inner), VNET_DROP_MALFORMED, kEpVm1));
    inner = to_vm1;
    inner[14] = 0x44;
    c.push_back(drop("InnerIhlBelow5", vxlan_frame(kVtepA, kVniBlue, inner), VNET_DROP_MALFORMED, kEpVm1));
    Bytes a = arp_frame(kVm1Mac, kVm3Mac, 2, kVm3Mac, kIpVm3, kVm1Mac, kIpVm1);
    put16(a, 14, 6);  // htype IEEE 802
    c.push_back(drop("InnerArpNotEthernet", vxlan_frame(kVtepA, kVniBlue, a), VNET_DROP_MALFORMED, kEpVm1));
    a = arp_frame(kVm1Mac, kVm3Mac, 2, kVm3Mac, kIpVm3, kVm1Mac, kIpVm1);
    a[19] = 16;  // plen
    c.push_back(drop("InnerArpNotIpv4Lengths", vxlan_frame(kVtepA, kVniBlue, a), VNET_DROP_MALFORMED, kEpVm1));
    Bytes ip6 = cat({eth(kVm1Mac, kVm4Mac, kEthIpv6),
                     hex("60000000 0008 11 40 fe800000000000000000000000000014 fe800000000000000000000000000011"),
                     udp(1, 2, {})});
    c.push_back(drop("InnerIpv6FromForeignMac", vxlan_frame(kVtepA, kVniBlue, ip6), VNET_DROP_FOREIGN_SOURCE,
                     kEpVm1));
  }

  // ---- VXLAN header -------------------------------------------------------------
  {
    Outer o;
    o.flags = 0x00;
    c.push_back(drop("FlagsZero", vxlan_frame(o, to_vm1), VNET_DROP_VXLAN_FLAGS));
    o.flags = 0xf7;  // everything but I
    c.push_back(drop("FlagsAllButI", vxlan_frame(o, to_vm1), VNET_DROP_VXLAN_FLAGS));
    o.flags = 0x80;
    o.src = kVtepUnknown;  // flags are checked before the source (step 2 < 3)
    c.push_back(drop("FlagsBeforeVtepCheck", vxlan_frame(o, to_vm1), VNET_DROP_VXLAN_FLAGS));
  }

  // ---- source VTEP / VNI ----------------------------------------------------------
  c.push_back(drop("UnknownVtep", vxlan_frame(kVtepUnknown, kVniBlue, to_vm1), VNET_DROP_UNKNOWN_VTEP));
  c.push_back(drop("UnknownVni", vxlan_frame(kVtepA, kVniUnknown, to_vm1), VNET_DROP_UNKNOWN_VNI));
  c.push_back(drop("UnknownVtepAndVni", vxlan_frame(kVtepUnknown, kVniUnknown, to_vm1),
                   VNET_DROP_UNKNOWN_VTEP));
  {
    // A forged outer source 0.0.0.0 matches no VTEP, not even the "VTEP" of
    // a local MAC's fdb entry (vtep_be 0): an ARP probe (sender IP 0, so no
    // inner address check) claiming vm2's MAC, to vm5 (XDP delivery).
    Bytes probe = arp_frame(kVm5Mac, kVm2Mac, 1, kVm2Mac, 0, kVm5Mac, kIpVm5);
    c.push_back(drop("OuterSourceZeroLocalMacArpProbe", vxlan_frame(0, kVniBlue, probe),
                     VNET_DROP_UNKNOWN_VTEP));
    c.push_back(drop("OuterSourceZeroLocalMacIpv4",
                     vxlan_frame(0, kVniBlue, udp4(kVm5Mac, kVm2Mac, kIpVm2, kIpVm5)),
                     VNET_DROP_UNKNOWN_VTEP));
  }

  // ---- inner source ------------------------------------------------------------------
  c.push_back(drop("ForeignSourceMacOfOtherVtep",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm4Mac, kIpVm3, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  c.push_back(drop("ForeignSourceMacOfLocalPort",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm2Mac, kIpVm3, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  c.push_back(drop("ForeignSourceMacUnknown",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kUnknownMac, kIpVm3, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  c.push_back(drop("ForeignSourceIpOfOtherVtep",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm3Mac, kIpVm4, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  c.push_back(drop("ForeignSourceIpOfLocalPort",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm3Mac, kIpVm2, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  c.push_back(drop("ForeignSourceIpOutsidePrefix",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm3Mac, ip4(172, 17, 0, 1), kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  c.push_back(drop("ForeignSourceIpZero",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm3Mac, 0, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpVm1));
  // Tenant 2's fdb entries carry no address: the source is looked up.
  c.push_back(drop("ForeignSourceIpZeroEntryWithoutAddress",
                   vxlan_frame(kVtepT2a, kVniT2, udp4(kVm1Mac, kVm3Mac, 0, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpT2Vm1));
  c.push_back(drop("ForeignSourceIpEntryWithoutAddress",
                   vxlan_frame(kVtepT2a, kVniT2, udp4(kVm1Mac, kVm3Mac, kIpVm4, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE, kEpT2Vm1));
  c.push_back(drop("ForeignArpSenderIp",
                   vxlan_frame(kVtepA, kVniBlue, arp_request(kVm3Mac, kIpVm2, kIpVm1)),
                   VNET_DROP_FOREIGN_SOURCE));
  c.push_back(drop("ForeignSourceBroadcastStillChecked",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kBcast, kVm4Mac, kIpVm4, ip4(10, 0, 1, 255))),
                   VNET_DROP_FOREIGN_SOURCE));

  // ---- inner ethertype -----------------------------------------------------------------
  {
    Bytes ip6 = cat({eth(kVm1Mac, kVm3Mac, kEthIpv6),
                     hex("60000000 0008 11 40 fe800000000000000000000000000013 fe800000000000000000000000000011"),
                     udp(1, 2, {})});
    c.push_back(drop("InnerIpv6", vxlan_frame(kVtepA, kVniBlue, ip6), VNET_DROP_ETHERTYPE, kEpVm1));
    Bytes tagged = cat({eth(kVm1Mac, kVm3Mac, kEthVlan), hex("0064 0800"),
                        Bytes(to_vm1.begin() + 14, to_vm1.end())});
    c.push_back(drop("InnerVlanTag", vxlan_frame(kVtepA, kVniBlue, tagged), VNET_DROP_ETHERTYPE, kEpVm1));
  }

  // ---- outer fragments -------------------------------------------------------------------
  {
    Outer o;
    o.frag = kMF;  // first fragment, UDP to 4789
    c.push_back(drop("OuterFirstFragment", vxlan_frame(o, to_vm1), VNET_DROP_OUTER_FRAGMENT));
    o.frag = kMF | kDF;  // inconsistent but still a first fragment
    c.push_back(drop("OuterFirstFragmentWithDf", vxlan_frame(o, to_vm1), VNET_DROP_OUTER_FRAGMENT));
    // A non-first fragment has no UDP header to tell VXLAN from any other
    // UDP between the hosts: the stack's (the first fragment was dropped,
    // so VXLAN never reassembles).
    Outer n;
    n.frag = 185;  // offset 1480: a non-first fragment from a known VTEP
    c.push_back(not_vxlan("OuterNonFirstFragmentKnownVtep", vxlan_frame(n, to_vm1)));
    n.frag = kMF | 185;
    c.push_back(not_vxlan("OuterMiddleFragmentKnownVtep", vxlan_frame(n, to_vm1)));
  }

  // ---- destination ------------------------------------------------------------------------
  c.push_back(drop("UnknownUnicast",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kUnknownMac, kVm3Mac, kIpVm3, kIpVm1)),
                   VNET_DROP_UNKNOWN_UNICAST));
  // architecture.md: an entry that is a remote VTEP (a MAC not on this host)
  // -> NOT_LOCAL.
  c.push_back(drop("UnicastToRemoteMac",
                   vxlan_frame(kVtepA, kVniBlue, udp4(kVm4Mac, kVm3Mac, kIpVm3, kIpVm4)),
                   VNET_DROP_NOT_LOCAL));
  return c;
}

std::string case_name(const ::testing::TestParamInfo<UCase>& i) { return i.param.name; }
void PrintTo(const UCase& c, std::ostream* os) { *os << c.name << " (" << c.in.size() << " bytes)"; }

// skb test runs refuse an IPv4 ethertype with less than a full IPv4 header
// (EINVAL), so those truncations reach only the XDP program here.
bool kernel_refuses_skb(const Bytes& in) { return in.size() < 14 + 20 && get16(in, 12) == kEthIp; }

class XdpUnderlay : public Datapath, public ::testing::WithParamInterface<UCase> {};
class TcTunnel : public Datapath, public ::testing::WithParamInterface<UCase> {};
class TcUnderlay : public Datapath, public ::testing::WithParamInterface<UCase> {};

TEST_P(XdpUnderlay, Case) {
  VT_NEED(Prog::kXdpUnderlay);
  const UCase& c = GetParam();
  Expect e;
  switch (c.kind) {
    case Kind::kNotVxlan:
    case Kind::kToPeer:
    case Kind::kFlood:
      e.verdict = kXdpPass;
      e.out = Expect::kUnchanged;
      break;
    case Kind::kDrop:
      e.verdict = kXdpDrop;
      e.drop = c.reason;
      if (c.ep) {
        e.ep.push_back(ep_drop(c.ep, c.reason));
      }
      break;
    case Kind::kToXdp:
      e.verdict = kXdpRedirect;
      e.out = Expect::kEquals;
      e.out_frame = exact(c.inner);
      e.ep.push_back(ep_rx(c.ep, c.inner.size()));
      break;
  }
  check_case(Prog::kXdpUnderlay, c.in, "ul0", e);
}

// The frame as the kernel's VXLAN device hands it to vnet_tc_tunnel, or
// nothing when the device would not decapsulate it: not IPv4/UDP to the
// VXLAN port at our VTEP, an outer fragment, no I flag, or less than an
// inner Ethernet header. Parsed here independently of lib/vxlan.h.
struct Decapsulated {
  TunnelMeta meta;
  Bytes inner;
};
std::optional<Decapsulated> decapsulate(const Bytes& f) {
  if (f.size() < 14 + 20 || get16(f, 12) != kEthIp || (f[14] >> 4) != 4) {
    return std::nullopt;
  }
  const std::size_t ihl = (f[14] & 0x0f) * 4u;
  const std::size_t udp_at = 14 + ihl;
  const std::size_t inner_at = udp_at + 8 + 8;
  if (ihl < 20 || f.size() < inner_at + 14 || f[14 + 9] != 17 || (get16(f, 14 + 6) & 0x3fff) != 0 ||
      get16(f, udp_at + 2) != kVxlanPort || get32(f, 14 + 16) != kVtepLocal || !(f[udp_at + 8] & 0x08)) {
    return std::nullopt;
  }
  Decapsulated d;
  d.meta.remote = get32(f, 14 + 12);
  d.meta.local = get32(f, 14 + 16);
  d.meta.vni = get32(f, udp_at + 8 + 4) >> 8;
  d.inner.assign(f.begin() + static_cast<long>(inner_at), f.end());
  return d;
}

// Whether vnet_tc_underlay must mark the frame for the VXLAN device: IPv4
// UDP to the VXLAN port at our VTEP, not a non-first fragment. Parsed here
// independently of the program.
bool for_the_device(const Bytes& f) {
  if (f.size() < 14 + 20 || get16(f, 12) != kEthIp || (f[14] >> 4) != 4) {
    return false;
  }
  const std::size_t ihl = (f[14] & 0x0f) * 4u;
  const std::size_t udp_at = 14 + ihl;
  return ihl >= 20 && f.size() >= udp_at + 8 && f[14 + 9] == 17 &&
         (get16(f, 14 + 6) & 0x1fff) == 0 && get32(f, 14 + 16) == kVtepLocal &&
         get16(f, udp_at + 2) == kVxlanPort;
}

// vnet_tc_underlay passes everything untouched and uncounted; it only marks.
TEST_P(TcUnderlay, Case) {
  VT_NEED(Prog::kTcUnderlay);
  const UCase& c = GetParam();
  if (kernel_refuses_skb(c.in)) {
    GTEST_SKIP() << "BPF_PROG_TEST_RUN refuses skbs with a partial IPv4 header; covered by XDP";
  }
  Expect e;
  e.verdict = kTcOk;
  e.out = Expect::kUnchanged;
  check_case(Prog::kTcUnderlay, c.in, "ul0", e);
  const RunResult r = run_prog(Prog::kTcUnderlay, c.in, "ul0");
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.mark, for_the_device(c.in) ? VNET_MARK_UNDERLAY : 0u);
}

TEST_P(TcTunnel, Case) {
  VT_NEED(Prog::kTcTunnel);
  const UCase& c = GetParam();
  auto d = decapsulate(c.in);
  if (!d) {
    GTEST_SKIP() << "the VXLAN device never hands this frame on";
  }
  if (kernel_refuses_skb(d->inner)) {
    GTEST_SKIP() << "BPF_PROG_TEST_RUN refuses skbs with a partial IPv4 header; covered by XDP";
  }
  Expect e;
  switch (c.kind) {
    case Kind::kNotVxlan:
      FAIL() << "decapsulate() accepted a frame XDP calls not VXLAN";
    case Kind::kDrop:
      e.verdict = kTcShot;
      e.drop = c.reason;
      if (c.ep) {
        e.ep.push_back(ep_drop(c.ep, c.reason));
      }
      break;
    case Kind::kToPeer:
    case Kind::kToXdp:
      e.verdict = kTcRedirect;
      e.out = Expect::kUnchanged;
      e.ep.push_back(ep_rx(c.ep, c.inner.size()));
      break;
    case Kind::kFlood:
      e.verdict = kTcShot;
      for (auto& [ep, point] : c.flood) {
        e.captures[point].push_back(exact(c.inner));
        e.ep.push_back(ep_rx(ep, c.inner.size()));
      }
      break;
  }
  set_tunnel_meta(d->meta);
  check_case(Prog::kTcTunnel, d->inner, "vnet-vxlan", e);
}

INSTANTIATE_TEST_SUITE_P(Table, XdpUnderlay, ::testing::ValuesIn(underlay_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Table, TcTunnel, ::testing::ValuesIn(underlay_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Table, TcUnderlay, ::testing::ValuesIn(underlay_cases()), case_name);

// BPF_PROG_TEST_RUN refuses inputs shorter than an Ethernet header, so a
// truncated outer Ethernet header cannot reach the programs this way (a real
// NIC never delivers one either): document it instead of silently skipping.
TEST_F(Datapath, KernelRejectsFramesShorterThanEthernet) {
  VT_NEED(Prog::kXdpUnderlay);
  RunResult r = run_prog(Prog::kXdpUnderlay, hex("02ee00000001 02ee0000"), "ul0");
  EXPECT_EQ(r.err, EINVAL);
}

// The VXLAN device's socket takes VXLAN on every local address; only what
// was sent to our VTEP is ours. Counted, not charged to an endpoint.
TEST_F(Datapath, TunnelDropsVxlanToAnotherLocalAddress) {
  VT_NEED(Prog::kTcTunnel);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_NOT_OUR_VTEP;
  set_tunnel_meta({true, true, kVtepA, ip4(198, 18, 0, 77), kVniBlue});
  check_case(Prog::kTcTunnel, udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1), "vnet-vxlan", e);
}

// Unmarked: the frame reached the VXLAN device from another interface than
// the underlay (a management network, a local container), where its outer
// source proves nothing. Dropped before anything is believed.
TEST_F(Datapath, TunnelDropsFramesThatDidNotArriveOnTheUnderlay) {
  VT_NEED(Prog::kTcTunnel);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_NOT_UNDERLAY;
  TunnelMeta m{true, false, kVtepA, kVtepLocal, kVniBlue};
  set_tunnel_meta(m);
  check_case(Prog::kTcTunnel, udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1), "vnet-vxlan", e);
}

// Without tunnel metadata the frame did not come from the VXLAN socket.
TEST_F(Datapath, TunnelDropsFrameWithoutMetadata) {
  VT_NEED(Prog::kTcTunnel);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_ERROR;
  TunnelMeta none;
  none.present = false;
  set_tunnel_meta(none);
  check_case(Prog::kTcTunnel, udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1), "vnet-vxlan", e);
}

// A remote endpoint's own address is proven by the fdb entry that proves its
// MAC behind the VTEP (abi.h, ABI 12): no vnet_remote_host entry needed.
// Any other source still is looked up, and refused when not allowed.
TEST_F(Datapath, RemoteEndpointsOwnAddressIsProvenByItsFdbEntry) {
  VT_NEED(Prog::kXdpUnderlay);
  del_remote_host(kVniBlue, kVtepA, kIpVm3);
  const Bytes own = udp4(kVm5Mac, kVm3Mac, kIpVm3, kIpVm5);
  RunResult r = run_prog(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniBlue, own), "ul0");
  ASSERT_EQ(r.err, 0);
  EXPECT_EQ(r.verdict, kXdpRedirect);
  EXPECT_EQ(to_hex(r.out), to_hex(own));

  // An ARP reply's sender address likewise (to vm1: passed on to the
  // device for its veth peer, not dropped).
  const Bytes arp = arp_frame(kVm1Mac, kVm3Mac, 2, kVm3Mac, kIpVm3, kVm1Mac, kIpVm1);
  r = run_prog(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniBlue, arp), "ul0");
  EXPECT_EQ(r.verdict, kXdpPass);

  // In vm3's routed prefix: the trie, as before.
  const Bytes routed = udp4(kVm5Mac, kVm3Mac, ip4(172, 16, 5, 5), kIpVm5);
  r = run_prog(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniBlue, routed), "ul0");
  EXPECT_EQ(r.verdict, kXdpRedirect);

  // vm4's address from vm3: refused, whatever vm3's entry says.
  const Snapshot before = snapshot();
  const Bytes forged = udp4(kVm5Mac, kVm3Mac, kIpVm4, kIpVm5);
  r = run_prog(Prog::kXdpUnderlay, vxlan_frame(kVtepA, kVniBlue, forged), "ul0");
  EXPECT_EQ(r.verdict, kXdpDrop);
  EXPECT_EQ(snapshot().drops[VNET_DROP_FOREIGN_SOURCE] - before.drops[VNET_DROP_FOREIGN_SOURCE], 1u);
}

// An entry without an address (tenant 2's in the lab) proves nothing about
// the source: vnet_remote_host decides.
TEST_F(Datapath, WithoutAnAddressInTheFdbEntryTheSourceIsLookedUp) {
  VT_NEED(Prog::kXdpUnderlay);
  const Bytes in = vxlan_frame(kVtepT2a, kVniT2, udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1));
  RunResult r = run_prog(Prog::kXdpUnderlay, in, "ul0");
  EXPECT_EQ(r.verdict, kXdpPass);  // to the device, for the veth peer
  del_remote_host(kVniT2, kVtepT2a, kIpVm3);
  r = run_prog(Prog::kXdpUnderlay, in, "ul0");
  EXPECT_EQ(r.verdict, kXdpDrop);
}

// Decapsulation must not depend on state left by a previous packet: the same
// valid frame twice gives the same output and counts twice.
TEST_F(Datapath, XdpDecapTwiceCountsTwice) {
  VT_NEED(Prog::kXdpUnderlay);
  const Bytes inner = udp4(kVm5Mac, kVm3Mac, kIpVm3, kIpVm5);
  const Bytes in = vxlan_frame(kVtepA, kVniBlue, inner);
  Snapshot before = snapshot();
  for (int i = 0; i < 2; ++i) {
    RunResult r = run_prog(Prog::kXdpUnderlay, in, "ul0");
    ASSERT_EQ(r.err, 0);
    EXPECT_EQ(r.verdict, kXdpRedirect);
    EXPECT_EQ(to_hex(r.out), to_hex(inner));
  }
  Snapshot after = snapshot();
  EXPECT_EQ(after.ep[kEpVm5].rx_packets - before.ep[kEpVm5].rx_packets, 2u);
  EXPECT_EQ(after.ep[kEpVm5].rx_bytes - before.ep[kEpVm5].rx_bytes, 2 * inner.size());
}

}  // namespace
}  // namespace vt

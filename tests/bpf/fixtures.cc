#include "fixtures.h"

namespace vt {

Bytes udp4(const Udp4& u) {
  Ip4 h;
  h.tos = u.tos;
  h.id = u.id;
  h.frag = u.frag;
  h.ttl = u.ttl;
  h.proto = 17;
  h.src = u.sip;
  h.dst = u.dip;
  h.options = u.ip_opts;
  return cat({eth(u.dst, u.src, kEthIp), ipv4(h, udp(u.sport, u.dport, pattern(u.payload)))});
}

Bytes udp4(const Mac& dst, const Mac& src, std::uint32_t sip, std::uint32_t dip) {
  Udp4 u;
  u.dst = dst;
  u.src = src;
  u.sip = sip;
  u.dip = dip;
  return udp4(u);
}

Bytes arp_frame(const Mac& eth_dst, const Mac& eth_src, std::uint16_t op, const Mac& sha,
                std::uint32_t spa, const Mac& tha, std::uint32_t tpa, std::uint8_t pad) {
  return cat({eth(eth_dst, eth_src, kEthArp), arp(op, sha, spa, tha, tpa), filled(18, pad)});
}

namespace {
Mac mac_of_vtep(std::uint32_t vtep) {
  // Cosmetic: the outer source MAC a frame from that VTEP carries on ul0.
  if (vtep == kVtepA) {
    return kVtepAMac;
  }
  if (vtep == kVtepT2a) {
    return kVtepT2aMac;
  }
  if (vtep == kVtepT2b) {
    return kVtepT2bMac;
  }
  return kGwMac;  // routed VTEPs arrive through the gateway
}
}  // namespace

Bytes vxlan_frame(const Outer& o, const Bytes& inner) {
  Ip4 h;
  h.id = 0xbeef;
  h.frag = o.frag;
  h.proto = 17;
  h.src = o.src;
  h.dst = o.dst;
  h.options = o.ip_opts;
  Bytes payload = cat({vxlan(o.vni, o.flags, o.reserved1, o.reserved2), inner});
  return cat({eth(kUl0Mac, mac_of_vtep(o.src), kEthIp),
              ipv4(h, udp(o.sport, o.dport, payload, o.udp_csum, o.src, o.dst))});
}

FrameExpect encap_expect(std::uint32_t vtep, const Mac& nh, std::uint32_t vni, const Bytes& inner) {
  Ip4 h;
  // tos = inner DSCP, ECN cleared; non-IPv4 inner frames carry tos 0.
  h.tos = (get16(inner, 12) == kEthIp) ? (inner[15] & 0xfc) : 0;
  h.id = 0;
  h.frag = kDF;
  h.ttl = 64;
  h.proto = 17;
  h.src = kVtepLocal;
  h.dst = vtep;
  FrameExpect f;
  f.bytes = cat({eth(nh, kUl0Mac, kEthIp), ipv4(h, udp(0, kVxlanPort, cat({vxlan(vni), inner})))});
  f.mask.assign(f.bytes.size(), true);
  f.mask[kOffOuterUdp] = f.mask[kOffOuterUdp + 1] = false;  // source port: flow hash
  return f;
}

Bytes arp_reply_expect(const Bytes& req, const Mac& target) {
  Mac requester_eth{}, sha{};
  for (int i = 0; i < 6; ++i) {
    requester_eth.b[i] = req[6 + i];
    sha.b[i] = req[22 + i];
  }
  std::uint32_t spa = get32(req, 28);
  std::uint32_t tpa = get32(req, 38);
  Bytes padding(req.begin() + 42, req.end());
  return cat({eth(requester_eth, target, kEthArp), arp(2, target, tpa, sha, spa), padding});
}

Bytes frag_needed_expect(const Bytes& orig, std::uint16_t mtu) {
  Mac dst{}, src{};
  for (int i = 0; i < 6; ++i) {
    dst.b[i] = orig[i];
    src.b[i] = orig[6 + i];
  }
  std::size_t ihl = (orig[14] & 0xf) * 4u;
  Bytes quoted(orig.begin() + 14, orig.begin() + 14 + static_cast<long>(ihl) + 8);
  Bytes icmp = cat({hex("03 04 0000 0000"), Bytes{static_cast<std::uint8_t>(mtu >> 8),
                                                   static_cast<std::uint8_t>(mtu & 0xff)},
                    quoted});
  put16(icmp, 2, inet_csum(icmp));
  Ip4 h;
  h.tos = 0;
  h.id = 0;
  h.frag = 0;
  h.ttl = 64;
  h.proto = 1;
  h.src = get32(orig, 14 + 16);
  h.dst = get32(orig, 14 + 12);
  return cat({eth(src, dst, kEthIp), ipv4(h, icmp)});
}

FrameExpect exact(const Bytes& b) { return FrameExpect{b, {}}; }

}  // namespace vt

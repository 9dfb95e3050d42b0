// Cases that need the lab changed for one test (underlay MTU, oversized flood
// lists), and behaviour the spec leaves open but an operator would expect

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "fixtures.h"

namespace vt {
namespace {

Bytes big_udp(std::uint16_t ip_total, std::uint16_t frag) {
  Udp4 u{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
  u.frag = frag;
  u.payload = ip_total - 28u;
  return udp4(u);
}

// The limit is the underlay interface's MTU at the time of the packet, not a
// constant: ul0 at 1400 moves the boundary to 1350 and the ICMP MTU with it.
class UnderlayMtu : public Datapath {
 protected:
  void TearDown() override { std::system("ip link set ul0 mtu 1500"); }
};

TEST_F(UnderlayMtu, FollowsInterfaceMtu) {
  VT_NEED(Prog::kTcEndpoint);
  ASSERT_EQ(std::system("ip link set ul0 mtu 1400"), 0);
  {
    Bytes in = big_udp(1350, kDF);
    Expect e;
    e.verdict = kTcRedirect;
    e.out = Expect::kEquals;
    e.out_frame = encap_expect(kVtepA, kVtepAMac, kVniBlue, in);
    e.ep = {ep_tx(kEpVm1, in.size())};
    SCOPED_TRACE("1350 fits in 1400");
    check_case(Prog::kTcEndpoint, in, "vm1-h", e);
  }
  {
    Bytes in = big_udp(1351, kDF);
    Expect e;
    e.verdict = kTcRedirect;
    e.out = Expect::kEquals;
    e.out_frame = exact(frag_needed_expect(in, 1350));
    e.drop = VNET_DROP_FRAG_NEEDED;
    e.ep = {ep_drop(kEpVm1, VNET_DROP_FRAG_NEEDED)};
    SCOPED_TRACE("1351 with DF: frag-needed, MTU 1350");
    check_case(Prog::kTcEndpoint, in, "vm1-h", e);
  }
  {
    Bytes in = big_udp(1351, 0);
    Expect e;
    e.verdict = kTcShot;
    e.drop = VNET_DROP_TOO_BIG;
    e.ep = {ep_drop(kEpVm1, VNET_DROP_TOO_BIG)};
    SCOPED_TRACE("1351 without DF: too big");
    check_case(Prog::kTcEndpoint, in, "vm1-h", e);
  }
}

// A flood list longer than the datapath bound is counted FLOOD_LIMIT, never
// read past the array. What copies go out before the limit is not specified,
// so only the verdict and the counter are checked.
TEST_F(Datapath, FloodListBeyondBoundCounted) {
  VT_NEED(Prog::kTcEndpoint);
  vnet_network n{};
  n.n_vteps = VNET_MAX_FLOOD_VTEPS + 1;
  n.n_ports = 1;
  for (auto& v : n.vteps_be) {
    v = htonl(kVtepA);
  }
  n.port_ifindex[0] = static_cast<__u32>(ifindex("vm6-h"));
  __u32 vni = kVniC;
  ASSERT_EQ(bpf_map_update_elem(maps().networks, &vni, &n, BPF_ANY), 0);
  Snapshot before = snapshot();
  capture_drain_all();
  RunResult r = run_prog(Prog::kTcEndpoint, udp4(kBcast, kVm6Mac, kIpVm6, ip4(10, 0, 3, 255)), "vm6-h");
  capture_settle();
  capture_drain_all();
  ASSERT_EQ(r.err, 0);
  Snapshot after = snapshot();
  EXPECT_EQ(verdict_name(Prog::kTcEndpoint, r.verdict), verdict_name(Prog::kTcEndpoint, kTcShot));
  EXPECT_EQ(after.drops[VNET_DROP_FLOOD_LIMIT] - before.drops[VNET_DROP_FLOOD_LIMIT], 1u);
  EXPECT_EQ(after.drops[VNET_DROP_ERROR] - before.drops[VNET_DROP_ERROR], 0u);
}

// architecture.md, "ARP answering": gratuitous ARP (sender IP = target IP)
// and a request whose vnet_neigh MAC is the requester's own (a DAD probe)
// are not answered but forwarded like any broadcast.
TEST_F(Datapath, GratuitousArpAndSelfProbeNotAnswered) {
  VT_NEED(Prog::kTcEndpoint);
  for (std::uint32_t spa : {kIpVm1, 0u}) {
    Bytes req = arp_request(kVm1Mac, spa, kIpVm1);
    Expect e;
    e.verdict = kTcShot;
    e.ep = {ep_tx(kEpVm1, req.size()), ep_rx(kEpVm2, req.size()), ep_rx(kEpVm5, req.size())};
    e.captures["vm2-c"] = {exact(req)};
    e.captures["vm5-t"] = {exact(req)};
    e.captures["ul1"] = {encap_expect(kVtepA, kVtepAMac, kVniBlue, req),
                         encap_expect(kVtepB, kGwMac, kVniBlue, req)};
    SCOPED_TRACE(spa ? "gratuitous ARP" : "ARP probe for own address");
    check_case(Prog::kTcEndpoint, req, "vm1-h", e);
  }
}

}  // namespace
}  // namespace vt

namespace vt {
namespace {

// vnet_xdp_underlay is SEC("xdp.frags"): a jumbo VXLAN frame (test_run builds
// it as a multi-buffer xdp_buff) is parsed from its first buffer and decapped
// like any other; to a PEER port it passes untouched.
TEST_F(Datapath, XdpJumboFrameMultiBuffer) {
  VT_NEED(Prog::kXdpUnderlay);
  for (std::uint32_t ep : {kEpVm5, kEpVm1}) {
    Udp4 u{ep == kEpVm5 ? kVm5Mac : kVm1Mac, kVm3Mac, kIpVm3, ep == kEpVm5 ? kIpVm5 : kIpVm1};
    u.payload = 8900;
    const Bytes inner = udp4(u);
    const Bytes in = vxlan_frame(kVtepA, kVniBlue, inner);
    Expect e;
    if (ep == kEpVm5) {
      e.verdict = kXdpRedirect;
      e.out = Expect::kEquals;
      e.out_frame = exact(inner);
      e.ep = {ep_rx(kEpVm5, inner.size())};
    } else {
      e.verdict = kXdpPass;
      e.out = Expect::kUnchanged;
    }
    SCOPED_TRACE(ep == kEpVm5 ? "to the tap (XDP_DELIVER)" : "to a veth (PEER)");
    check_case(Prog::kXdpUnderlay, in, "ul0", e);
  }
}

}  // namespace
}  // namespace vt

namespace vt {
namespace {

// architecture.md: "An fdb entry with neither an ifindex nor a VTEP is
// UNKNOWN_UNICAST".
TEST_F(Datapath, FdbEntryWithoutTargetIsUnknownUnicast) {
  VT_NEED(Prog::kTcEndpoint);
  vnet_fdb_key k{};
  k.vni = kVniBlue;
  std::memcpy(k.mac, kUnknownMac.b, 6);
  vnet_fdb_entry v{};
  v.endpoint_id = 99;
  ASSERT_EQ(bpf_map_update_elem(maps().fdb, &k, &v, BPF_ANY), 0);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_UNKNOWN_UNICAST;
  e.ep = {ep_drop(kEpVm1, VNET_DROP_UNKNOWN_UNICAST)};
  check_case(Prog::kTcEndpoint, udp4(kUnknownMac, kVm1Mac, kIpVm1, kIpVm3), "vm1-h", e);
}

// architecture.md: "A port whose VNI has no vnet_networks entry cannot
// flood: UNKNOWN_VNI".
TEST_F(Datapath, FloodWithoutNetworkEntryIsUnknownVni) {
  VT_NEED(Prog::kTcEndpoint);
  __u32 vni = kVniC;
  ASSERT_EQ(bpf_map_delete_elem(maps().networks, &vni), 0);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_UNKNOWN_VNI;
  e.ep = {ep_drop(kEpVm6, VNET_DROP_UNKNOWN_VNI)};
  check_case(Prog::kTcEndpoint, udp4(kBcast, kVm6Mac, kIpVm6, ip4(10, 0, 3, 255)), "vm6-h", e);
}

// An IPv4 total length beyond the bytes present is a truncated packet:
// MALFORMED, never encapsulated for a receiver to discard.
TEST_F(Datapath, EndpointIpv4TotalLengthBeyondFrame) {
  VT_NEED(Prog::kTcEndpoint);
  Bytes in = udp4(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3);
  put16(in, 16, 400);
  Expect e;
  e.verdict = kTcShot;
  e.drop = VNET_DROP_MALFORMED;
  e.ep = {ep_drop(kEpVm1, VNET_DROP_MALFORMED)};
  check_case(Prog::kTcEndpoint, in, "vm1-h", e);
}

}  // namespace
}  // namespace vt

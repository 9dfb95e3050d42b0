// The private network namespace the BPF fixtures run in, and its constants.
//
//   root netns: untouched. main() unshares net+mount namespaces first.
//
//                       private netns (dies with the process)
//   ┌──────────────────────────────────────────────────────────────────────┐
//   │ ul0 198.18.0.1/24 02:ee:00:00:00:01, mtu 1500 ══ ul1 02:ee:00:00:01:ff│
//   │   permanent neighbours on ul0:                   (capture point)     │
//   │     198.18.0.2   02:ee:00:00:00:02  VTEP A   (vni 1001, 3001)        │
//   │     198.18.0.3   02:ee:00:00:00:03  VTEP T2a (vni 2001)              │
//   │     198.18.0.4   02:ee:00:00:00:04  VTEP T2b (vni 2001)              │
//   │     198.18.0.254 02:ee:00:00:00:fe  gateway                          │
//   │   198.18.1.0/24 via 198.18.0.254: VTEP B 198.18.1.3 (vni 1001)       │
//   │   198.18.0.7: on-link, no neighbour (unresolved VTEP, vni 3001)      │
//   │   203.0.113.5: no route (unroutable VTEP)                            │
//   │ ul2 198.19.0.1/24 02:ee:00:00:02:01 ══ ul3   (not the underlay)      │
//   │   permanent neighbour 198.19.0.2 02:ee:00:00:02:02: a VTEP whose     │
//   │   route leaves through ul2; in no map (xdp_endpoint_test.cc adds     │
//   │   the fdb entry it needs)                                            │
//   │                                                                      │
//   │ vm1-h ══ vm1-c     vni 1001 ep 1  02:..:11 10.0.1.11  veth (PEER)    │
//   │ vm2-h ══ vm2-c     vni 1001 ep 2  02:..:12 10.0.1.12  veth (PEER)    │
//   │ vm5-t (tap, fd)    vni 1001 ep 5  02:..:15 10.0.1.15  XDP_DELIVER    │
//   │ vm6-h ══ vm6-c     vni 3001 ep 6  02:..:16 10.0.3.16  veth (PEER)    │
//   │ t2vm1-h ══ t2vm1-c vni 2001 ep 11 02:..:11 10.0.1.11  veth (PEER)    │
//   │ t2vm2-h ══ t2vm2-c vni 2001 ep 12 02:..:12 10.0.1.12  veth (PEER)    │
//   │ vm9-h ══ vm9-c     no port entry (NO_PORT)                           │
//   └──────────────────────────────────────────────────────────────────────┘
//   remote: vm3 02:..:13 10.0.1.13 behind A, vm4 02:..:14 10.0.1.14 behind B
//           (vni 1001); t2vm3/t2vm4 same MAC/IP behind T2a/T2b (vni 2001);
//           t2only 02:..:21 10.0.1.21 behind T2a (vni 2001 only);
//           vm7 02:..:17 10.0.3.17 behind 198.18.0.7, vm8 02:..:18 10.0.3.18
//           behind 203.0.113.5 (vni 3001).
//   routers: r1 (id 7) 10.0.1.1 02:..:01:01 on vni 1001, 10.0.3.1 02:..:03:01
//            on vni 3001; static 192.168.60.0/24 via vm6, .128/25 via vm3.
//            r2 (id 8, tenant 2) 10.0.1.1 02:..:01:01 on vni 2001 only.
//
// The "-c" sides, the tap fd and ul1 are capture points: whatever the
// programs really transmit (bpf_clone_redirect does, inside test_run) shows
// up there and is checked. Outer destination MACs are never ul1's own MAC, so
// nothing captured is delivered to the namespace's IP stack.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "packet.h"

namespace vt {

// ---- underlay ---------------------------------------------------------------
inline constexpr Mac kUl0Mac{{0x02, 0xee, 0, 0, 0, 0x01}};
inline constexpr Mac kUl1Mac{{0x02, 0xee, 0, 0, 0x01, 0xff}};
inline constexpr Mac kVtepAMac{{0x02, 0xee, 0, 0, 0, 0x02}};
inline constexpr Mac kVtepT2aMac{{0x02, 0xee, 0, 0, 0, 0x03}};
inline constexpr Mac kVtepT2bMac{{0x02, 0xee, 0, 0, 0, 0x04}};
inline constexpr Mac kGwMac{{0x02, 0xee, 0, 0, 0, 0xfe}};
inline constexpr Mac kVtepBMacUnused{{0x02, 0xee, 0, 0, 0x01, 0x03}};  // B's own MAC (never on our link)
inline constexpr Mac kUl2Mac{{0x02, 0xee, 0, 0, 0x02, 0x01}};
inline constexpr Mac kVtepOtherIfMac{{0x02, 0xee, 0, 0, 0x02, 0x02}};

inline constexpr std::uint32_t kVtepLocal = ip4(198, 18, 0, 1);
inline constexpr std::uint32_t kVtepA = ip4(198, 18, 0, 2);
inline constexpr std::uint32_t kVtepT2a = ip4(198, 18, 0, 3);
inline constexpr std::uint32_t kVtepT2b = ip4(198, 18, 0, 4);
inline constexpr std::uint32_t kVtepUnresolved = ip4(198, 18, 0, 7);
inline constexpr std::uint32_t kVtepUnknown = ip4(198, 18, 0, 9);
inline constexpr std::uint32_t kGw = ip4(198, 18, 0, 254);
inline constexpr std::uint32_t kVtepB = ip4(198, 18, 1, 3);
inline constexpr std::uint32_t kVtepUnroutable = ip4(203, 0, 113, 5);
inline constexpr std::uint32_t kVtepOtherIf = ip4(198, 19, 0, 2);  // routed out of ul2, not ul0
inline constexpr std::uint16_t kVxlanPort = 4789;
inline constexpr unsigned kUnderlayMtu = 1500;

// ---- overlay ----------------------------------------------------------------
inline constexpr std::uint32_t kVniBlue = 1001;
inline constexpr std::uint32_t kVniT2 = 2001;
inline constexpr std::uint32_t kVniC = 3001;
inline constexpr std::uint32_t kVniUnknown = 1005;

inline constexpr Mac kVm1Mac{{0x02, 0, 0, 0, 0, 0x11}};
inline constexpr Mac kVm2Mac{{0x02, 0, 0, 0, 0, 0x12}};
inline constexpr Mac kVm3Mac{{0x02, 0, 0, 0, 0, 0x13}};
inline constexpr Mac kVm4Mac{{0x02, 0, 0, 0, 0, 0x14}};
inline constexpr Mac kVm5Mac{{0x02, 0, 0, 0, 0, 0x15}};
inline constexpr Mac kVm6Mac{{0x02, 0, 0, 0, 0, 0x16}};
inline constexpr Mac kVm7Mac{{0x02, 0, 0, 0, 0, 0x17}};
inline constexpr Mac kVm8Mac{{0x02, 0, 0, 0, 0, 0x18}};
inline constexpr Mac kT2OnlyMac{{0x02, 0, 0, 0, 0, 0x21}};
inline constexpr Mac kRouterMac{{0x02, 0, 0, 0, 0x01, 0x01}};
inline constexpr Mac kRouterMacC{{0x02, 0, 0, 0, 0x03, 0x01}};
inline constexpr Mac kUnknownMac{{0x02, 0, 0, 0, 0, 0x99}};
inline constexpr Mac kBcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
inline constexpr Mac kMcast{{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb}};
inline constexpr Mac kLldpMac{{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}};
inline constexpr Mac kZeroMac{{0, 0, 0, 0, 0, 0}};

inline constexpr std::uint32_t kIpVm1 = ip4(10, 0, 1, 11);
inline constexpr std::uint32_t kIpVm2 = ip4(10, 0, 1, 12);
inline constexpr std::uint32_t kIpVm3 = ip4(10, 0, 1, 13);
inline constexpr std::uint32_t kIpVm4 = ip4(10, 0, 1, 14);
inline constexpr std::uint32_t kIpVm5 = ip4(10, 0, 1, 15);
inline constexpr std::uint32_t kIpT2Only = ip4(10, 0, 1, 21);
inline constexpr std::uint32_t kIpVm1Allowed = ip4(10, 0, 1, 100);   // vm1 allowed_address /32
inline constexpr std::uint32_t kVm1RoutePrefix = ip4(192, 168, 50, 0);  // /24, vm1 is next hop
inline constexpr std::uint32_t kVm3RoutePrefix = ip4(172, 16, 0, 0);    // /16, vm3 is next hop
inline constexpr std::uint32_t kIpRouter = ip4(10, 0, 1, 1);   // r1 on vni 1001, r2 on 2001
inline constexpr std::uint32_t kIpRouterC = ip4(10, 0, 3, 1);  // r1 on vni 3001
inline constexpr std::uint32_t kR1StaticPrefix = ip4(192, 168, 60, 0);
inline constexpr std::uint32_t kRouter1 = 7;
inline constexpr std::uint32_t kRouter2 = 8;
inline constexpr std::uint32_t kIpUnknown = ip4(10, 0, 1, 99);
inline constexpr std::uint32_t kIpVm6 = ip4(10, 0, 3, 16);
inline constexpr std::uint32_t kIpVm7 = ip4(10, 0, 3, 17);
inline constexpr std::uint32_t kIpVm8 = ip4(10, 0, 3, 18);

enum EndpointId : std::uint32_t {
  kEpVm1 = 1,
  kEpVm2 = 2,
  kEpVm3 = 3,
  kEpVm4 = 4,
  kEpVm5 = 5,
  kEpVm6 = 6,
  kEpVm7 = 7,
  kEpVm8 = 8,
  kEpT2Vm1 = 11,
  kEpT2Vm2 = 12,
  kEpT2Vm3 = 13,
  kEpT2Vm4 = 14,
  kEpT2Only = 21,
};

// Local endpoints: their ports and fdb entries name a vnet_ep_stats slot.
inline const std::vector<std::uint32_t> kLocalEndpoints = {kEpVm1, kEpVm2, kEpVm5, kEpVm6, kEpT2Vm1,
                                                           kEpT2Vm2};

// The stats slot the lab gives an endpoint, as vnetd's StatsSlots would: not
// its id, so a program that counted by endpoint id would show.
constexpr std::uint16_t stats_slot_of(std::uint32_t ep) { return static_cast<std::uint16_t>(ep + 100); }
// Snapshots read (and reset_maps() zeroes) the slots below this: the lab
// names none above it.
constexpr std::uint32_t kScannedSlots = 256;

// Capture points (receiving side of each interface the datapath may send to).
inline const std::vector<std::string> kCapturePoints = {"vm1-c",   "vm2-c",   "vm5-t", "vm6-c",
                                                        "vm9-c",   "t2vm1-c", "t2vm2-c", "ul1"};

// ---- the namespace ------------------------------------------------------------
// Builds everything above inside fresh net+mount namespaces. Returns false and
// fills *err on the first failure.
bool lab_setup(std::string* err);
void lab_teardown();
const std::string& lab_bpffs();  // bpffs mount used as pin_root_path
int ifindex(const std::string& name);  // aborts the test run on unknown names

// Frames that arrived at a capture point since the last drain.
void capture_drain_all();
std::vector<Bytes> capture_collect(const std::string& point);
// Waits until no capture point has received anything for quiet_ms.
void capture_settle(int quiet_ms = 15, int max_ms = 300);

}  // namespace vt

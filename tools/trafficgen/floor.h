#pragma once
// The floor programs (floor.bpf.c): an XDP VXLAN decapsulator and a tc VXLAN
// encapsulator that do only what any such datapath must (move 50 bytes of
// headers, redirect), for measuring the ceiling of a path. Attached like the
// sink: they stay after the command exits; only `detach` removes them.

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace vnet::trafficgen {

enum class FloorMode {
  kDecap,  // XDP on dev: pop the outer 50 bytes, redirect to out
  kEncap,  // tc ingress on dev: push `outer`, redirect to out's egress
  kXdpEncap,  // XDP on dev: push `outer` (adjust_head), redirect to out
};

struct FloorOptions {
  std::string dev;
  std::string out;  // same network namespace as dev
  FloorMode mode = FloorMode::kDecap;
  // kEncap, kXdpEncap: TG_FLOOR_OUTER_LEN bytes, outer Ethernet + IPv4 (no options) +
  // UDP + VXLAN; IPv4 total length, UDP length and IPv4 checksum are
  // ignored (set per packet).
  std::vector<std::uint8_t> outer;
};

Status floor_attach(const FloorOptions& options);
// Removes the floor program of `mode` from `dev`; none attached is fine.
Status floor_detach(const std::string& dev, FloorMode mode);

}  // namespace vnet::trafficgen

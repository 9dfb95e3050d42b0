#pragma once
// The counting sink and the no-op XDP program. The sink's counters are a
// per-CPU array pinned as <pin dir>/tg_sink_counters; attaching again with
// the same pin dir (another device, or the other mode) reuses that map, so
// the counts add up. Attachments stay after the command exits (netlink XDP,
// cls_bpf filter); only `detach` removes them.

#include <cstdint>
#include <optional>
#include <string>

#include "util/result.h"

namespace vnet::trafficgen {

enum class SinkMode { kXdp, kTc };

struct SinkCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

Status sink_attach(const std::string& dev, const std::string& pin_dir, SinkMode mode);
Result<SinkCounters> sink_read(const std::string& pin_dir);
Status sink_reset(const std::string& pin_dir);
// Removes the sink from `dev`; with `pin_dir`, also unpins its counters.
Status sink_detach(const std::string& dev, SinkMode mode,
                   const std::optional<std::string>& pin_dir);

Status xdp_pass_attach(const std::string& dev);
Status xdp_pass_detach(const std::string& dev);

std::string to_json(const SinkCounters& counters);

}  // namespace vnet::trafficgen

#pragma once
// The live-frames generator: BPF_PROG_TEST_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES of tg_gen (XDP_TX) over a template frame, with
// ctx ingress_ifindex = the device, repeated until the duration elapses.
// The kernel recycles the frames' pages, so what it "sent" is only what was
// attempted: count delivery at a sink on the far side.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace vnet::trafficgen {

struct GenOptions {
  std::string dev;
  std::vector<std::uint8_t> frame;
  std::uint32_t flows = 1;
  std::uint32_t flow_offset = 0;
  // A 16-bit Internet checksum covering the flow field, kept valid as it is
  // rewritten (0: none; a template checksum of 0 is left alone).
  std::uint32_t csum_offset = 0;
  std::uint32_t restore = 0;  // leading bytes rewritten from the template per frame
  double duration_s = 5.0;
  std::uint32_t batch_size = 0;  // 0: the kernel's default (64)
  std::optional<int> cpu;
};

struct GenReport {
  std::string dev;
  double seconds = 0;
  std::uint64_t frames_attempted = 0;
  std::uint32_t flows = 1;
};

// The kernel's cap on live-frames batches (TEST_XDP_MAX_BATCH).
inline constexpr std::uint32_t kMaxBatchSize = 256;
inline constexpr std::uint32_t kMaxFlows = 65536;

// Checks the options that do not need the kernel (flow field inside the
// frame, ranges).
Status validate(const GenOptions& options);

// Runs the generator. SIGINT/SIGTERM end it early (between test_run calls,
// so the count stays exact) with a normal report.
Result<GenReport> run_generator(const GenOptions& options);

std::string to_json(const GenReport& report);

}  // namespace vnet::trafficgen

#include "generator.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include "abi.h"
#include "attach.h"
#include "frame.h"
#include "skel.h"
#include "trafficgen_gen.skel.h"

namespace vnet::trafficgen {
namespace {

using Clock = std::chrono::steady_clock;
using GenSkel = SkelPtr<trafficgen_gen, trafficgen_gen__destroy>;

// Each test_run call should last about this long: short enough to stop on
// time and react to signals, long enough that its setup costs nothing. Every
// live-frames call attaches the program to the XDP dispatcher and detaches
// it, each waiting in synchronize_rcu(): on a busy 2-core VM, 50 ms calls
// left the generator asleep for up to half a run.
constexpr double kCallSeconds = 0.5;
constexpr std::uint32_t kFirstRepeat = 1u << 14;
constexpr std::uint32_t kMaxRepeat = 1u << 26;

// Blocks SIGINT/SIGTERM for its lifetime: a pending signal would abort a
// test_run call midway (EINTR) and lose that call's count, so the loop polls
// for them between calls instead.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockedStopSignals() {
    // A signal that arrived ends the process as it would have.
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  BlockedStopSignals(const BlockedStopSignals&) = delete;
  BlockedStopSignals& operator=(const BlockedStopSignals&) = delete;

  bool stop_requested() const {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) != 0) {
      return false;
    }
    return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1;
  }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

Status pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return Status::os_error("pin the sending thread to CPU " + std::to_string(cpu), errno);
  }
  return Status::ok();
}

Result<GenSkel> load_program(const GenOptions& options) {
  GenSkel skel(trafficgen_gen__open());
  if (!skel) {
    return Status::os_error("open the generator's BPF object", errno);
  }
  skel->rodata->flows = options.flows;
  skel->rodata->flow_offset = options.flow_offset;
  skel->rodata->flow_base = options.flows > 1 ? read_be16(options.frame, options.flow_offset) : 0;
  skel->rodata->restore_len = options.restore;
  skel->rodata->csum_offset = options.flows > 1 ? options.csum_offset : 0;
  skel->rodata->csum_base = options.csum_offset != 0 ? read_be16(options.frame, options.csum_offset) : 0;
  std::copy_n(options.frame.begin(), options.restore, skel->rodata->template_head);
  int err = trafficgen_gen__load(skel.get());
  if (err != 0) {
    return Status::os_error("load the generator's BPF program", -err);
  }
  return skel;
}

}  // namespace

Status validate(const GenOptions& options) {
  if (options.flows < 1 || options.flows > kMaxFlows) {
    return Status::error("--flows must be 1.." + std::to_string(kMaxFlows));
  }
  if (options.flows > 1) {
    if (options.flow_offset > TG_GEN_MAX_FLOW_OFFSET) {
      return Status::error("--flow-offset must be at most " +
                           std::to_string(TG_GEN_MAX_FLOW_OFFSET));
    }
    if (options.csum_offset > TG_GEN_MAX_FLOW_OFFSET ||
        static_cast<std::size_t>(options.csum_offset) + 2 > options.frame.size()) {
      return Status::error("--csum-offset " + std::to_string(options.csum_offset) +
                           ": beyond the frame or above " +
                           std::to_string(TG_GEN_MAX_FLOW_OFFSET));
    }
    if (static_cast<std::size_t>(options.flow_offset) + 2 > options.frame.size()) {
      return Status::error("--flow-offset " + std::to_string(options.flow_offset) +
                           ": the 16-bit field does not fit in the " +
                           std::to_string(options.frame.size()) + "-byte frame");
    }
  }
  if (options.restore > TG_GEN_MAX_RESTORE || options.restore > options.frame.size()) {
    return Status::error("--restore must be at most " + std::to_string(TG_GEN_MAX_RESTORE) +
                         " and the frame's length");
  }
  if (!(options.duration_s > 0) || options.duration_s > 86400) {
    return Status::error("--duration must be > 0 and at most 86400 seconds");
  }
  if (options.batch_size > kMaxBatchSize) {
    return Status::error("--batch-size must be 1.." + std::to_string(kMaxBatchSize));
  }
  return Status::ok();
}

Result<GenReport> run_generator(const GenOptions& options) {
  if (Status st = validate(options); !st) {
    return st;
  }
  auto dev = find_interface(options.dev);
  if (!dev) {
    return dev.status();
  }
  if (options.cpu) {
    if (Status st = pin_to_cpu(*options.cpu); !st) {
      return st;
    }
  }
  auto skel = load_program(options);
  if (!skel) {
    return skel.status();
  }
  int prog_fd = bpf_program__fd((*skel)->progs.tg_gen);

  xdp_md ctx{};
  ctx.data_end = static_cast<__u32>(options.frame.size());
  ctx.ingress_ifindex = dev->ifindex;

  BlockedStopSignals signals;
  GenReport report;
  report.dev = options.dev;
  report.flows = options.flows;
  std::uint32_t repeat = kFirstRepeat;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(options.duration_s);
  for (;;) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = options.frame.data(),
                .data_size_in = static_cast<__u32>(options.frame.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(repeat),
                .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = options.batch_size);
    const auto call_start = Clock::now();
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0) {
      int err = errno;
      std::string ctx_msg = "BPF_PROG_TEST_RUN (live frames) on " + options.dev;
      if (err == EINVAL) {
        ctx_msg += " (frame size, ifindex in another netns, or kernel without live frames?)";
      }
      return Status::os_error(ctx_msg, err);
    }
    report.frames_attempted += repeat;
    const auto now = Clock::now();
    if (now >= deadline || signals.stop_requested()) {
      report.seconds = std::chrono::duration<double>(now - start).count();
      break;
    }
    // Size the next call from this one's rate, never past the deadline.
    double took = std::chrono::duration<double>(now - call_start).count();
    double rate = repeat / std::max(took, 1e-6);
    double left = std::chrono::duration<double>(deadline - now).count();
    double next = rate * std::min(kCallSeconds, left);
    repeat = static_cast<std::uint32_t>(std::clamp(next, 1.0, static_cast<double>(kMaxRepeat)));
  }
  return report;
}

std::string to_json(const GenReport& report) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.6f", report.seconds);
  // Interface names are [!-~] without '/' or whitespace: no escaping needed
  // beyond quotes and backslashes, which Linux allows.
  std::string dev;
  for (char c : report.dev) {
    if (c == '"' || c == '\\') {
      dev += '\\';
    }
    dev += c;
  }
  return std::string("{\"dev\":\"") + dev + "\",\"seconds\":" + seconds +
         ",\"frames_attempted\":" + std::to_string(report.frames_attempted) +
         ",\"flows\":" + std::to_string(report.flows) + "}";
}

}  // namespace vnet::trafficgen

// vnet-trafficgen: the benchmark suite's traffic source and sink.
//
//   gen       live-frames XDP generator (XDP_TX out of --dev)
//   sink      counting XDP/tc sink with pinned per-CPU counters
//   xdp-pass  no-op XDP program that gives a veth NAPI
//   floor     minimal VXLAN decap (XDP) / encap (tc) programs: a path's ceiling
//   c2c       cache-line round trip between two CPUs: how far apart they are now
//
// Every command prints its result (JSON where there is one) on stdout and
// exits non-zero with a message on stderr on any failure.

#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "abi.h"
#include "attach.h"
#include "c2c.h"
#include "floor.h"
#include "frame.h"
#include "generator.h"
#include "sink.h"
#include "util/result.h"

namespace vnet::trafficgen {
namespace {

constexpr const char* kUsage = R"(usage:
  vnet-trafficgen gen --dev IFNAME --frame-hex HEX [--flows N] [--flow-offset OFF]
                      [--csum-offset OFF] [--restore BYTES] [--duration SECONDS]
                      [--batch-size N] [--cpu C]
      Sends the Ethernet frame HEX out of IFNAME at full rate (XDP live frames,
      XDP_TX; run inside IFNAME's netns). --flows N > 1 rewrites the big-endian
      16-bit field at --flow-offset to (template value + i % N) for frame i,
      and keeps the Internet checksum at --csum-offset (e.g. UDP's, which
      covers the ports) valid for each value unless the template's is 0.
      --restore B rewrites the first B bytes (<= 128) of every frame from the
      template first: for paths that rewrite headers in place on the frame's
      page (routing), which the kernel recycles without restoring it.
      Prints {"dev":..,"seconds":..,"frames_attempted":..,"flows":N}.
      frames_attempted is what the kernel was asked to send: count delivery
      at a sink. The receiving veth needs NAPI (an XDP program, e.g. the xdp
      sink or xdp-pass, or GRO on) or the frames are dropped.
  vnet-trafficgen sink attach --dev IFNAME --pin DIR [--mode xdp|tc]
      Counting sink (drops everything); counters pinned as DIR/tg_sink_counters
      (DIR on a bpffs; an existing compatible pin is reused, not reset).
  vnet-trafficgen sink read --pin DIR        -> {"packets":..,"bytes":..}
  vnet-trafficgen sink reset --pin DIR
  vnet-trafficgen sink detach --dev IFNAME [--mode xdp|tc] [--pin DIR]
      Removes the sink (with --pin, also unpins its counters).
  vnet-trafficgen xdp-pass attach|detach --dev IFNAME
      No-op XDP program (XDP_PASS): gives a veth NAPI without dropping anything.
  vnet-trafficgen floor attach --dev IFNAME --mode decap --out IFNAME
  vnet-trafficgen floor attach --dev IFNAME --mode encap|xdp-encap --out IFNAME --outer HEX
      The least a VXLAN datapath must do, to measure what a path allows any
      program (no lookups, no checks: for generated traffic only).
      decap: XDP (driver mode) on IFNAME; a frame longer than 64 bytes loses
      its first 50 (outer Ethernet/IPv4/UDP/VXLAN) and is redirected out of
      --out; shorter ones pass. encap: tc ingress on IFNAME; every IPv4 frame
      gets the 50 bytes of --outer in front (bpf_skb_adjust_room) and is
      redirected out of --out; anything else is dropped. --outer: outer
      Ethernet, IPv4 (20-byte header), UDP, VXLAN; its IPv4 total length, UDP
      length and IPv4 checksum are ignored and set per packet. xdp-encap:
      the same outer headers pushed in XDP (driver mode) on IFNAME
      (bpf_xdp_adjust_head), redirected out of --out, whose veth peer must
      have NAPI. --out must be in IFNAME's network namespace.
  vnet-trafficgen floor detach --dev IFNAME --mode decap|encap|xdp-encap
  vnet-trafficgen c2c [--cpus A,B] [--iterations N]
      Bounces one cache line N times (default 20000) between a thread on CPU A
      and one on CPU B (default 0,1) and prints the mean round trip:
      {"cpus":[A,B],"iterations":N,"round_trip_ns":..}. On a VM it tells
      whether the hypervisor has the two vCPUs behind one cache right now.
)";

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "vnet-trafficgen: %s (see vnet-trafficgen --help)\n", message.c_str());
  std::exit(2);
}

int fail(const Status& status) {
  std::fprintf(stderr, "vnet-trafficgen: %s\n", status.message().c_str());
  return 1;
}

// --name value pairs; every option must be known and given at most once.
class Options {
 public:
  Options(int argc, char** argv, int first, std::set<std::string> known) {
    for (int i = first; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        std::fputs(kUsage, stdout);
        std::exit(0);
      }
      if (arg.rfind("--", 0) != 0) {
        usage_error("unexpected argument '" + std::string(arg) + "'");
      }
      std::string name(arg.substr(2));
      std::optional<std::string> value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      }
      if (known.count(name) == 0) {
        usage_error("unknown option --" + name);
      }
      if (!value) {
        if (i + 1 >= argc) {
          usage_error("--" + name + " needs a value");
        }
        value = argv[++i];
      }
      if (!values_.emplace(name, *value).second) {
        usage_error("--" + name + " given twice");
      }
    }
  }

  std::optional<std::string> get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  std::string required(const std::string& name) const {
    auto v = get(name);
    if (!v || v->empty()) {
      usage_error("--" + name + " is required");
    }
    return *v;
  }

  std::uint64_t uint(const std::string& name, std::uint64_t def, std::uint64_t max) const {
    auto v = get(name);
    if (!v) {
      return def;
    }
    errno = 0;
    char* end = nullptr;
    unsigned long long n = std::strtoull(v->c_str(), &end, 0);
    if (v->empty() || *end != '\0' || errno != 0 || (*v)[0] == '-' || n > max) {
      usage_error("--" + name + ": '" + *v + "' is not an integer in 0.." + std::to_string(max));
    }
    return n;
  }

  double seconds(const std::string& name, double def) const {
    auto v = get(name);
    if (!v) {
      return def;
    }
    char* end = nullptr;
    double d = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !(d > 0)) {
      usage_error("--" + name + ": '" + *v + "' is not a positive number of seconds");
    }
    return d;
  }

  SinkMode mode() const {
    auto v = get("mode").value_or("xdp");
    if (v == "xdp") {
      return SinkMode::kXdp;
    }
    if (v == "tc") {
      return SinkMode::kTc;
    }
    usage_error("--mode must be xdp or tc, not '" + v + "'");
  }

  FloorMode floor_mode() const {
    auto v = required("mode");
    if (v == "decap") {
      return FloorMode::kDecap;
    }
    if (v == "encap") {
      return FloorMode::kEncap;
    }
    if (v == "xdp-encap") {
      return FloorMode::kXdpEncap;
    }
    usage_error("--mode must be decap, encap or xdp-encap, not '" + v + "'");
  }

 private:
  std::map<std::string, std::string> values_;
};

int cmd_gen(int argc, char** argv) {
  Options opt(argc, argv, 2,
              {"dev", "frame-hex", "flows", "flow-offset", "csum-offset", "restore", "duration",
               "batch-size", "cpu"});
  GenOptions gen;
  gen.dev = opt.required("dev");
  auto frame = parse_frame_hex(opt.required("frame-hex"));
  if (!frame) {
    return fail(frame.status());
  }
  gen.frame = std::move(*frame);
  gen.flows = static_cast<std::uint32_t>(opt.uint("flows", 1, kMaxFlows));
  gen.flow_offset = static_cast<std::uint32_t>(opt.uint("flow-offset", 0, 65535));
  gen.csum_offset = static_cast<std::uint32_t>(opt.uint("csum-offset", 0, 65535));
  gen.restore = static_cast<std::uint32_t>(opt.uint("restore", 0, TG_GEN_MAX_RESTORE));
  gen.duration_s = opt.seconds("duration", 5.0);
  gen.batch_size = static_cast<std::uint32_t>(opt.uint("batch-size", 0, kMaxBatchSize));
  if (opt.get("batch-size") && gen.batch_size == 0) {
    usage_error("--batch-size must be 1.." + std::to_string(kMaxBatchSize));
  }
  if (opt.get("cpu")) {
    gen.cpu = static_cast<int>(opt.uint("cpu", 0, CPU_SETSIZE - 1));
  }
  if (opt.get("flows") && gen.flows == 0) {
    usage_error("--flows must be at least 1");
  }
  auto report = run_generator(gen);
  if (!report) {
    return fail(report.status());
  }
  std::printf("%s\n", to_json(*report).c_str());
  return 0;
}

int cmd_sink(int argc, char** argv) {
  if (argc < 3) {
    usage_error("sink needs attach, read, reset or detach");
  }
  std::string_view sub = argv[2];
  if (sub == "attach") {
    Options opt(argc, argv, 3, {"dev", "pin", "mode"});
    Status st = sink_attach(opt.required("dev"), opt.required("pin"), opt.mode());
    return st ? 0 : fail(st);
  }
  if (sub == "read") {
    Options opt(argc, argv, 3, {"pin"});
    auto counters = sink_read(opt.required("pin"));
    if (!counters) {
      return fail(counters.status());
    }
    std::printf("%s\n", to_json(*counters).c_str());
    return 0;
  }
  if (sub == "reset") {
    Options opt(argc, argv, 3, {"pin"});
    Status st = sink_reset(opt.required("pin"));
    return st ? 0 : fail(st);
  }
  if (sub == "detach") {
    Options opt(argc, argv, 3, {"dev", "mode", "pin"});
    Status st = sink_detach(opt.required("dev"), opt.mode(), opt.get("pin"));
    return st ? 0 : fail(st);
  }
  usage_error("unknown sink command '" + std::string(sub) + "'");
}

int cmd_xdp_pass(int argc, char** argv) {
  if (argc < 3) {
    usage_error("xdp-pass needs attach or detach");
  }
  std::string_view sub = argv[2];
  Options opt(argc, argv, 3, {"dev"});
  Status st;
  if (sub == "attach") {
    st = xdp_pass_attach(opt.required("dev"));
  } else if (sub == "detach") {
    st = xdp_pass_detach(opt.required("dev"));
  } else {
    usage_error("unknown xdp-pass command '" + std::string(sub) + "'");
  }
  return st ? 0 : fail(st);
}

int cmd_floor(int argc, char** argv) {
  if (argc < 3) {
    usage_error("floor needs attach or detach");
  }
  std::string_view sub = argv[2];
  if (sub == "attach") {
    Options opt(argc, argv, 3, {"dev", "mode", "out", "outer"});
    FloorOptions floor;
    floor.dev = opt.required("dev");
    floor.mode = opt.floor_mode();
    floor.out = opt.required("out");
    if (floor.mode != FloorMode::kDecap) {
      auto outer = parse_hex(opt.required("outer"), "--outer");
      if (!outer) {
        return fail(outer.status());
      }
      floor.outer = std::move(*outer);
    } else if (opt.get("outer")) {
      usage_error("--outer is for --mode encap and xdp-encap");
    }
    Status st = floor_attach(floor);
    return st ? 0 : fail(st);
  }
  if (sub == "detach") {
    Options opt(argc, argv, 3, {"dev", "mode"});
    Status st = floor_detach(opt.required("dev"), opt.floor_mode());
    return st ? 0 : fail(st);
  }
  usage_error("unknown floor command '" + std::string(sub) + "'");
}

int cmd_c2c(int argc, char** argv) {
  Options opt(argc, argv, 2, {"cpus", "iterations"});
  C2cOptions c2c;
  if (auto cpus = opt.get("cpus")) {
    unsigned a = 0, b = 0;
    char end = 0;
    if (std::sscanf(cpus->c_str(), "%u,%u%c", &a, &b, &end) != 2 || a >= CPU_SETSIZE ||
        b >= CPU_SETSIZE || a == b) {
      usage_error("--cpus must be two different CPUs, A,B");
    }
    c2c.cpu_a = static_cast<int>(a);
    c2c.cpu_b = static_cast<int>(b);
  }
  c2c.iterations = static_cast<unsigned>(opt.uint("iterations", c2c.iterations, 100000000));
  if (c2c.iterations == 0) {
    usage_error("--iterations must be at least 1");
  }
  auto report = measure_c2c(c2c);
  if (!report) {
    return fail(report.status());
  }
  std::printf("%s\n", to_json(*report).c_str());
  return 0;
}

}  // namespace
}  // namespace vnet::trafficgen

int main(int argc, char** argv) {
  using namespace vnet::trafficgen;
  if (argc < 2) {
    usage_error("missing command");
  }
  setup_libbpf_logging();
  std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (cmd == "gen") {
    return cmd_gen(argc, argv);
  }
  if (cmd == "sink") {
    return cmd_sink(argc, argv);
  }
  if (cmd == "xdp-pass") {
    return cmd_xdp_pass(argc, argv);
  }
  if (cmd == "floor") {
    return cmd_floor(argc, argv);
  }
  if (cmd == "c2c") {
    return cmd_c2c(argc, argv);
  }
  usage_error("unknown command '" + std::string(cmd) + "'");
}

#include "sink.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include "abi.h"
#include "attach.h"
#include "util/unique_fd.h"
#include "skel.h"
#include "trafficgen_sink.skel.h"

namespace vnet::trafficgen {
namespace {

using SinkSkel = SkelPtr<trafficgen_sink, trafficgen_sink__destroy>;

std::string counters_path(const std::string& pin_dir) {
  return pin_dir + "/" + TG_SINK_MAP_NAME;
}

// Pins must outlive the command, so the directory must be on a bpffs
// (created if missing). `ip netns exec` hides /sys/fs/bpf: use one mounted
// elsewhere.
Status ensure_bpffs_dir(const std::string& pin_dir) {
  std::error_code ec;
  std::filesystem::create_directories(pin_dir, ec);
  if (ec) {
    return Status::error("create pin dir " + pin_dir + ": " + ec.message(), ec.value());
  }
  struct statfs fs {};
  if (statfs(pin_dir.c_str(), &fs) != 0) {
    return Status::os_error("statfs " + pin_dir, errno);
  }
  if (static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC) {
    return Status::error("pin dir " + pin_dir +
                         " is not on a bpffs (mount -t bpf bpf DIR; inside `ip netns exec` "
                         "/sys/fs/bpf is not the host's)");
  }
  return Status::ok();
}

// Opens the sink object with only `prog` to load (the map is created anyway).
Result<SinkSkel> open_sink(bpf_program* (*pick)(trafficgen_sink*)) {
  SinkSkel skel(trafficgen_sink__open());
  if (!skel) {
    return Status::os_error("open the sink's BPF object", errno);
  }
  bpf_program* keep = pick(skel.get());
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel->obj) {
    bpf_program__set_autoload(prog, prog == keep);
  }
  return skel;
}

bpf_program* pick_sink_xdp(trafficgen_sink* s) { return s->progs.tg_sink_xdp; }
bpf_program* pick_sink_tc(trafficgen_sink* s) { return s->progs.tg_sink_tc; }
bpf_program* pick_xdp_pass(trafficgen_sink* s) { return s->progs.tg_xdp_pass; }

const char* sink_prog_name(SinkMode mode) {
  return mode == SinkMode::kXdp ? "tg_sink_xdp" : "tg_sink_tc";
}

// The pinned counter map, checked to be the sink's.
Result<UniqueFd> open_counters(const std::string& pin_dir) {
  std::string path = counters_path(pin_dir);
  UniqueFd fd(bpf_obj_get(path.c_str()));
  if (!fd) {
    return Status::os_error("open sink counters " + path + " (no `sink attach --pin " + pin_dir +
                                "`?)",
                            errno);
  }
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
    return Status::os_error("info of " + path, errno);
  }
  if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.key_size != sizeof(__u32) ||
      info.value_size != sizeof(tg_sink_counters) || info.max_entries != 1) {
    return Status::error(path + " is not a trafficgen sink counter map");
  }
  return fd;
}

Result<int> possible_cpus() {
  int n = libbpf_num_possible_cpus();
  if (n <= 0) {
    return Status::os_error("count possible CPUs", n < 0 ? -n : EINVAL);
  }
  return n;
}

}  // namespace

Status sink_attach(const std::string& dev_name, const std::string& pin_dir, SinkMode mode) {
  auto dev = find_interface(dev_name);
  if (!dev) {
    return dev.status();
  }
  if (Status st = ensure_bpffs_dir(pin_dir); !st) {
    return st;
  }
  auto skel = open_sink(mode == SinkMode::kXdp ? pick_sink_xdp : pick_sink_tc);
  if (!skel) {
    return skel.status();
  }
  // An existing pin of a compatible map is reused (libbpf checks the layout).
  std::string path = counters_path(pin_dir);
  int err = bpf_map__set_pin_path((*skel)->maps.tg_sink_counters, path.c_str());
  if (err != 0) {
    return Status::os_error("set pin path " + path, -err);
  }
  err = trafficgen_sink__load(skel->get());
  if (err != 0) {
    return Status::os_error("load the sink (pin " + path + ")", -err);
  }
  if (mode == SinkMode::kXdp) {
    return attach_xdp(*dev, bpf_program__fd((*skel)->progs.tg_sink_xdp));
  }
  return attach_tc_ingress(*dev, bpf_program__fd((*skel)->progs.tg_sink_tc));
}

Result<SinkCounters> sink_read(const std::string& pin_dir) {
  auto fd = open_counters(pin_dir);
  if (!fd) {
    return fd.status();
  }
  auto ncpu = possible_cpus();
  if (!ncpu) {
    return ncpu.status();
  }
  std::vector<tg_sink_counters> per_cpu(static_cast<std::size_t>(*ncpu));
  __u32 key = 0;
  if (bpf_map_lookup_elem(fd->get(), &key, per_cpu.data()) != 0) {
    return Status::os_error("read " + counters_path(pin_dir), errno);
  }
  SinkCounters sum;
  for (const auto& c : per_cpu) {
    sum.packets += c.packets;
    sum.bytes += c.bytes;
  }
  return sum;
}

Status sink_reset(const std::string& pin_dir) {
  auto fd = open_counters(pin_dir);
  if (!fd) {
    return fd.status();
  }
  auto ncpu = possible_cpus();
  if (!ncpu) {
    return ncpu.status();
  }
  std::vector<tg_sink_counters> zero(static_cast<std::size_t>(*ncpu));
  __u32 key = 0;
  if (bpf_map_update_elem(fd->get(), &key, zero.data(), BPF_ANY) != 0) {
    return Status::os_error("reset " + counters_path(pin_dir), errno);
  }
  return Status::ok();
}

Status sink_detach(const std::string& dev_name, SinkMode mode,
                   const std::optional<std::string>& pin_dir) {
  auto dev = find_interface(dev_name);
  if (!dev) {
    return dev.status();
  }
  Status st = mode == SinkMode::kXdp ? detach_xdp(*dev, sink_prog_name(mode))
                                     : detach_tc_ingress(*dev, sink_prog_name(mode));
  if (!st) {
    return st;
  }
  if (pin_dir) {
    // Check it is ours before removing anything.
    auto fd = open_counters(*pin_dir);
    if (!fd) {
      return fd.status().err() == ENOENT ? Status::ok() : fd.status();
    }
    if (unlink(counters_path(*pin_dir).c_str()) != 0 && errno != ENOENT) {
      return Status::os_error("unpin " + counters_path(*pin_dir), errno);
    }
  }
  return Status::ok();
}

Status xdp_pass_attach(const std::string& dev_name) {
  auto dev = find_interface(dev_name);
  if (!dev) {
    return dev.status();
  }
  auto skel = open_sink(pick_xdp_pass);
  if (!skel) {
    return skel.status();
  }
  int err = trafficgen_sink__load(skel->get());
  if (err != 0) {
    return Status::os_error("load tg_xdp_pass", -err);
  }
  return attach_xdp(*dev, bpf_program__fd((*skel)->progs.tg_xdp_pass));
}

Status xdp_pass_detach(const std::string& dev_name) {
  auto dev = find_interface(dev_name);
  if (!dev) {
    return dev.status();
  }
  return detach_xdp(*dev, "tg_xdp_pass");
}

std::string to_json(const SinkCounters& counters) {
  return "{\"packets\":" + std::to_string(counters.packets) +
         ",\"bytes\":" + std::to_string(counters.bytes) + "}";
}

}  // namespace vnet::trafficgen

#include "attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>

#include "abi.h"
#include "util/unique_fd.h"

namespace vnet::trafficgen {
namespace {

thread_local bool libbpf_quiet = false;

int libbpf_print(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || libbpf_quiet) {
    return 0;
  }
  return std::vfprintf(stderr, format, args);
}

Result<AttachedProg> prog_by_id(std::uint32_t id) {
  UniqueFd fd(bpf_prog_get_fd_by_id(id));
  if (!fd) {
    return Status::os_error("open program id " + std::to_string(id), errno);
  }
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) {
    return Status::os_error("info of program id " + std::to_string(id), errno);
  }
  return AttachedProg{id, info.name};
}

std::string describe(const AttachedProg& prog) {
  return "program " + std::to_string(prog.id) + " (" + (prog.name.empty() ? "?" : prog.name) + ")";
}

Result<AttachedProg> prog_by_fd(int fd) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) {
    return Status::os_error("info of program fd " + std::to_string(fd), errno);
  }
  return AttachedProg{info.id, info.name};
}

}  // namespace

void setup_libbpf_logging() { libbpf_set_print(libbpf_print); }

LibbpfQuiet::LibbpfQuiet() : was_quiet_(libbpf_quiet) { libbpf_quiet = true; }
LibbpfQuiet::~LibbpfQuiet() { libbpf_quiet = was_quiet_; }

Result<Interface> find_interface(const std::string& name) {
  unsigned int ifindex = if_nametoindex(name.c_str());
  if (ifindex == 0) {
    return Status::os_error("interface " + name + " (not in this network namespace?)", errno);
  }
  return Interface{name, ifindex};
}

Result<std::optional<AttachedProg>> query_xdp(const Interface& dev) {
  __u32 id = 0;
  int err = bpf_xdp_query_id(static_cast<int>(dev.ifindex), XDP_FLAGS_DRV_MODE, &id);
  if (err < 0) {
    return Status::os_error("query XDP on " + dev.name, -err);
  }
  if (id == 0) {
    return std::optional<AttachedProg>();
  }
  auto prog = prog_by_id(id);
  if (!prog) {
    return std::optional<AttachedProg>(AttachedProg{id, ""});
  }
  return std::optional<AttachedProg>(*prog);
}

Status attach_xdp(const Interface& dev, int prog_fd) {
  auto current = query_xdp(dev);
  if (!current) {
    return current.status();
  }
  auto mine = prog_by_fd(prog_fd);
  if (!mine) {
    return mine.status();
  }
  __u32 flags = XDP_FLAGS_DRV_MODE;
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
  UniqueFd old_fd;
  if (current->has_value()) {
    const AttachedProg& cur = **current;
    // Replacing another program (even another of ours: the sink over
    // xdp-pass) would silently change what the device does.
    if (cur.name != mine->name) {
      return Status::error("XDP on " + dev.name + ": " + describe(cur) +
                               " is already attached; detach it first",
                           EBUSY);
    }
    old_fd.reset(bpf_prog_get_fd_by_id(cur.id));
    if (!old_fd) {
      return Status::os_error("XDP on " + dev.name + ": open attached " + describe(cur), errno);
    }
    // Swaps only if `old_fd` is still attached: a concurrent change fails.
    flags |= XDP_FLAGS_REPLACE;
    opts.old_prog_fd = old_fd.get();
  }
  int err = bpf_xdp_attach(static_cast<int>(dev.ifindex), prog_fd, flags, &opts);
  if (err < 0) {
    std::string ctx = "attach XDP " + mine->name + " (driver mode) to " + dev.name;
    if (-err == EEXIST && !current->has_value()) {
      ctx += " (a generic/skb-mode XDP program is attached)";
    }
    return Status::os_error(ctx, -err);
  }
  return Status::ok();
}

Status detach_xdp(const Interface& dev, const std::string& expected_name) {
  auto current = query_xdp(dev);
  if (!current) {
    return current.status();
  }
  if (!current->has_value()) {
    return Status::ok();
  }
  const AttachedProg& cur = **current;
  if (cur.name != expected_name) {
    return Status::error("XDP on " + dev.name + ": attached " + describe(cur) + " is not " +
                             expected_name + "; left alone",
                         EBUSY);
  }
  UniqueFd old_fd(bpf_prog_get_fd_by_id(cur.id));
  if (!old_fd) {
    return Status::os_error("XDP on " + dev.name + ": open attached " + describe(cur), errno);
  }
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd.get());
  int err = bpf_xdp_detach(static_cast<int>(dev.ifindex), XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE,
                           &opts);
  if (err < 0) {
    return Status::os_error("detach XDP " + describe(cur) + " from " + dev.name, -err);
  }
  return Status::ok();
}

Result<std::optional<AttachedProg>> query_tc_ingress(const Interface& dev) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(dev.ifindex),
              .attach_point = BPF_TC_INGRESS);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
  int err = 0;
  {
    LibbpfQuiet quiet;  // "no such filter/qdisc" is an answer here
    err = bpf_tc_query(&hook, &opts);
  }
  // No clsact (EINVAL from the qdisc lookup) or no filter: nothing attached.
  if (err == -ENOENT || err == -EINVAL) {
    return std::optional<AttachedProg>();
  }
  if (err < 0) {
    return Status::os_error("query tc ingress filter on " + dev.name, -err);
  }
  auto prog = prog_by_id(opts.prog_id);
  if (!prog) {
    return std::optional<AttachedProg>(AttachedProg{opts.prog_id, ""});
  }
  return std::optional<AttachedProg>(*prog);
}

Status attach_tc_ingress(const Interface& dev, int prog_fd) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(dev.ifindex),
              .attach_point = BPF_TC_INGRESS);
  int err = 0;
  {
    LibbpfQuiet quiet;  // clsact already there is fine
    err = bpf_tc_hook_create(&hook);
  }
  if (err < 0 && err != -EEXIST) {
    return Status::os_error("create clsact on " + dev.name, -err);
  }
  auto current = query_tc_ingress(dev);
  if (!current) {
    return current.status();
  }
  auto mine = prog_by_fd(prog_fd);
  if (!mine) {
    return mine.status();
  }
  if (current->has_value() && (*current)->name != mine->name) {
    return Status::error("tc ingress on " + dev.name + ": " + describe(**current) +
                             " holds trafficgen's handle/priority; left alone",
                         EBUSY);
  }
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
              .handle = kTcHandle, .priority = kTcPriority);
  err = bpf_tc_attach(&hook, &opts);
  if (err < 0) {
    return Status::os_error("attach tc ingress filter to " + dev.name, -err);
  }
  return Status::ok();
}

Status detach_tc_ingress(const Interface& dev, const std::string& expected_name) {
  auto current = query_tc_ingress(dev);
  if (!current) {
    return current.status();
  }
  if (!current->has_value()) {
    return Status::ok();
  }
  if ((*current)->name != expected_name) {
    return Status::error("tc ingress on " + dev.name + ": " + describe(**current) + " is not " +
                             expected_name + "; left alone",
                         EBUSY);
  }
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(dev.ifindex),
              .attach_point = BPF_TC_INGRESS);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
  int err = bpf_tc_detach(&hook, &opts);
  if (err < 0 && err != -ENOENT) {
    return Status::os_error("detach tc ingress filter from " + dev.name, -err);
  }
  return Status::ok();
}

}  // namespace vnet::trafficgen

#include "datapath/attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>

#include "util/unique_fd.h"

namespace vnet::datapath {
namespace {

std::string describe_if(std::uint32_t ifindex) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(ifindex, name) != nullptr) {
    return std::string(name) + " (ifindex " + std::to_string(ifindex) + ")";
  }
  return "ifindex " + std::to_string(ifindex);
}

Status refuse_foreign(const char* hook, std::uint32_t ifindex, const ProgInfo& current) {
  return Status::error(std::string(hook) + " on " + describe_if(ifindex) +
                           " already runs a program vnet did not load (id " +
                           std::to_string(current.id) + ", name \"" + current.name +
                           "\"); refusing to replace it",
                       EEXIST);
}

// libbpf prints the kernel's extended ack for every failed tc netlink
// request, including the expected ones: "Cannot find specified filter
// chain" for a query on a hook without a filter, "Exclusivity flag on" for
// creating a clsact that exists. Mute it around those two calls only; their
// real failures are still returned as Status with errno.
class QuietLibbpf {
 public:
  QuietLibbpf() : saved_(libbpf_set_print(nullptr)) {}
  ~QuietLibbpf() { libbpf_set_print(saved_); }
  QuietLibbpf(const QuietLibbpf&) = delete;
  QuietLibbpf& operator=(const QuietLibbpf&) = delete;

 private:
  libbpf_print_fn_t saved_;
};

}  // namespace

bool is_vnet_program(const std::string& name) { return name.rfind("vnet_", 0) == 0; }

Result<ProgInfo> prog_info_by_fd(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) {
    return Status::os_error("program info", errno);
  }
  return ProgInfo{info.id, info.name};
}

Result<ProgInfo> prog_info_by_id(std::uint32_t id) {
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) {
    return Status::os_error("program id " + std::to_string(id), errno);
  }
  UniqueFd owned(fd);
  return prog_info_by_fd(owned.get());
}

Result<std::optional<ProgInfo>> query_xdp(std::uint32_t ifindex) {
  __u32 id = 0;
  int err = bpf_xdp_query_id(static_cast<int>(ifindex), XDP_FLAGS_DRV_MODE, &id);
  if (err < 0) {
    return Status::os_error("query XDP on " + describe_if(ifindex), -err);
  }
  if (id == 0) {
    return std::optional<ProgInfo>();
  }
  auto info = prog_info_by_id(id);
  if (!info) {
    // Replaced or detached between the two calls: report what we saw.
    return std::optional<ProgInfo>(ProgInfo{id, ""});
  }
  return std::optional<ProgInfo>(*info);
}

Status attach_xdp(std::uint32_t ifindex, int prog_fd) {
  auto mine = prog_info_by_fd(prog_fd);
  if (!mine) {
    return mine.status();
  }
  auto current = query_xdp(ifindex);
  if (!current) {
    return current.status();
  }
  __u32 flags = XDP_FLAGS_DRV_MODE;
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
  UniqueFd old_fd;
  if (current->has_value()) {
    const ProgInfo& cur = **current;
    if (cur.id == mine->id) {
      return Status::ok();
    }
    if (!is_vnet_program(cur.name)) {
      return refuse_foreign("XDP", ifindex, cur);
    }
    old_fd.reset(bpf_prog_get_fd_by_id(cur.id));
    if (!old_fd) {
      return Status::os_error("XDP on " + describe_if(ifindex) + ": open attached program " +
                                  std::to_string(cur.id),
                              errno);
    }
    // The kernel swaps only if `old_fd` is still the attached program, so a
    // concurrent change fails (EEXIST) instead of being overwritten.
    flags |= XDP_FLAGS_REPLACE;
    opts.old_prog_fd = old_fd.get();
  }
  int err = bpf_xdp_attach(static_cast<int>(ifindex), prog_fd, flags, &opts);
  if (err < 0) {
    std::string ctx = "attach XDP (driver mode) to " + describe_if(ifindex);
    if (-err == EEXIST && !current->has_value()) {
      ctx += " (a generic/skb-mode XDP program is attached; native and generic cannot coexist)";
    }
    return Status::os_error(ctx, -err);
  }
  return Status::ok();
}

Result<std::optional<ProgInfo>> query_tc_ingress(std::uint32_t ifindex) {
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex),
              .attach_point = BPF_TC_INGRESS);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
  int err;
  {
    QuietLibbpf quiet;
    err = bpf_tc_query(&hook, &opts);
  }
  if (err < 0) {
    // ENOENT: no such filter; EINVAL: no clsact qdisc to hold one.
    if (-err == ENOENT || -err == EINVAL) {
      return std::optional<ProgInfo>();
    }
    return Status::os_error("query tc ingress on " + describe_if(ifindex), -err);
  }
  auto info = prog_info_by_id(opts.prog_id);
  if (!info) {
    return std::optional<ProgInfo>(ProgInfo{opts.prog_id, ""});
  }
  return std::optional<ProgInfo>(*info);
}

Status attach_tc_ingress(std::uint32_t ifindex, int prog_fd) {
  auto mine = prog_info_by_fd(prog_fd);
  if (!mine) {
    return mine.status();
  }
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex),
              .attach_point = BPF_TC_INGRESS);
  // clsact is shared with whatever else uses tc on the interface: create it
  // if missing, never destroy it.
  int err;
  {
    QuietLibbpf quiet;  // EEXIST ("Exclusivity flag on") is the common case
    err = bpf_tc_hook_create(&hook);
  }
  if (err < 0 && -err != EEXIST) {
    return Status::os_error("create clsact on " + describe_if(ifindex), -err);
  }
  auto current = query_tc_ingress(ifindex);
  if (!current) {
    return current.status();
  }
  if (current->has_value()) {
    const ProgInfo& cur = **current;
    if (cur.id == mine->id) {
      return Status::ok();
    }
    if (!is_vnet_program(cur.name)) {
      return refuse_foreign("tc ingress filter (handle 1, priority 1)", ifindex, cur);
    }
  }
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
              .handle = kTcHandle, .priority = kTcPriority);
  err = bpf_tc_attach(&hook, &opts);
  if (err < 0) {
    return Status::os_error("attach tc ingress to " + describe_if(ifindex), -err);
  }
  return Status::ok();
}

Status detach_xdp(std::uint32_t ifindex) {
  auto current = query_xdp(ifindex);
  if (!current) {
    return current.status();
  }
  if (!current->has_value() || !is_vnet_program((*current)->name)) {
    return Status::ok();
  }
  UniqueFd old_fd(bpf_prog_get_fd_by_id((*current)->id));
  if (!old_fd) {
    return errno == ENOENT ? Status::ok()
                           : Status::os_error("detach XDP from " + describe_if(ifindex), errno);
  }
  LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd.get());
  int err = bpf_xdp_detach(static_cast<int>(ifindex), XDP_FLAGS_DRV_MODE | XDP_FLAGS_REPLACE, &opts);
  if (err < 0 && -err != ENODEV) {
    return Status::os_error("detach XDP from " + describe_if(ifindex), -err);
  }
  return Status::ok();
}

Status detach_tc_ingress(std::uint32_t ifindex) {
  auto current = query_tc_ingress(ifindex);
  if (!current) {
    return current.status();
  }
  if (!current->has_value() || !is_vnet_program((*current)->name)) {
    return Status::ok();
  }
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex),
              .attach_point = BPF_TC_INGRESS);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
  int err = bpf_tc_detach(&hook, &opts);
  if (err < 0 && -err != ENOENT && -err != ENODEV) {
    return Status::os_error("detach tc ingress from " + describe_if(ifindex), -err);
  }
  return Status::ok();
}

}  // namespace vnet::datapath

#pragma once
// Attaching vnet's programs so they outlive vnetd: XDP through netlink in
// driver mode, tc as a cls_bpf filter (direct action) on the clsact ingress
// hook at a fixed handle and priority. Both replace atomically (XDP with
// XDP_FLAGS_REPLACE and the expected old program, tc with BPF_TC_F_REPLACE),
// so a restarted or upgraded vnetd swaps programs without a dropped packet.
// A program that is not vnet's ("vnet_" name prefix) is never replaced.

#include <cstdint>
#include <optional>
#include <string>

#include "util/result.h"

namespace vnet::datapath {

// Where vnet's cls_bpf filter lives on every hook it uses.
inline constexpr std::uint32_t kTcHandle = 1;
inline constexpr std::uint32_t kTcPriority = 1;

struct ProgInfo {
  std::uint32_t id = 0;
  std::string name;  // as the kernel keeps it (truncated to 15 characters)
};

// True for programs vnet loaded (any version): they may be replaced.
bool is_vnet_program(const std::string& name);

Result<ProgInfo> prog_info_by_fd(int prog_fd);
Result<ProgInfo> prog_info_by_id(std::uint32_t id);

// The driver-mode XDP program on `ifindex`, if any.
Result<std::optional<ProgInfo>> query_xdp(std::uint32_t ifindex);
// Attaches `prog_fd` in driver mode, replacing vnet's previous program
// atomically. No-op if it is already attached.
Status attach_xdp(std::uint32_t ifindex, int prog_fd);

// Removes vnet's driver-mode XDP program from `ifindex` (an interface that
// stopped being the underlay). A foreign program is left alone; none is fine.
Status detach_xdp(std::uint32_t ifindex);

// The program of vnet's filter (handle 1, priority 1) on the ingress hook.
Result<std::optional<ProgInfo>> query_tc_ingress(std::uint32_t ifindex);
// Creates clsact if missing (never deletes it) and installs or replaces the
// filter. No-op if `prog_fd` is already the filter's program.
Status attach_tc_ingress(std::uint32_t ifindex, int prog_fd);

// Removes vnet's filter (handle 1, priority 1) from the ingress hook; the
// clsact qdisc stays. A foreign filter is left alone; none is fine.
Status detach_tc_ingress(std::uint32_t ifindex);

}  // namespace vnet::datapath

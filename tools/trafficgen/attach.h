#pragma once
// Attaching trafficgen's programs so they outlive the command: XDP through
// netlink in driver mode, tc as a cls_bpf filter (direct action) on clsact
// ingress at its own handle and priority (never vnet's). A program is only
// ever replaced by a newer copy of itself (same name) and only removed by
// the command that attached it; anything else attached is an error, never
// overwritten.

#include <cstdint>
#include <optional>
#include <string>

#include "util/result.h"

namespace vnet::trafficgen {

// Routes libbpf's messages to stderr, except while a LibbpfQuiet is alive
// (queries whose "not found" is an expected answer, not an error).
void setup_libbpf_logging();

class LibbpfQuiet {
 public:
  LibbpfQuiet();
  ~LibbpfQuiet();
  LibbpfQuiet(const LibbpfQuiet&) = delete;
  LibbpfQuiet& operator=(const LibbpfQuiet&) = delete;

 private:
  bool was_quiet_;
};

// trafficgen's cls_bpf filter on clsact ingress ('tg'; vnet uses 1/1).
inline constexpr std::uint32_t kTcHandle = 0x7467;
inline constexpr std::uint32_t kTcPriority = 0x7467;

struct Interface {
  std::string name;
  std::uint32_t ifindex = 0;
};

// The interface called `name` in this network namespace.
Result<Interface> find_interface(const std::string& name);

struct AttachedProg {
  std::uint32_t id = 0;
  std::string name;  // "" if it vanished while we looked
};

// The driver-mode XDP program on the interface, if any.
Result<std::optional<AttachedProg>> query_xdp(const Interface& dev);
// Attaches `prog_fd` in driver mode; replaces a program of the same name
// atomically, refuses any other.
Status attach_xdp(const Interface& dev, int prog_fd);
// Removes the driver-mode program if it is `expected_name`; none attached
// is fine, another program is an error.
Status detach_xdp(const Interface& dev, const std::string& expected_name);

// Our filter on clsact ingress, if any.
Result<std::optional<AttachedProg>> query_tc_ingress(const Interface& dev);
// Creates clsact if missing and installs our filter (replacing a program of
// the same name there).
Status attach_tc_ingress(const Interface& dev, int prog_fd);
// Removes our filter if it runs `expected_name`; clsact stays (others may
// use it). None attached is fine.
Status detach_tc_ingress(const Interface& dev, const std::string& expected_name);

}  // namespace vnet::trafficgen

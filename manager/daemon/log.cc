#include "daemon/log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <algorithm>
#include <cstdio>
#include <string>

namespace vnet::daemon {
namespace {

std::string g_prefix = "vnetd";
LogLevel g_min = LogLevel::kInfo;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  LogLevel ours = level == LIBBPF_WARN ? LogLevel::kWarn : LogLevel::kDebug;
  if (ours < g_min) {
    return 0;
  }
  char buf[4096];
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  std::string line(buf, n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof(buf) - 1));
  while (!line.empty() && line.back() == '\n') {
    line.pop_back();
  }
  // libbpf prefixes most of its own lines with "libbpf: " already.
  if (line.rfind("libbpf: ", 0) != 0) {
    line = "libbpf: " + line;
  }
  log(ours, line);
  return n;
}

}  // namespace

void set_log_prefix(const std::string& host) { g_prefix = "vnetd[" + host + "]"; }

void set_log_level(LogLevel min_level) { g_min = min_level; }

void log(LogLevel level, const std::string& message) {
  if (level < g_min) {
    return;
  }
  // One fprintf per line so concurrent vnetd on one terminal do not interleave mid-line.
  std::fprintf(stderr, "%s: %s: %s\n", g_prefix.c_str(), level_name(level), message.c_str());
}

void install_libbpf_logger() { libbpf_set_print(libbpf_print); }

}  // namespace vnet::daemon

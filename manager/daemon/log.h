#pragma once
// vnetd's log: one line per event on stderr, "vnetd[<host>]: <level>: <msg>"
// (the host name tells apart several vnetd sharing a terminal or journal in
// a lab). Quiet at steady state: callers log changes, not ticks.

#include <string>

namespace vnet::daemon {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void set_log_prefix(const std::string& host);
void set_log_level(LogLevel min_level);

void log(LogLevel level, const std::string& message);
inline void log_debug(const std::string& m) { log(LogLevel::kDebug, m); }
inline void log_info(const std::string& m) { log(LogLevel::kInfo, m); }
inline void log_warn(const std::string& m) { log(LogLevel::kWarn, m); }
inline void log_error(const std::string& m) { log(LogLevel::kError, m); }

// Routes libbpf's messages (verifier logs, pinned-map mismatches) into the
// log: warnings always, debug output only at kDebug.
void install_libbpf_logger();

}  // namespace vnet::daemon

// vnetd entry point: parse flags, build the daemon, run its loop.

#include <cstdio>
#include <variant>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/options.h"

int main(int argc, char** argv) {
  auto parsed = vnet::daemon::parse_options(argc, argv);
  if (std::holds_alternative<int>(parsed)) {
    return std::get<int>(parsed);
  }
  const auto& opts = std::get<vnet::daemon::Options>(parsed);
  vnet::daemon::set_log_prefix(opts.host);
  if (opts.verbose) {
    vnet::daemon::set_log_level(vnet::daemon::LogLevel::kDebug);
  }
  auto daemon = vnet::daemon::Daemon::create(opts);
  if (!daemon) {
    vnet::daemon::log_error(daemon.status().message());
    return 1;
  }
  return (*daemon)->run();
}

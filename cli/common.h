#pragma once
// What every vnetctl command shares: global options, exit codes, reading
// topology files, opening the store, error printing.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "topology/parser.h"

namespace vnet::cli {

// 0 success; 1 failure or invalid input (`diff`: changes found); 2 usage
// error (`diff`: any error).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Globals {
  std::string store_url;
  std::string socket;
};

// "vnetctl: <message>" on stderr.
void print_error(const std::string& message);

// Diagnostics as "file:line:col: message" on stderr (just the message for
// objects that no longer have a source position, e.g. read from the store).
void print_diagnostics(const std::vector<topology::Diagnostic>& errors);

// (name, text) for each path; "-" reads standard input, a directory reads
// its *.yaml and *.yml files in name order.
Result<std::vector<std::pair<std::string, std::string>>> read_inputs(
    const std::vector<std::string>& paths);

// Reads and validates topology files. On failure prints why (unreadable
// file, or every diagnostic) and returns nullopt.
std::optional<topology::Topology> load_topology(const std::vector<std::string>& paths);

// Opens the store named by --store / VNET_STORE; prints why on failure.
std::unique_ptr<store::Store> open_store_or_report(const Globals& globals);

// The desired state as the store holds it.
struct Desired {
  std::optional<store::StoredState> stored;  // nullopt: nothing applied yet
  // The stored topology, or an empty one when nothing was applied.
  const topology::Topology& topology() const;
};
// Reads the desired state; prints why and returns nullopt when it cannot.
std::optional<Desired> load_desired_or_report(store::Store& store);

// Wall-clock milliseconds, the clock of HostStatus::heartbeat_unix_ms.
std::int64_t now_unix_ms();

}  // namespace vnet::cli

#pragma once
// The vnetctl commands. main.cc parses the command line (CLI11) and calls
// one of these; each returns the process exit code (common.h) and prints
// its own output and errors.

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "output/document.h"

namespace vnet::cli {

// apply --wait without a value.
inline constexpr double kDefaultWaitSeconds = 30;

int cmd_validate(const std::vector<std::string>& files);

struct ApplyOptions {
  std::vector<std::string> files;
  bool dry_run = false;
  std::optional<double> wait_seconds;  // --wait[=SECONDS]
};
int cmd_apply(const Globals& globals, const ApplyOptions& options);

int cmd_diff(const Globals& globals, const std::vector<std::string>& files);

struct GetOptions {
  std::optional<std::string> kind;
  std::optional<std::string> name;
  output::Format format = output::Format::kTable;
};
int cmd_get(const Globals& globals, const GetOptions& options);

struct DeleteOptions {
  std::vector<std::string> files;
  std::optional<std::string> kind;
  std::optional<std::string> name;
};
int cmd_delete(const Globals& globals, const DeleteOptions& options);

int cmd_status(const Globals& globals, output::Format format);

int cmd_stats(const Globals& globals, const std::string& endpoint, output::Format format);

}  // namespace vnet::cli

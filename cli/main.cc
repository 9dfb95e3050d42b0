// vnetctl: validate and apply topologies, show the desired state and the
// hosts' progress, read live counters from a vnetd. Parses the command line
// and hands over to commands.h.

#include <cstdlib>
#include <optional>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "daemon/control.h"

namespace {

using vnet::cli::kExitOk;
using vnet::cli::kExitUsage;

constexpr const char* kOutputHelp = "Output format: table, yaml or json";

// --wait, --wait=N, --wait N (seconds, fractions allowed, optional "s").
std::optional<double> parse_wait(const std::string& text) {
  std::string t = text;
  if (!t.empty() && t.back() == 's') {
    t.pop_back();
  }
  if (t.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end == nullptr || *end != '\0' || !(v >= 0) || v > 86400 * 365) {
    return std::nullopt;
  }
  return v;
}

// The first word that is neither a global option nor its value, if it is
// not a command.
std::optional<std::string> unknown_command(int argc, char** argv, CLI::App& app) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--store" || arg == "--socket") {
      ++i;  // its value
      continue;
    }
    if (arg.empty() || arg[0] == '-') {
      continue;
    }
    for (const CLI::App* sub : app.get_subcommands({})) {
      if (sub->get_name() == arg) {
        return std::nullopt;
      }
    }
    return arg;
  }
  return std::nullopt;
}

class OutputFormat {
 public:
  void add(CLI::App* cmd) {
    cmd->add_option("-o,--output", text_, kOutputHelp)
        ->check(CLI::IsMember({"table", "yaml", "json"}))
        ->default_str("table");
  }
  vnet::output::Format get() const {
    return vnet::output::parse_format(text_).value_or(vnet::output::Format::kTable);
  }

 private:
  std::string text_ = "table";
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "vnetctl: manage a vnet overlay (VXLAN, eBPF datapath).\n"
      "Validates and applies YAML topologies to the store that every vnetd watches,\n"
      "shows the desired state and the hosts' progress, and reads live counters."};
  app.name("vnetctl");
  app.require_subcommand(1);
  app.fallthrough();  // global options also after the subcommand
  app.footer(
      "Global options (--store, env VNET_STORE; --socket, env VNET_SOCKET) may also follow\n"
      "the command. Exit codes: 0 success, 1 failure or invalid input, 2 usage error\n"
      "(diff: 0 no change, 1 changes, 2 error).");

  vnet::cli::Globals globals;
  globals.store_url = vnet::store::kDefaultStoreUrl;
  globals.socket = vnet::control::kDefaultSocket;
  app.add_option("--store", globals.store_url,
                 "Store URL: file:DIR or etcd://HOST:PORT[,...]")
      ->envname("VNET_STORE")
      ->capture_default_str();
  app.add_option("--socket", globals.socket, "vnetd control socket (stats)")
      ->envname("VNET_SOCKET")
      ->capture_default_str();

  // validate
  std::vector<std::string> validate_files;
  auto* validate = app.add_subcommand(
      "validate", "Check topology files without storing anything (exit 1 if invalid)");
  validate->add_option("-f,--filename", validate_files,
                       "Topology file(s); '-' reads stdin, a directory its *.yaml")
      ->required();

  // apply
  vnet::cli::ApplyOptions apply_options;
  std::string wait_text;
  auto* apply = app.add_subcommand(
      "apply", "Validate the merged files and store them as the new desired state");
  apply->add_option("-f,--filename", apply_options.files,
                    "Topology file(s); together they are the whole desired state")
      ->required();
  apply->add_flag("--dry-run", apply_options.dry_run,
                  "Print what would change; store nothing");
  auto* wait_opt =
      apply
          ->add_option("--wait", wait_text,
                       "Wait until every host with a live vnetd has applied the new "
                       "generation (default timeout " +
                           std::to_string(static_cast<int>(vnet::cli::kDefaultWaitSeconds)) +
                           "s)")
          ->expected(0, 1)
          ->type_name("[=SECONDS]");

  // diff
  std::vector<std::string> diff_files;
  auto* diff = app.add_subcommand(
      "diff", "Show what apply would change (exit 0 no change, 1 changes, 2 error)");
  diff->add_option("-f,--filename", diff_files, "Topology file(s)")->required();

  // get
  vnet::cli::GetOptions get_options;
  std::string get_kind;
  std::string get_name;
  OutputFormat get_format;
  auto* get = app.add_subcommand("get", "Show the stored desired state");
  get->add_option("KIND", get_kind,
                  "hosts | networks | endpoints | routers | security-groups (singular and "
                  "'sg' too); all when omitted");
  get->add_option("NAME", get_name, "Only this object");
  get_format.add(get);
  get->footer("-o yaml without a kind prints a document that `apply` accepts and that "
              "reproduces the same topology. security-groups shows one row per rule, then "
              "each group's members; with -o yaml|json each group also lists its members "
              "(read-only, not apply input).");

  // delete
  vnet::cli::DeleteOptions delete_options;
  std::string delete_kind;
  std::string delete_name;
  auto* del = app.add_subcommand(
      "delete", "Remove objects from the desired state: -f FILE... or KIND NAME");
  del->add_option("-f,--filename", delete_options.files,
                  "Delete the objects these files name (by kind and name)");
  del->add_option("KIND", delete_kind, "hosts | networks | endpoints | routers | security-groups");
  del->add_option("NAME", delete_name, "Name of the object to delete");

  // status
  OutputFormat status_format;
  auto* status = app.add_subcommand(
      "status", "Per host: applied generation, state (ok/error/starting/down), heartbeat, errors");
  status_format.add(status);

  // stats
  std::string stats_endpoint;
  OutputFormat stats_format;
  auto* stats = app.add_subcommand("stats", "Live counters from the vnetd at --socket");
  stats->add_option("ENDPOINT", stats_endpoint, "Only this endpoint (default: all)");
  stats_format.add(stats);

  // CLI11 reports an unknown command as "A subcommand is required"; say
  // what is wrong instead.
  if (const auto unknown = unknown_command(argc, argv, app)) {
    std::cerr << "vnetctl: unknown command '" << *unknown
              << "' (expected validate, apply, diff, get, delete, status or stats; see --help)\n";
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (wait_opt->count() > 0) {
    if (wait_text.empty()) {
      apply_options.wait_seconds = vnet::cli::kDefaultWaitSeconds;
    } else {
      apply_options.wait_seconds = parse_wait(wait_text);
      if (!apply_options.wait_seconds) {
        std::cerr << "vnetctl: --wait: expected a number of seconds, got '" << wait_text
                  << "'\n";
        return kExitUsage;
      }
    }
  }

  if (*validate) {
    return vnet::cli::cmd_validate(validate_files);
  }
  if (*apply) {
    return vnet::cli::cmd_apply(globals, apply_options);
  }
  if (*diff) {
    return vnet::cli::cmd_diff(globals, diff_files);
  }
  if (*get) {
    if (!get_kind.empty()) {
      get_options.kind = get_kind;
    }
    if (!get_name.empty()) {
      get_options.name = get_name;
    }
    get_options.format = get_format.get();
    return vnet::cli::cmd_get(globals, get_options);
  }
  if (*del) {
    if (!delete_kind.empty()) {
      delete_options.kind = delete_kind;
    }
    if (!delete_name.empty()) {
      delete_options.name = delete_name;
    }
    return vnet::cli::cmd_delete(globals, delete_options);
  }
  if (*status) {
    return vnet::cli::cmd_status(globals, status_format.get());
  }
  if (*stats) {
    return vnet::cli::cmd_stats(globals, stats_endpoint, stats_format.get());
  }
  return kExitUsage;
}

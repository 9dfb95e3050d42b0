// get and status: the commands that show the stored state.

#include <iostream>
#include <string>
#include <unordered_map>

#include "commands.h"
#include "topology_doc.h"
#include "wait.h"

namespace vnet::cli {

namespace {

using output::Value;

std::string render(const Value& doc, output::Format format) {
  return format == output::Format::kJson ? output::to_json(doc) : output::to_yaml(doc);
}

const char* state_name(store::HostState state) {
  switch (state) {
    case store::HostState::kStarting: return "starting";
    case store::HostState::kOk: return "ok";
    case store::HostState::kError: return "error";
  }
  return "unknown";
}

// "0.4s", "12s", "5m3s", "2h10m": short enough for a table cell.
std::string age_text(std::int64_t ms) {
  if (ms < 0) {
    ms = 0;  // a heartbeat from a clock slightly ahead of ours
  }
  if (ms < 10'000) {
    return std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 / 100) + "s";
  }
  const std::int64_t s = ms / 1000;
  if (s < 120) {
    return std::to_string(s) + "s";
  }
  if (s < 7200) {
    return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  }
  if (s < 172800) {
    return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
  }
  return std::to_string(s / 86400) + "d";
}

}  // namespace

int cmd_get(const Globals& globals, const GetOptions& options) {
  std::optional<ObjectKind> kind;
  if (options.kind) {
    kind = parse_kind(*options.kind);
    if (!kind) {
      print_error("unknown kind '" + *options.kind + "' (expected " + kind_choices() + ")");
      return kExitUsage;
    }
  }
  const auto store = open_store_or_report(globals);
  if (!store) {
    return kExitFailure;
  }
  const auto current = load_desired_or_report(*store);
  if (!current) {
    return kExitFailure;
  }
  if (!current->stored) {
    print_error("nothing applied yet in " + globals.store_url);
  }
  const topology::Topology& topo = current->topology();

  const auto not_found = [&] {
    print_error(std::string(kind_name(*kind)) + " " + *options.name + " not found");
    return kExitFailure;
  };
  if (options.format == output::Format::kTable) {
    std::string out;
    for (ObjectKind k : kAllKinds) {
      if (kind && k != *kind) {
        continue;
      }
      const auto text = tables_text(topo, k, options.name);
      if (!text) {
        return not_found();
      }
      if (!out.empty()) {
        out += "\n";  // a blank line between the tables of `get` without a kind
      }
      out += *text;
    }
    std::cout << out;
    return kExitOk;
  }
  if (!kind) {
    std::cout << render(topology_document(topo), options.format);
    return kExitOk;
  }
  const auto doc = kind_document(topo, *kind, options.name);
  if (!doc) {
    return not_found();
  }
  std::cout << render(*doc, options.format);
  return kExitOk;
}

int cmd_status(const Globals& globals, output::Format format) {
  const auto store = open_store_or_report(globals);
  if (!store) {
    return kExitFailure;
  }
  const auto current = load_desired_or_report(*store);
  if (!current) {
    return kExitFailure;
  }
  auto statuses = store->statuses();
  if (!statuses) {
    print_error("cannot read host statuses: " + statuses.status().message());
    return kExitFailure;
  }
  if (!current->stored) {
    print_error("nothing applied yet in " + globals.store_url);
  }
  std::unordered_map<std::string, const store::HostStatus*> by_host;
  for (const store::HostStatus& s : *statuses) {
    by_host[s.host] = &s;
  }
  const std::int64_t now = now_unix_ms();

  Value doc = Value::map();
  doc.set("desired_generation",
          current->stored ? Value::integer(static_cast<std::int64_t>(current->stored->generation)) : Value());
  Value& hosts = doc.set("hosts", Value::list());
  Value rows = Value::list();
  if (current->stored) {
    for (const topology::Host& h : current->topology().hosts) {
      const auto it = by_host.find(h.name);
      const store::HostStatus* s = it == by_host.end() ? nullptr : it->second;
      // No status, or a heartbeat older than the liveness timeout: whatever
      // it last wrote is not news any more.
      const char* state = (s == nullptr || !is_live(*s, now)) ? "down" : state_name(s->state);

      Value& host = hosts.push(Value::map());
      host.set("name", Value::string(h.name));
      host.set("state", Value::string(state));
      host.set("applied_generation",
               s ? Value::integer(static_cast<std::int64_t>(s->applied_generation)) : Value());
      host.set("heartbeat_age_ms",
               s && s->heartbeat_unix_ms > 0 ? Value::integer(now - s->heartbeat_unix_ms)
                                             : Value());
      host.set("pid", s && s->pid > 0 ? Value::integer(s->pid) : Value());
      Value& errors = host.set("errors", Value::list());

      Value& row = rows.push(Value::map());
      row.set("name", Value::string(h.name));
      row.set("generation",
              s ? Value::integer(static_cast<std::int64_t>(s->applied_generation)) : Value());
      row.set("state", Value::string(state));
      row.set("heartbeat", s && s->heartbeat_unix_ms > 0
                               ? Value::string(age_text(now - s->heartbeat_unix_ms))
                               : Value());
      std::string error_text;
      if (s) {
        for (const std::string& e : s->errors) {
          errors.push(Value::string(e));
          error_text += (error_text.empty() ? "" : "; ") + e;
        }
      }
      row.set("errors", Value::string(error_text));
    }
  }
  if (format != output::Format::kTable) {
    std::cout << render(doc, format);
    return kExitOk;
  }
  std::cout << "desired generation: "
            << (current->stored ? std::to_string(current->stored->generation) : std::string("none")) << "\n"
            << output::to_table(rows, {{"name", "generation", "state", "heartbeat", "errors"}});
  return kExitOk;
}

}  // namespace vnet::cli

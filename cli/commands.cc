// validate, apply, diff, delete: the commands that read topology files or
// change the desired state.

#include "commands.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "diff.h"
#include "object_refs.h"
#include "topology_doc.h"
#include "wait.h"

namespace vnet::cli {

namespace {

constexpr auto kWaitPollInterval = std::chrono::milliseconds(50);
// Host lists longer than this are summarised by count.
constexpr std::size_t kMaxHostsNamed = 20;

std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : sep) + items[i];
  }
  return out;
}

std::string host_list(const std::vector<std::string>& hosts) {
  if (hosts.size() <= kMaxHostsNamed) {
    return join(hosts);
  }
  std::vector<std::string> shown(hosts.begin(), hosts.begin() + kMaxHostsNamed);
  return join(shown) + " and " + std::to_string(hosts.size() - kMaxHostsNamed) + " more";
}

std::string seconds_text(double seconds) {
  std::string text = std::to_string(seconds);
  // std::to_string prints 6 decimals; "30" reads better than "30.000000".
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') {
    text.pop_back();
  }
  return text + "s";
}

void report_not_live(const std::vector<std::string>& not_live) {
  if (!not_live.empty()) {
    print_error("no live vnetd on " + host_list(not_live) + " (not waited for)");
  }
}

// apply --wait: polls the hosts' statuses (cheap: a directory of small files
// for file:) until every host of the topology with a live vnetd has applied
// `generation`.
int wait_for_generation(store::Store& store, const topology::Topology& topo,
                        std::uint64_t generation, double timeout_seconds,
                        std::int64_t commit_unix_ms) {
  std::vector<std::string> hosts;
  for (const auto& h : topo.hosts) {
    hosts.push_back(h.name);
  }
  if (hosts.empty()) {
    std::cout << "nothing to wait for: the topology has no hosts\n";
    return kExitOk;
  }
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(timeout_seconds));
  const std::string gen = std::to_string(generation);
  for (;;) {
    auto statuses = store.statuses();
    if (!statuses) {
      print_error("cannot read host statuses: " + statuses.status().message());
      return kExitFailure;
    }
    const WaitCheck check = check_wait(hosts, generation, *statuses, now_unix_ms(),
                                       commit_unix_ms);
    if (!check.failures.empty()) {
      print_error("generation " + gen + " failed:");
      for (const std::string& f : check.failures) {
        std::cerr << "  " << f << "\n";
      }
      report_not_live(check.not_live);
      return kExitFailure;
    }
    if (check.done.empty() && check.pending.empty()) {
      print_error("no host of the topology has a live vnetd (" + host_list(check.not_live) + ")");
      return kExitFailure;
    }
    if (check.complete()) {
      report_not_live(check.not_live);
      std::cout << "generation " << gen << " applied on " << host_list(check.done) << "\n";
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      print_error("timed out after " + seconds_text(timeout_seconds) + " waiting for generation " +
                  gen + "; behind: " + host_list(check.pending));
      report_not_live(check.not_live);
      return kExitFailure;
    }
    std::this_thread::sleep_for(kWaitPollInterval);
  }
}

void print_changes(const std::vector<Change>& changes) {
  for (const Change& c : changes) {
    std::cout << c.str() << "\n";
  }
}

// Objects of `remaining` that still name a removed object: a clearer message
// than the validator's, which cannot say that the reference broke because of
// this delete.
std::vector<std::string> dangling_references(const topology::Topology& before,
                                             const topology::Topology& remaining,
                                             const std::vector<ObjectRef>& removed) {
  std::vector<std::string> problems;
  for (const ObjectRef& ref : removed) {
    std::vector<std::string> users;
    switch (ref.kind) {
      case ObjectKind::kHost:
        for (const auto& e : remaining.endpoints) {
          if (e.host == ref.name) {
            users.push_back("endpoint " + e.name);
          }
        }
        break;
      case ObjectKind::kNetwork:
        for (const auto& e : remaining.endpoints) {
          if (e.network == ref.name) {
            users.push_back("endpoint " + e.name);
          }
        }
        for (const auto& r : remaining.routers) {
          for (const auto& i : r.interfaces) {
            if (i.network == ref.name) {
              users.push_back("router " + r.name);
              break;
            }
          }
        }
        break;
      case ObjectKind::kSecurityGroup:
        for (const auto& e : remaining.endpoints) {
          for (const auto& g : e.security_groups) {
            if (g == ref.name) {
              users.push_back("endpoint " + e.name);
            }
          }
        }
        for (const auto& g : remaining.security_groups) {
          for (const auto& rule : g.rules) {
            if (rule.remote_group == ref.name) {
              users.push_back("security-group " + g.name + " (remote_group)");
              break;
            }
          }
        }
        break;
      case ObjectKind::kEndpoint: {
        const topology::Endpoint* e = before.find_endpoint(ref.name);
        if (e == nullptr) {
          break;
        }
        for (const auto& r : remaining.routers) {
          // Only a router attached to the endpoint's network routes via it
          // (other tenants may reuse the address).
          const bool attached = std::any_of(r.interfaces.begin(), r.interfaces.end(),
                                            [&](const auto& i) { return i.network == e->network; });
          for (const auto& route : r.routes) {
            if (attached && route.next_hop == e->ip) {
              users.push_back("router " + r.name + " (next hop of " + route.destination.str() +
                              ")");
            }
          }
        }
        break;
      }
      case ObjectKind::kRouter:
        break;  // nothing refers to a router
    }
    if (!users.empty()) {
      constexpr std::size_t kMaxUsers = 10;
      std::string list;
      for (std::size_t i = 0; i < users.size() && i < kMaxUsers; ++i) {
        list += (i == 0 ? "" : ", ") + users[i];
      }
      if (users.size() > kMaxUsers) {
        list += " and " + std::to_string(users.size() - kMaxUsers) + " more";
      }
      problems.push_back(std::string(kind_name(ref.kind)) + " " + ref.name +
                         " is still used by " + list);
    }
  }
  return problems;
}

}  // namespace

int cmd_validate(const std::vector<std::string>& files) {
  const auto topo = load_topology(files);
  if (!topo) {
    return kExitFailure;
  }
  std::cout << "valid: " << topo->hosts.size() << " hosts, " << topo->networks.size()
            << " networks, " << topo->endpoints.size() << " endpoints, " << topo->routers.size()
            << " routers, " << topo->security_groups.size() << " security groups\n";
  return kExitOk;
}

int cmd_apply(const Globals& globals, const ApplyOptions& options) {
  auto topo = load_topology(options.files);
  if (!topo) {
    return kExitFailure;
  }
  const auto store = open_store_or_report(globals);
  if (!store) {
    return kExitFailure;
  }
  if (options.dry_run) {
    const auto current = load_desired_or_report(*store);
    if (!current) {
      return kExitFailure;
    }
    const auto changes = diff_topologies(current->topology(), *topo);
    print_changes(changes);
    if (changes.empty()) {
      std::cout << "no changes\n";
    }
    std::cerr << "dry run: nothing stored\n";
    return kExitOk;
  }
  const std::int64_t commit_unix_ms = now_unix_ms();
  auto stored = store->commit(std::move(*topo));
  if (!stored) {
    print_error("cannot store the desired state: " + stored.status().message());
    return kExitFailure;
  }
  std::cout << "applied generation " << stored->generation << std::endl;
  if (!options.wait_seconds) {
    return kExitOk;
  }
  return wait_for_generation(*store, stored->topology, stored->generation, *options.wait_seconds,
                             commit_unix_ms);
}

int cmd_diff(const Globals& globals, const std::vector<std::string>& files) {
  // diff's exit codes: 0 no change, 1 changes, 2 (kExitUsage) any error.
  const auto topo = load_topology(files);
  if (!topo) {
    return kExitUsage;
  }
  const auto store = open_store_or_report(globals);
  if (!store) {
    return kExitUsage;
  }
  const auto current = load_desired_or_report(*store);
  if (!current) {
    return kExitUsage;
  }
  const auto changes = diff_topologies(current->topology(), *topo);
  print_changes(changes);
  return changes.empty() ? kExitOk : kExitFailure;
}

int cmd_delete(const Globals& globals, const DeleteOptions& options) {
  const bool by_file = !options.files.empty();
  if (by_file == options.kind.has_value()) {
    print_error("delete takes either -f FILE... or KIND NAME");
    return kExitUsage;
  }
  std::vector<ObjectRef> refs;
  if (by_file) {
    auto docs = read_inputs(options.files);
    if (!docs) {
      print_error(docs.status().message());
      return kExitFailure;
    }
    RefsResult read = read_object_refs(*docs);
    if (!read.errors.empty()) {
      print_diagnostics(read.errors);
      return kExitFailure;
    }
    if (read.refs.empty()) {
      print_error("the files name no objects to delete");
      return kExitFailure;
    }
    refs = std::move(read.refs);
  } else {
    const auto kind = parse_kind(*options.kind);
    if (!kind) {
      print_error("unknown kind '" + *options.kind + "' (expected " + kind_choices() + ")");
      return kExitUsage;
    }
    if (!options.name) {
      print_error("delete " + *options.kind + ": which one? (delete KIND NAME)");
      return kExitUsage;
    }
    refs.push_back({*kind, *options.name});
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
    print_error("nothing applied yet: nothing to delete");
    return kExitFailure;
  }
  const topology::Topology& before = current->topology();
  topology::Topology after = before;
  const std::vector<ObjectRef> missing = remove_objects(after, refs);
  for (const ObjectRef& ref : missing) {
    print_error(std::string(kind_name(ref.kind)) + " " + ref.name + " not found");
  }
  if (missing.size() == refs.size()) {
    return kExitFailure;
  }
  std::vector<ObjectRef> removed;
  std::set<std::pair<ObjectKind, std::string>> missing_set;
  for (const ObjectRef& ref : missing) {
    missing_set.emplace(ref.kind, ref.name);
  }
  for (const ObjectRef& ref : refs) {
    if (missing_set.count({ref.kind, ref.name}) == 0) {
      removed.push_back(ref);
    }
  }
  const auto dangling = dangling_references(before, after, removed);
  if (!dangling.empty()) {
    print_error("cannot delete, nothing changed:");
    for (const std::string& d : dangling) {
      std::cerr << "  " << d << "\n";
    }
    return kExitFailure;
  }
  // The validator has the last word (e.g. capacities or rules this command
  // does not know about).
  const auto errors = topology::validate(after);
  if (!errors.empty()) {
    print_error("cannot delete, the remaining topology would be invalid (nothing changed):");
    print_diagnostics(errors);
    return kExitFailure;
  }
  // Only on top of the generation this was computed from: a concurrent
  // apply must not be undone by "its predecessor minus these objects".
  auto stored = store->commit_if(std::move(after), current->stored->generation);
  if (!stored) {
    print_error("cannot store the desired state: " + stored.status().message() +
                (stored.status().err() == ESTALE ? "; nothing deleted, run delete again" : ""));
    return kExitFailure;
  }
  for (const ObjectRef& ref : removed) {
    std::cout << "deleted " << kind_name(ref.kind) << " " << ref.name << "\n";
  }
  std::cout << "applied generation " << stored->generation << "\n";
  return missing.empty() ? kExitOk : kExitFailure;
}

}  // namespace vnet::cli

#pragma once
// Helpers for the topology loader tests: a small valid base document, and
// assertions on a LoadResult's diagnostics (position and message).

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "topology/parser.h"

namespace vnet::topology::testing {

// Hosts, networks and a security group most tests build on. It loads as
// "base.yaml"; the document under test as "t.yaml", so positions in tests
// count from that document's first line.
inline constexpr std::string_view kBase = R"(version: 1
hosts:
  - name: hv1
    vtep_ip: 198.18.0.1
    underlay_interface: eth0
  - name: hv2
    vtep_ip: 198.18.0.2
    underlay_interface: eth0
  - name: sw1
    role: switch
    vtep_ip: 198.18.0.9
networks:
  - name: blue
    vni: 1001
    subnet: 10.0.1.0/24
  - name: red
    vni: 2001
    subnet: 10.0.1.0/24
  - name: green
    vni: 3001
    subnet: 10.0.3.0/24
security_groups:
  - name: web
)";

inline LoadResult load_one(std::string_view text) {
  return load_strings({{"t.yaml", std::string(text)}});
}

inline LoadResult load_with_base(std::string_view text) {
  return load_strings({{"base.yaml", std::string(kBase)}, {"t.yaml", std::string(text)}});
}

// t.yaml with one endpoint, vm1 on hv1/blue, whose `key` is set to `value`:
// a required field keeps its line (3..7), any other key is added as line 8.
inline std::string endpoint_with(const std::string& key, const std::string& value) {
  const std::pair<std::string, std::string> fields[] = {{"host", "hv1"},
                                                        {"network", "blue"},
                                                        {"interface", "vm1-h"},
                                                        {"mac", "02:00:00:00:00:11"},
                                                        {"ip", "10.0.1.11"}};
  std::string out = "endpoints:\n  - name: vm1\n";
  bool replaced = false;
  for (const auto& [k, v] : fields) {
    if (k == key) {
      out += "    " + k + ": " + value + "\n";
      replaced = true;
    } else {
      out += "    " + k + ": " + v + "\n";
    }
  }
  if (!replaced) {
    out += "    " + key + ": " + value + "\n";
  }
  return out;
}

// Line of `key` in endpoint_with()'s output (1-based).
inline int endpoint_line(const std::string& key) {
  const char* order[] = {"host", "network", "interface", "mac", "ip"};
  for (int i = 0; i < 5; ++i) {
    if (key == order[i]) {
      return 3 + i;
    }
  }
  return 8;
}

// "t.yaml:L:C" of `key`'s value in endpoint_with()'s output.
inline std::string endpoint_value_at(const std::string& key) {
  return "t.yaml:" + std::to_string(endpoint_line(key)) + ":" + std::to_string(4 + key.size() + 3);
}

inline std::string dump(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.errors) {
    out += "\n  " + d.str();
  }
  return out.empty() ? "\n  (no errors)" : out;
}

// `r` failed with exactly one error, at `where` ("t.yaml:3:5"), whose
// message contains every one of `parts`.
inline ::testing::AssertionResult OnlyError(const LoadResult& r, std::string_view where,
                                            std::initializer_list<std::string_view> parts) {
  if (r.topology) {
    return ::testing::AssertionFailure() << "loaded, expected an error at " << where;
  }
  if (r.errors.size() != 1) {
    return ::testing::AssertionFailure()
           << "expected one error at " << where << ", got " << r.errors.size() << ":" << dump(r);
  }
  const Diagnostic& d = r.errors[0];
  if (d.loc.str() != where) {
    return ::testing::AssertionFailure()
           << "error at " << d.loc.str() << ", expected " << where << ":" << dump(r);
  }
  for (std::string_view part : parts) {
    if (d.message.find(part) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << part << "\":" << dump(r);
    }
  }
  return ::testing::AssertionSuccess();
}

// Like OnlyError, for one error among several.
inline ::testing::AssertionResult HasError(const LoadResult& r, std::string_view where,
                                           std::initializer_list<std::string_view> parts) {
  for (const Diagnostic& d : r.errors) {
    if (d.loc.str() != where) {
      continue;
    }
    bool all = true;
    for (std::string_view part : parts) {
      all = all && d.message.find(part) != std::string::npos;
    }
    if (all) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no matching error at " << where << ":" << dump(r);
}

inline ::testing::AssertionResult Loads(const LoadResult& r) {
  if (r.topology && r.errors.empty()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected to load:" << dump(r);
}

}  // namespace vnet::topology::testing

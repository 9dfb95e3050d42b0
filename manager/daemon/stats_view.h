#pragma once
// The `stats` document: host, applied generation, global drops by reason
// name, the security groups' connection tracking and, per local endpoint,
// its counters. Built as one output::Value and
// printed by the shared table/YAML/JSON printers. Pure, so it is unit tested
// without a datapath. Only non-zero drop counters are listed: a reason that
// never fired is noise.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datapath/datapath.h"
#include "output/document.h"

namespace vnet::daemon {

struct EndpointStatsRow {
  std::string name;
  std::uint32_t id = 0;
  std::string interface;
  datapath::EndpointCounters counters;
};

// The conntrack table: its size, the flows inserted since it was made
// (vnet_ct_stats) and what vnetd's last sweep found (counting the entries
// costs a pass over the table, which the sweep makes every 10 s anyway).
struct ConntrackStatsRow {
  std::uint32_t capacity = 0;  // --conntrack-size
  std::uint64_t created = 0;
  std::optional<std::size_t> live;  // at the last sweep; none before the first
  std::uint64_t swept = 0;          // removed by the sweeps of this vnetd
};

// `endpoints` in the order they should be shown (the plan's).
output::Value stats_document(const std::string& host, std::uint64_t generation,
                             const std::array<std::uint64_t, VNET_DROP_MAX>& drops,
                             const ConntrackStatsRow& conntrack,
                             const std::vector<EndpointStatsRow>& endpoints);

// Table: a "host ... generation ..." line, a "drops:" line, a "conntrack:"
// line, a blank line and one row per endpoint. YAML/JSON: the document as is.
std::string render_stats(const output::Value& doc, output::Format format);

}  // namespace vnet::daemon

#pragma once
// The `stats` document: host, applied generation, global drops by reason
// name and, per local endpoint, its counters. Built as one output::Value and
// printed by the shared table/YAML/JSON printers. Pure, so it is unit tested
// without a datapath. Only non-zero drop counters are listed: a reason that
// never fired is noise.

#include <cstdint>
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

// `endpoints` in the order they should be shown (the plan's).
output::Value stats_document(const std::string& host, std::uint64_t generation,
                             const std::array<std::uint64_t, VNET_DROP_MAX>& drops,
                             const std::vector<EndpointStatsRow>& endpoints);

// Table: a "host ... generation ..." line, a "drops:" line, a blank line and
// one row per endpoint. YAML/JSON: the document as is.
std::string render_stats(const output::Value& doc, output::Format format);

}  // namespace vnet::daemon

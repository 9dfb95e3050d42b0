#pragma once
// YAML topology files -> one validated Topology. Several files merge into
// one document (each holds any subset of the top-level lists); the merged
// document is validated whole. Every error names file:line:column and says
// what was expected. Either a Topology comes back or at least one error,
// never both.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "topology/model.h"

namespace vnet::topology {

struct Diagnostic {
  SourceLoc loc;
  std::string message;
  std::string str() const;  // "file:line:column: message"
};

struct LoadResult {
  std::optional<Topology> topology;
  std::vector<Diagnostic> errors;  // sorted by file, line, column
};

// Reads and merges the files.
LoadResult load_files(const std::vector<std::string>& paths);

// Same, from (name, text) pairs; `name` plays the file's role in messages.
LoadResult load_strings(const std::vector<std::pair<std::string, std::string>>& docs);

// Cross-object checks of a merged document (references, duplicates,
// addresses inside subnets, capacities). load_*() already runs it.
std::vector<Diagnostic> validate(const Topology& topo);

}  // namespace vnet::topology

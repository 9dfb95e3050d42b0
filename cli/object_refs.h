#pragma once
// `delete -f FILE`: which objects do the files name? Only kind and name
// matter, so a file that holds just the endpoints to remove (whose hosts
// and networks live elsewhere) works as well as the file that created them;
// that is why the names are read here rather than through the validating
// loader, which would reject such a fragment for its dangling references.

#include <string>
#include <utility>
#include <vector>

#include "topology_doc.h"
#include "topology/model.h"
#include "topology/parser.h"

namespace vnet::cli {

struct ObjectRef {
  ObjectKind kind;
  std::string name;
};

struct RefsResult {
  std::vector<ObjectRef> refs;                  // in file order, duplicates kept once
  std::vector<topology::Diagnostic> errors;     // file:line:col, as the loader's
};

// docs: (file name, text) pairs.
RefsResult read_object_refs(const std::vector<std::pair<std::string, std::string>>& docs);

// Removes the referenced objects from `topo`; returns the refs that were not
// there.
std::vector<ObjectRef> remove_objects(topology::Topology& topo, const std::vector<ObjectRef>& refs);

}  // namespace vnet::cli

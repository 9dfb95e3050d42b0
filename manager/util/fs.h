#pragma once
// Filesystem helpers shared by the store, the daemon and the datapath.

#include <sys/types.h>

#include <string>

#include "util/result.h"

namespace vnet {

// mkdir -p: creates every missing component of `path` with `mode`. Fails if
// a component cannot be created or `path` exists but is not a directory.
Status make_dirs(const std::string& path, mode_t mode);

}  // namespace vnet

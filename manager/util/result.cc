#include "util/result.h"

#include <cstring>

namespace vnet {

Status Status::os_error(const std::string& context, int err) {
  return error(context + ": " + std::strerror(err), err);
}

Status Status::with_context(const std::string& context) const {
  if (is_ok()) {
    return *this;
  }
  return error(context + ": " + message_, errno_);
}

}  // namespace vnet

#include "util/fs.h"

#include <sys/stat.h>

#include <cerrno>

namespace vnet {

Status make_dirs(const std::string& path, mode_t mode) {
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string partial = path.substr(0, slash);
    if (!partial.empty() && ::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return Status::os_error("create directory " + partial, errno);
    }
    if (slash == std::string::npos) {
      break;
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::os_error("stat " + path, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::error(path + " is not a directory", ENOTDIR);
  }
  return Status::ok();
}

}  // namespace vnet

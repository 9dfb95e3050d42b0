#include "store/store.h"

#include <string_view>

#include "store/file_store.h"

namespace vnet::store {

Result<std::unique_ptr<Store>> open_store(const std::string& url) {
  constexpr std::string_view kFile = "file:";
  constexpr std::string_view kEtcd = "etcd://";
  const std::string_view u = url;
  if (u.substr(0, kFile.size()) == kFile) {
    const std::string dir(u.substr(kFile.size()));
    if (dir.empty()) {
      return Status::error("store URL '" + url + "': file: needs a directory", EINVAL);
    }
    auto fs = FileStore::open(dir);
    if (!fs) {
      return fs.status();
    }
    return std::unique_ptr<Store>(std::move(*fs));
  }
  if (u.substr(0, kEtcd.size()) == kEtcd) {
    // Named so a user who configured etcd learns it is the backend, not the URL.
    return Status::error("store URL '" + url + "': etcd backend not available yet", ENOTSUP);
  }
  return Status::error(
      "store URL '" + url + "': expected file:DIR or etcd://HOST:PORT[,HOST:PORT...]", EINVAL);
}

}  // namespace vnet::store

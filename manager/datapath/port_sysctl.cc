#include "datapath/port_sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "util/unique_fd.h"

namespace vnet::datapath {
namespace {

// /proc/sys/net/<family>/conf/<ifname>/<key> of this process's network
// namespace.
Status ensure_sysctl(std::string_view family, const std::string& ifname, std::string_view key,
                     char value) {
  std::string path = "/proc/sys/net/";
  path.append(family).append("/conf/").append(ifname).append("/").append(key);
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
  if (!fd) {
    return Status::os_error("open " + path, errno);
  }
  char current[16] = {};
  if (::pread(fd.get(), current, sizeof(current) - 1, 0) > 0 && current[0] == value &&
      (current[1] == '\n' || current[1] == '\0')) {
    return Status::ok();
  }
  const char text[2] = {value, '\n'};
  if (::pwrite(fd.get(), text, sizeof(text), 0) != static_cast<ssize_t>(sizeof(text))) {
    return Status::os_error("write " + path, errno);
  }
  return Status::ok();
}

}  // namespace

Status disable_ipv6(const std::string& ifname) {
  // Absent when IPv6 is disabled on the whole machine: nothing to turn off.
  if (auto s = ensure_sysctl("ipv6", ifname, "disable_ipv6", '1'); !s && s.err() != ENOENT) {
    return s;
  }
  return Status::ok();
}

Status prepare_port_interface(const std::string& ifname) {
  if (auto s = ensure_sysctl("ipv4", ifname, "forwarding", '1'); !s) {
    return s;
  }
  return disable_ipv6(ifname);
}

}  // namespace vnet::datapath

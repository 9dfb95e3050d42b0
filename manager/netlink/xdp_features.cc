#include "netlink/xdp_features.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cerrno>
#include <optional>
#include <string>

#include "netlink/socket.h"

namespace vnet::netlink {
namespace {

// uapi linux/netdev.h (kernel 6.3+).
constexpr const char* kNetdevFamily = "netdev";
constexpr std::uint8_t kNetdevCmdDevGet = 1;
constexpr std::uint16_t kNetdevAttrIfindex = 1;
constexpr std::uint16_t kNetdevAttrXdpFeatures = 3;

nlmsghdr* put_genl_header(char* buf, std::uint16_t family, std::uint8_t cmd, std::uint32_t seq) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = family;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  nlh->nlmsg_seq = seq;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = cmd;
  genl->version = 1;
  return nlh;
}

// One top-level attribute of a generic netlink reply, or nullptr.
const nlattr* find_attr(const nlmsghdr* nlh, std::uint16_t type) {
  struct Search {
    std::uint16_t type;
    const nlattr* found;
  } search{type, nullptr};
  mnl_attr_parse(
      nlh, sizeof(genlmsghdr),
      [](const nlattr* attr, void* data) -> int {
        auto* s = static_cast<Search*>(data);
        if (mnl_attr_get_type(attr) == s->type) {
          s->found = attr;
        }
        return MNL_CB_OK;
      },
      &search);
  return search.found;
}

Result<std::uint16_t> family_id(Socket& sock, const char* name) {
  std::string buf(MNL_SOCKET_BUFFER_SIZE, '\0');
  nlmsghdr* nlh = put_genl_header(buf.data(), GENL_ID_CTRL, CTRL_CMD_GETFAMILY, sock.next_seq());
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
  std::optional<std::uint16_t> id;
  Status s = sock.request(nlh, [&](const nlmsghdr* reply) -> Status {
    if (const nlattr* a = find_attr(reply, CTRL_ATTR_FAMILY_ID);
        a != nullptr && mnl_attr_validate(a, MNL_TYPE_U16) >= 0) {
      id = mnl_attr_get_u16(a);
    }
    return Status::ok();
  });
  if (!s) {
    return s;
  }
  if (!id) {
    return Status::error(std::string("generic netlink family ") + name + ": no id in reply",
                         ENOENT);
  }
  return *id;
}

}  // namespace

Result<std::uint64_t> xdp_features(std::uint32_t ifindex) {
  auto sock = Socket::open(0, false, NETLINK_GENERIC);
  if (!sock) {
    return sock.status();
  }
  // The family is built into the kernel: its id never changes, so it is
  // resolved once, not on every reconcile pass.
  static std::optional<std::uint16_t> cached_family;
  if (!cached_family) {
    auto family = family_id(*sock, kNetdevFamily);
    if (!family) {
      return family.status().with_context("xdp-features");
    }
    cached_family = *family;
  }
  std::string buf(MNL_SOCKET_BUFFER_SIZE, '\0');
  nlmsghdr* nlh = put_genl_header(buf.data(), *cached_family, kNetdevCmdDevGet, sock->next_seq());
  mnl_attr_put_u32(nlh, kNetdevAttrIfindex, ifindex);
  std::optional<std::uint64_t> features;
  Status s = sock->request(nlh, [&](const nlmsghdr* reply) -> Status {
    if (const nlattr* a = find_attr(reply, kNetdevAttrXdpFeatures);
        a != nullptr && mnl_attr_validate(a, MNL_TYPE_U64) >= 0) {
      features = mnl_attr_get_u64(a);
    }
    return Status::ok();
  });
  if (!s) {
    return s.with_context("xdp-features of ifindex " + std::to_string(ifindex));
  }
  if (!features) {
    return Status::error("xdp-features of ifindex " + std::to_string(ifindex) + ": not reported",
                         ENOENT);
  }
  return *features;
}

}  // namespace vnet::netlink

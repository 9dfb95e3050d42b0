#include "netlink/xdp_features.h"

#include <fcntl.h>
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
constexpr std::uint8_t kNetdevCmdDevAddNtf = 2;
constexpr std::uint8_t kNetdevCmdDevDelNtf = 3;
constexpr std::uint8_t kNetdevCmdDevChangeNtf = 4;
constexpr const char* kNetdevMgmtGroup = "mgmt";
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

// A multicast group's id from CTRL_ATTR_MCAST_GROUPS: one nest per group,
// each with CTRL_ATTR_MCAST_GRP_NAME and CTRL_ATTR_MCAST_GRP_ID.
std::optional<std::uint32_t> group_id(const nlattr* groups, const char* name) {
  struct Search {
    const char* name;
    std::optional<std::uint32_t> id;
  } search{name, std::nullopt};
  mnl_attr_parse_nested(
      groups,
      [](const nlattr* group, void* data) -> int {
        auto* s = static_cast<Search*>(data);
        const nlattr* tb[CTRL_ATTR_MCAST_GRP_MAX + 1] = {};
        mnl_attr_parse_nested(
            group,
            [](const nlattr* a, void* t) -> int {
              const std::uint16_t type = mnl_attr_get_type(a);
              if (type <= CTRL_ATTR_MCAST_GRP_MAX) {
                static_cast<const nlattr**>(t)[type] = a;
              }
              return MNL_CB_OK;
            },
            tb);
        const nlattr* grp_name = tb[CTRL_ATTR_MCAST_GRP_NAME];
        const nlattr* grp_id = tb[CTRL_ATTR_MCAST_GRP_ID];
        if (grp_name != nullptr && grp_id != nullptr &&
            mnl_attr_validate(grp_name, MNL_TYPE_NUL_STRING) >= 0 &&
            mnl_attr_validate(grp_id, MNL_TYPE_U32) >= 0 &&
            std::string(mnl_attr_get_str(grp_name)) == s->name) {
          s->id = mnl_attr_get_u32(grp_id);
        }
        return MNL_CB_OK;
      },
      &search);
  return search.id;
}

// A family's id and, when `group` names one, that multicast group's id.
struct Family {
  std::uint16_t id = 0;
  std::optional<std::uint32_t> group;
};

Result<Family> family_info(Socket& sock, const char* name, const char* group = nullptr) {
  std::string buf(MNL_SOCKET_BUFFER_SIZE, '\0');
  nlmsghdr* nlh = put_genl_header(buf.data(), GENL_ID_CTRL, CTRL_CMD_GETFAMILY, sock.next_seq());
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
  std::optional<std::uint16_t> id;
  std::optional<std::uint32_t> group_num;
  Status s = sock.request(nlh, [&](const nlmsghdr* reply) -> Status {
    if (const nlattr* a = find_attr(reply, CTRL_ATTR_FAMILY_ID);
        a != nullptr && mnl_attr_validate(a, MNL_TYPE_U16) >= 0) {
      id = mnl_attr_get_u16(a);
    }
    if (const nlattr* a = find_attr(reply, CTRL_ATTR_MCAST_GROUPS);
        group != nullptr && a != nullptr && mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0) {
      group_num = group_id(a, group);
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
  return Family{*id, group_num};
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
    auto family = family_info(*sock, kNetdevFamily);
    if (!family) {
      return family.status().with_context("xdp-features");
    }
    cached_family = family->id;
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

std::optional<std::uint32_t> xdp_feature_notification(const nlmsghdr* nlh, std::uint16_t family) {
  if (nlh->nlmsg_type != family || mnl_nlmsg_get_payload_len(nlh) < sizeof(genlmsghdr)) {
    return std::nullopt;
  }
  const auto* genl = static_cast<const genlmsghdr*>(mnl_nlmsg_get_payload(nlh));
  if (genl->cmd != kNetdevCmdDevAddNtf && genl->cmd != kNetdevCmdDevDelNtf &&
      genl->cmd != kNetdevCmdDevChangeNtf) {
    return std::nullopt;
  }
  const nlattr* a = find_attr(nlh, kNetdevAttrIfindex);
  if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
    return std::nullopt;
  }
  return mnl_attr_get_u32(a);
}

Result<XdpFeatureWatch> XdpFeatureWatch::open() {
  // Blocking for the family lookup, non-blocking once it sits in epoll.
  auto sock = Socket::open(0, /*nonblocking=*/false, NETLINK_GENERIC);
  if (!sock) {
    return sock.status().with_context("xdp-features notifications");
  }
  auto family = family_info(*sock, kNetdevFamily, kNetdevMgmtGroup);
  if (!family) {
    return family.status().with_context("xdp-features notifications");
  }
  if (!family->group) {
    return Status::error(std::string("xdp-features notifications: the netdev family has no \"") +
                             kNetdevMgmtGroup + "\" group",
                         ENOENT);
  }
  if (Status s = sock->join_group(*family->group); !s) {
    return s.with_context("xdp-features notifications");
  }
  const int fl = fcntl(sock->fd(), F_GETFL);
  if (fl < 0 || fcntl(sock->fd(), F_SETFL, fl | O_NONBLOCK) != 0) {
    return Status::os_error("xdp-features notifications: O_NONBLOCK", errno);
  }
  return XdpFeatureWatch(std::move(*sock), family->id);
}

XdpFeatureChanges XdpFeatureWatch::read() {
  XdpFeatureChanges changes;
  Status s = sock_.drain([&](const nlmsghdr* nlh) {
    if (auto ifindex = xdp_feature_notification(nlh, family_)) {
      changes.ifindexes.insert(*ifindex);
    }
    return Status::ok();
  });
  if (!s) {
    sock_.discard();
    changes.overrun = true;
  }
  return changes;
}

}  // namespace vnet::netlink

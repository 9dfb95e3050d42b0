#include "netlink/tunnel.h"

#include <linux/if.h>

#include <cerrno>
#include <vector>

#include "netlink/socket.h"

namespace vnet::netlink {

TunnelAction plan_tunnel(const LinkInfo* existing, std::uint16_t port) {
  if (existing == nullptr) {
    return TunnelAction::kCreate;
  }
  if (existing->kind != "vxlan" || !existing->vxlan_external || existing->vxlan_port != port) {
    return TunnelAction::kRecreate;
  }
  return (existing->flags & IFF_UP) ? TunnelAction::kNone : TunnelAction::kSetUp;
}

namespace {

Result<LinkInfo> get_by_name(Socket& sock, const std::string& name) {
  std::vector<char> buf(kRequestBufferSize);
  std::optional<LinkInfo> found;
  Status s = sock.request(build_link_get_by_name(buf.data(), sock.next_seq(), name),
                          [&](const nlmsghdr* nlh) -> Status {
                            auto link = parse_link(nlh);
                            if (!link) {
                              return link.status();
                            }
                            found = std::move(*link);
                            return Status::ok();
                          });
  if (!s) {
    return s;
  }
  if (!found) {
    return Status::error("no reply for " + name, ENODEV);
  }
  return *found;
}

}  // namespace

Result<LinkInfo> tunnel_device_info() {
  auto sock = Socket::open();
  if (!sock) {
    return sock.status();
  }
  return get_by_name(*sock, kTunnelDevice);
}

Result<std::uint32_t> ensure_tunnel_device(const LinkInfo* existing, std::uint16_t port,
                                           const std::function<Status(std::uint32_t)>& prepare) {
  const TunnelAction action = plan_tunnel(existing, port);
  if (action == TunnelAction::kNone) {
    return existing->ifindex;
  }
  auto sock = Socket::open();
  if (!sock) {
    return sock.status();
  }
  std::vector<char> buf(kRequestBufferSize);
  const auto ignore = [](const nlmsghdr*) { return Status::ok(); };
  if (action == TunnelAction::kSetUp) {
    if (auto s = prepare(existing->ifindex); !s) {
      return s;
    }
    if (auto s = sock->request(build_link_set_up(buf.data(), sock->next_seq(), existing->ifindex),
                               ignore);
        !s) {
      return Status::error("set " + std::string(kTunnelDevice) + " up: " + s.message(), s.err());
    }
    return existing->ifindex;
  }
  if (action == TunnelAction::kRecreate) {
    // Another port (vxlan_port changed) or a device that is not ours to
    // use: only a fresh device binds the right socket. Receive on the
    // tc-delivered ports pauses for the moment in between.
    if (auto s = sock->request(build_link_del(buf.data(), sock->next_seq(), existing->ifindex),
                               ignore);
        !s && s.err() != ENODEV) {
      return Status::error("delete " + std::string(kTunnelDevice) + ": " + s.message(), s.err());
    }
  }
  if (auto s = sock->request(
          build_vxlan_external_new(buf.data(), sock->next_seq(), kTunnelDevice, port), ignore);
      !s) {
    // EADDRINUSE: another VXLAN device of the host already has the port.
    return Status::error("create " + std::string(kTunnelDevice) + " (vxlan external dstport " +
                             std::to_string(port) + "): " + s.message(),
                         s.err());
  }
  auto link = get_by_name(*sock, kTunnelDevice);
  if (!link) {
    return link.status();
  }
  // Before it goes up: the stack would otherwise give it a link-local
  // address and send router solicitations and MLD into it.
  if (auto s = sock->request(build_link_no_ipv6_addr(buf.data(), sock->next_seq(), link->ifindex),
                             ignore);
      !s && s.err() != EAFNOSUPPORT) {  // EAFNOSUPPORT: no IPv6 on this host
    return Status::error("addrgenmode none on " + std::string(kTunnelDevice) + ": " + s.message(),
                         s.err());
  }
  if (auto s = prepare(link->ifindex); !s) {
    return s;
  }
  if (auto s = sock->request(build_link_set_up(buf.data(), sock->next_seq(), link->ifindex), ignore);
      !s) {
    return Status::error("set " + std::string(kTunnelDevice) + " up: " + s.message(), s.err());
  }
  return link->ifindex;
}

}  // namespace vnet::netlink

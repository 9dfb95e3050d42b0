#pragma once
// An rtnetlink socket (libmnl) with the two ways vnetd uses one:
// request() sends one message with NLM_F_ACK and runs a callback on every
// reply until the ack or NLMSG_DONE, turning an NLMSG_ERROR into a Status
// (with the kernel's extended-ack text when it sends one); drain() reads a
// non-blocking multicast subscription until it would block;
// drain_with_nsid() does the same on a socket that also hears the other
// network namespaces (NETLINK_LISTEN_ALL_NSID) and says where each message
// came from.

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

struct mnl_socket;

namespace vnet::netlink {

// Called for every data message (not NLMSG_ERROR/DONE) of a reply.
using MessageFn = std::function<Status(const nlmsghdr* nlh)>;
// The same, with the sender's netns id in ours when the message came from
// another netns (nullopt: from our own, or from one without an id here).
using NsidMessageFn = std::function<Status(std::optional<std::int32_t> nsid, const nlmsghdr* nlh)>;

// The netns id of a message received on a NETLINK_LISTEN_ALL_NSID socket:
// the SOL_NETLINK / NETLINK_LISTEN_ALL_NSID control message (an int) that
// recvmsg() returns beside it. nullopt when there is none (the message is
// from the socket's own netns) or it is malformed. Pure, for tests.
std::optional<std::int32_t> listen_nsid_from_cmsg(msghdr* msg);

class Socket {
 public:
  // `groups`: RTMGRP_* multicast groups to join (0 for a request socket).
  // A subscription socket is non-blocking so it can sit in epoll. `bus`:
  // NETLINK_ROUTE, or NETLINK_GENERIC for a generic netlink family.
  static Result<Socket> open(std::uint32_t groups = 0, bool nonblocking = false,
                             int bus = NETLINK_ROUTE);

  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket();

  int fd() const;
  std::uint32_t portid() const { return portid_; }
  std::uint32_t next_seq() { return ++seq_; }

  // Sends `nlh` (its nlmsg_seq must come from next_seq(); NLM_F_ACK is
  // added) and runs `fn` on each reply message. An error from `fn` is
  // returned after the rest of the reply has been read. A dump the kernel
  // marks interrupted (NLM_F_DUMP_INTR: it changed while being read, so it
  // may miss objects) fails with EAGAIN after it is read: ask again.
  Status request(nlmsghdr* nlh, const MessageFn& fn);

  // Non-blocking read of everything queued. Returns ENOBUFS when the kernel
  // dropped notifications (the caller must resynchronise with a dump).
  Status drain(const MessageFn& fn);
  // Throws away everything queued. After ENOBUFS, before the dump: what is
  // still queued predates the lost notifications, and applied on top of
  // the dump it would undo changes the dump already shows.
  void discard();

  // Joins multicast group `group` by id (NETLINK_ADD_MEMBERSHIP): a generic
  // netlink family's groups have ids assigned at run time, possibly beyond
  // the 32 a bind() bit mask reaches.
  Status join_group(std::uint32_t group);

  // Also receive the notifications of every netns that has an id in ours
  // (NETLINK_LISTEN_ALL_NSID, kernel >= 4.2); read them with
  // drain_with_nsid(). Needs CAP_NET_BROADCAST in those namespaces.
  Status listen_all_nsid();
  // drain() with recvmsg(), passing each message's netns id (libmnl's
  // recvfrom drops the control messages that carry it).
  Status drain_with_nsid(const NsidMessageFn& fn);

 private:
  struct Closer {
    void operator()(mnl_socket* s) const;
  };
  Socket() = default;

  std::unique_ptr<mnl_socket, Closer> nl_;
  std::uint32_t portid_ = 0;
  std::uint32_t seq_ = 0;
  std::vector<char> buf_;
};

}  // namespace vnet::netlink

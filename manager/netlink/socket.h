#pragma once
// An rtnetlink socket (libmnl) with the two ways vnetd uses one:
// request() sends one message with NLM_F_ACK and runs a callback on every
// reply until the ack or NLMSG_DONE, turning an NLMSG_ERROR into a Status
// (with the kernel's extended-ack text when it sends one); drain() reads a
// non-blocking multicast subscription until it would block.

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

struct mnl_socket;

namespace vnet::netlink {

// Called for every data message (not NLMSG_ERROR/DONE) of a reply.
using MessageFn = std::function<Status(const nlmsghdr* nlh)>;

class Socket {
 public:
  // `groups`: RTMGRP_* multicast groups to join (0 for a request socket).
  // A subscription socket is non-blocking so it can sit in epoll.
  static Result<Socket> open(std::uint32_t groups = 0, bool nonblocking = false);

  Socket(Socket&&) noexcept = default;
  Socket& operator=(Socket&&) noexcept = default;
  ~Socket();

  int fd() const;
  std::uint32_t portid() const { return portid_; }
  std::uint32_t next_seq() { return ++seq_; }

  // Sends `nlh` (its nlmsg_seq must come from next_seq(); NLM_F_ACK is
  // added) and runs `fn` on each reply message. An error from `fn` is
  // returned after the rest of the reply has been read.
  Status request(nlmsghdr* nlh, const MessageFn& fn);

  // Non-blocking read of everything queued. Returns ENOBUFS when the kernel
  // dropped notifications (the caller must resynchronise with a dump).
  Status drain(const MessageFn& fn);

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

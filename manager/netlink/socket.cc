#include "netlink/socket.h"

#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <ctime>

namespace vnet::netlink {
namespace {

// Large enough for any single rtnetlink message the kernel sends in one
// datagram (it sizes dump skbs to at most 32 KiB; use the recommended page
// multiple) so no message is truncated.
constexpr std::size_t kBufferSize = 64 * 1024;
// A subscription must ride out bursts (hundreds of veths created at once)
// without ENOBUFS; when it still overflows we resynchronise with a dump.
constexpr int kSubscriptionRcvbuf = 4 * 1024 * 1024;

struct ReplyState {
  const MessageFn* fn = nullptr;
  Status first_error;  // first error returned by fn
  int kernel_errno = 0;
  std::string kernel_message;  // NLMSGERR_ATTR_MSG, if any
  // A dump that changed while it was read (NLM_F_DUMP_INTR): it may have
  // skipped or repeated objects, so it is not the truth.
  bool dump_interrupted = false;
};

int data_cb(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<ReplyState*>(data);
  if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
    st->dump_interrupted = true;
  }
  if (st->fn != nullptr && *st->fn) {
    Status s = (*st->fn)(nlh);
    if (!s && st->first_error.is_ok()) {
      st->first_error = s;
    }
  }
  return MNL_CB_OK;
}

int ext_ack_attr_cb(const nlattr* attr, void* data) {
  auto* st = static_cast<ReplyState*>(data);
  if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
    st->kernel_message = mnl_attr_get_str(attr);
  }
  return MNL_CB_OK;
}

// NLMSG_ERROR: 0 is the ack that ends a request; anything else is the
// request's failure, possibly with an extended-ack message after the
// (capped) original request.
int error_cb(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<ReplyState*>(data);
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(nlmsgerr)) {
    st->kernel_errno = EBADMSG;
    return MNL_CB_ERROR;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (err->error == 0) {
    return MNL_CB_STOP;
  }
  st->kernel_errno = -err->error;
  if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
    std::size_t offset = sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
      offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
    }
    if (offset <= mnl_nlmsg_get_payload_len(nlh)) {
      mnl_attr_parse(nlh, static_cast<unsigned>(offset), ext_ack_attr_cb, st);
    }
  }
  return MNL_CB_ERROR;
}

// NLMSG_DONE ends a dump; it carries the dump's own error, if any.
int done_cb(const nlmsghdr* nlh, void* data) {
  auto* st = static_cast<ReplyState*>(data);
  if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
    st->dump_interrupted = true;
  }
  if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
    int err = 0;
    std::memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
    if (err < 0) {
      st->kernel_errno = -err;
      return MNL_CB_ERROR;
    }
  }
  return MNL_CB_STOP;
}

}  // namespace

std::optional<std::int32_t> listen_nsid_from_cmsg(msghdr* msg) {
  if (msg->msg_control == nullptr) {
    return std::nullopt;
  }
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_NETLINK || c->cmsg_type != NETLINK_LISTEN_ALL_NSID) {
      continue;
    }
    if (c->cmsg_len < CMSG_LEN(sizeof(std::int32_t))) {
      return std::nullopt;  // too short to hold the id: trust nothing
    }
    std::int32_t nsid = 0;
    std::memcpy(&nsid, CMSG_DATA(c), sizeof(nsid));
    if (nsid < 0) {
      return std::nullopt;  // NETNSA_NSID_NOT_ASSIGNED: not an id
    }
    return nsid;
  }
  return std::nullopt;
}

void Socket::Closer::operator()(mnl_socket* s) const { mnl_socket_close(s); }

Socket::~Socket() = default;

Result<Socket> Socket::open(std::uint32_t groups, bool nonblocking, int bus) {
  Socket s;
  int flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
  const char* what = bus == NETLINK_ROUTE ? "rtnetlink" : "netlink";
  s.nl_.reset(mnl_socket_open2(bus, flags));
  if (!s.nl_) {
    return Status::os_error(std::string("open ") + what + " socket", errno);
  }
  int one = 1;
  // Best effort: older kernels lack these; errors just lose detail.
  mnl_socket_setsockopt(s.nl_.get(), NETLINK_EXT_ACK, &one, sizeof(one));
  mnl_socket_setsockopt(s.nl_.get(), NETLINK_CAP_ACK, &one, sizeof(one));
  if (groups != 0) {
    int size = kSubscriptionRcvbuf;
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN (vnetd has it); fall back quietly.
    if (setsockopt(mnl_socket_get_fd(s.nl_.get()), SOL_SOCKET, SO_RCVBUFFORCE, &size,
                   sizeof(size)) != 0) {
      setsockopt(mnl_socket_get_fd(s.nl_.get()), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
  }
  if (mnl_socket_bind(s.nl_.get(), groups, MNL_SOCKET_AUTOPID) != 0) {
    return Status::os_error(std::string("bind ") + what + " socket", errno);
  }
  s.portid_ = mnl_socket_get_portid(s.nl_.get());
  s.seq_ = static_cast<std::uint32_t>(time(nullptr));
  s.buf_.resize(kBufferSize);
  return s;
}

int Socket::fd() const { return mnl_socket_get_fd(nl_.get()); }

Status Socket::request(nlmsghdr* nlh, const MessageFn& fn) {
  nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0) {
    return Status::os_error("netlink send", errno);
  }
  ReplyState st;
  st.fn = &fn;
  mnl_cb_t ctl[NLMSG_MIN_TYPE] = {};
  ctl[NLMSG_ERROR] = error_cb;
  ctl[NLMSG_DONE] = done_cb;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_.get(), buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::os_error("netlink receive", errno);
    }
    int ret = mnl_cb_run2(buf_.data(), static_cast<std::size_t>(n), nlh->nlmsg_seq, portid_,
                          data_cb, &st, ctl, NLMSG_MIN_TYPE);
    if (ret == MNL_CB_ERROR) {
      int e = st.kernel_errno != 0 ? st.kernel_errno : errno;
      std::string msg = "netlink";
      if (!st.kernel_message.empty()) {
        msg += " (" + st.kernel_message + ")";
      }
      return Status::os_error(msg, e);
    }
    if (ret == MNL_CB_STOP) {
      if (st.dump_interrupted) {
        return Status::error("netlink dump interrupted by a concurrent change", EAGAIN);
      }
      return st.first_error;
    }
  }
}

void Socket::discard() {
  // Bounded: under endless churn, stop after a full buffer's worth and more.
  for (int i = 0; i < 65536; ++i) {
    ssize_t n = ::recv(fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0 && errno != EINTR && errno != ENOBUFS) {
      return;  // EAGAIN: empty (or a real error, which the next read reports)
    }
  }
}

Status Socket::drain(const MessageFn& fn) {
  ReplyState st;
  st.fn = &fn;
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_.get(), buf_.data(), buf_.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return st.first_error;
      }
      return Status::os_error("netlink receive", errno);
    }
    // Notifications carry seq 0 and the kernel's portid 0: check neither.
    mnl_cb_run(buf_.data(), static_cast<std::size_t>(n), 0, 0, data_cb, &st);
  }
}

}  // namespace vnet::netlink

namespace vnet::netlink {

Status Socket::join_group(std::uint32_t group) {
  int size = kSubscriptionRcvbuf;
  if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
    setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  if (mnl_socket_setsockopt(nl_.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0) {
    return Status::os_error("join netlink group " + std::to_string(group), errno);
  }
  return Status::ok();
}

Status Socket::listen_all_nsid() {
  int one = 1;
  if (mnl_socket_setsockopt(nl_.get(), NETLINK_LISTEN_ALL_NSID, &one, sizeof(one)) != 0) {
    return Status::os_error("setsockopt NETLINK_LISTEN_ALL_NSID", errno);
  }
  return Status::ok();
}

Status Socket::drain_with_nsid(const NsidMessageFn& fn) {
  Status first_error;
  // Room for the nsid control message (and anything else the kernel may add).
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(std::int32_t)) * 4];
  for (;;) {
    sockaddr_nl addr{};
    iovec iov{buf_.data(), buf_.size()};
    msghdr msg{};
    msg.msg_name = &addr;
    msg.msg_namelen = sizeof(addr);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd(), &msg, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return first_error;
      }
      return Status::os_error("netlink receive", errno);
    }
    if (msg.msg_flags & MSG_TRUNC) {
      // A datagram larger than the buffer: its messages are cut. Treat it
      // as lost notifications (the caller resynchronises).
      return Status::error("netlink receive: datagram truncated", ENOBUFS);
    }
    if (addr.nl_pid != 0) {
      continue;  // not from the kernel
    }
    const std::optional<std::int32_t> nsid =
        (msg.msg_flags & MSG_CTRUNC) ? std::nullopt : listen_nsid_from_cmsg(&msg);
    auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data());
    int len = static_cast<int>(n);
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type < NLMSG_MIN_TYPE) {
        continue;  // NOOP/ERROR/DONE/OVERRUN: nothing to apply
      }
      Status s = fn(nsid, nlh);
      if (!s && first_error.is_ok()) {
        first_error = s;
      }
    }
  }
}

}  // namespace vnet::netlink

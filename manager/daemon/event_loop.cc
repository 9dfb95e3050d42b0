#include "daemon/event_loop.h"

#include <sys/epoll.h>

#include <cerrno>

namespace vnet::daemon {

Result<EventLoop> EventLoop::create() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    return Status::os_error("epoll_create1", errno);
  }
  return EventLoop(UniqueFd(fd));
}

Status EventLoop::add(int fd, std::uint32_t events, Callback cb) {
  const std::uint64_t token = next_token_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    return Status::os_error("epoll add fd " + std::to_string(fd), errno);
  }
  entries_[token] = Entry{fd, std::make_shared<Callback>(std::move(cb))};
  tokens_[fd] = token;
  return Status::ok();
}

Status EventLoop::modify(int fd, std::uint32_t events) {
  auto it = tokens_.find(fd);
  if (it == tokens_.end()) {
    return Status::error("epoll modify: fd " + std::to_string(fd) + " not registered", ENOENT);
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = it->second;
  if (epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) {
    return Status::os_error("epoll modify fd " + std::to_string(fd), errno);
  }
  return Status::ok();
}

void EventLoop::remove(int fd) {
  auto it = tokens_.find(fd);
  if (it == tokens_.end()) {
    return;
  }
  epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);
  entries_.erase(it->second);
  tokens_.erase(it);
}

Status EventLoop::run_once(int timeout_ms) {
  epoll_event events[32];
  int n = epoll_wait(ep_.get(), events, 32, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) {
      return Status::ok();
    }
    return Status::os_error("epoll_wait", errno);
  }
  for (int i = 0; i < n; ++i) {
    auto it = entries_.find(events[i].data.u64);
    if (it == entries_.end()) {
      continue;  // removed by an earlier callback of this batch
    }
    // Hold the callback: it may remove itself while running.
    std::shared_ptr<Callback> cb = it->second.cb;
    (*cb)(events[i].events);
  }
  return Status::ok();
}

}  // namespace vnet::daemon

#pragma once
// A minimal single-threaded epoll loop. Each registration gets a unique
// token (epoll_event.data.u64), so an event queued for an fd that was
// closed and reused during the same batch is dropped, never misdelivered.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "util/unique_fd.h"
#include "util/result.h"

namespace vnet::daemon {

class EventLoop {
 public:
  using Callback = std::function<void(std::uint32_t events)>;

  static Result<EventLoop> create();

  Status add(int fd, std::uint32_t events, Callback cb);
  Status modify(int fd, std::uint32_t events);
  // Unregisters `fd` (call before closing it). Unknown fds are ignored.
  void remove(int fd);

  // Waits up to `timeout_ms` (-1: forever) and dispatches what is ready.
  Status run_once(int timeout_ms);

 private:
  explicit EventLoop(UniqueFd ep) : ep_(std::move(ep)) {}
  struct Entry {
    int fd;
    std::shared_ptr<Callback> cb;
  };
  UniqueFd ep_;
  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, Entry> entries_;
  std::map<int, std::uint64_t> tokens_;
};

}  // namespace vnet::daemon

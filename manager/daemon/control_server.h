#pragma once
// vnetd's side of the control socket (protocol in daemon/control.h): a
// listening unix stream socket, mode 0600, and non-blocking connections
// served from the event loop. A request is read up to its newline, answered
// by the handler, written out as the socket drains, and the connection is
// closed. A client that sends nothing for kClientTimeoutMs is dropped, so
// a stuck vnetctl cannot pin resources.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/event_loop.h"
#include "util/unique_fd.h"
#include "util/result.h"

namespace vnet::daemon {

struct ControlRequest {
  std::string command;   // "stats"
  std::string argument;  // endpoint name or ""
  std::string format;    // "table" | "yaml" | "json"
  bool operator==(const ControlRequest&) const = default;
};

// Parses one request line ("stats\tvm1\tjson", newline already removed).
// The format may be omitted (table); anything else malformed is nullopt.
std::optional<ControlRequest> parse_control_request(std::string_view line);

// "ok\n<body>" / "error\n<message>\n".
std::string control_ok(const std::string& body);
std::string control_error(const std::string& message);

inline constexpr std::size_t kMaxRequestBytes = 4096;
inline constexpr std::int64_t kClientTimeoutMs = 10000;

class ControlServer {
 public:
  // Returns the full response (control_ok / control_error).
  using Handler = std::function<std::string(const ControlRequest&)>;

  // Creates the socket's directory if needed, refuses to take over a socket
  // another process still answers on, removes a stale one, binds (0600) and
  // listens; registers with `loop`.
  static Result<std::unique_ptr<ControlServer>> open(const std::string& path, EventLoop* loop,
                                                     Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Drops connections idle for longer than kClientTimeoutMs.
  void expire_idle();

 private:
  struct Client {
    UniqueFd fd;
    std::string in;
    std::string out;
    std::size_t written = 0;
    std::chrono::steady_clock::time_point since;
  };
  ControlServer(std::string path, UniqueFd listener, EventLoop* loop, Handler handler);
  void on_accept();
  void on_client(int fd, std::uint32_t events);
  void close_client(int fd);

  std::string path_;
  UniqueFd listener_;
  EventLoop* loop_;
  Handler handler_;
  std::map<int, Client> clients_;
};

}  // namespace vnet::daemon

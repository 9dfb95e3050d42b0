// stats: asks one vnetd over its control socket (daemon/control.h) and
// prints the document it renders.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "commands.h"
#include "daemon/control.h"

namespace vnet::cli {

namespace {

// Generous: the daemon answers from its maps at once, but a 100k-endpoint
// dump takes a moment to render; a wedged daemon must not hang us forever.
constexpr int kSocketTimeoutSeconds = 30;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

const char* format_name(output::Format format) {
  switch (format) {
    case output::Format::kTable: return "table";
    case output::Format::kYaml: return "yaml";
    case output::Format::kJson: return "json";
  }
  return "table";
}

// One request, the whole response (the daemon closes after answering).
Result<std::string> ask_vnetd(const std::string& path, const std::string& request) {
  const std::string where = "cannot reach vnetd at " + path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Status::error(where + ": socket path too long");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return Status::os_error(where, errno);
  }
  timeval timeout{};
  timeout.tv_sec = kSocketTimeoutSeconds;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return Status::os_error(where, errno);
  }
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Status::os_error("sending to vnetd at " + path, errno);
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return Status::error("vnetd at " + path + " did not answer within " +
                             std::to_string(kSocketTimeoutSeconds) + "s");
      }
      return Status::os_error("reading from vnetd at " + path, errno);
    }
    if (n == 0) {
      break;
    }
    response.append(buf, static_cast<std::size_t>(n));
  }
  return response;
}

}  // namespace

int cmd_stats(const Globals& globals, const std::string& endpoint, output::Format format) {
  if (endpoint.find_first_of("\t\n") != std::string::npos) {
    print_error("invalid endpoint name");
    return kExitUsage;
  }
  const std::string socket = globals.socket.empty() ? control::kDefaultSocket : globals.socket;
  auto response = ask_vnetd(socket, "stats\t" + endpoint + "\t" + format_name(format) + "\n");
  if (!response) {
    print_error(response.status().message());
    return kExitFailure;
  }
  const std::string& text = *response;
  if (text.rfind("ok\n", 0) == 0) {
    std::cout << text.substr(3);
    return kExitOk;
  }
  if (text.rfind("error\n", 0) == 0) {
    std::string message = text.substr(6);
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    print_error(message.empty() ? "vnetd reported an error" : message);
    return kExitFailure;
  }
  print_error("unexpected answer from vnetd at " + socket +
              (text.empty() ? ": connection closed without a response" : ""));
  return kExitFailure;
}

}  // namespace vnet::cli

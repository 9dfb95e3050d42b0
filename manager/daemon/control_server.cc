#include "daemon/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "daemon/log.h"
#include "util/fs.h"

namespace vnet::daemon {
namespace {


Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Status::error("control socket path \"" + path + "\" is empty or longer than " +
                             std::to_string(sizeof(addr.sun_path) - 1) + " bytes",
                         ENAMETOOLONG);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

}  // namespace

std::optional<ControlRequest> parse_control_request(std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  ControlRequest req;
  std::size_t t1 = line.find('\t');
  if (t1 == std::string_view::npos) {
    req.command = std::string(line);
    req.format = "table";
  } else {
    req.command = std::string(line.substr(0, t1));
    std::string_view rest = line.substr(t1 + 1);
    std::size_t t2 = rest.find('\t');
    req.argument = std::string(rest.substr(0, t2));
    req.format = t2 == std::string_view::npos ? "table" : std::string(rest.substr(t2 + 1));
    if (req.format.find('\t') != std::string::npos) {
      return std::nullopt;
    }
  }
  if (req.command.empty()) {
    return std::nullopt;
  }
  if (req.format.empty()) {
    req.format = "table";
  }
  return req;
}

std::string control_ok(const std::string& body) {
  std::string r = "ok\n" + body;
  if (!body.empty() && body.back() != '\n') {
    r += '\n';
  }
  return r;
}

std::string control_error(const std::string& message) {
  std::string one_line = message;
  for (char& c : one_line) {
    if (c == '\n') {
      c = ' ';
    }
  }
  return "error\n" + one_line + "\n";
}

ControlServer::ControlServer(std::string path, UniqueFd listener, EventLoop* loop,
                             Handler handler)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      loop_(loop),
      handler_(std::move(handler)) {}

ControlServer::~ControlServer() {
  for (auto& [fd, client] : clients_) {
    loop_->remove(fd);
  }
  loop_->remove(listener_.get());
  // The socket file goes with the daemon: a later vnetctl gets ENOENT
  // ("not running") rather than ECONNREFUSED on a dead path.
  ::unlink(path_.c_str());
}

Result<std::unique_ptr<ControlServer>> ControlServer::open(const std::string& path,
                                                           EventLoop* loop, Handler handler) {
  auto addr = unix_address(path);
  if (!addr) {
    return addr.status();
  }
  const auto slash = path.rfind('/');
  if (auto s = slash == std::string::npos || slash == 0 ? Status::ok()
                                                         : make_dirs(path.substr(0, slash), 0755);
      !s) {
    return s;
  }
  // Is someone answering there? Then it is not stale: two vnetd must not
  // share a socket.
  {
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe) {
      return Status::os_error("control socket", errno);
    }
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr)) == 0) {
      return Status::error("control socket " + path +
                               " is in use by another process (another vnetd? use --socket)",
                           EADDRINUSE);
    }
    if (errno != ENOENT && errno != ECONNREFUSED) {
      return Status::os_error("probe control socket " + path, errno);
    }
    if (errno == ECONNREFUSED && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Status::os_error("remove stale control socket " + path, errno);
    }
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    return Status::os_error("control socket", errno);
  }
  // Root only: create it 0600 from the start (no window with a wider mode).
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof(*addr));
  int bind_errno = errno;
  ::umask(old_mask);
  if (rc != 0) {
    return Status::os_error("bind control socket " + path, bind_errno);
  }
  if (::chmod(path.c_str(), 0600) != 0) {
    return Status::os_error("chmod control socket " + path, errno);
  }
  if (::listen(fd.get(), 16) != 0) {
    return Status::os_error("listen on control socket " + path, errno);
  }
  int lfd = fd.get();
  auto server = std::unique_ptr<ControlServer>(
      new ControlServer(path, std::move(fd), loop, std::move(handler)));
  ControlServer* self = server.get();
  if (auto s = loop->add(lfd, EPOLLIN, [self](std::uint32_t) { self->on_accept(); }); !s) {
    return s;
  }
  return server;
}

void ControlServer::on_accept() {
  for (;;) {
    int cfd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (cfd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        log_warn("control socket: accept: " + std::string(std::strerror(errno)));
      }
      return;
    }
    Client c;
    c.fd.reset(cfd);
    c.since = std::chrono::steady_clock::now();
    clients_.emplace(cfd, std::move(c));
    if (auto s = loop_->add(cfd, EPOLLIN | EPOLLRDHUP,
                            [this, cfd](std::uint32_t ev) { on_client(cfd, ev); });
        !s) {
      log_warn("control socket: " + s.message());
      clients_.erase(cfd);
    }
  }
}

void ControlServer::on_client(int fd, std::uint32_t events) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) {
    return;
  }
  Client& c = it->second;
  if (c.out.empty() && (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP | EPOLLERR))) {
    char buf[1024];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        if (c.in.size() > kMaxRequestBytes) {
          c.out = control_error("request too long");
          break;
        }
        if (c.in.find('\n') != std::string::npos) {
          break;
        }
        continue;
      }
      if (n == 0) {
        // Closed before a full line: nothing to answer.
        if (c.in.find('\n') == std::string::npos) {
          close_client(fd);
          return;
        }
        break;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      close_client(fd);
      return;
    }
    std::size_t nl = c.in.find('\n');
    if (c.out.empty() && nl == std::string::npos) {
      return;  // wait for the rest of the line
    }
    if (c.out.empty()) {
      auto req = parse_control_request(std::string_view(c.in).substr(0, nl));
      c.out = req ? handler_(*req) : control_error("malformed request");
    }
    if (auto s = loop_->modify(fd, EPOLLOUT); !s) {
      close_client(fd);
      return;
    }
  }
  while (c.written < c.out.size()) {
    ssize_t n = ::send(fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
    if (n > 0) {
      c.written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c.since = std::chrono::steady_clock::now();  // making progress: not idle
      return;
    }
    break;  // peer gone
  }
  close_client(fd);
}

void ControlServer::close_client(int fd) {
  loop_->remove(fd);
  clients_.erase(fd);  // closes the fd
}

void ControlServer::expire_idle() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<int> stale;
  for (const auto& [fd, c] : clients_) {
    if (now - c.since > std::chrono::milliseconds(kClientTimeoutMs)) {
      stale.push_back(fd);
    }
  }
  for (int fd : stale) {
    close_client(fd);
  }
}

}  // namespace vnet::daemon

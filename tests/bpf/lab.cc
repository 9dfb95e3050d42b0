#include "lab.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace vt {

namespace {

std::string g_tmpdir;
std::string g_bpffs;
bool g_mounted = false;
int g_tap_fd = -1;
std::map<std::string, int> g_capture_fd;
std::map<std::string, std::vector<Bytes>> g_captured;

std::string mac_str(const Mac& m) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m.b[0], m.b[1], m.b[2], m.b[3],
                m.b[4], m.b[5]);
  return buf;
}

bool sh(const std::string& cmd, std::string* err) {
  // Runs inside our private netns (inherited by the child).
  const std::string errfile = "/tmp/vnet-bpftest-" + std::to_string(getpid()) + ".err";
  int rc = std::system((cmd + " >/dev/null 2>" + errfile).c_str());
  if (rc != 0) {
    std::string msg;
    if (FILE* f = std::fopen(errfile.c_str(), "r")) {
      char line[512];
      while (std::fgets(line, sizeof line, f)) {
        msg += line;
      }
      std::fclose(f);
    }
    *err = "`" + cmd + "` failed (" + std::to_string(rc) + "): " + msg;
    return false;
  }
  return true;
}

bool write_file(const std::string& path, const std::string& value, std::string* err) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f || std::fputs(value.c_str(), f) < 0 || std::fclose(f) != 0) {
    *err = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

bool open_tap(const char* name, std::string* err) {
  g_tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (g_tap_fd < 0) {
    *err = std::string("open /dev/net/tun: ") + std::strerror(errno);
    return false;
  }
  ifreq ifr{};
  std::snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  if (ioctl(g_tap_fd, TUNSETIFF, &ifr) < 0) {
    *err = std::string("TUNSETIFF: ") + std::strerror(errno);
    return false;
  }
  return true;
}

bool open_packet_socket(const std::string& name, std::string* err) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) {
    *err = std::string("AF_PACKET socket: ") + std::strerror(errno);
    return false;
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(if_nametoindex(name.c_str()));
  if (sll.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
    *err = "bind packet socket to " + name + ": " + std::strerror(errno);
    close(fd);
    return false;
  }
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  g_capture_fd[name] = fd;
  return true;
}

// Reads everything pending on fd; returns number of frames read.
int read_pending(const std::string& point, int fd, bool keep) {
  int n = 0;
  std::uint8_t buf[16384];
  for (;;) {
    ssize_t r;
    if (point == "vm5-t") {
      r = read(fd, buf, sizeof buf);
    } else {
      sockaddr_ll from{};
      socklen_t fl = sizeof from;
      r = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      // Only what arrives on the capture interface; never our own transmits.
      if (r >= 0 && from.sll_pkttype == PACKET_OUTGOING) {
        continue;
      }
    }
    if (r < 0) {
      break;
    }
    ++n;
    if (keep) {
      g_captured[point].emplace_back(buf, buf + r);
    }
  }
  return n;
}

}  // namespace

bool lab_setup(std::string* err) {
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
    *err = std::string("unshare(CLONE_NEWNET|CLONE_NEWNS): ") + std::strerror(errno);
    return false;
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    *err = std::string("make / private: ") + std::strerror(errno);
    return false;
  }
  char tmpl[] = "/tmp/vnet-bpftest.XXXXXX";
  if (!mkdtemp(tmpl)) {
    *err = std::string("mkdtemp: ") + std::strerror(errno);
    return false;
  }
  g_tmpdir = tmpl;
  if (mount("bpffs", g_tmpdir.c_str(), "bpf", 0, "mode=0700") != 0) {
    *err = "mount bpffs on " + g_tmpdir + ": " + std::strerror(errno);
    return false;
  }
  g_mounted = true;
  g_bpffs = g_tmpdir;

  // No IPv6 on anything we create: no router solicitations/MLD in captures.
  if (!write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1", err) ||
      !write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1", err)) {
    return false;
  }
  if (!open_tap("vm5-t", err)) {
    return false;
  }
  const std::vector<std::string> cmds = {
      "ip link set lo up",
      "ip link add ul0 address " + mac_str(kUl0Mac) + " mtu 1500 type veth peer name ul1 address " +
          mac_str(kUl1Mac),
      "ip link add vm1-h type veth peer name vm1-c",
      "ip link add vm2-h type veth peer name vm2-c",
      "ip link add vm6-h type veth peer name vm6-c",
      "ip link add vm9-h type veth peer name vm9-c",
      "ip link add t2vm1-h type veth peer name t2vm1-c",
      "ip link add t2vm2-h type veth peer name t2vm2-c",
      "ip link set vm5-t address 02:ee:00:00:05:05 up",
      "ip link set ul1 promisc on",
      // What vnetd creates: vnet_tc_tunnel's device (its tests run there).
      "ip link add vnet-vxlan type vxlan external dstport 4789 nolearning",
      "ip link set vnet-vxlan up",
      // Not the underlay: a VTEP routed out of it is not the fast path's.
      "ip link add ul2 address " + mac_str(kUl2Mac) + " mtu 1500 type veth peer name ul3",
  };
  for (const auto& c : cmds) {
    if (!sh(c, err)) {
      return false;
    }
  }
  for (const char* dev : {"ul0", "ul1", "vm1-h", "vm1-c", "vm2-h", "vm2-c", "vm6-h", "vm6-c", "vm9-h",
                          "vm9-c", "t2vm1-h", "t2vm1-c", "t2vm2-h", "t2vm2-c", "ul2", "ul3"}) {
    if (!sh(std::string("ip link set ") + dev + " up", err)) {
      return false;
    }
  }
  const std::vector<std::string> l3 = {
      "ip addr add 198.18.0.1/24 dev ul0",
      "ip neigh replace 198.18.0.2 lladdr " + mac_str(kVtepAMac) + " nud permanent dev ul0",
      "ip neigh replace 198.18.0.3 lladdr " + mac_str(kVtepT2aMac) + " nud permanent dev ul0",
      "ip neigh replace 198.18.0.4 lladdr " + mac_str(kVtepT2bMac) + " nud permanent dev ul0",
      "ip neigh replace 198.18.0.254 lladdr " + mac_str(kGwMac) + " nud permanent dev ul0",
      "ip route add 198.18.1.0/24 via 198.18.0.254 dev ul0",
      "ip addr add 198.19.0.1/24 dev ul2",
      "ip neigh replace 198.19.0.2 lladdr " + mac_str(kVtepOtherIfMac) + " nud permanent dev ul2",
  };
  for (const auto& c : l3) {
    if (!sh(c, err)) {
      return false;
    }
  }
  // bpf_fib_lookup() answers BPF_FIB_LKUP_RET_FWD_DISABLED unless IPv4
  // forwarding is on for the interface it is asked about. The datapath looks
  // up "as if arriving on the endpoint's port" and vnetd turns forwarding on
  // for port interfaces only (never the underlay: the host is no router), so
  // the lab does the same.
  // VNET_BPFTEST_NO_FORWARDING=1 leaves it off, to see what a host without
  // forwarding gets.
  for (const char* dev : {"vm1-h", "vm2-h", "vm6-h", "vm9-h", "t2vm1-h", "t2vm2-h", "vm5-t"}) {
    if (std::getenv("VNET_BPFTEST_NO_FORWARDING")) {
      break;
    }
    if (!write_file(std::string("/proc/sys/net/ipv4/conf/") + dev + "/forwarding", "1", err)) {
      return false;
    }
  }
  for (const auto& p : kCapturePoints) {
    if (p == "vm5-t") {
      g_capture_fd[p] = g_tap_fd;
    } else if (!open_packet_socket(p, err)) {
      return false;
    }
  }
  capture_drain_all();
  return true;
}

void lab_teardown() {
  for (auto& [name, fd] : g_capture_fd) {
    if (name != "vm5-t") {
      close(fd);
    }
  }
  g_capture_fd.clear();
  if (g_tap_fd >= 0) {
    close(g_tap_fd);
    g_tap_fd = -1;
  }
  if (g_mounted) {
    umount2(g_tmpdir.c_str(), MNT_DETACH);
    g_mounted = false;
  }
  if (!g_tmpdir.empty()) {
    rmdir(g_tmpdir.c_str());
    g_tmpdir.clear();
  }
  unlink(("/tmp/vnet-bpftest-" + std::to_string(getpid()) + ".err").c_str());
}

const std::string& lab_bpffs() { return g_bpffs; }

int ifindex(const std::string& name) {
  unsigned idx = if_nametoindex(name.c_str());
  if (idx == 0) {
    std::fprintf(stderr, "FATAL: no interface %s in the test namespace\n", name.c_str());
    std::abort();
  }
  return static_cast<int>(idx);
}

void capture_drain_all() {
  for (auto& [name, fd] : g_capture_fd) {
    read_pending(name, fd, false);
  }
  g_captured.clear();
}

void capture_settle(int quiet_ms, int max_ms) {
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  for (;;) {
    std::vector<pollfd> pfds;
    std::vector<std::string> names;
    for (auto& [name, fd] : g_capture_fd) {
      pfds.push_back({fd, POLLIN, 0});
      names.push_back(name);
    }
    poll(pfds.data(), pfds.size(), 5);
    int got = 0;
    for (std::size_t i = 0; i < pfds.size(); ++i) {
      got += read_pending(names[i], pfds[i].fd, true);
    }
    auto now = std::chrono::steady_clock::now();
    if (got > 0) {
      last = now;
    }
    auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    if (ms(now - last) >= quiet_ms || ms(now - start) >= max_ms) {
      return;
    }
  }
}

std::vector<Bytes> capture_collect(const std::string& point) {
  auto it = g_captured.find(point);
  if (it == g_captured.end()) {
    return {};
  }
  auto v = std::move(it->second);
  g_captured.erase(it);
  return v;
}

}  // namespace vt

#include "datapath/datapath.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>

// The skeletons' rodata sections name struct vnet_config without defining
// it: abi.h (included above through datapath.h) must come first.
#include "tc_endpoint.skel.h"
#include "tc_tunnel.skel.h"
#include "tc_underlay.skel.h"
#include "xdp_endpoint.skel.h"
#include "xdp_underlay.skel.h"
#include "datapath/attach.h"
#include "util/fs.h"

namespace vnet::datapath {
namespace {

template <typename Skel, void (*Destroy)(Skel*)>
struct SkelDeleter {
  void operator()(Skel* s) const { Destroy(s); }
};
template <typename Skel, void (*Destroy)(Skel*)>
using SkelPtr = std::unique_ptr<Skel, SkelDeleter<Skel, Destroy>>;

using XdpUnderlay = SkelPtr<xdp_underlay, xdp_underlay__destroy>;
using TcTunnel = SkelPtr<tc_tunnel, tc_tunnel__destroy>;
using TcUnderlay = SkelPtr<tc_underlay, tc_underlay__destroy>;
using TcEndpoint = SkelPtr<tc_endpoint, tc_endpoint__destroy>;
using XdpEndpoint = SkelPtr<xdp_endpoint, xdp_endpoint__destroy>;

// Opens a skeleton with every LIBBPF_PIN_BY_NAME map under `pin_dir`
// (reused when pinned, created and pinned otherwise), sets its rodata
// config and loads it.
template <typename Ptr, typename Skel>
Result<Ptr> load_skeleton(const char* what, Skel* (*open)(const bpf_object_open_opts*),
                          int (*load)(Skel*), const std::string& pin_dir, const Config& config) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir.c_str());
  Ptr skel(open(&opts));
  if (!skel) {
    return Status::os_error(std::string("open BPF object ") + what, errno);
  }
  skel->rodata->vnet_cfg = config.to_abi();
  // Every object that uses the table must declare it with the pinned size.
  if (bpf_map* ct = bpf_object__find_map_by_name(skel->obj, VNET_MAP_CONNTRACK); ct != nullptr) {
    if (int err = bpf_map__set_max_entries(ct, config.conntrack_size); err != 0) {
      return Status::os_error(std::string("size conntrack of ") + what, -err);
    }
  }
  int err = load(skel.get());
  if (err != 0) {
    // libbpf has printed the verifier log or the pinned-map mismatch
    // ("couldn't reuse pinned map") through the log callback.
    int e = err < 0 ? -err : errno;
    std::string ctx = std::string("load BPF program ") + what;
    if (e == EINVAL) {
      ctx += " (if libbpf reported a pinned map mismatch, the maps under " + pin_dir +
             " were created by an incompatible datapath)";
    }
    return Status::os_error(ctx, e);
  }
  return skel;
}

// The map layouts this build expects, checked on every pinned map so a
// datapath built from another abi.h is refused before anything is written.
struct MapLayout {
  const char* name;
  std::uint32_t key_size;
  std::uint32_t value_size;
};
constexpr MapLayout kMapLayouts[] = {
    {VNET_MAP_PORTS, sizeof(std::uint32_t), sizeof(vnet_port)},
    {VNET_MAP_PORT_SRC, sizeof(vnet_port_src_key), sizeof(std::uint8_t)},
    {VNET_MAP_FDB, sizeof(vnet_fdb_key), sizeof(vnet_fdb_entry)},
    {VNET_MAP_NEIGH, sizeof(vnet_neigh_key), sizeof(vnet_neigh_entry)},
    {VNET_MAP_REMOTE_HOST, sizeof(vnet_remote_host_key), sizeof(std::uint8_t)},
    {VNET_MAP_REMOTE_SRC, sizeof(vnet_remote_src_key), sizeof(std::uint8_t)},
    {VNET_MAP_VTEPS, sizeof(std::uint32_t), sizeof(vnet_vtep)},
    {VNET_MAP_NETWORKS, sizeof(std::uint32_t), sizeof(vnet_network)},
    {VNET_MAP_EP_STATS, sizeof(std::uint32_t), sizeof(vnet_ep_stats)},
    {VNET_MAP_EP_SLOTS, sizeof(std::uint32_t), sizeof(std::uint32_t)},
    {VNET_MAP_DROPS, sizeof(std::uint32_t), sizeof(std::uint64_t)},
    {VNET_MAP_ROUTER_IFACES, sizeof(vnet_fdb_key), sizeof(vnet_router_iface)},
    {VNET_MAP_ROUTES, sizeof(vnet_route_key), sizeof(vnet_route)},
    {VNET_MAP_ICMP_RATE, sizeof(std::uint32_t), sizeof(vnet_icmp_bucket)},
    {VNET_MAP_POLICY_REMOTE, sizeof(vnet_policy_remote_key), sizeof(vnet_policy_remote)},
    {VNET_MAP_POLICY_RULES, sizeof(vnet_policy_rule_key), sizeof(vnet_policy_rule)},
    {VNET_MAP_CONNTRACK, sizeof(vnet_ct_key), sizeof(vnet_ct_entry)},
    {VNET_MAP_CT_STATS, sizeof(std::uint32_t), sizeof(vnet_ct_stats)},
    {VNET_MAP_STATE, sizeof(std::uint32_t), sizeof(vnet_state)},
};

// A conntrack table pinned with another size than --conntrack-size is
// replaced (libbpf would refuse to reuse it): its flows are classified
// again, and replies to flows it held are dropped until they are.
Status resize_conntrack_pin(const std::string& pin_dir, std::uint32_t size) {
  const std::string path = pin_dir + "/" + VNET_MAP_CONNTRACK;
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    return errno == ENOENT ? Status::ok() : Status::os_error("open " + path, errno);
  }
  UniqueFd owned(fd);
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(owned.get(), &info, &len) != 0) {
    return Status::os_error("inspect " + path, errno);
  }
  if (info.max_entries == size) {
    return Status::ok();
  }
  if (::unlink(path.c_str()) != 0) {
    return Status::os_error("unpin " + path + " (" + std::to_string(info.max_entries) +
                                " entries, --conntrack-size is " + std::to_string(size) + ")",
                            errno);
  }
  return Status::ok();
}


// Pins in `dir` that look like vnet's, other than the marker.
Result<std::vector<std::string>> vnet_pins(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return Status::os_error("list " + dir, errno);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("vnet_", 0) == 0 && name != kAbiMarkerName) {
      names.push_back(name);
    }
  }
  ::closedir(d);
  return names;
}

// The ABI marker is a one-slot array map pinned beside the maps: it lives
// and dies with them (a file elsewhere could outlive or predate the pins).
Status check_or_create_abi_marker(const std::string& pin_dir) {
  const std::string path = pin_dir + "/" + kAbiMarkerName;
  const std::uint32_t key = 0;
  int fd = bpf_obj_get(path.c_str());
  if (fd >= 0) {
    auto marker = PinnedMap::adopt(UniqueFd(fd));
    if (!marker) {
      return marker.status().with_context(path);
    }
    const MapInfo& info = (*marker)->info();
    if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != 4 || info.value_size != 4) {
      return Status::error(path + " is not a vnet ABI marker (unexpected map layout)", EINVAL);
    }
    auto value = (*marker)->lookup(reconcile::Bytes(4, 0));
    if (!value) {
      return value.status().with_context(path);
    }
    std::uint32_t version = 0;
    if (value->has_value()) {
      std::memcpy(&version, (*value)->data(), sizeof(version));
    }
    if (version != VNET_ABI_VERSION) {
      return Status::error("the datapath pinned under " + pin_dir + " has ABI version " +
                               std::to_string(version) + " but this vnetd speaks version " +
                               std::to_string(VNET_ABI_VERSION) +
                               "; refusing to adopt it. Run a matching vnetd, or remove the "
                               "pins (rm -r " + pin_dir +
                               ", interrupts forwarding) and restart vnetd or send it SIGHUP",
                           EPROTO);
    }
    return Status::ok();
  }
  if (errno != ENOENT) {
    return Status::os_error("open ABI marker " + path, errno);
  }
  auto existing = vnet_pins(pin_dir);
  if (!existing) {
    return existing.status();
  }
  if (!existing->empty()) {
    return Status::error(pin_dir + " holds vnet pins (" + existing->front() +
                             ", ...) but no ABI marker (" + kAbiMarkerName +
                             "): they were not created by this vnetd; refusing to adopt them",
                         EPROTO);
  }
  int mfd = bpf_map_create(BPF_MAP_TYPE_ARRAY, kAbiMarkerName, sizeof(key),
                           sizeof(std::uint32_t), 1, nullptr);
  if (mfd < 0) {
    return Status::os_error("create ABI marker map", errno);
  }
  UniqueFd owned(mfd);
  const std::uint32_t version = VNET_ABI_VERSION;
  if (bpf_map_update_elem(owned.get(), &key, &version, BPF_ANY) != 0) {
    return Status::os_error("write ABI marker", errno);
  }
  if (bpf_obj_pin(owned.get(), path.c_str()) != 0) {
    return Status::os_error("pin ABI marker at " + path, errno);
  }
  return Status::ok();
}

}  // namespace

// ---- Config -------------------------------------------------------------------

vnet_config Config::to_abi() const {
  vnet_config c{};
  c.vtep_be = vtep_be;
  c.vxlan_port_be = htons(vxlan_port);
  c.flags = flags;
  c.underlay_ifindex = underlay_ifindex;
  c.tunnel_ifindex = tunnel_ifindex;
  return c;
}

std::string Config::str() const {
  char vtep[INET_ADDRSTRLEN] = {};
  in_addr a{};
  a.s_addr = vtep_be;
  inet_ntop(AF_INET, &a, vtep, sizeof(vtep));
  return std::string("vtep ") + vtep + ", vxlan port " + std::to_string(vxlan_port) +
         ", underlay ifindex " + std::to_string(underlay_ifindex) +
         ", tunnel ifindex " + std::to_string(tunnel_ifindex) +
         ", conntrack " + std::to_string(conntrack_size) +
         (xdp_transmit ? ", xdp transmit" : "") +
         (flags != 0 ? ", flags " + std::to_string(flags) : "");
}

// ---- pin dir ----------------------------------------------------------------

Status ensure_bpffs_dir(const std::string& dir) {
  if (dir.empty() || dir.front() != '/') {
    return Status::error("pin dir must be an absolute path, got \"" + dir + "\"", EINVAL);
  }
  // `ip netns exec` remounts /sys, so there /sys/fs/bpf is missing or not
  // the machine's bpffs: say so, since the plain error is puzzling.
  const std::string hint =
      dir.rfind("/sys/", 0) == 0
          ? " (under `ip netns exec`, /sys is remounted and /sys/fs/bpf is not the machine's "
            "bpffs: mount a bpffs elsewhere, e.g. under /run, and point --pin-dir into it)"
          : "";
  if (auto s = make_dirs(dir, 0700); !s) {
    return Status::error(s.message() + hint, s.err());
  }
  struct statfs fs {};
  if (::statfs(dir.c_str(), &fs) != 0) {
    return Status::os_error("statfs " + dir, errno);
  }
  if (static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC) {
    return Status::error(dir + " is not on a bpffs, so pinned maps would not outlive vnetd; "
                               "mount one (mount -t bpf bpf DIR) and point --pin-dir into it" +
                             hint,
                         EINVAL);
  }
  return Status::ok();
}

Result<UniqueFd> lock_pin_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    return Status::os_error("open " + dir, errno);
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Status::error("another vnetd is using the pins under " + dir, EBUSY);
    }
    return Status::os_error("lock " + dir, errno);
  }
  return fd;
}

// ---- programs ---------------------------------------------------------------

class ProgramSet {
 public:
  static Result<std::unique_ptr<ProgramSet>> load(const std::string& pin_dir,
                                                  const Config& config) {
    auto set = std::unique_ptr<ProgramSet>(new ProgramSet());
    set->config_ = config;
    const Config& cfg = config;
    auto xdp = load_skeleton<XdpUnderlay>("vnet_xdp_underlay", xdp_underlay__open_opts,
                                          xdp_underlay__load, pin_dir, cfg);
    if (!xdp) {
      return xdp.status();
    }
    set->xdp_underlay_ = std::move(*xdp);
    auto tct = load_skeleton<TcTunnel>("vnet_tc_tunnel", tc_tunnel__open_opts, tc_tunnel__load,
                                       pin_dir, cfg);
    if (!tct) {
      return tct.status();
    }
    set->tc_tunnel_ = std::move(*tct);
    auto tcu = load_skeleton<TcUnderlay>("vnet_tc_underlay", tc_underlay__open_opts,
                                         tc_underlay__load, pin_dir, cfg);
    if (!tcu) {
      return tcu.status();
    }
    set->tc_underlay_ = std::move(*tcu);
    auto tce = load_skeleton<TcEndpoint>("vnet_tc_endpoint", tc_endpoint__open_opts,
                                         tc_endpoint__load, pin_dir, cfg);
    if (!tce) {
      return tce.status();
    }
    set->tc_endpoint_ = std::move(*tce);
    if (cfg.xdp_transmit) {
      auto xde = load_skeleton<XdpEndpoint>("vnet_xdp_endpoint", xdp_endpoint__open_opts,
                                            xdp_endpoint__load, pin_dir, cfg);
      if (!xde) {
        return xde.status();
      }
      set->xdp_endpoint_ = std::move(*xde);
    }
    return set;
  }

  const Config& config() const { return config_; }
  int xdp_underlay_fd() const {
    return bpf_program__fd(xdp_underlay_->progs.vnet_xdp_underlay);
  }
  int tc_tunnel_fd() const { return bpf_program__fd(tc_tunnel_->progs.vnet_tc_tunnel); }
  int tc_underlay_fd() const { return bpf_program__fd(tc_underlay_->progs.vnet_tc_underlay); }
  int tc_endpoint_fd() const { return bpf_program__fd(tc_endpoint_->progs.vnet_tc_endpoint); }
  // -1 when not loaded (Config::xdp_transmit off).
  int xdp_endpoint_fd() const {
    return xdp_endpoint_ ? bpf_program__fd(xdp_endpoint_->progs.vnet_xdp_endpoint) : -1;
  }

 private:
  ProgramSet() = default;
  Config config_;
  XdpUnderlay xdp_underlay_;
  TcTunnel tc_tunnel_;
  TcUnderlay tc_underlay_;
  TcEndpoint tc_endpoint_;
  XdpEndpoint xdp_endpoint_;
};

// ---- Datapath ---------------------------------------------------------------

Datapath::Datapath(std::string pin_dir) : pin_dir_(std::move(pin_dir)) {}

Datapath::~Datapath() = default;

Result<std::unique_ptr<Datapath>> Datapath::open(const std::string& pin_dir,
                                                 const Config& config) {
  if (auto s = ensure_bpffs_dir(pin_dir); !s) {
    return s;
  }
  // The marker is checked (or created) before libbpf touches any pin, so
  // maps of another layout are never reused.
  if (auto s = check_or_create_abi_marker(pin_dir); !s) {
    return s;
  }
  if (auto s = resize_conntrack_pin(pin_dir, config.conntrack_size); !s) {
    return s;
  }
  auto dp = std::unique_ptr<Datapath>(new Datapath(pin_dir));
  auto programs = ProgramSet::load(pin_dir, config);
  if (!programs) {
    return programs.status();
  }
  dp->programs_ = std::move(*programs);
  if (auto s = dp->open_maps(); !s) {
    return s;
  }
  return dp;
}

Status Datapath::open_maps() {
  for (const auto& layout : kMapLayouts) {
    auto m = PinnedMap::open(pin_dir_ + "/" + layout.name);
    if (!m) {
      return m.status();
    }
    const MapInfo& info = (*m)->info();
    if (info.key_size != layout.key_size || info.value_size != layout.value_size) {
      return Status::error(std::string("pinned map ") + layout.name + " has key/value sizes " +
                               std::to_string(info.key_size) + "/" +
                               std::to_string(info.value_size) + ", abi.h says " +
                               std::to_string(layout.key_size) + "/" +
                               std::to_string(layout.value_size),
                           EPROTO);
    }
    maps_[layout.name] = std::move(*m);
  }
  return Status::ok();
}

const Config& Datapath::config() const { return programs_->config(); }

Status Datapath::reload(const Config& config) {
  auto programs = ProgramSet::load(pin_dir_, config);
  if (!programs) {
    return programs.status();
  }
  // The old programs stay attached (the kernel holds them) until the next
  // ensure pass replaces them hook by hook; closing our fds is safe.
  programs_ = std::move(*programs);
  return Status::ok();
}

Status Datapath::ensure(std::uint32_t ifindex, Hook hook, int prog_fd) {
  auto mine = prog_info_by_fd(prog_fd);
  if (!mine) {
    return mine.status();
  }
  auto key = std::make_pair(ifindex, hook);
  auto it = attached_.find(key);
  if (it != attached_.end() && it->second == mine->id) {
    return Status::ok();
  }
  Status s = hook == Hook::kXdp ? attach_xdp(ifindex, prog_fd) : attach_tc_ingress(ifindex, prog_fd);
  if (!s) {
    attached_.erase(key);
    return s;
  }
  attached_[key] = mine->id;
  return Status::ok();
}

Status Datapath::ensure_underlay(std::uint32_t ifindex) {
  // Both hooks are tried even if XDP fails (a foreign XDP program, a driver
  // without native XDP): the tc filter marks the underlay's VXLAN for the
  // VXLAN device, whose program then checks everything, slower, so traffic
  // keeps flowing while the failure is reported. The filter replaces an
  // older vnetd's, which decapsulated there itself.
  Status xdp = ensure(ifindex, Hook::kXdp, programs_->xdp_underlay_fd());
  Status tc = ensure(ifindex, Hook::kTcIngress, programs_->tc_underlay_fd());
  if (!xdp && !tc) {
    return Status::error(xdp.message() + "; " + tc.message(), xdp.err());
  }
  return xdp ? tc : xdp;
}

Status Datapath::ensure_tunnel(std::uint32_t ifindex) {
  return ensure(ifindex, Hook::kTcIngress, programs_->tc_tunnel_fd());
}

Status Datapath::ensure_endpoint(std::uint32_t ifindex) {
  return ensure(ifindex, Hook::kTcIngress, programs_->tc_endpoint_fd());
}

Status Datapath::ensure_endpoint_xdp(std::uint32_t ifindex, bool on) {
  if (on) {
    if (programs_->xdp_endpoint_fd() < 0) {
      return Status::error("vnet_xdp_endpoint is not loaded (the datapath was loaded "
                           "without --xdp-transmit)",
                           ENOENT);
    }
    return ensure(ifindex, Hook::kXdp, programs_->xdp_endpoint_fd());
  }
  // Off: remove ours (an earlier vnetd's with --xdp-transmit), once.
  auto key = std::make_pair(ifindex, Hook::kXdp);
  if (auto it = attached_.find(key); it != attached_.end() && it->second == kNoProgram) {
    return Status::ok();
  }
  if (Status s = detach_xdp(ifindex); !s) {
    attached_.erase(key);
    return s;
  }
  attached_[key] = kNoProgram;
  return Status::ok();
}

Status Datapath::release_underlay(std::uint32_t ifindex) {
  forget_attachments(ifindex);
  Status xdp = detach_xdp(ifindex);
  Status tc = detach_tc_ingress(ifindex);
  return xdp ? tc : xdp;
}

bool Datapath::is_underlay_program(std::uint32_t prog_id) const {
  auto ours = prog_info_by_fd(programs_->xdp_underlay_fd());
  if (!ours || ours->id == prog_id) {
    return ours.is_ok();
  }
  // Every port runs our endpoint program with --xdp-transmit: no need to
  // ask the kernel about each.
  if (int fd = programs_->xdp_endpoint_fd(); fd >= 0) {
    if (auto endpoint = prog_info_by_fd(fd); endpoint && endpoint->id == prog_id) {
      return false;
    }
  }
  // Another build's (an older vnetd): by name, as the kernel keeps it (15
  // characters).
  auto theirs = prog_info_by_id(prog_id);
  return theirs && theirs->name == ours->name;
}

void Datapath::forget_attachments() { attached_.clear(); }

void Datapath::forget_attachments(std::uint32_t ifindex) {
  attached_.erase(std::make_pair(ifindex, Hook::kXdp));
  attached_.erase(std::make_pair(ifindex, Hook::kTcIngress));
}

Result<bool> Datapath::set_vtep(__be32 vtep_be, const vnet_vtep& value) {
  PinnedMap* vteps = map(VNET_MAP_VTEPS);
  if (vteps == nullptr) {
    return Status::error(std::string(VNET_MAP_VTEPS) + " is not open", ENOENT);
  }
  const auto* k = reinterpret_cast<const std::uint8_t*>(&vtep_be);
  const auto* v = reinterpret_cast<const std::uint8_t*>(&value);
  const reconcile::Bytes key(k, k + sizeof(vtep_be));
  const reconcile::Bytes want(v, v + sizeof(value));
  auto cur = vteps->lookup(key);
  if (!cur) {
    return cur.status();
  }
  if (!cur->has_value() || **cur == want) {
    return false;
  }
  if (Status s = vteps->update(key, want); !s) {
    return s;
  }
  return true;
}

Status Datapath::set_next_hop_lease(std::uint64_t until_ns) {
  PinnedMap* state = map(VNET_MAP_STATE);
  if (state == nullptr) {
    return Status::error(std::string(VNET_MAP_STATE) + " is not open", ENOENT);
  }
  const std::uint32_t zero = 0;
  vnet_state value{};
  value.next_hops_until_ns = until_ns;
  const auto* k = reinterpret_cast<const std::uint8_t*>(&zero);
  const auto* v = reinterpret_cast<const std::uint8_t*>(&value);
  return state->update(reconcile::Bytes(k, k + sizeof(zero)),
                       reconcile::Bytes(v, v + sizeof(value)));
}

PinnedMap* Datapath::map(const std::string& name) {
  auto it = maps_.find(name);
  return it == maps_.end() ? nullptr : it->second.get();
}

reconcile::MapLookup Datapath::lookup() {
  return [this](const std::string& name) -> reconcile::MapIo* { return map(name); };
}

EndpointCounters sum_endpoint_counters(const std::uint8_t* block, std::size_t ncpus,
                                       std::size_t stride) {
  static_assert(sizeof(vnet_ep_stats) % sizeof(std::uint64_t) == 0);
  constexpr std::size_t kCounters = sizeof(vnet_ep_stats) / sizeof(std::uint64_t);
  std::uint64_t sum[kCounters] = {};
  sum_per_cpu_u64(block, ncpus, stride, kCounters, sum);
  vnet_ep_stats total{};
  std::memcpy(&total, sum, sizeof(total));
  EndpointCounters c;
  c.tx_packets = total.tx_packets;
  c.tx_bytes = total.tx_bytes;
  c.rx_packets = total.rx_packets;
  c.rx_bytes = total.rx_bytes;
  for (std::size_t i = 0; i < VNET_DROP_MAX; ++i) {
    c.drops[i] = total.drops[i];
  }
  return c;
}

namespace {

reconcile::Bytes u32_bytes(std::uint32_t v) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
  return reconcile::Bytes(p, p + sizeof v);
}

}  // namespace

namespace {

// Writes `entries` in one batch where the kernel takes it, else one by one.
Status write_all(PinnedMap* m, const std::vector<std::pair<reconcile::Bytes, reconcile::Bytes>>& entries) {
  std::vector<reconcile::MapIo::KeyValue> kv;
  kv.reserve(entries.size());
  for (const auto& [k, v] : entries) {
    kv.emplace_back(&k, &v);
  }
  if (m->update_batch(kv)) {
    return Status::ok();
  }
  for (const auto& [k, v] : entries) {
    if (auto s = m->update(k, v); !s) {
      return s;
    }
  }
  return Status::ok();
}

}  // namespace

Status Datapath::take_stats_slots(
    const std::vector<std::pair<std::uint16_t, std::uint32_t>>& slots) {
  if (slots.empty()) {
    return Status::ok();
  }
  std::vector<std::pair<reconcile::Bytes, reconcile::Bytes>> zeroes;
  std::vector<std::pair<reconcile::Bytes, reconcile::Bytes>> owners;
  const reconcile::Bytes zero(sizeof(vnet_ep_stats), 0);  // every CPU's
  for (const auto& [slot, id] : slots) {
    zeroes.emplace_back(u32_bytes(slot), zero);
    owners.emplace_back(u32_bytes(slot), u32_bytes(id));
  }
  // Zeroed before recorded: a recorded slot never holds another's counts.
  if (auto s = write_all(map(VNET_MAP_EP_STATS), zeroes); !s) {
    return s;
  }
  return write_all(map(VNET_MAP_EP_SLOTS), owners);
}

Status Datapath::record_stats_slots(const std::vector<std::uint16_t>& slots,
                                   std::uint32_t value) {
  std::vector<std::pair<reconcile::Bytes, reconcile::Bytes>> records;
  for (std::uint16_t slot : slots) {
    records.emplace_back(u32_bytes(slot), u32_bytes(value));
  }
  return records.empty() ? Status::ok() : write_all(map(VNET_MAP_EP_SLOTS), records);
}

Result<std::vector<std::pair<std::uint16_t, std::uint32_t>>> Datapath::stats_slot_owners() {
  auto all = map(VNET_MAP_EP_SLOTS)->dump();
  if (!all) {
    return all.status();
  }
  std::vector<std::pair<std::uint16_t, std::uint32_t>> out;
  for (const auto& [key, value] : *all) {
    std::uint32_t slot = 0;
    std::uint32_t id = 0;
    std::memcpy(&slot, key.data(), sizeof slot);
    std::memcpy(&id, value.data(), sizeof id);
    if (id != 0 && slot != 0 && slot < VNET_MAX_ENDPOINT_STATS) {
      out.emplace_back(static_cast<std::uint16_t>(slot), id);
    }
  }
  return out;
}

Result<Stats> Datapath::read_stats() {
  Stats stats;
  PinnedMap* drops = map(VNET_MAP_DROPS);
  PinnedMap* eps = map(VNET_MAP_EP_STATS);
  auto d = drops->dump();
  if (!d) {
    return d.status();
  }
  for (const auto& [key, value] : *d) {
    std::uint32_t reason = 0;
    std::memcpy(&reason, key.data(), sizeof(reason));
    if (reason >= VNET_DROP_MAX) {
      continue;
    }
    std::uint64_t sum = 0;
    sum_per_cpu_u64(value.data(), drops->possible_cpus(), drops->cpu_stride(), 1, &sum);
    stats.drops[reason] = sum;
  }
  auto owners = stats_slot_owners();
  if (!owners) {
    return owners.status();
  }
  for (const auto& [slot, id] : *owners) {
    if (id == VNET_EP_SLOT_LEFT) {
      continue;
    }
    auto value = eps->lookup(u32_bytes(slot));
    if (!value) {
      return value.status();
    }
    if (*value) {
      stats.endpoints[id] =
          sum_endpoint_counters((*value)->data(), eps->possible_cpus(), eps->cpu_stride());
    }
  }
  PinnedMap* ct = map(VNET_MAP_CT_STATS);
  auto c = ct->lookup(reconcile::Bytes(sizeof(std::uint32_t), 0));
  if (!c) {
    return c.status();
  }
  if (c->has_value()) {
    static_assert(sizeof(vnet_ct_stats) == sizeof(std::uint64_t));
    sum_per_cpu_u64((*c)->data(), ct->possible_cpus(), ct->cpu_stride(), 1, &stats.ct_created);
  }
  return stats;
}

}  // namespace vnet::datapath

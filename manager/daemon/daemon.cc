#include "daemon/daemon.h"

#include <fcntl.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <unordered_set>

#include "daemon/log.h"
#include "datapath/port_sysctl.h"
#include "netlink/tunnel.h"
#include "netlink/xdp_features.h"
#include "daemon/stats_view.h"
#include "output/document.h"
#include "reconcile/reconcile.h"
#include "store/delta.h"
#include "datapath/conntrack.h"
#include "vnet/abi.h"
#include "util/fs.h"

static_assert(vnet::daemon::kDefaultConntrackSize == VNET_CT_DEFAULT_SIZE);

namespace vnet::daemon {
namespace {

using Clock = std::chrono::steady_clock;
// linux/if.h's IFF_LOWER_UP (carrier), which glibc's <net/if.h> lacks.
constexpr std::uint32_t kIffLowerUp = 1u << 16;


// DIR/vnetd.lock, flocked for the daemon's life, holding its pid: a second
// vnetd for the same host on this machine stops here with a clear message.
Result<UniqueFd> lock_state_dir(const std::string& dir) {
  if (auto s = make_dirs(dir, 0755); !s) {
    return s;
  }
  const std::string path = dir + "/vnetd.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) {
    return Status::os_error("open " + path, errno);
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      char buf[32] = {};
      ssize_t n = ::pread(fd.get(), buf, sizeof(buf) - 1, 0);
      std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "?";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) {
        pid.pop_back();
      }
      return Status::error("another vnetd (pid " + pid + ") holds " + path, EBUSY);
    }
    return Status::os_error("lock " + path, errno);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Status::os_error("write " + path, errno);
  }
  return fd;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* state_name(store::HostState s) {
  switch (s) {
    case store::HostState::kStarting:
      return "starting";
    case store::HostState::kOk:
      return "ok";
    case store::HostState::kError:
      return "error";
  }
  return "?";
}

}  // namespace

Daemon::Daemon(Options opts, EventLoop loop) : opts_(std::move(opts)), loop_(std::move(loop)) {}

Daemon::~Daemon() = default;

Result<std::unique_ptr<Daemon>> Daemon::create(const Options& opts) {
  auto loop = EventLoop::create();
  if (!loop) {
    return loop.status();
  }
  auto d = std::unique_ptr<Daemon>(new Daemon(opts, std::move(*loop)));
  if (auto s = d->setup(); !s) {
    return s;
  }
  return d;
}

Status Daemon::setup() {
  install_libbpf_logger();

  auto state_lock = lock_state_dir(opts_.state_dir);
  if (!state_lock) {
    return state_lock.status().with_context("--state-dir");
  }
  state_lock_ = std::move(*state_lock);

  // Checked up front so a wrong --pin-dir fails at start, not at the first
  // apply.
  if (auto s = datapath::ensure_bpffs_dir(opts_.pin_dir); !s) {
    return s.with_context("--pin-dir");
  }
  auto pin_lock = datapath::lock_pin_dir(opts_.pin_dir);
  if (!pin_lock) {
    return pin_lock.status().with_context("--pin-dir");
  }
  pin_lock_ = std::move(*pin_lock);

  auto st = store::open_store(opts_.store_url);
  if (!st) {
    return st.status().with_context("store " + opts_.store_url);
  }
  store_ = std::move(*st);
  // Watch before the first load so no commit falls between them.
  auto watch = store_->watch();
  if (!watch) {
    return watch.status().with_context("watch store " + opts_.store_url);
  }
  watch_ = std::move(*watch);

  auto links = netlink::LinkCache::open();
  if (!links) {
    return links.status();
  }
  links_ = std::make_unique<netlink::LinkCache>(std::move(*links));
  auto neighbours = netlink::NeighbourKeeper::open();
  if (!neighbours) {
    return neighbours.status();
  }
  neighbours_ = std::make_unique<netlink::NeighbourKeeper>(std::move(*neighbours));

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Status::os_error("block signals", errno);
  }
  signal_fd_.reset(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_) {
    return Status::os_error("signalfd", errno);
  }
  std::signal(SIGPIPE, SIG_IGN);

  timer_fd_.reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_fd_) {
    return Status::os_error("timerfd_create", errno);
  }
  itimerspec its{};
  its.it_interval.tv_sec = store::kHeartbeatIntervalMs / 1000;
  its.it_interval.tv_nsec = (store::kHeartbeatIntervalMs % 1000) * 1000000;
  its.it_value = its.it_interval;
  if (timerfd_settime(timer_fd_.get(), 0, &its, nullptr) != 0) {
    return Status::os_error("timerfd_settime", errno);
  }

  auto control = ControlServer::open(opts_.socket, &loop_, [this](const ControlRequest& req) {
    return handle_control(req);
  });
  if (!control) {
    return control.status().with_context("--socket");
  }
  control_ = std::move(*control);

  Status s = loop_.add(signal_fd_.get(), EPOLLIN, [this](std::uint32_t) { on_signal(); });
  if (s) {
    s = loop_.add(timer_fd_.get(), EPOLLIN, [this](std::uint32_t) { on_timer(); });
  }
  if (s) {
    s = loop_.add(links_->fd(), EPOLLIN, [this](std::uint32_t) { on_links(); });
  }
  if (s) {
    // Veth peers in the VMs' namespaces (an XDP program attached there
    // switches the port's delivery).
    s = loop_.add(links_->peer_fd(), EPOLLIN, [this](std::uint32_t) { on_links(); });
  }
  if (s) {
    s = loop_.add(watch_->fd(), EPOLLIN, [this](std::uint32_t) { on_store(); });
  }
  if (s) {
    s = loop_.add(neighbours_->events_fd(), EPOLLIN,
                  [this](std::uint32_t) { on_neighbour_events(); });
  }
  if (s && opts_.xdp_transmit) {
    if (auto watch = netlink::XdpFeatureWatch::open(); !watch) {
      log_warn(watch.status().message() +
               "; the underlay's xdp-features are only asked at each pass");
    } else {
      xdp_watch_ = std::make_unique<netlink::XdpFeatureWatch>(std::move(*watch));
      s = loop_.add(xdp_watch_->fd(), EPOLLIN, [this](std::uint32_t) { on_xdp_features(); });
    }
  }
  if (!s) {
    return s;
  }

  status_.host = opts_.host;
  status_.state = store::HostState::kStarting;
  status_.pid = static_cast<int>(::getpid());
  publish_status();
  return Status::ok();
}

std::chrono::milliseconds Daemon::jittered(std::chrono::milliseconds base) {
  std::uniform_int_distribution<std::chrono::milliseconds::rep> spread(base.count() * 8 / 10,
                                                                       base.count() * 12 / 10);
  return std::chrono::milliseconds(spread(resync_jitter_));
}

int Daemon::run() {
  log_info("started: store " + opts_.store_url + ", pins " + opts_.pin_dir + ", socket " +
           opts_.socket + ", " + std::to_string(links_->size()) + " links");
  const auto now = Clock::now();
  next_resync_ = now + jittered(kFullResyncInterval);
  next_audit_ = now + jittered(kMapAuditInterval);
  next_neighbours_ = now + kNeighbourInterval;
  next_ct_sweep_ = now + kConntrackSweepInterval;
  sync(/*full=*/true, /*links=*/true);
  keep_neighbours();
  while (running_) {
    // Woken for the next neighbour pass too: a route change asks for one
    // sooner than the heartbeat ticks.
    const auto until = std::chrono::ceil<std::chrono::milliseconds>(next_neighbours_ - Clock::now());
    if (auto s = loop_.run_once(static_cast<int>(std::max<std::int64_t>(0, until.count()))); !s) {
      log_error(s.message());
      return 1;
    }
    if (!running_) {
      break;
    }
    if (Clock::now() >= next_neighbours_) {
      neighbours_pending_ = true;
    }
    if (full_pending_) {
      // Repair anything a lost notification could have hidden (a released
      // XDP link on a veth peer, say, announces nothing).
      if (auto changed = links_->refresh(); !changed) {
        log_warn(changed.status().message());
      } else {
        note_link_changes(*changed);
      }
      next_resync_ = Clock::now() + jittered(kFullResyncInterval);
    }
    if (store_dirty_ || links_dirty_ || full_pending_) {
      const bool full = full_pending_;
      const bool links = links_dirty_;
      links_dirty_ = false;
      full_pending_ = false;
      sync(full, links);
    }
    if (neighbours_pending_) {
      keep_neighbours();
    }
  }
  if (datapath_) {
    // Nobody keeps the next hops from now on: the XDP path asks the FIB.
    if (Status s = datapath_->set_next_hop_lease(0); !s) {
      log_warn("underlay next hops: lease: " + s.message());
    }
  }
  log_info("stopping; programs stay attached and maps stay pinned under " + opts_.pin_dir);
  return 0;
}

void Daemon::on_signal() {
  signalfd_siginfo si{};
  while (::read(signal_fd_.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
    if (si.ssi_signo == SIGHUP) {
      log_info("SIGHUP: full resync");
      full_pending_ = true;
      audit_pending_ = true;
      retry_load_ = true;
      store_dirty_ = true;
      neighbours_pending_ = true;
    } else {
      running_ = false;
    }
  }
}

void Daemon::on_timer() {
  std::uint64_t expirations = 0;
  while (::read(timer_fd_.get(), &expirations, sizeof(expirations)) > 0) {
  }
  publish_status();  // heartbeat
  if (watch_->rearm()) {
    log_info("store directory was replaced: watching it again");
    store_dirty_ = true;
  }
  const auto now = Clock::now();
  if (now >= next_resync_) {
    full_pending_ = true;
  }
  if (now >= next_audit_) {
    // Re-armed here, not only where the audit is consumed: a host whose
    // pass ends early (absent from the topology, no datapath) would
    // otherwise ask for a full resync on every tick.
    next_audit_ = now + jittered(kMapAuditInterval);
    full_pending_ = true;
    audit_pending_ = true;
  }
  if (now >= next_neighbours_) {
    neighbours_pending_ = true;
  }
  if (now >= next_ct_sweep_) {
    next_ct_sweep_ = now + kConntrackSweepInterval;
    sweep_conntrack();
  }
  if (!full_pending_) {
    // Peers on the XDP path: a detach without a notification would drop
    // every frame redirected to them until the full resync.
    auto changed = links_->recheck_native_peers();
    if (changed) {
      note_link_changes(*changed);
    }
  }
  control_->expire_idle();
}

void Daemon::sweep_conntrack() {
  if (!datapath_) {
    return;
  }
  datapath::PinnedMap* ct = datapath_->map(VNET_MAP_CONNTRACK);
  if (ct == nullptr) {
    return;
  }
  // Flows of endpoints that left this host go too; without a plan (store
  // unreadable, host absent) only idle entries do.
  std::unordered_set<std::uint32_t> local;
  if (plan_) {
    for (const auto& port : plan_->ports) {
      local.insert(port.endpoint_id);
    }
  }
  auto counts = datapath::sweep_conntrack(*ct, datapath::conntrack_clock_ns(),
                                          plan_ ? &local : nullptr);
  if (!counts) {
    log_warn("conntrack sweep: " + counts.status().message());
    return;
  }
  ct_live_ = counts->live;
  ct_swept_ += counts->removed;
  if (counts->removed != 0) {
    log_debug("conntrack sweep: " + std::to_string(counts->removed) + " removed, " +
              std::to_string(counts->live) + " live");
  }
}

void Daemon::on_links() {
  auto changed = links_->process_events();
  if (!changed) {
    log_warn(changed.status().message() + "; resynchronising");
    full_pending_ = true;
    audit_pending_ = true;
    return;
  }
  note_link_changes(*changed);
  // The underlay going down or up moves the routes through it (silently:
  // no route notification), so the next hops kept on it are asked again.
  const netlink::LinkInfo* underlay = plan_ ? links_->find(plan_->underlay_interface) : nullptr;
  const std::uint32_t state = underlay == nullptr ? 0 : underlay->flags & (IFF_UP | kIffLowerUp);
  if (state != underlay_state_) {
    underlay_state_ = state;
    forget_next_hops(next_hops_.forget_all());
    request_next_hop_pass();
  }
}

void Daemon::note_link_changes(const std::set<std::string>& changed) {
  if (links_->peer_problem() != last_peer_problem_) {
    if (!links_->peer_problem().empty()) {
      log_warn(links_->peer_problem());
    }
    last_peer_problem_ = links_->peer_problem();
  }
  if (changed.empty()) {
    return;
  }
  if (datapath_) {
    // A recreated interface may reuse an ifindex: make the next pass ask
    // the kernel what is attached instead of trusting the cache.
    for (const auto& name : changed) {
      if (const auto* link = links_->find(name)) {
        datapath_->forget_attachments(link->ifindex);
      }
    }
  }
  if (interesting(changed)) {
    links_dirty_ = true;
  }
  if (plan_ && changed.count(plan_->underlay_interface) != 0) {
    // The next hops' interface, its MAC or its state: asked again, the FIB
    // answering meanwhile.
    forget_next_hops(next_hops_.forget_all());
    request_next_hop_pass();
  }
}

void Daemon::on_store() {
  if (watch_->consume()) {
    store_dirty_ = true;
  }
}

bool Daemon::interesting(const std::set<std::string>& names) const {
  if (!plan_) {
    return false;
  }
  if (names.count(plan_->underlay_interface) != 0 || names.count(netlink::kTunnelDevice) != 0) {
    return true;
  }
  return std::any_of(plan_->ports.begin(), plan_->ports.end(),
                     [&](const compile::PlannedPort& p) { return names.count(p.interface) != 0; });
}

void Daemon::sync(bool full, bool links) {
  bool unaffected = false;
  // A store that could not be read is read again at each full resync, not
  // only at the next commit: the failure may have been transient.
  if (full && store_unreadable_) {
    store_dirty_ = true;
  }
  if (store_dirty_) {
    unaffected = load_desired();
  }
  if (full || links) {
    // Interfaces may resolve differently now, or every map is dumped anyway:
    // the whole plan is reconciled.
    plan_change_.reset();
  }
  // A generation that leaves this host's plan as it was needs no bind or
  // reconcile (a pass over every entry of the plan): only the report moves
  // on, and the last pass's messages still describe this host. Anything
  // else pending takes the whole step, and so does a failed datapath load,
  // which a new generation is documented to retry. (Failed map writes are
  // retried by the next full resync, as between generations.)
  if (unaffected && !full && !links && plan_ && datapath_ && plan_error_.empty() &&
      !load_failure_ && status_.state != store::HostState::kStarting) {
    log_info("generation " + std::to_string(generation_) +
             ": does not change this host, nothing to reconcile");
    status_.applied_generation = generation_;
    publish_status();
    return;
  }
  apply_plan(full, links);
  publish_status();
}

bool Daemon::load_desired() {
  store_dirty_ = false;
  std::optional<store::StateVersion> have;
  if (state_) {
    have = version_;
  }
  auto update = store_->load_update(have);
  store_unreadable_ = !update;
  if (!update) {
    // Keep applying the previous plan (links may still change); report.
    plan_error_ = "store: " + update.status().message();
    log_error(plan_error_);
    return false;
  }
  using Kind = store::StateUpdate::Kind;
  switch (update->kind) {
    case Kind::kEmpty:
      state_.reset();
      network_index_ = {};
      version_ = {};
      have_state_ = false;
      generation_ = 0;
      plan_.reset();
      interest_.reset();
      plan_error_.clear();
      return false;
    case Kind::kUnchanged:
      // A rename that did not change the generation. Without a plan (host
      // absent) compiling again restores the reason, which plan_error_ holds.
      if (!plan_ && state_) {
        compile_state();
      } else {
        plan_error_.clear();
      }
      return false;
    case Kind::kFull:
      state_ = std::move(*update->state);
      network_index_ = compile::NetworkIndex(state_->topology);
      version_ = update->version;
      compile_state();  // also forgets interest_
      return false;
    case Kind::kDelta:
      break;
  }

  const store::StateDelta& delta = *update->delta;
  // Decided on the base, before applying: it looks at the old values of
  // the changed endpoints and at the networks whose endpoints this host
  // holds now (present here, or reached through a router).
  bool affected = true;
  if (plan_) {
    if (!interest_) {
      interest_ = compile::networks_of_interest(state_->topology, *plan_);
    }
    affected = store::delta_affects_host(state_->topology, delta, opts_.host, *interest_);
  }
  if (auto s = store::apply_delta(*state_, delta); !s) {
    // Cannot happen with a delta that matched our version; if it does, the
    // full state is the truth.
    log_warn("delta to generation " + std::to_string(delta.target.generation) +
             " does not apply (" + s.message() + "): loading in full");
    state_.reset();
    store_dirty_ = true;
    return load_desired();
  }
  version_ = update->version;
  // The index follows every generation, whether or not it changes this host.
  auto changed_networks = network_index_.apply(delta);
  if (!changed_networks) {
    log_warn("network index: " + changed_networks.status().message() + ": rebuilding it");
    network_index_ = compile::NetworkIndex(state_->topology);
    compile_state();
    return false;
  }
  if (!plan_ || !plan_error_.empty()) {
    compile_state();
    return false;
  }
  if (!affected) {
    // The plan stands as compiled for the previous generation.
    have_state_ = true;
    generation_ = state_->generation;
    return true;
  }
  // Endpoints alone changed: only their networks can differ in the plan.
  if (!delta.others_changed && compile_networks(*changed_networks)) {
    return false;
  }
  compile_state();
  return false;
}

bool Daemon::compile_networks(const std::set<std::string>& networks) {
  const store::StoredState& state = *state_;
  auto change =
      compile::recompile_networks(state.topology, opts_.host, network_index_, networks, *plan_);
  if (!change) {
    log_info("generation " + std::to_string(state.generation) + ": " +
             change.status().message() + "; compiling in full");
    return false;
  }
  // Underlay neighbours are kept for the plan's VTEPs only.
  if (change->before.vteps != change->after.vteps) {
    neighbours_pending_ = true;
  }
  // A network that arrived or left changes the networks of interest
  // (routers, the other input, change only with a full compile).
  const auto names = [](const std::vector<compile::PlannedNetwork>& nets) {
    std::vector<std::string_view> out;
    for (const auto& n : nets) {
      out.push_back(n.name);
    }
    return out;
  };
  if (names(change->before.networks) != names(change->after.networks)) {
    interest_.reset();
  }
  // The change alone brings the maps up to date only if they held the plan
  // it was made on.
  if (maps_match_plan_) {
    plan_change_ = std::move(*change);
  } else {
    plan_change_.reset();
  }
  maps_match_plan_ = false;
  have_state_ = true;
  log_info("generation " + std::to_string(state.generation) + " loaded (" +
           std::to_string(networks.size()) + " networks recompiled)");
  generation_ = state.generation;
  return true;
}

void Daemon::compile_state() {
  const store::StoredState& state = *state_;
  have_state_ = true;
  auto plan = compile::compile(state.topology, opts_.host);
  if (!plan) {
    plan_.reset();
    // compile() fails only for a host absent from the topology.
    plan_error_ = plan.status().message() + " (generation " + std::to_string(state.generation) +
                  ")";
  } else {
    plan_ = std::move(*plan);
    plan_error_.clear();
  }
  plan_change_.reset();
  maps_match_plan_ = false;
  interest_.reset();
  if (state.generation != generation_) {
    log_info("generation " + std::to_string(state.generation) + " loaded");
    neighbours_pending_ = true;
  }
  generation_ = state.generation;
}

void Daemon::apply_plan(bool full, bool links) {
  // Taken now, so that a pass ending early leaves no change behind that a
  // later pass would apply on top of maps it does not describe.
  const std::optional<compile::PlanChange> change = std::exchange(plan_change_, std::nullopt);
  const bool maps_were_current = maps_match_plan_;
  maps_match_plan_ = false;
  std::vector<std::string> errors;
  std::vector<std::string> notes;
  if (!have_state_) {
    if (!plan_error_.empty()) {
      errors.push_back(plan_error_);
    }
    set_outcome(errors.empty() ? store::HostState::kOk : store::HostState::kError, errors);
    return;
  }
  if (!plan_) {
    errors.push_back(plan_error_);
    if (datapath_) {
      // This host's share of the topology is now empty: unprogram it.
      // Endpoint interfaces keep their filter and drop (NO_PORT).
      auto counts = write_maps(compile::HostPlan{}, nullptr);
      if (!counts) {
        errors.push_back("maps: " + counts.status().message());
      } else if (counts->deleted != 0) {
        log_info("host not in the topology: " + std::to_string(counts->deleted) +
                 " map entries removed");
      }
    }
    set_outcome(store::HostState::kError, errors);
    return;
  }
  const compile::HostPlan& plan = *plan_;
  if (!plan_error_.empty()) {
    errors.push_back(plan_error_);  // store unreadable: applying the last plan
  }
  if (plan.role == topology::HostRole::kSwitch) {
    errors.push_back("role switch is not supported by this vnetd yet");
    set_outcome(store::HostState::kError, errors);
    return;
  }

  const netlink::LinkInfo* underlay = links_->find(plan.underlay_interface);
  if (underlay == nullptr) {
    errors.push_back("underlay interface " + plan.underlay_interface + " not found");
  } else if (plan.underlay_mtu && underlay->mtu < *plan.underlay_mtu) {
    errors.push_back("underlay interface " + plan.underlay_interface + " has MTU " +
                     std::to_string(underlay->mtu) + ", lower than underlay.mtu " +
                     std::to_string(*plan.underlay_mtu));
  }

  // The VXLAN device: from the link table, or as created just now.
  std::optional<netlink::LinkInfo> fresh_tunnel;
  const netlink::LinkInfo* tunnel_link = links_->find(netlink::kTunnelDevice);
  if (underlay != nullptr) {
    datapath::Config cfg;
    cfg.vtep_be = plan.vtep_ip.be();
    cfg.vxlan_port = plan.vxlan_port;
    cfg.underlay_ifindex = underlay->ifindex;
    // The programs hand some packets to the VXLAN device (vnet_cfg's
    // tunnel_ifindex): before the first load it is created, left down
    // (it goes up below, once its filter is on), so no reload follows.
    if (!datapath_ && tunnel_link == nullptr) {
      const auto not_yet = [](std::uint32_t) {
        return Status::error("up once the datapath is loaded", EAGAIN);
      };
      (void)netlink::ensure_tunnel_device(nullptr, plan.vxlan_port, not_yet);
      if (auto link = netlink::tunnel_device_info(); link) {
        fresh_tunnel = std::move(*link);
        tunnel_link = &*fresh_tunnel;
      }
    }
    if (tunnel_link != nullptr) {
      cfg.tunnel_ifindex = tunnel_link->ifindex;
    }
    cfg.conntrack_size = opts_.conntrack_size;
    cfg.xdp_transmit = opts_.xdp_transmit;
    // A load that failed for this config (verifier, incompatible pins) is
    // not retried on every link event and resync, which would repeat the
    // verifier log each time: only a new generation or SIGHUP retries.
    const bool failed_before = load_failure_ && load_failure_->first == cfg &&
                               load_failure_generation_ == generation_ && !retry_load_;
    if (failed_before) {
      errors.push_back(load_failure_->second);
    } else if (!datapath_) {
      auto dp = datapath::Datapath::open(opts_.pin_dir, cfg);
      if (!dp) {
        errors.push_back("datapath: " + dp.status().message());
        load_failure_.emplace(cfg, errors.back());
        load_failure_generation_ = generation_;
      } else {
        datapath_ = std::move(*dp);
        map_shadow_.clear();
        load_failure_.reset();
        log_info("datapath loaded (" + cfg.str() + "), maps pinned under " + opts_.pin_dir);
      }
    } else if (!(cfg == datapath_->config())) {
      log_info("datapath config changed (" + datapath_->config().str() + " -> " + cfg.str() +
               "): reloading programs");
      map_shadow_.clear();
      if (auto s = datapath_->reload(cfg); !s) {
        errors.push_back("datapath reload: " + s.message());
        load_failure_.emplace(cfg, errors.back());
        load_failure_generation_ = generation_;
      } else {
        load_failure_.reset();
      }
    }
    retry_load_ = false;
  }
  if (!datapath_) {
    set_outcome(store::HostState::kError, errors);
    return;
  }
  if (full) {
    datapath_->forget_attachments();
  }
  if (full && audit_pending_) {
    audit_pending_ = false;
    next_audit_ = Clock::now() + jittered(kMapAuditInterval);
    map_shadow_.clear();  // dumps every map again
  }

  // Maps first: an interface's program must find its port entry the moment
  // it is attached. Nothing to write when they were written for this very
  // plan, with the same interfaces, and the shadow still holds them.
  const bool nothing_moved = maps_were_current && !change && !links && !map_shadow_.empty();
  auto counts = nothing_moved ? Result<reconcile::Counts>(reconcile::Counts{})
                              : write_maps(plan, change ? &*change : nullptr);
  // Endpoints still uncounted are bound again on the next pass.
  maps_match_plan_ = counts.is_ok() && uncounted_ == 0;
  if (!counts) {
    errors.push_back("maps: " + counts.status().message());
  } else if (counts->updated != 0 || counts->deleted != 0) {
    log_info("generation " + std::to_string(generation_) + ": " +
             std::to_string(counts->updated) + " map entries written, " +
             std::to_string(counts->deleted) + " deleted");
  }

  // The VXLAN device and its filter before the underlay: attaching XDP
  // there also removes an older vnetd's tc decapsulation, after which
  // everything XDP passes goes to the device.
  const auto prepare_tunnel = [this](std::uint32_t ifindex) -> Status {
    if (auto s = datapath::disable_ipv6(netlink::kTunnelDevice); !s) {
      return s;
    }
    return datapath_->ensure_tunnel(ifindex);
  };
  if (auto tunnel = netlink::ensure_tunnel_device(tunnel_link, plan.vxlan_port, prepare_tunnel);
      !tunnel) {
    errors.push_back("VXLAN device: " + tunnel.status().message());
  } else if (auto s = datapath_->ensure_tunnel(*tunnel); !s) {
    errors.push_back(std::string("VXLAN device ") + netlink::kTunnelDevice + ": " + s.message());
  }

  if (underlay != nullptr) {
    if (underlay_ifindex_ != 0 && underlay_ifindex_ != underlay->ifindex &&
        links_->find(underlay_ifindex_) != nullptr) {
      // The underlay moved to another interface: the old one must stop
      // terminating VXLAN.
      if (auto s = datapath_->release_underlay(underlay_ifindex_); !s) {
        errors.push_back("previous underlay: " + s.message());
      } else {
        log_info("detached from previous underlay ifindex " + std::to_string(underlay_ifindex_));
      }
    }
    if (auto s = datapath_->ensure_underlay(underlay->ifindex); !s) {
      errors.push_back("underlay " + plan.underlay_interface + ": " + s.message());
    } else {
      underlay_ifindex_ = underlay->ifindex;
    }
    if (full) {
      release_stale_underlays(underlay->ifindex, errors);
    }
  }
  log_delivery_changes(plan);
  const bool xdp_transmit = decide_xdp_transmit(underlay, notes);
  // Named one by one up to a limit: a host with thousands of absent
  // interfaces would otherwise rewrite (and every --wait re-read) a status
  // file of hundreds of KB each heartbeat.
  constexpr std::size_t kMaxMissingNamed = 20;
  std::size_t missing = 0;
  for (const auto& port : plan.ports) {
    const netlink::LinkInfo* link = links_->find(port.interface);
    if (link == nullptr) {
      // Not an error of the generation: the interface usually appears when
      // its VM starts, and is attached then.
      if (++missing <= kMaxMissingNamed) {
        notes.push_back("interface " + port.interface + " not found (endpoint " +
                        port.endpoint + "); attached when it appears");
      }
      continue;
    }
    if (!netlink::is_ethernet(*link)) {
      errors.push_back("endpoint " + port.endpoint + " (" + port.interface +
                       "): not an Ethernet interface (an L3 tun?); endpoints need a veth or tap");
      continue;
    }
    // Attach before turning forwarding on: forwarding on a port without
    // our filter would let the stack route what the VM sends.
    Status s = datapath_->ensure_endpoint(link->ifindex);
    if (s) {
      s = datapath::prepare_port_interface(port.interface);
    }
    if (!s) {
      errors.push_back("endpoint " + port.endpoint + " (" + port.interface + "): " + s.message());
      continue;
    }
    // The fast path is an addition: the port works without it (tc does
    // everything), so a port it cannot go on is a note, not an error.
    if (Status x = datapath_->ensure_endpoint_xdp(link->ifindex, xdp_transmit); !x) {
      notes.push_back("endpoint " + port.endpoint + " (" + port.interface +
                      "): XDP transmit path " + (xdp_transmit ? "off: " : "not removed: ") +
                      x.message());
    }
  }
  if (missing > kMaxMissingNamed) {
    notes.push_back("and " + std::to_string(missing - kMaxMissingNamed) +
                    " more endpoint interfaces not found");
  }
  const store::HostState state = errors.empty() ? store::HostState::kOk : store::HostState::kError;
  set_outcome(state, std::move(errors), std::move(notes));
}

void Daemon::release_stale_underlays(std::uint32_t current, std::vector<std::string>& errors) {
  // The underlay moved while no vnetd ran (or the release at the move
  // failed): the old interface would go on terminating VXLAN. Any other
  // interface running vnet's underlay program is one; one vnetd per netns.
  for (const auto& [ifindex, prog_id] : links_->xdp_links()) {
    if (ifindex == current || !datapath_->is_underlay_program(prog_id)) {
      continue;
    }
    const netlink::LinkInfo* link = links_->find(ifindex);
    const std::string name = link != nullptr ? link->name : "ifindex " + std::to_string(ifindex);
    if (auto s = datapath_->release_underlay(ifindex); !s) {
      errors.push_back("previous underlay " + name + ": " + s.message());
    } else {
      log_info("detached from " + name + ", an underlay the topology no longer names");
    }
  }
}

bool Daemon::decide_xdp_transmit(const netlink::LinkInfo* underlay,
                                  std::vector<std::string>& notes) {
  if (!opts_.xdp_transmit) {
    xdp_transmit_ = false;
    return false;
  }
  // Frames redirected to a device without ndo_xdp_xmit are dropped, and a
  // veth underlay has it only while its peer runs NAPI: asked every pass.
  std::string why;
  if (underlay == nullptr) {
    why = "no underlay interface";
  } else if (auto f = netlink::xdp_features(underlay->ifindex); !f) {
    // A kernel without the netdev family cannot say; a failed query is
    // transient: keep the last answer rather than detach and re-attach
    // every port (each attach or detach flips a veth VM's GSO).
    if (f.status().err() != ENOENT && xdp_transmit_.has_value()) {
      notes.push_back("--xdp-transmit: cannot read the underlay's xdp-features (" +
                      f.status().message() + "); keeping the last answer");
      return *xdp_transmit_;
    }
    why = "cannot read the underlay's xdp-features (" + f.status().message() + ")";
  } else if ((*f & netlink::kXdpActNdoXmit) == 0) {
    why = "the underlay " + underlay->name +
          " cannot take XDP frames (no ndo_xdp_xmit in its xdp-features; a veth takes them "
          "only while its peer has an XDP program or GRO on)";
  }
  const bool on = why.empty();
  if (!on) {
    notes.push_back("--xdp-transmit: off, " + why + "; endpoints transmit through tc");
  }
  if (xdp_transmit_ != on) {
    log_info(on ? std::string("XDP transmit path: on")
                : "XDP transmit path: off (" + why + ")");
    xdp_transmit_ = on;
  }
  return on;
}

Result<std::size_t> Daemon::assign_stats_slots(const compile::HostPlan& plan) {
  if (!stats_slots_) {
    // First pass on these maps: adopt the owners an earlier vnetd recorded,
    // so every endpoint keeps its counters across the restart.
    auto owners = datapath_->stats_slot_owners();
    if (!owners) {
      return owners.status();
    }
    stats_slots_.emplace(VNET_MAX_PORTS);
    slots_left_.clear();
    for (const auto& [slot, id] : *owners) {
      // A left endpoint's slot (or a second record of one endpoint, which
      // only a crash between writes leaves) stays reserved until this
      // pass has rewritten every entry: freed like a left one.
      if ((id == VNET_EP_SLOT_LEFT || !stats_slots_->adopt(slot, id)) &&
          stats_slots_->hold(slot)) {
        slots_left_.push_back(slot);
      }
    }
  }
  std::vector<std::uint32_t> ids;
  ids.reserve(plan.ports.size());
  for (const auto& port : plan.ports) {
    ids.push_back(port.endpoint_id);
  }
  const auto a = stats_slots_->assign(ids);
  // Left slots are recorded as such at once: a restart keeps them
  // reserved, and never gives one back to its endpoint, which may have a
  // new slot by then.
  auto s = datapath_->take_stats_slots(a.taken);
  if (s) {
    s = datapath_->record_stats_slots(a.left, VNET_EP_SLOT_LEFT);
  }
  if (!s) {
    // A slot may hold an earlier endpoint's counts: start over from the
    // maps' record next pass rather than name it.
    stats_slots_.reset();
    slots_left_.clear();
    return s;
  }
  slots_left_.insert(slots_left_.end(), a.left.begin(), a.left.end());
  if (a.uncounted != 0) {
    log_warn(std::to_string(a.uncounted) +
             " endpoints uncounted until the slots of endpoints that left are free");
  }
  return a.uncounted;
}

void Daemon::release_stats_slots() {
  if (slots_left_.empty()) {
    return;
  }
  const auto freed = stats_slots_->release(slots_left_);
  slots_left_.clear();
  // A record left behind still says VNET_EP_SLOT_LEFT: harmless (a
  // restart holds the slot until its first pass), and overwritten when
  // the slot is given again.
  if (auto s = datapath_->record_stats_slots(freed, 0); !s) {
    log_warn("stats slots: " + s.message());
  }
}

Result<reconcile::Counts> Daemon::write_maps(const compile::HostPlan& plan,
                                             const compile::PlanChange* change) {
  const reconcile::InterfaceResolver resolve = links_->resolver();
  const reconcile::SlotOf slot_of = [this](std::uint32_t id) {
    return stats_slots_->slot_of(id);
  };
  // Slots first: every entry bound below names its endpoint's. Endpoints
  // that found none (a full host replacing many endpoints at once) get one
  // in a second round, once this one has freed the slots of those that left.
  reconcile::Counts total;
  for (int round = 0; round < 2; ++round) {
    auto uncounted = assign_stats_slots(plan);
    if (!uncounted) {
      return Status::error("stats slots: " + uncounted.status().message(),
                           uncounted.status().err());
    }
    std::optional<Result<reconcile::Counts>> counts;
    if (change != nullptr && round == 0) {
      counts.emplace(reconcile::reconcile_change(
          reconcile::bind_plan(change->before, resolve, slot_of),
          reconcile::bind_plan(change->after, resolve, slot_of), datapath_->lookup(),
          map_shadow_));
      // ENODATA: the shadow cannot stand in for the maps (a reload cleared
      // it, or a failed write made it forget a map): all of them, dumping those.
      if (!*counts && counts->status().err() == ENODATA) {
        counts.reset();
      }
    }
    if (!counts) {
      counts.emplace(reconcile::reconcile(reconcile::bind_plan(plan, resolve, slot_of),
                                          datapath_->lookup(), &map_shadow_));
    }
    if (!*counts) {
      return std::move(*counts);
    }
    total.updated += (*counts)->updated;
    total.deleted += (*counts)->deleted;
    total.unchanged = (*counts)->unchanged;
    // The slots of endpoints that left are free once no entry names them.
    release_stats_slots();
    uncounted_ = *uncounted;
    if (*uncounted == 0 || stats_slots_->free_slots() == 0) {
      break;
    }
  }
  return total;
}

void Daemon::log_delivery_changes(const compile::HostPlan& plan) {
  const auto resolve = links_->resolver();
  std::map<std::string, std::uint16_t> now;
  for (const auto& port : plan.ports) {
    auto info = resolve(port.interface);
    if (!info) {
      continue;
    }
    now[port.interface] = info->port_flags;
    auto old = port_flags_.find(port.interface);
    if (old != port_flags_.end() && old->second == info->port_flags) {
      continue;
    }
    const bool xdp = (info->port_flags & VNET_PORT_F_XDP_DELIVER) != 0;
    const bool peer = (info->port_flags & VNET_PORT_F_PEER) != 0;
    std::string how = xdp && peer ? "XDP redirect (the veth peer runs native XDP)"
                      : xdp       ? "XDP redirect"
                      : peer      ? "tc (bpf_redirect_peer)"
                                  : "tc (bpf_redirect)";
    log_info("endpoint " + port.endpoint + " (" + port.interface + "): receive path " + how);
  }
  port_flags_ = std::move(now);
}

void Daemon::keep_neighbours() {
  neighbours_pending_ = false;
  last_neighbours_ = Clock::now();
  next_neighbours_ = last_neighbours_ + kNeighbourInterval;
  std::vector<std::string> messages;
  if (plan_ && plan_->role == topology::HostRole::kHypervisor && datapath_) {
    auto pass = neighbours_->keep(plan_->vteps);
    if (!pass) {
      messages.push_back("underlay neighbours: " + pass.status().message());
    } else {
      for (const auto& p : pass->problems) {
        messages.push_back(p.message);
      }
      if (pass->policy_routing != policy_routing_) {
        policy_routing_ = pass->policy_routing;
        log_info(policy_routing_ ? "policy routing rules present: the XDP transmit path asks "
                                   "the FIB for every frame"
                                 : "no policy routing rules: underlay next hops are kept");
      }
      if (opts_.next_hop_lease_s == 0) {
        pass->next_hops.clear();
      }
      // What the pass saw: only a later change of the underlay's state
      // makes on_links() forget them.
      const netlink::LinkInfo* underlay = links_->find(plan_->underlay_interface);
      underlay_state_ = underlay == nullptr ? 0 : underlay->flags & (IFF_UP | kIffLowerUp);
      next_hops_.replace(std::move(pass->next_hops));
      // Every VTEP, not only the changed ones: an entry the reconciler
      // just created (a new VTEP, an audit's repair) holds no next hop.
      write_next_hops(plan_->vteps);
      // Renewed only by a pass that wrote them: a vnetd that stops keeping
      // next hops (stopped, hung, no longer a hypervisor) lets it lapse.
      const std::uint64_t until =
          opts_.next_hop_lease_s == 0
              ? 0
              : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                               Clock::now().time_since_epoch() +
                                               std::chrono::seconds(opts_.next_hop_lease_s))
                                               .count());
      if (Status ls = datapath_->set_next_hop_lease(until); !ls) {
        messages.push_back("underlay next hops: lease: " + ls.message());
      }
    }
  }
  if (messages != neighbour_messages_) {
    for (const auto& m : messages) {
      if (std::find(neighbour_messages_.begin(), neighbour_messages_.end(), m) ==
          neighbour_messages_.end()) {
        log_warn(m);
      }
    }
    neighbour_messages_ = std::move(messages);
    publish_status();
  }
}

void Daemon::on_xdp_features() {
  const netlink::XdpFeatureChanges changes = xdp_watch_->read();
  // A pass asks the underlay again (decide_xdp_transmit) and attaches or
  // removes the fast path on every port.
  if (changes.overrun ||
      (underlay_ifindex_ != 0 && changes.ifindexes.count(underlay_ifindex_) != 0)) {
    links_dirty_ = true;
  }
}

void Daemon::request_next_hop_pass() {
  next_neighbours_ = std::min(next_neighbours_,
                              std::max(Clock::now(), last_neighbours_ + kNextHopHoldoff));
}

void Daemon::on_neighbour_events() {
  netlink::NeighbourEvents ev = neighbours_->read_events();
  std::set<Ipv4> changed;
  for (const auto& [n, deleted] : ev.neighbours) {
    for (const Ipv4& vtep : next_hops_.apply(n, deleted)) {
      changed.insert(vtep);
    }
  }
  if (!changed.empty()) {
    write_next_hops({changed.begin(), changed.end()});
  }
  // A route to a VTEP changed: its next hop is unknown until the pass, and
  // the XDP path asks the FIB for it meanwhile.
  std::vector<Ipv4> gone;
  if (ev.everything) {
    gone = next_hops_.forget_all();
  } else {
    for (const Ipv4Prefix& prefix : ev.routes) {
      const std::vector<Ipv4> covered = next_hops_.forget(prefix);
      gone.insert(gone.end(), covered.begin(), covered.end());
    }
  }
  forget_next_hops(gone);
  const bool covers_a_vtep =
      plan_ && std::any_of(ev.routes.begin(), ev.routes.end(), [&](const Ipv4Prefix& p) {
        return std::any_of(plan_->vteps.begin(), plan_->vteps.end(),
                           [&](const Ipv4& v) { return p.contains(v); });
      });
  if (ev.everything || covers_a_vtep) {
    request_next_hop_pass();
  }
}

void Daemon::forget_next_hops(const std::vector<Ipv4>& vteps) {
  if (!vteps.empty()) {
    write_next_hops(vteps);
  }
}

void Daemon::write_next_hops(const std::vector<Ipv4>& vteps) {
  if (!datapath_ || !plan_ || plan_->role != topology::HostRole::kHypervisor) {
    return;
  }
  const netlink::LinkInfo* underlay = links_->find(plan_->underlay_interface);
  for (const Ipv4& vtep : vteps) {
    const netlink::NextHop* hop = next_hops_.find(vtep);
    const vnet_vtep value = netlink::vtep_value(hop, underlay);
    auto wrote = datapath_->set_vtep(vtep.be(), value);
    if (!wrote) {
      // Repaired by the next pass, which writes every VTEP again.
      log_warn("VTEP " + vtep.str() + ": next hop: " + wrote.status().message());
    } else if (*wrote) {
      log_info("VTEP " + vtep.str() + ": " +
               (value.flags & VNET_VTEP_F_NEXT_HOP
                    ? "next hop " + hop->via.str() + " (" + hop->mac->str() + ")"
                    : std::string("no resolved single-path next hop (XDP asks the FIB)")));
    }
  }
}

void Daemon::set_outcome(store::HostState state, std::vector<std::string> errors,
                         std::vector<std::string> notes) {
  std::vector<std::string> messages = std::move(errors);
  const std::size_t n_errors = messages.size();
  messages.insert(messages.end(), notes.begin(), notes.end());
  const bool changed = state != status_.state || messages != sync_messages_ ||
                       status_.applied_generation != generation_;
  if (changed) {
    // Log what is new since the last outcome, not the whole list again.
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const std::string& m = messages[i];
      if (std::find(last_logged_.begin(), last_logged_.end(), m) == last_logged_.end()) {
        if (i < n_errors) {
          log_error(m);
        } else {
          log_warn(m);
        }
      }
    }
    if (state != status_.state || status_.applied_generation != generation_) {
      log_info("generation " + std::to_string(generation_) + ": " + state_name(state));
    }
    last_logged_ = messages;
  }
  status_.state = state;
  status_.applied_generation = generation_;
  sync_messages_ = std::move(messages);
}

void Daemon::publish_status() {
  status_.heartbeat_unix_ms = wall_ms();
  status_.errors = sync_messages_;
  status_.errors.insert(status_.errors.end(), neighbour_messages_.begin(),
                        neighbour_messages_.end());
  Status s = store_->put_status(status_);
  if (!s) {
    if (s.message() != last_status_error_) {
      log_error("put status: " + s.message());
      last_status_error_ = s.message();
    }
  } else if (!last_status_error_.empty()) {
    log_info("status reporting works again");
    last_status_error_.clear();
  }
}

std::string Daemon::handle_control(const ControlRequest& req) {
  if (req.command == "stats") {
    return handle_stats(req);
  }
  return control_error("unknown command \"" + req.command + "\" (this vnetd knows: stats)");
}

std::string Daemon::handle_stats(const ControlRequest& req) {
  auto format = output::parse_format(req.format);
  if (!format) {
    return control_error("unknown format \"" + req.format + "\" (table, yaml or json)");
  }
  if (!datapath_) {
    return control_error("no datapath loaded on host " + opts_.host + " yet" +
                         (sync_messages_.empty() ? "" : ": " + sync_messages_.front()));
  }
  auto stats = datapath_->read_stats();
  if (!stats) {
    return control_error("read counters: " + stats.status().message());
  }
  std::vector<EndpointStatsRow> rows;
  if (plan_) {
    for (const auto& port : plan_->ports) {
      if (!req.argument.empty() && port.endpoint != req.argument) {
        continue;
      }
      EndpointStatsRow row;
      row.name = port.endpoint;
      row.id = port.endpoint_id;
      row.interface = port.interface;
      auto it = stats->endpoints.find(port.endpoint_id);
      if (it != stats->endpoints.end()) {
        row.counters = it->second;
      }
      rows.push_back(std::move(row));
    }
  }
  if (!req.argument.empty() && rows.empty()) {
    return control_error("endpoint " + req.argument + " is not on host " + opts_.host);
  }
  const ConntrackStatsRow conntrack{.capacity = opts_.conntrack_size,
                                    .created = stats->ct_created,
                                    .live = ct_live_,
                                    .swept = ct_swept_};
  auto doc = stats_document(opts_.host, status_.applied_generation, stats->drops, conntrack, rows);
  return control_ok(render_stats(doc, *format));
}

}  // namespace vnet::daemon

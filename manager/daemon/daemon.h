#pragma once
// vnetd: one host's reconciler. A single-threaded epoll loop over
//   - the store's watch fd (inotify on file:DIR): a new generation,
//   - the rtnetlink link subscriptions: interfaces appearing, vanishing or
//     being recreated (endpoints attach when their interface appears), and
//     XDP coming and going on the VM side of veth ports (every netns with
//     an id here), which moves a port between tc and XDP delivery,
//   - the control socket (vnetctl stats),
//   - a 1 s timerfd: heartbeat status, re-check of the veth peers on the
//     XDP path, neighbour keeping (5 s), full resync (10 s: re-dump maps,
//     re-verify attachments, re-dump links and re-ask every veth peer),
//   - a signalfd: SIGTERM/SIGINT exit leaving programs attached and maps
//     pinned (forwarding continues on the last applied state); SIGHUP forces
//     a full resync.
// One sync step: load store -> compile(topology, host) -> bind_plan(plan, links)
// -> reconcile(pinned maps) -> ensure XDP/tc attachments -> put_status.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <random>
#include <utility>
#include <vector>

#include "compile/incremental.h"
#include "compile/plan.h"
#include "daemon/control_server.h"
#include "daemon/event_loop.h"
#include "daemon/options.h"
#include "datapath/datapath.h"
#include "util/unique_fd.h"
#include "netlink/links.h"
#include "netlink/neighbours.h"
#include "netlink/xdp_features.h"
#include "reconcile/reconcile.h"
#include "reconcile/stats_slots.h"
#include "store/store.h"

namespace vnet::daemon {

// How often the whole state is re-verified (each interval drawn within
// +-20 % of this, so daemons started together drift apart instead of all
// dumping their maps at once), and underlay neighbours kept. A full resync
// re-reads the links and re-checks every attachment; it rewrites the maps
// only if the plan or the interfaces moved since they were written.
inline constexpr std::chrono::milliseconds kFullResyncInterval{10000};
// How often the pinned maps are dumped and compared with the plan, which
// repairs writes from outside vnetd (bpftool, a stray process). Between
// audits the shadow of what vnetd wrote stands in for the maps: at 100k
// endpoints a dump and compare costs each host about a second of CPU, so
// twenty hosts on two cores auditing every minute would spend a sixth of
// the machine on it.
inline constexpr std::chrono::milliseconds kMapAuditInterval{300000};
inline constexpr std::chrono::milliseconds kNeighbourInterval{5000};
// A route or underlay change asks for a neighbour pass (the VTEPs' next
// hops) this soon after the last one, no sooner: a routing daemon's burst
// of updates costs one pass, not one per route.
inline constexpr std::chrono::milliseconds kNextHopHoldoff{200};
inline constexpr std::chrono::milliseconds kConntrackSweepInterval{10000};

class Daemon {
 public:
  static Result<std::unique_ptr<Daemon>> create(const Options& opts);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until SIGTERM/SIGINT; returns the process exit code.
  int run();

 private:
  explicit Daemon(Options opts, EventLoop loop);
  Status setup();

  void on_signal();
  void on_timer();
  void on_links();
  // Link names that changed (from notifications or a peer re-check).
  void note_link_changes(const std::set<std::string>& changed);
  void on_store();

  // The sync step; `full` also re-verifies attachments with the kernel,
  // `links` says interfaces of this host changed.
  void sync(bool full, bool links);
  // Loads the store (a delta when it has one for our generation) and
  // compiles this host's plan (store_dirty_). True when the new generation
  // provably leaves the plan as it was (nothing to reconcile).
  bool load_desired();
  // A full load (or a delta applied) left `state_` at a new generation.
  void compile_state();
  // A delta of endpoints only: recompiles just `networks` (those of its
  // endpoints) into plan_. False when that is refused (compile in full).
  bool compile_networks(const std::set<std::string>& networks);
  void apply_plan(bool full, bool links);
  // Brings the maps to `plan`: only the keys of `change` when there is one
  // and the shadow can stand in for the maps, else every key.
  Result<reconcile::Counts> write_maps(const compile::HostPlan& plan,
                                       const compile::PlanChange* change);
  // Stats slots (reconcile/stats_slots.h) for the plan's local endpoints,
  // new ones zeroed and recorded before any map entry names them; and,
  // after a pass that pruned the entries of endpoints that left, theirs freed.
  // Returns how many endpoints found no free slot (uncounted this round).
  Result<std::size_t> assign_stats_slots(const compile::HostPlan& plan);
  void release_stats_slots();
  // Logs each port whose receive path (its VNET_PORT_F_* flags) changed.
  void log_delivery_changes(const compile::HostPlan& plan);
  // Full passes: removes vnet's underlay programs from interfaces other
  // than `current` (an underlay that moved while vnetd was down).
  void release_stale_underlays(std::uint32_t current, std::vector<std::string>& errors);
  // --xdp-transmit and an underlay that takes XDP frames; a note says why not.
  bool decide_xdp_transmit(const netlink::LinkInfo* underlay, std::vector<std::string>& notes);
  void keep_neighbours();
  // Neighbour and route notifications: the VTEPs' next hops.
  void on_neighbour_events();
  // xdp-features notifications (--xdp-transmit): the underlay's decides.
  void on_xdp_features();
  // Writes the next hop of each of `vteps` into vnet_vteps (what changed).
  void write_next_hops(const std::vector<Ipv4>& vteps);
  // A neighbour pass as soon as kNextHopHoldoff allows.
  void request_next_hop_pass();
  // Until that pass: the XDP path asks the FIB for these VTEPs.
  void forget_next_hops(const std::vector<Ipv4>& vteps);
  void sweep_conntrack();
  // `base` (kFullResyncInterval, kMapAuditInterval), +-20 %.
  std::chrono::milliseconds jittered(std::chrono::milliseconds base);
  void publish_status();
  // Records the sync's result: `errors` fail the generation, `notes` (such
  // as an endpoint interface that does not exist yet) are only reported.
  void set_outcome(store::HostState state, std::vector<std::string> errors,
                   std::vector<std::string> notes = {});

  std::string handle_control(const ControlRequest& req);
  std::string handle_stats(const ControlRequest& req);

  // Interface names whose changes matter: the underlay and local ports.
  bool interesting(const std::set<std::string>& names) const;

  Options opts_;
  EventLoop loop_;
  UniqueFd state_lock_;
  UniqueFd pin_lock_;  // flock on --pin-dir: one vnetd per set of pins
  UniqueFd signal_fd_;
  UniqueFd timer_fd_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Watch> watch_;
  std::unique_ptr<netlink::LinkCache> links_;
  std::unique_ptr<netlink::NeighbourKeeper> neighbours_;
  // --xdp-transmit: hears the underlay's xdp-features change (null when the
  // kernel cannot tell; the passes still ask).
  std::unique_ptr<netlink::XdpFeatureWatch> xdp_watch_;
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<datapath::Datapath> datapath_;
  // What the last reconcile left in the maps (reconcile/reconcile.h):
  // cleared on (re)load and full resync, which then dump the maps.
  reconcile::MapShadow map_shadow_;
  // Who counts where in vnet_ep_stats: built from vnet_ep_slots on the first
  // pass over the maps; slots_left_ are endpoints' that left, not yet freed.
  std::optional<reconcile::StatsSlots> stats_slots_;
  std::vector<reconcile::StatsSlots::Slot> slots_left_;
  std::size_t uncounted_ = 0;  // endpoints the last write_maps left without a slot
  // compile::networks_of_interest() of plan_, which every delta is tested
  // against: computed when first needed after the plan's networks changed.
  std::optional<std::set<std::string>> interest_;

  // Desired state. The decoded topology stays in memory so the next
  // generation can arrive as a small delta instead of the whole state.
  std::optional<store::StoredState> state_;
  compile::NetworkIndex network_index_;  // of state_'s endpoints, for compile_networks()
  store::StateVersion version_;
  std::uint64_t generation_ = 0;
  bool have_state_ = false;           // the store holds a generation
  std::optional<compile::HostPlan> plan_;
  std::string plan_error_;            // why there is no plan (host absent, ...)
  bool store_unreadable_ = false;     // the last read of the store failed: retried at resyncs
  // The last apply_plan() reconciled plan_ as it is now, without a failure.
  bool maps_match_plan_ = false;
  // How plan_ differs from what the maps hold, when that is one incremental
  // compile on top of maps that matched the plan before it: the next pass
  // then reconciles just these keys. Otherwise (nullopt) the whole plan.
  std::optional<compile::PlanChange> plan_change_;
  std::uint32_t underlay_ifindex_ = 0;  // where the underlay programs are attached
  // --xdp-transmit: whether the endpoints' XDP fast path runs (the underlay
  // takes XDP frames); nullopt until the first pass decided.
  std::optional<bool> xdp_transmit_;
  // The last failed datapath load/reload: its config and error message.
  std::optional<std::pair<datapath::Config, std::string>> load_failure_;
  std::uint64_t load_failure_generation_ = 0;
  bool retry_load_ = false;  // SIGHUP: retry a failed load now

  // Pending work.
  bool running_ = true;
  bool store_dirty_ = true;
  bool links_dirty_ = false;
  bool full_pending_ = false;
  bool audit_pending_ = false;  // dump the maps at the next full pass
  bool neighbours_pending_ = false;
  std::chrono::steady_clock::time_point next_resync_;
  std::chrono::steady_clock::time_point next_audit_;
  std::minstd_rand resync_jitter_{std::random_device{}()};
  std::chrono::steady_clock::time_point next_neighbours_;
  std::chrono::steady_clock::time_point last_neighbours_;
  // Each remote VTEP's underlay next hop, for the XDP transmit path.
  netlink::NextHopTable next_hops_;
  bool policy_routing_ = false;  // the last pass found rules beyond the defaults
  std::uint32_t underlay_state_ = 0;  // the underlay's IFF_UP | IFF_LOWER_UP, last seen
  std::chrono::steady_clock::time_point next_ct_sweep_;
  // What the conntrack sweeps found: live entries at the last one, entries
  // removed by all of them (`vnetctl stats`).
  std::optional<std::size_t> ct_live_;
  std::uint64_t ct_swept_ = 0;

  // Reported state.
  store::HostStatus status_;
  std::vector<std::string> sync_messages_;       // from the last sync
  std::vector<std::string> neighbour_messages_;  // from the last neighbour pass
  std::string last_status_error_;                // put_status failure, logged once
  std::vector<std::string> last_logged_;         // messages last logged
  std::string last_peer_problem_;                // veth peer query failure, logged once
  std::map<std::string, std::uint16_t> port_flags_;  // interface -> flags last logged
};

}  // namespace vnet::daemon

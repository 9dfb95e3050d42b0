#pragma once
// vnet's loaded datapath: the five programs (libbpf skeletons embedded in
// vnetd) sharing one set of maps pinned by name under --pin-dir, plus the
// pinned ABI marker that keeps a vnetd from adopting maps of another layout.
//
// Lifecycle: open() checks the pin dir (must be a bpffs, so pins outlive
// vnetd; the caller holds lock_pin_dir()), checks or creates the ABI marker,
// loads the programs with their rodata config and opens every pinned map.
// Programs are attached by ensure_*(), which replace atomically and skip
// hooks that already run the current program. reload() loads a new program
// set with a new config against the same maps; the next ensure_*() pass
// swaps every hook over. Nothing is detached or unpinned on destruction:
// stopping vnetd leaves forwarding up.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "datapath/pinned_map.h"
#include "util/unique_fd.h"
#include "reconcile/reconcile.h"
#include "util/result.h"
#include "vnet/abi.h"

namespace vnet::datapath {

// Pin name of the ABI marker (an array map holding VNET_ABI_VERSION).
inline constexpr const char* kAbiMarkerName = "vnet_abi";

// The load-time configuration (rodata vnet_cfg) in host-friendly form.
struct Config {
  std::uint32_t vtep_be = 0;
  std::uint16_t vxlan_port = 4789;
  std::uint32_t underlay_ifindex = 0;
  std::uint32_t tunnel_ifindex = 0;  // netlink::kTunnelDevice, once it exists
  std::uint16_t flags = 0;  // VNET_CFG_F_*
  // Not in vnet_config: the size of vnet_conntrack (vnetd --conntrack-size).
  std::uint32_t conntrack_size = VNET_CT_DEFAULT_SIZE;
  // Load vnet_xdp_endpoint (vnetd --xdp-transmit); without, it is never
  // loaded, so its verification cannot stop a vnetd that does not use it.
  bool xdp_transmit = false;
  bool operator==(const Config&) const = default;
  vnet_config to_abi() const;
  std::string str() const;
};

// Checks that `dir` exists (creating it and its parents, mode 0700) and is
// on a bpffs; the error says how to mount one.
Status ensure_bpffs_dir(const std::string& dir);

// Takes an exclusive, non-blocking flock on the pin dir, held as long as the
// returned fd lives: two vnetd on one set of pins would fight over them.
Result<UniqueFd> lock_pin_dir(const std::string& dir);

struct EndpointCounters {
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::array<std::uint64_t, VNET_DROP_MAX> drops{};
};

struct Stats {
  std::array<std::uint64_t, VNET_DROP_MAX> drops{};  // summed over CPUs
  std::map<std::uint32_t, EndpointCounters> endpoints;  // by endpoint id
  std::uint64_t ct_created = 0;  // vnet_ct_stats: flows inserted into conntrack
};

// Sums one vnet_ep_stats per-CPU block.
EndpointCounters sum_endpoint_counters(const std::uint8_t* block, std::size_t ncpus,
                                       std::size_t stride);

class ProgramSet;

class Datapath {
 public:
  // The caller should hold lock_pin_dir(pin_dir) for as long as it runs.
  static Result<std::unique_ptr<Datapath>> open(const std::string& pin_dir, const Config& config);
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  const Config& config() const;
  const std::string& pin_dir() const { return pin_dir_; }

  // Loads programs with `config` against the pinned maps. On failure the
  // current programs stay loaded (and attached).
  Status reload(const Config& config);

  // Underlay: XDP (driver mode) and tc ingress (marks VXLAN for the device).
  Status ensure_underlay(std::uint32_t ifindex);
  // vnetd's VXLAN device (collect_md): tc ingress.
  Status ensure_tunnel(std::uint32_t ifindex);
  // A local endpoint's host-side interface: tc ingress.
  Status ensure_endpoint(std::uint32_t ifindex);
  // The XDP fast path in front of it (vnet_xdp_endpoint, loaded only with
  // Config::xdp_transmit) when `on`; otherwise vnet's XDP program, if any,
  // is removed from the interface.
  Status ensure_endpoint_xdp(std::uint32_t ifindex, bool on);
  // An interface that stopped being the underlay: remove vnet's XDP and tc
  // programs so it no longer terminates VXLAN.
  Status release_underlay(std::uint32_t ifindex);
  // Is program `prog_id` an underlay XDP program of vnet's (this build's or
  // another's: the name decides)? For finding underlays left behind.
  bool is_underlay_program(std::uint32_t prog_id) const;
  // Forgets what ensure_*() believes is attached so the next pass asks the
  // kernel again (full resync, or an interface that went away).
  void forget_attachments();
  void forget_attachments(std::uint32_t ifindex);

  // Writes the vnet_vteps value of the VTEP `vtep_be` (its underlay next
  // hop) when the entry exists and holds something else: the reconciler
  // creates and removes entries, this never does. True when it wrote.
  Result<bool> set_vtep(__be32 vtep_be, const vnet_vtep& value);
  // vnet_state's lease on those next hops (CLOCK_MONOTONIC ns; 0: none).
  Status set_next_hop_lease(std::uint64_t until_ns);

  // Stats slots (reconcile/stats_slots.h). take_stats_slots() zeroes each
  // slot's counters on every CPU, then records its owner in vnet_ep_slots;
  // record_stats_slots() writes one record (VNET_EP_SLOT_LEFT, 0) for all.
  // stats_slot_owners() reads the records back: (slot, value) for each
  // slot that has one, VNET_EP_SLOT_LEFT included.
  Status take_stats_slots(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& slots);
  Status record_stats_slots(const std::vector<std::uint16_t>& slots, std::uint32_t value);
  Result<std::vector<std::pair<std::uint16_t, std::uint32_t>>> stats_slot_owners();

  // Map access for the reconciler; nullptr for an unknown name.
  PinnedMap* map(const std::string& name);
  reconcile::MapLookup lookup();

  Result<Stats> read_stats();

 private:
  explicit Datapath(std::string pin_dir);
  Status open_maps();

  enum class Hook { kXdp, kTcIngress };
  Status ensure(std::uint32_t ifindex, Hook hook, int prog_fd);

  std::string pin_dir_;
  std::unique_ptr<ProgramSet> programs_;
  std::map<std::string, std::unique_ptr<PinnedMap>> maps_;
  // (ifindex, hook) -> program id we attached or found there; kNoProgram:
  // we made sure none of ours is there.
  static constexpr std::uint32_t kNoProgram = 0;
  std::map<std::pair<std::uint32_t, Hook>, std::uint32_t> attached_;
};

}  // namespace vnet::datapath

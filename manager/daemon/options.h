#pragma once
// vnetd's command line (contract §2):
//   vnetd --host NAME [--store URL] [--pin-dir DIR] [--socket PATH] [--state-dir DIR]
//         [--conntrack-size N] [--xdp-transmit] [--next-hop-lease SECONDS]
// --store defaults to $VNET_STORE, then file:/var/lib/vnet; --state-dir
// defaults to /run/vnet/<host> (it holds vnetd.lock: one vnetd per host per
// machine, with its pid inside for operators).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace vnet::daemon {

inline constexpr const char* kDefaultPinDir = "/sys/fs/bpf/vnet";
inline constexpr const char* kDefaultStateRoot = "/run/vnet";
inline constexpr std::uint32_t kDefaultConntrackSize = 262144;  // VNET_CT_DEFAULT_SIZE

struct Options {
  std::string host;
  std::string store_url;
  std::string pin_dir = kDefaultPinDir;
  std::string socket;
  std::string state_dir;
  // Entries of the security groups' connection tracking table (LRU).
  std::uint32_t conntrack_size = kDefaultConntrackSize;
  // The XDP transmit fast path on endpoint interfaces (docs/architecture.md,
  // "The XDP transmit path"): off by default, it costs a veth VM its GSO.
  bool xdp_transmit = false;
  // How long the XDP transmit path trusts the underlay next hops vnetd
  // keeps (renewed on every neighbour pass, every 5 s): a vnetd that stops
  // or hangs longer sends it back to bpf_fib_lookup. 0: keep none.
  std::uint32_t next_hop_lease_s = 30;
  bool verbose = false;
};

// Either options, or an exit code after help/usage was printed.
std::variant<Options, int> parse_options(int argc, char** argv);

}  // namespace vnet::daemon

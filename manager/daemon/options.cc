#include "daemon/options.h"

#include <CLI/CLI.hpp>

#include <cstdlib>

#include "daemon/control.h"
#include "store/file_store.h"
#include "store/store.h"

namespace vnet::daemon {

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options opts;
  CLI::App app{"vnetd: programs this host's part of the vnet overlay (XDP/tc datapath)"};
  app.add_option("--host", opts.host, "this host's name in the topology")->required();
  app.add_option("--store", opts.store_url,
                 "desired-state store: file:DIR or etcd://HOST:PORT[,...] (env VNET_STORE, "
                 "default " + std::string(store::kDefaultStoreUrl) + ")");
  app.add_option("--pin-dir", opts.pin_dir,
                 "bpffs directory for the pinned maps (must outlive vnetd)")
      ->capture_default_str();
  app.add_option("--socket", opts.socket,
                 "control socket for vnetctl stats (default " +
                     std::string(control::kDefaultSocket) + ")");
  app.add_option("--state-dir", opts.state_dir,
                 "directory for vnetd's lock file (default " + std::string(kDefaultStateRoot) +
                     "/<host>)");
  app.add_option("--conntrack-size", opts.conntrack_size,
                 "connection tracking entries for security groups (LRU: a full table evicts "
                 "the least recently used flow, which is then classified again)")
      ->check(CLI::Range(1024u, 16u << 20))
      ->capture_default_str();
  app.add_flag("--xdp-transmit", opts.xdp_transmit,
               "encapsulate what endpoints send in XDP, before any skb exists, when the "
               "underlay can take XDP frames (faster for VMs on taps; a veth endpoint loses "
               "GSO); everything the fast path does not take still goes through tc");
  app.add_option("--next-hop-lease", opts.next_hop_lease_s,
                 "seconds the XDP transmit path trusts the underlay next hops vnetd keeps "
                 "(renewed every 5 s; after vnetd stops or hangs this long it asks the FIB "
                 "for every frame again); 0 keeps none")
      ->check(CLI::Range(0u, 3600u))
      ->capture_default_str();
  app.add_flag("-v,--verbose", opts.verbose, "log debug messages (libbpf included)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help exits 0; any usage error exits 2, like vnetctl.
    return app.exit(e) == 0 ? 0 : 2;
  }
  // The host reports through a status file named after it: a name that
  // cannot be one would leave it forever "down".
  if (Status s = store::check_host_file_name(opts.host); !s) {
    std::fprintf(stderr, "vnetd: --host: %s\n", s.message().c_str());
    return 2;
  }
  if (opts.next_hop_lease_s != 0 && opts.next_hop_lease_s < 10) {
    // Below two neighbour passes a busy pass would let it lapse.
    std::fprintf(stderr, "vnetd: --next-hop-lease: 0 or at least 10 seconds\n");
    return 2;
  }
  if (opts.store_url.empty()) {
    const char* env = std::getenv("VNET_STORE");
    opts.store_url = env != nullptr && *env != '\0' ? env : store::kDefaultStoreUrl;
  }
  if (opts.socket.empty()) {
    opts.socket = control::kDefaultSocket;
  }
  if (opts.state_dir.empty()) {
    opts.state_dir = std::string(kDefaultStateRoot) + "/" + opts.host;
  }
  return opts;
}

}  // namespace vnet::daemon

#include "datapath.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <functional>
#include <sstream>

// Skeletons appear in build/bpf/ as the BPF programs are written; a program
// that is not built yet makes its tests skip, not the build fail.
#if __has_include("xdp_underlay.skel.h")
#include "xdp_underlay.skel.h"
#define VT_HAVE_XDP_UNDERLAY 1
#endif
#if __has_include("tc_tunnel.skel.h")
#include "tc_tunnel.skel.h"
#include "test_tunnel_shim.skel.h"
#define VT_HAVE_TC_TUNNEL 1
#endif
#if __has_include("tc_underlay.skel.h")
#include "tc_underlay.skel.h"
#define VT_HAVE_TC_UNDERLAY 1
#endif
#if __has_include("tc_endpoint.skel.h")
#include "tc_endpoint.skel.h"
#define VT_HAVE_TC_ENDPOINT 1
#endif
#if __has_include("xdp_endpoint.skel.h")
#include "xdp_endpoint.skel.h"
#define VT_HAVE_XDP_ENDPOINT 1
#endif

namespace vt {

namespace {

struct ProgState {
  bool built = false;
  bool attempted = false;
  int fd = -1;
  std::string error;
  std::function<void()> destroy;
};
ProgState g_prog[5];
MapFds g_maps;
#ifdef VT_HAVE_TC_TUNNEL
test_tunnel_shim* g_shim = nullptr;
#endif
TunnelMeta g_tunnel_meta;
bool g_loaded = false;
std::string g_libbpf_log;

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) {
    return 0;
  }
  char buf[4096];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  g_libbpf_log += buf;
  if (g_libbpf_log.size() > 200000) {
    g_libbpf_log.erase(0, g_libbpf_log.size() - 100000);
  }
  return n;
}

std::string tail(const std::string& s, std::size_t n = 6000) {
  return s.size() > n ? "..." + s.substr(s.size() - n) : s;
}

vnet_config test_config() {
  vnet_config cfg{};
  cfg.vtep_be = htonl(kVtepLocal);
  cfg.vxlan_port_be = htons(kVxlanPort);
  cfg.flags = VNET_CFG_F_POISON_HEADROOM;
  cfg.underlay_ifindex = static_cast<__u32>(ifindex("ul0"));
  return cfg;
}

#define VT_LOAD(NAME, INDEX)                                                          \
  do {                                                                                \
    ProgState& st = g_prog[INDEX];                                                    \
    st.built = true;                                                                  \
    st.attempted = true;                                                              \
    bpf_object_open_opts o{};                                                         \
    o.sz = sizeof(o);                                                                 \
    o.pin_root_path = lab_bpffs().c_str();                                            \
    g_libbpf_log.clear();                                                             \
    struct NAME* s = NAME##__open_opts(&o);                                           \
    if (!s) {                                                                         \
      st.error = std::string(#NAME "__open_opts: ") + std::strerror(errno) + "\n" +   \
                 tail(g_libbpf_log);                                                  \
      break;                                                                          \
    }                                                                                 \
    s->rodata->vnet_cfg = cfg;                                                        \
    if (int e = NAME##__load(s)) {                                                    \
      st.error = std::string(#NAME "__load: ") + std::strerror(-e) + "\n" +           \
                 tail(g_libbpf_log);                                                  \
      NAME##__destroy(s);                                                             \
      break;                                                                          \
    }                                                                                 \
    st.fd = bpf_program__fd(s->progs.vnet_##NAME);                                    \
    st.destroy = [s] { NAME##__destroy(s); };                                         \
  } while (0)

int map_fd(const char* name) {
  std::string path = lab_bpffs() + "/" + name;
  int fd = bpf_obj_get(path.c_str());
  return fd < 0 ? -1 : fd;
}

bpf_map_info info_of(int fd) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  bpf_obj_get_info_by_fd(fd, &info, &len);
  return info;
}

int ncpus() {
  static int n = libbpf_num_possible_cpus();
  return n;
}

std::size_t percpu_stride(std::size_t value_size) { return (value_size + 7) & ~std::size_t{7}; }

void die_errno(const std::string& what) {
  std::fprintf(stderr, "FATAL: %s: %s\n", what.c_str(), std::strerror(errno));
  std::abort();
}

void update(int fd, const void* key, const void* value, const char* what) {
  if (bpf_map_update_elem(fd, key, value, BPF_ANY) != 0) {
    die_errno(std::string("update ") + what);
  }
}

std::vector<Bytes> keys_of(int fd) {
  bpf_map_info info = info_of(fd);
  std::vector<Bytes> keys;
  Bytes key(info.key_size), next(info.key_size);
  void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
    keys.push_back(next);
    key = next;
    prev = key.data();
    if (keys.size() > 1000000) {
      break;
    }
  }
  return keys;
}

void clear_map(int fd) {
  // Deleting while iterating restarts hash iteration; collect first.
  for (int round = 0; round < 4; ++round) {
    auto keys = keys_of(fd);
    if (keys.empty()) {
      return;
    }
    for (auto& k : keys) {
      bpf_map_delete_elem(fd, k.data());
    }
  }
}

__be32 be(std::uint32_t host) { return htonl(host); }

void put_port(const char* ifname, std::uint32_t ep, std::uint32_t vni, const Mac& mac,
              std::uint16_t flags, std::uint32_t ip) {
  __u32 key = static_cast<__u32>(ifindex(ifname));
  vnet_port v{};
  v.endpoint_id = ep;
  v.stats_slot = stats_slot_of(ep);
  v.vni = vni;
  std::memcpy(v.mac, mac.b, 6);
  v.flags = flags;
  v.ip_be = be(ip);
  update(g_maps.ports, &key, &v, "vnet_ports");
}

void put_port_src(const char* ifname, std::uint32_t ip, unsigned plen) {
  vnet_port_src_key k{};
  k.prefixlen = 32 + plen;
  k.ifindex = static_cast<__u32>(ifindex(ifname));
  k.ip_be = be(ip);
  __u8 v = 1;
  update(g_maps.port_src, &k, &v, "vnet_port_src");
}

void put_fdb_local(std::uint32_t vni, const Mac& mac, const char* ifname, std::uint32_t ep,
                   std::uint16_t flags) {
  vnet_fdb_key k{};
  k.vni = vni;
  std::memcpy(k.mac, mac.b, 6);
  vnet_fdb_entry v{};
  v.ifindex = static_cast<__u32>(ifindex(ifname));
  v.endpoint_id = ep;
  v.stats_slot = stats_slot_of(ep);
  v.port_flags = flags;
  update(g_maps.fdb, &k, &v, "vnet_fdb");
}


}  // namespace

void put_fdb_remote(std::uint32_t vni, const Mac& mac, std::uint32_t vtep, std::uint32_t ep,
                    std::uint32_t ip) {
  vnet_fdb_key k{};
  k.vni = vni;
  std::memcpy(k.mac, mac.b, 6);
  vnet_fdb_entry v{};
  v.vtep_be = be(vtep);
  v.endpoint_id = ep;
  v.ip_be = ip == 0 ? 0 : be(ip);
  update(g_maps.fdb, &k, &v, "vnet_fdb");
}

void del_remote_host(std::uint32_t vni, std::uint32_t vtep, std::uint32_t ip) {
  vnet_remote_host_key h{};
  h.vni = vni;
  h.vtep_be = be(vtep);
  h.ip_be = be(ip);
  if (bpf_map_delete_elem(g_maps.remote_host, &h) != 0) {
    ADD_FAILURE() << "no vnet_remote_host entry to delete: " << std::strerror(errno);
  }
}

void put_vtep_next_hop(std::uint32_t vtep, const char* ifname, const Mac& dmac, const Mac& smac,
                       std::uint32_t flags) {
  __be32 k = be(vtep);
  vnet_vtep v{};
  v.flags = flags;
  v.ifindex = static_cast<__u32>(ifindex(ifname));
  std::memcpy(v.dmac, dmac.b, 6);
  std::memcpy(v.smac, smac.b, 6);
  update(g_maps.vteps, &k, &v, "vnet_vteps");
  set_next_hop_lease(~0ull);
}

void set_next_hop_lease(std::uint64_t until_ns) {
  const __u32 zero = 0;
  vnet_state st{};
  st.next_hops_until_ns = until_ns;
  update(g_maps.state, &zero, &st, "vnet_state");
}

Bytes ct_key(std::uint32_t ep, std::uint32_t local, std::uint32_t remote, std::uint16_t lport,
             std::uint16_t rport, std::uint8_t proto, std::uint32_t vni) {
  vnet_ct_key k{};
  k.endpoint_id = ep;
  k.vni = vni;
  k.local_be = htonl(local);
  k.remote_be = htonl(remote);
  k.local_port_be = htons(lport);
  k.remote_port_be = htons(rport);
  k.protocol = proto;
  const auto* p = reinterpret_cast<const std::uint8_t*>(&k);
  return Bytes(p, p + sizeof k);
}

void put_policy_remote(std::uint32_t policy, std::uint32_t ip, unsigned plen, std::uint32_t class_id) {
  vnet_policy_remote_key k{};
  k.prefixlen = 32 + plen;
  k.policy = policy;
  k.ip_be = be(ip);
  vnet_policy_remote v{};
  v.class_id = class_id;
  update(g_maps.pol_remote, &k, &v, "vnet_pol_remote");
}

void put_policy_rule(std::uint32_t policy, std::uint32_t class_id, int protocol, std::uint16_t port,
                     unsigned port_bits) {
  vnet_policy_rule_key k{};
  k.prefixlen = 64 + (protocol < 0 ? 0 : 16 + port_bits);
  k.policy = policy;
  k.class_id = class_id;
  k.protocol_be = htons(static_cast<std::uint16_t>(protocol < 0 ? 0 : protocol));
  k.port_be = htons(port_bits == 0 ? 0 : static_cast<std::uint16_t>(port & (0xffffu << (16 - port_bits))));
  vnet_policy_rule v{};
  update(g_maps.pol_rules, &k, &v, "vnet_pol_rules");
}

namespace {

// Rewrites a local port's vnet_ports entry and its MAC's local fdb entry
// (which receivers read) through `edit`, which sees both.
template <typename Edit>
void edit_port(const char* ifname, Edit edit) {
  __u32 key = static_cast<__u32>(ifindex(ifname));
  vnet_port port{};
  if (bpf_map_lookup_elem(g_maps.ports, &key, &port) != 0) {
    ADD_FAILURE() << "no port " << ifname;
    return;
  }
  vnet_fdb_key fk{};
  fk.vni = port.vni;
  std::memcpy(fk.mac, port.mac, 6);
  vnet_fdb_entry f{};
  const bool local = bpf_map_lookup_elem(g_maps.fdb, &fk, &f) == 0 && f.ifindex == key;
  edit(port, f);
  update(g_maps.ports, &key, &port, "vnet_ports");
  if (local) {
    update(g_maps.fdb, &fk, &f, "vnet_fdb");
  }
}

}  // namespace

void set_port_policy(const char* ifname, std::uint32_t policy_in, std::uint32_t policy_out) {
  edit_port(ifname, [&](vnet_port& port, vnet_fdb_entry& fdb) {
    port.policy_in = fdb.policy_in = policy_in;
    port.policy_out = fdb.policy_out = policy_out;
  });
}

void set_port_endpoint(const char* ifname, std::uint32_t endpoint_id) {
  edit_port(ifname, [&](vnet_port& port, vnet_fdb_entry& fdb) {
    port.endpoint_id = fdb.endpoint_id = endpoint_id;
    port.stats_slot = fdb.stats_slot = stats_slot_of(endpoint_id);
  });
}

void set_port_gateway(const char* ifname, const Mac& mac, std::uint32_t router_id,
                      std::uint32_t ip) {
  edit_port(ifname, [&](vnet_port& port, vnet_fdb_entry&) {
    std::memcpy(port.gw_mac, mac.b, 6);
    port.gw.router_id = router_id;
    port.gw.ip_be = be(ip);
  });
}

std::map<Bytes, vnet_ct_entry> conntrack() {
  std::map<Bytes, vnet_ct_entry> out;
  for (auto& k : keys_of(g_maps.conntrack)) {
    vnet_ct_entry v{};
    if (bpf_map_lookup_elem(g_maps.conntrack, k.data(), &v) == 0) {
      out[k] = v;
    }
  }
  return out;
}

std::uint64_t conntrack_created() {
  const std::size_t stride = percpu_stride(sizeof(vnet_ct_stats));
  std::vector<std::uint8_t> block(stride * static_cast<std::size_t>(ncpus()));
  const __u32 zero = 0;
  if (bpf_map_lookup_elem(g_maps.ct_stats, &zero, block.data()) != 0) {
    ADD_FAILURE() << "lookup vnet_ct_stats: " << std::strerror(errno);
    return 0;
  }
  std::uint64_t sum = 0;
  for (std::size_t off = 0; off < block.size(); off += stride) {
    vnet_ct_stats s{};
    std::memcpy(&s, block.data() + off, sizeof s);
    sum += s.created;
  }
  return sum;
}

namespace {

void put_neigh(std::uint32_t vni, std::uint32_t ip, const Mac& mac) {
  vnet_neigh_key k{};
  k.vni = vni;
  k.ip_be = be(ip);
  vnet_neigh_entry v{};
  std::memcpy(v.mac, mac.b, 6);
  update(g_maps.neigh, &k, &v, "vnet_neigh");
}

// As vnetd's bind does: a host address in the hash, a wider prefix in the trie.
void put_remote_src(std::uint32_t vni, std::uint32_t vtep, std::uint32_t ip, unsigned plen) {
  __u8 v = 1;
  if (plen == 32) {
    vnet_remote_host_key h{};
    h.vni = vni;
    h.vtep_be = be(vtep);
    h.ip_be = be(ip);
    update(g_maps.remote_host, &h, &v, "vnet_remote_host");
    return;
  }
  vnet_remote_src_key k{};
  k.prefixlen = 64 + plen;
  k.vni = vni;
  k.vtep_be = be(vtep);
  k.ip_be = be(ip);
  update(g_maps.remote_src, &k, &v, "vnet_remote_src");
}

void put_router_iface(std::uint32_t vni, const Mac& mac, std::uint32_t router_id, std::uint32_t ip) {
  vnet_fdb_key k{};
  k.vni = vni;
  std::memcpy(k.mac, mac.b, 6);
  vnet_router_iface v{};
  v.router_id = router_id;
  v.ip_be = be(ip);
  update(g_maps.rtr_ifaces, &k, &v, "vnet_rtr_ifaces");
}

void put_route(std::uint32_t router_id, std::uint32_t prefix, unsigned plen, std::uint32_t vni,
               std::uint32_t next_hop, const Mac& smac) {
  vnet_route_key k{};
  k.prefixlen = 32 + plen;
  k.router_id = router_id;
  k.ip_be = be(prefix);
  vnet_route v{};
  v.vni = vni;
  v.nh_ip_be = next_hop ? be(next_hop) : 0;
  std::memcpy(v.smac, smac.b, 6);
  update(g_maps.routes, &k, &v, "vnet_routes");
}

void put_vtep(std::uint32_t vtep) {
  __be32 k = be(vtep);
  vnet_vtep v{};
  update(g_maps.vteps, &k, &v, "vnet_vteps");
}

void put_network(std::uint32_t vni, std::vector<std::uint32_t> vteps, std::vector<const char*> ports) {
  vnet_network n{};
  n.n_vteps = static_cast<__u32>(vteps.size());
  n.n_ports = static_cast<__u32>(ports.size());
  for (std::size_t i = 0; i < vteps.size(); ++i) {
    n.vteps_be[i] = be(vteps[i]);
  }
  for (std::size_t i = 0; i < ports.size(); ++i) {
    n.port_ifindex[i] = static_cast<__u32>(ifindex(ports[i]));
  }
  __u32 k = vni;
  update(g_maps.networks, &k, &n, "vnet_networks");
}


#ifdef VT_HAVE_TC_TUNNEL
// The shim is loaded next to vnet_tc_tunnel and tail-calls it; a failure
// marks vnet_tc_tunnel unavailable (its tests fail with the reason).
void load_tunnel_shim(ProgState& tunnel) {
  if (tunnel.fd < 0) {
    return;
  }
  g_shim = test_tunnel_shim__open_and_load();
  if (g_shim == nullptr) {
    tunnel.error = std::string("test_tunnel_shim: ") + std::strerror(errno) + "\n" + tail(g_libbpf_log);
    tunnel.fd = -1;
    return;
  }
  __u32 slot = 0;
  int target = tunnel.fd;
  if (bpf_map_update_elem(bpf_map__fd(g_shim->maps.shim_target), &slot, &target, BPF_ANY) != 0) {
    tunnel.error = std::string("shim_target: ") + std::strerror(errno);
    tunnel.fd = -1;
  }
}
#endif

}  // namespace

void del_router_iface(std::uint32_t vni, const Mac& mac) {
  vnet_fdb_key k{};
  k.vni = vni;
  std::memcpy(k.mac, mac.b, 6);
  if (bpf_map_delete_elem(g_maps.rtr_ifaces, &k) != 0) {
    ADD_FAILURE() << "no router interface to delete";
  }
}

void set_tunnel_meta(const TunnelMeta& meta) { g_tunnel_meta = meta; }

const char* prog_name(Prog p) {
  switch (p) {
    case Prog::kXdpUnderlay:
      return "vnet_xdp_underlay";
    case Prog::kTcTunnel:
      return "vnet_tc_tunnel";
    case Prog::kTcEndpoint:
      return "vnet_tc_endpoint";
    case Prog::kTcUnderlay:
      return "vnet_tc_underlay";
    case Prog::kXdpEndpoint:
      return "vnet_xdp_endpoint";
  }
  return "?";
}

std::string verdict_name(Prog p, std::uint32_t v) {
  static const char* xdp[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};
  if (p == Prog::kXdpUnderlay || p == Prog::kXdpEndpoint) {
    return v < 5 ? xdp[v] : "XDP_?" + std::to_string(v);
  }
  switch (static_cast<int>(v)) {
    case -1:
      return "TC_ACT_UNSPEC";
    case 0:
      return "TC_ACT_OK";
    case 1:
      return "TC_ACT_RECLASSIFY";
    case 2:
      return "TC_ACT_SHOT";
    case 3:
      return "TC_ACT_PIPE";
    case 4:
      return "TC_ACT_STOLEN";
    case 7:
      return "TC_ACT_REDIRECT";
    default:
      return "TC_ACT_?" + std::to_string(static_cast<int>(v));
  }
}

std::string drop_name(int r) {
  static const char* names[] = {"NONE",          "MALFORMED",      "NO_PORT",        "SPOOF_MAC",
                                "SPOOF_IP",      "SPOOF_ARP",      "ETHERTYPE",      "UNKNOWN_UNICAST",
                                "UNKNOWN_VTEP",  "UNKNOWN_VNI",    "FOREIGN_SOURCE", "VXLAN_FLAGS",
                                "OUTER_FRAGMENT", "FRAG_NEEDED",   "TOO_BIG",        "NO_ROUTE_VTEP",
                                "NOT_LOCAL",     "HAIRPIN",        "FLOOD_LIMIT",    "NOT_OUR_VTEP",
                                "NO_ROUTE",      "TTL_EXCEEDED",   "HOST_UNREACHABLE", "ROUTER_LOCAL",
                                "NOT_UNDERLAY",  "POLICY_EGRESS",  "POLICY_INGRESS", "POLICY_FRAGMENT",
                                "POLICY_REVOKED", "ERROR"};
  static_assert(sizeof(names) / sizeof(names[0]) == VNET_DROP_MAX);
  return r >= 0 && r < VNET_DROP_MAX ? names[r] : "reason#" + std::to_string(r);
}

bool programs_load(std::string* err) {
  if (g_loaded) {
    return true;
  }
  g_loaded = true;
  libbpf_set_print(libbpf_print);
  vnet_config cfg = test_config();
  (void)cfg;
#ifdef VT_HAVE_XDP_UNDERLAY
  VT_LOAD(xdp_underlay, 0);
#endif
#ifdef VT_HAVE_TC_TUNNEL
  VT_LOAD(tc_tunnel, 1);
  load_tunnel_shim(g_prog[1]);
#endif
#ifdef VT_HAVE_TC_ENDPOINT
  VT_LOAD(tc_endpoint, 2);
#endif
#ifdef VT_HAVE_TC_UNDERLAY
  VT_LOAD(tc_underlay, 3);
#endif
#ifdef VT_HAVE_XDP_ENDPOINT
  VT_LOAD(xdp_endpoint, 4);
#endif
  g_maps.ports = map_fd(VNET_MAP_PORTS);
  g_maps.port_src = map_fd(VNET_MAP_PORT_SRC);
  g_maps.fdb = map_fd(VNET_MAP_FDB);
  g_maps.neigh = map_fd(VNET_MAP_NEIGH);
  g_maps.remote_host = map_fd(VNET_MAP_REMOTE_HOST);
  g_maps.remote_src = map_fd(VNET_MAP_REMOTE_SRC);
  g_maps.vteps = map_fd(VNET_MAP_VTEPS);
  g_maps.networks = map_fd(VNET_MAP_NETWORKS);
  g_maps.ep_stats = map_fd(VNET_MAP_EP_STATS);
  g_maps.drops = map_fd(VNET_MAP_DROPS);
  g_maps.rtr_ifaces = map_fd(VNET_MAP_ROUTER_IFACES);
  g_maps.routes = map_fd(VNET_MAP_ROUTES);
  g_maps.icmp_rate = map_fd(VNET_MAP_ICMP_RATE);
  g_maps.pol_remote = map_fd(VNET_MAP_POLICY_REMOTE);
  g_maps.pol_rules = map_fd(VNET_MAP_POLICY_RULES);
  g_maps.conntrack = map_fd(VNET_MAP_CONNTRACK);
  g_maps.ct_stats = map_fd(VNET_MAP_CT_STATS);
  g_maps.state = map_fd(VNET_MAP_STATE);
  bool any = false;
  for (auto& p : g_prog) {
    any |= p.fd >= 0;
  }
  if (any) {
    const MapFds& m = g_maps;
    for (int fd : {m.ports, m.port_src, m.fdb, m.neigh, m.remote_host, m.remote_src, m.vteps,
                   m.networks, m.ep_stats, m.drops, m.rtr_ifaces, m.routes, m.icmp_rate, m.pol_remote, m.pol_rules,
                   m.conntrack, m.ct_stats, m.state}) {
      if (fd < 0) {
        *err = "a vnet map is not pinned by name under " + lab_bpffs();
        for (auto& p : g_prog) {
          if (p.fd >= 0) {
            p.error = *err;
            p.fd = -1;
          }
        }
        return false;
      }
    }
  }
  return true;
}

bool program_available(Prog p, std::string* why) {
  const ProgState& st = g_prog[static_cast<int>(p)];
  if (!st.built) {
    *why = std::string(prog_name(p)) + " is not built yet (no skeleton in build/bpf)";
    return false;
  }
  if (st.fd < 0) {
    *why = std::string(prog_name(p)) + " failed to load: " + st.error;
    return false;
  }
  return true;
}

void programs_unload() {
#ifdef VT_HAVE_TC_TUNNEL
  if (g_shim != nullptr) {
    test_tunnel_shim__destroy(g_shim);
    g_shim = nullptr;
  }
#endif
  for (auto& p : g_prog) {
    if (p.destroy) {
      p.destroy();
      p.destroy = nullptr;
    }
    p.fd = -1;
  }
  for (int* fd : {&g_maps.ports, &g_maps.port_src, &g_maps.fdb, &g_maps.neigh,
                  &g_maps.remote_host, &g_maps.remote_src, &g_maps.vteps, &g_maps.networks,
                  &g_maps.ep_stats, &g_maps.drops, &g_maps.rtr_ifaces, &g_maps.routes,
                  &g_maps.icmp_rate, &g_maps.pol_remote, &g_maps.pol_rules, &g_maps.conntrack,
                  &g_maps.ct_stats, &g_maps.state}) {
    if (*fd >= 0) {
      close(*fd);
      *fd = -1;
    }
  }
}

const MapFds& maps() { return g_maps; }

void reset_maps() {
  const MapFds& m = g_maps;
  // Empty ICMP buckets: a port's first error creates a full one.
  for (int fd : {m.ports, m.port_src, m.fdb, m.neigh, m.remote_host, m.remote_src, m.vteps,
                 m.networks, m.rtr_ifaces, m.routes, m.icmp_rate, m.pol_remote, m.pol_rules, m.conntrack}) {
    clear_map(fd);
  }
  // Arrays: every slot exists, "clear" is zeroes.
  std::vector<std::uint8_t> zero_ep(percpu_stride(sizeof(vnet_ep_stats)) * static_cast<std::size_t>(ncpus()));
  for (__u32 k = 0; k < kScannedSlots; ++k) {
    update(m.ep_stats, &k, zero_ep.data(), "vnet_ep_stats");
  }
  bpf_map_info info = info_of(m.drops);
  std::vector<std::uint8_t> zero(percpu_stride(info.value_size) * static_cast<std::size_t>(ncpus()));
  for (__u32 k = 0; k < info.max_entries; ++k) {
    update(m.drops, &k, zero.data(), "vnet_drops");
  }
  set_next_hop_lease(0);
}

void install_topology() {
  const auto peer = static_cast<std::uint16_t>(VNET_PORT_F_PEER);
  const auto xdp = static_cast<std::uint16_t>(VNET_PORT_F_XDP_DELIVER);

  // ports + anti-spoofing prefixes
  put_port("vm1-h", kEpVm1, kVniBlue, kVm1Mac, peer, kIpVm1);
  put_port("vm2-h", kEpVm2, kVniBlue, kVm2Mac, peer, kIpVm2);
  put_port("vm5-t", kEpVm5, kVniBlue, kVm5Mac, xdp, kIpVm5);
  put_port("vm6-h", kEpVm6, kVniC, kVm6Mac, peer, kIpVm6);
  put_port("t2vm1-h", kEpT2Vm1, kVniT2, kVm1Mac, peer, kIpVm1);
  put_port("t2vm2-h", kEpT2Vm2, kVniT2, kVm2Mac, peer, kIpVm2);
  put_port_src("vm1-h", kIpVm1, 32);
  put_port_src("vm1-h", kIpVm1Allowed, 32);
  put_port_src("vm1-h", kVm1RoutePrefix, 24);
  put_port_src("vm2-h", kIpVm2, 32);
  put_port_src("vm5-t", kIpVm5, 32);
  put_port_src("vm6-h", kIpVm6, 32);
  put_port_src("t2vm1-h", kIpVm1, 32);
  put_port_src("t2vm2-h", kIpVm2, 32);

  // fdb: vni 1001
  put_fdb_local(kVniBlue, kVm1Mac, "vm1-h", kEpVm1, peer);
  put_fdb_local(kVniBlue, kVm2Mac, "vm2-h", kEpVm2, peer);
  put_fdb_local(kVniBlue, kVm5Mac, "vm5-t", kEpVm5, xdp);
  // Tenant 1's remote entries carry their endpoint's address, as vnetd
  // writes them; tenant 2's none, so their sources take vnet_remote_host.
  put_fdb_remote(kVniBlue, kVm3Mac, kVtepA, kEpVm3, kIpVm3);
  put_fdb_remote(kVniBlue, kVm4Mac, kVtepB, kEpVm4, kIpVm4);
  // vni 2001: same MACs, other places
  put_fdb_local(kVniT2, kVm1Mac, "t2vm1-h", kEpT2Vm1, peer);
  put_fdb_local(kVniT2, kVm2Mac, "t2vm2-h", kEpT2Vm2, peer);
  put_fdb_remote(kVniT2, kVm3Mac, kVtepT2a, kEpT2Vm3);
  put_fdb_remote(kVniT2, kVm4Mac, kVtepT2b, kEpT2Vm4);
  put_fdb_remote(kVniT2, kT2OnlyMac, kVtepT2a, kEpT2Only);
  // vni 3001
  put_fdb_local(kVniC, kVm6Mac, "vm6-h", kEpVm6, peer);
  put_fdb_remote(kVniC, kVm7Mac, kVtepUnresolved, kEpVm7);
  put_fdb_remote(kVniC, kVm8Mac, kVtepUnroutable, kEpVm8);

  // neighbours answered by ARP
  put_neigh(kVniBlue, kIpVm1, kVm1Mac);
  put_neigh(kVniBlue, kIpVm2, kVm2Mac);
  put_neigh(kVniBlue, kIpVm3, kVm3Mac);
  put_neigh(kVniBlue, kIpVm4, kVm4Mac);
  put_neigh(kVniBlue, kIpVm5, kVm5Mac);
  put_neigh(kVniBlue, kIpRouter, kRouterMac);
  put_neigh(kVniT2, kIpVm1, kVm1Mac);
  put_neigh(kVniT2, kIpVm2, kVm2Mac);
  put_neigh(kVniT2, kIpVm3, kVm3Mac);
  put_neigh(kVniT2, kIpVm4, kVm4Mac);
  put_neigh(kVniT2, kIpT2Only, kT2OnlyMac);
  put_neigh(kVniC, kIpVm6, kVm6Mac);
  put_neigh(kVniC, kIpVm7, kVm7Mac);
  put_neigh(kVniC, kIpVm8, kVm8Mac);

  // inner sources each VTEP may use
  put_remote_src(kVniBlue, kVtepA, kIpVm3, 32);
  put_remote_src(kVniBlue, kVtepA, kVm3RoutePrefix, 16);
  put_remote_src(kVniBlue, kVtepB, kIpVm4, 32);
  put_remote_src(kVniT2, kVtepT2a, kIpVm3, 32);
  put_remote_src(kVniT2, kVtepT2a, kIpT2Only, 32);
  put_remote_src(kVniT2, kVtepT2b, kIpVm4, 32);
  put_remote_src(kVniC, kVtepUnresolved, kIpVm7, 32);
  put_remote_src(kVniC, kVtepUnroutable, kIpVm8, 32);

  for (std::uint32_t v : {kVtepA, kVtepB, kVtepT2a, kVtepT2b, kVtepUnresolved, kVtepUnroutable}) {
    put_vtep(v);
  }
  put_network(kVniBlue, {kVtepA, kVtepB}, {"vm1-h", "vm2-h", "vm5-t"});
  put_network(kVniT2, {kVtepT2a, kVtepT2b}, {"t2vm1-h", "t2vm2-h"});
  put_network(kVniC, {kVtepA, kVtepUnresolved}, {"vm6-h"});

  // r1 joins vni 1001 and 3001; r2 is tenant 2's, with the same address.
  put_router_iface(kVniBlue, kRouterMac, kRouter1, kIpRouter);
  put_router_iface(kVniC, kRouterMacC, kRouter1, kIpRouterC);
  put_router_iface(kVniT2, kRouterMac, kRouter2, kIpRouter);
  put_neigh(kVniC, kIpRouterC, kRouterMacC);
  put_neigh(kVniT2, kIpRouter, kRouterMac);
  put_route(kRouter1, ip4(10, 0, 1, 0), 24, kVniBlue, 0, kRouterMac);
  put_route(kRouter1, ip4(10, 0, 3, 0), 24, kVniC, 0, kRouterMacC);
  put_route(kRouter1, kR1StaticPrefix, 24, kVniC, kIpVm6, kRouterMacC);
  put_route(kRouter1, kR1StaticPrefix | 128, 25, kVniBlue, kIpVm3, kRouterMac);
  put_route(kRouter2, ip4(10, 0, 1, 0), 24, kVniT2, 0, kRouterMac);
  // Tenant 1's ports carry r1 as their gateway, as vnetd writes them, so
  // their frames to it are routed without a lookup; tenant 2's carry none,
  // so theirs take the fdb miss and the vnet_rtr_ifaces lookup.
  for (const char* port : {"vm1-h", "vm2-h", "vm5-t"}) {
    set_port_gateway(port, kRouterMac, kRouter1, kIpRouter);
  }
  set_port_gateway("vm6-h", kRouterMacC, kRouter1, kIpRouterC);
}

RunResult run_prog(Prog p, const Bytes& in, const std::string& ifname) {
  RunResult r;
  int fd = g_prog[static_cast<int>(p)].fd;
#ifdef VT_HAVE_TC_TUNNEL
  if (p == Prog::kTcTunnel && g_tunnel_meta.present) {
    // Swapped: the shim sets transmit metadata, the program reads receive.
    bpf_tunnel_key& k = g_shim->bss->shim_key;
    k = bpf_tunnel_key{};
    k.tunnel_id = g_tunnel_meta.vni;
    k.remote_ipv4 = g_tunnel_meta.local;
    k.local_ipv4 = g_tunnel_meta.remote;
    fd = bpf_program__fd(g_shim->progs.tunnel_shim);
  }
#endif
  std::vector<std::uint8_t> out(65536);
  bpf_test_run_opts o{};
  o.sz = sizeof o;
  o.data_in = in.data();
  o.data_size_in = static_cast<__u32>(in.size());
  o.data_out = out.data();
  o.data_size_out = static_cast<__u32>(out.size());
  o.repeat = 1;
  xdp_md xctx{};
  __sk_buff sctx{};
  const int idx = ifindex(ifname);
  const bool xdp = p == Prog::kXdpUnderlay || p == Prog::kXdpEndpoint;
  if (xdp) {
    xctx.data_end = static_cast<__u32>(in.size());
    xctx.ingress_ifindex = static_cast<__u32>(idx);
    o.ctx_in = &xctx;
    o.ctx_size_in = sizeof xctx;
  } else {
    sctx.ifindex = static_cast<__u32>(idx);
    sctx.ingress_ifindex = static_cast<__u32>(idx);
    if (p == Prog::kTcTunnel && g_tunnel_meta.marked) {
      sctx.mark = VNET_MARK_UNDERLAY;
    }
    o.ctx_in = &sctx;
    o.ctx_size_in = sizeof sctx;
    o.ctx_out = &sctx;
    o.ctx_size_out = sizeof sctx;
  }
  if (bpf_prog_test_run_opts(fd, &o) != 0) {
    r.err = errno;
    return r;
  }
  r.verdict = o.retval;
  r.mark = xdp ? 0 : sctx.mark;
  r.out.assign(out.begin(), out.begin() + std::min<std::size_t>(o.data_size_out, out.size()));
  return r;
}

Snapshot snapshot() {
  Snapshot s;
  const MapFds& m = g_maps;
  const std::pair<const char*, int> config[] = {
      {VNET_MAP_PORTS, m.ports}, {VNET_MAP_PORT_SRC, m.port_src}, {VNET_MAP_FDB, m.fdb},
      {VNET_MAP_NEIGH, m.neigh}, {VNET_MAP_REMOTE_HOST, m.remote_host},
      {VNET_MAP_REMOTE_SRC, m.remote_src}, {VNET_MAP_VTEPS, m.vteps},
      {VNET_MAP_NETWORKS, m.networks}, {VNET_MAP_ROUTER_IFACES, m.rtr_ifaces}, {VNET_MAP_ROUTES, m.routes},
      {VNET_MAP_POLICY_REMOTE, m.pol_remote}, {VNET_MAP_POLICY_RULES, m.pol_rules}};
  for (auto& [name, fd] : config) {
    bpf_map_info info = info_of(fd);
    auto& dst = s.config[name];
    for (auto& k : keys_of(fd)) {
      Bytes v(info.value_size);
      if (bpf_map_lookup_elem(fd, k.data(), v.data()) == 0) {
        dst[k] = v;
      }
    }
  }
  {
    bpf_map_info info = info_of(m.drops);
    std::size_t stride = percpu_stride(info.value_size);
    std::vector<std::uint8_t> buf(stride * static_cast<std::size_t>(ncpus()));
    s.drops.assign(info.max_entries, 0);
    for (__u32 k = 0; k < info.max_entries; ++k) {
      if (bpf_map_lookup_elem(m.drops, &k, buf.data()) == 0) {
        for (int c = 0; c < ncpus(); ++c) {
          std::uint64_t v;
          std::memcpy(&v, buf.data() + stride * static_cast<std::size_t>(c), sizeof v);
          s.drops[k] += v;
        }
      }
    }
  }
  {
    std::size_t stride = percpu_stride(sizeof(vnet_ep_stats));
    std::vector<std::uint8_t> buf(stride * static_cast<std::size_t>(ncpus()));
    for (__u32 slot = 0; slot < kScannedSlots; ++slot) {
      if (bpf_map_lookup_elem(m.ep_stats, &slot, buf.data()) != 0) {
        continue;
      }
      vnet_ep_stats sum{};
      for (int c = 0; c < ncpus(); ++c) {
        vnet_ep_stats one;
        std::memcpy(&one, buf.data() + stride * static_cast<std::size_t>(c), sizeof one);
        sum.tx_packets += one.tx_packets;
        sum.tx_bytes += one.tx_bytes;
        sum.rx_packets += one.rx_packets;
        sum.rx_bytes += one.rx_bytes;
        for (int r = 0; r < VNET_DROP_MAX; ++r) {
          sum.drops[r] += one.drops[r];
        }
      }
      s.slots[slot] = sum;
    }
    for (std::uint32_t ep : kLocalEndpoints) {
      s.ep[ep] = s.slots[stats_slot_of(ep)];
    }
  }
  return s;
}

EpExpect ep_tx(std::uint32_t id, std::size_t bytes) {
  EpExpect e;
  e.id = id;
  e.tx_packets = 1;
  e.tx_bytes = static_cast<std::int64_t>(bytes);
  return e;
}

EpExpect ep_rx(std::uint32_t id, std::size_t bytes) {
  EpExpect e;
  e.id = id;
  e.rx_packets = 1;
  e.rx_bytes = static_cast<std::int64_t>(bytes);
  return e;
}

EpExpect ep_drop(std::uint32_t id, int reason) {
  EpExpect e;
  e.id = id;
  e.drop_reason = reason;
  e.drops = 1;
  return e;
}

EpExpect ep_maybe_drop(std::uint32_t id, int reason) {
  EpExpect e = ep_drop(id, reason);
  e.mode = EpExpect::kDropOptional;
  return e;
}

EpExpect ep_any(std::uint32_t id) {
  EpExpect e;
  e.id = id;
  e.mode = EpExpect::kAny;
  return e;
}

std::string frame_mismatch(const FrameExpect& want, const Bytes& got) {
  bool same = want.bytes.size() == got.size();
  for (std::size_t i = 0; same && i < got.size(); ++i) {
    bool cmp = want.mask.empty() || (i < want.mask.size() && want.mask[i]);
    if (cmp && want.bytes[i] != got[i]) {
      same = false;
    }
  }
  if (same) {
    return "";
  }
  return diff_hex(want.bytes, got, want.mask.empty() ? nullptr : &want.mask);
}

namespace {

std::string ep_delta_str(const vnet_ep_stats& a, const vnet_ep_stats& b) {
  std::ostringstream o;
  auto d = [](std::uint64_t x, std::uint64_t y) { return static_cast<std::int64_t>(y - x); };
  o << "tx_packets " << d(a.tx_packets, b.tx_packets) << ", tx_bytes " << d(a.tx_bytes, b.tx_bytes)
    << ", rx_packets " << d(a.rx_packets, b.rx_packets) << ", rx_bytes " << d(a.rx_bytes, b.rx_bytes);
  for (int r = 0; r < VNET_DROP_MAX; ++r) {
    if (a.drops[r] != b.drops[r]) {
      o << ", drops[" << drop_name(r) << "] " << d(a.drops[r], b.drops[r]);
    }
  }
  return o.str();
}

}  // namespace

void check_case(Prog p, const Bytes& in, const std::string& ifname, const Expect& e) {
  Snapshot before = snapshot();
  capture_drain_all();
  RunResult r = run_prog(p, in, ifname);
  ASSERT_EQ(r.err, 0) << "BPF_PROG_TEST_RUN failed: " << std::strerror(r.err);
  capture_settle();
  Snapshot after = snapshot();

  EXPECT_EQ(verdict_name(p, r.verdict), verdict_name(p, e.verdict)) << "verdict";

  if (e.out == Expect::kUnchanged) {
    std::string d = frame_mismatch(FrameExpect{in, {}}, r.out);
    EXPECT_TRUE(d.empty()) << "frame must leave untouched:\n" << d;
  } else if (e.out == Expect::kEquals) {
    std::string d = frame_mismatch(e.out_frame, r.out);
    EXPECT_TRUE(d.empty()) << "output frame (** = not compared):\n" << d;
  }

  // vnet_drops: exactly the expected reason moved, by one.
  for (std::size_t i = 0; i < after.drops.size(); ++i) {
    std::int64_t delta = static_cast<std::int64_t>(after.drops[i] - before.drops[i]);
    std::int64_t want = (e.drop != VNET_DROP_NONE && static_cast<int>(i) == e.drop) ? 1 : 0;
    EXPECT_EQ(delta, want) << "vnet_drops[" << drop_name(static_cast<int>(i)) << "] delta";
  }

  // Configuration maps are the daemon's: the datapath never writes them.
  for (auto& [name, entries] : before.config) {
    EXPECT_TRUE(entries == after.config[name]) << name << " changed by the datapath";
  }

  // Per-endpoint counters: listed ones as expected, all others untouched,
  // and nothing counted at a slot no local endpoint owns (slot 0 included).
  for (auto& [slot, a] : after.slots) {
    const bool owned = std::any_of(kLocalEndpoints.begin(), kLocalEndpoints.end(),
                                   [slot = slot](std::uint32_t ep) { return stats_slot_of(ep) == slot; });
    auto was = before.slots.find(slot);
    if (!owned && was != before.slots.end() &&
        std::memcmp(&was->second, &a, sizeof a) != 0) {
      ADD_FAILURE() << "vnet_ep_stats slot " << slot << ", no local endpoint's, changed: "
                    << ep_delta_str(was->second, a);
    }
  }
  for (auto& [id, b] : before.ep) {
    auto it = after.ep.find(id);
    if (it == after.ep.end()) {
      ADD_FAILURE() << "vnet_ep_stats key " << id << " deleted by the datapath";
      continue;
    }
    const vnet_ep_stats& a = it->second;
    const EpExpect* x = nullptr;
    for (auto& c : e.ep) {
      if (c.id == id) {
        x = &c;
      }
    }
    EpExpect none;
    none.id = id;
    if (!x) {
      x = &none;
    }
    if (x->mode == EpExpect::kAny) {
      continue;
    }
    auto d = [](std::uint64_t was, std::uint64_t now) { return static_cast<std::int64_t>(now - was); };
    bool ok = d(b.tx_packets, a.tx_packets) == x->tx_packets && d(b.tx_bytes, a.tx_bytes) == x->tx_bytes &&
              d(b.rx_packets, a.rx_packets) == x->rx_packets && d(b.rx_bytes, a.rx_bytes) == x->rx_bytes;
    for (int rr = 0; rr < VNET_DROP_MAX; ++rr) {
      std::int64_t got = d(b.drops[rr], a.drops[rr]);
      std::int64_t want = (x->drops != 0 && rr == x->drop_reason) ? x->drops : 0;
      if (got != want && !(x->mode == EpExpect::kDropOptional && rr == x->drop_reason && got == 0)) {
        ok = false;
      }
    }
    if (!ok) {
      vnet_ep_stats want_delta{};
      vnet_ep_stats zero{};
      want_delta.tx_packets = static_cast<std::uint64_t>(x->tx_packets);
      want_delta.tx_bytes = static_cast<std::uint64_t>(x->tx_bytes);
      want_delta.rx_packets = static_cast<std::uint64_t>(x->rx_packets);
      want_delta.rx_bytes = static_cast<std::uint64_t>(x->rx_bytes);
      if (x->drops) {
        want_delta.drops[x->drop_reason] = static_cast<std::uint64_t>(x->drops);
      }
      ADD_FAILURE() << "vnet_ep_stats[" << id << "] delta\n  want: " << ep_delta_str(zero, want_delta)
                    << (x->mode == EpExpect::kDropOptional ? " (the drop may also stay 0)" : "")
                    << "\n   got: " << ep_delta_str(b, a);
    }
  }

  // What was really transmitted.
  for (const auto& point : kCapturePoints) {
    std::vector<Bytes> got = capture_collect(point);
    std::vector<FrameExpect> want;
    if (auto it = e.captures.find(point); it != e.captures.end()) {
      want = it->second;
    }
    std::vector<bool> used(got.size(), false);
    for (std::size_t wi = 0; wi < want.size(); ++wi) {
      bool found = false;
      for (std::size_t gi = 0; gi < got.size() && !found; ++gi) {
        if (!used[gi] && frame_mismatch(want[wi], got[gi]).empty()) {
          used[gi] = found = true;
        }
      }
      if (!found) {
        std::string closest = got.empty() ? std::string("(nothing arrived)")
                                          : frame_mismatch(want[wi], got[0]);
        ADD_FAILURE() << "capture " << point << ": expected frame #" << wi << " did not arrive ("
                      << got.size() << " frames arrived); vs first arrival:\n"
                      << closest;
      }
    }
    for (std::size_t gi = 0; gi < got.size(); ++gi) {
      if (!used[gi]) {
        ADD_FAILURE() << "capture " << point << ": unexpected frame transmitted (" << got[gi].size()
                      << " bytes): " << to_hex(got[gi], 0, 96);
      }
    }
  }
}

void Datapath::SetUpTestSuite() {
  std::string err;
  if (!programs_load(&err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
  }
}

void Datapath::SetUp() {
  bool any = false;
  std::string why;
  for (Prog p : {Prog::kXdpUnderlay, Prog::kTcTunnel, Prog::kTcEndpoint, Prog::kTcUnderlay,
                 Prog::kXdpEndpoint}) {
    any |= program_available(p, &why);
  }
  if (!any) {
    return;  // need() skips
  }
  reset_maps();
  install_topology();
}

bool program_built(Prog p) { return g_prog[static_cast<int>(p)].built; }

}  // namespace vt

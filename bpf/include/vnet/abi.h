/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ABI between vnet's BPF programs and vnetd: every pinned map's key and
 * value, the drop reasons and the limits. Included by the BPF objects and by
 * the C++ manager (which static_asserts the sizes), so no struct is written
 * twice. Multi-byte fields named *_be are in network byte order, everything
 * else in host order. Changing a layout here changes the pinned-map ABI:
 * bump VNET_ABI_VERSION so a restarted vnetd refuses to adopt stale pins.
 */
#ifndef VNET_ABI_H
#define VNET_ABI_H

#ifdef __cplusplus
/* The kernel's own typedefs: anything that includes <sys/stat.h>, libbpf or
 * netlink headers gets them too, and a second definition with std::uint64_t
 * (unsigned long, not unsigned long long) would conflict. */
#include <linux/types.h>
#endif

/* 12: a remote fdb entry carries its endpoint's address (vnet_fdb_entry.ip_be);
 * 11: a port carries its network's gateway (vnet_port.gw_mac, .gw);
 * 10: per-endpoint counters in a per-CPU array indexed by a stats slot
 *     that vnetd gives each local endpoint (vnet_port, vnet_fdb_entry,
 *     vnet_ep_slots);
 * 9: underlay next hops in vnet_vteps, their lease in vnet_state;
 * 8: remote host sources in their own hash (vnet_remote_host), conntrack
 *    counters (vnet_ct_stats);
 * 7: security groups (policy maps, conntrack, port and fdb policy ids);
 * 6: per-port ICMP buckets; 5: router maps and drop reasons; 4: NOT_OUR_VTEP;
 * 3: preallocated hash maps */
#define VNET_ABI_VERSION 12

#define VNET_ETH_ALEN 6
/* outer Ethernet + IPv4 (no options) + UDP + VXLAN */
#define VNET_VXLAN_OVERHEAD 50
#define VNET_VNI_MAX 16777214u

/* Map capacities. vnetctl refuses topologies that would not fit. */
/* 8192: 100k endpoints over 20 hypervisors is 5000 per host (issue 3's scale
 * target). vnet_ports is a preallocated hash: 8192 x ~80 B is ~640 KB per host. */
#define VNET_MAX_PORTS 8192          /* local endpoints per host */
#define VNET_MAX_FDB 262144          /* (vni, mac) entries per host */
#define VNET_MAX_NEIGH 262144        /* (vni, ip) entries per host */
#define VNET_MAX_SRC_PREFIXES 262144 /* port_src + remote_host + remote_src entries */
#define VNET_MAX_VTEPS 4096
#define VNET_MAX_NETWORKS 16384      /* networks present on one host */
#define VNET_MAX_FLOOD_VTEPS 64      /* remote VTEPs per network (head-end replication) */
#define VNET_MAX_FLOOD_PORTS 64      /* local endpoints per network on one host */
/* Stats slots: one per local endpoint, slot 0 never given (it counts nothing). */
#define VNET_MAX_ENDPOINT_STATS (VNET_MAX_PORTS + 1)
/* vnet_ep_slots value of a slot whose endpoint left, reserved until the
 * entries naming it are pruned (endpoint ids never reach it). */
#define VNET_EP_SLOT_LEFT 0xffffffffu
#define VNET_MAX_ROUTER_IFACES 16384 /* router interfaces on networks present on one host */
#define VNET_MAX_ROUTES 65536        /* connected + static routes of those routers */
#define VNET_MAX_POLICY_REMOTES 262144 /* (policy, remote prefix) entries per host */
#define VNET_MAX_POLICY_RULES 262144   /* (policy, class, protocol, port prefix) entries per host */
#define VNET_CT_DEFAULT_SIZE 262144    /* conntrack entries; vnetd --conntrack-size */

/*
 * Map names. libbpf truncates map names to 15 characters; these are also the
 * pin file names under --pin-dir.
 */
#define VNET_MAP_PORTS "vnet_ports"
#define VNET_MAP_PORT_SRC "vnet_port_src"
#define VNET_MAP_FDB "vnet_fdb"
#define VNET_MAP_NEIGH "vnet_neigh"
#define VNET_MAP_REMOTE_HOST "vnet_remote_host"
#define VNET_MAP_REMOTE_SRC "vnet_remote_src"
#define VNET_MAP_VTEPS "vnet_vteps"
#define VNET_MAP_NETWORKS "vnet_networks"
#define VNET_MAP_EP_STATS "vnet_ep_stats"
#define VNET_MAP_EP_SLOTS "vnet_ep_slots"
#define VNET_MAP_DROPS "vnet_drops"
#define VNET_MAP_ROUTER_IFACES "vnet_rtr_ifaces"
#define VNET_MAP_ROUTES "vnet_routes"
#define VNET_MAP_ICMP_RATE "vnet_icmp_rate"
#define VNET_MAP_POLICY_REMOTE "vnet_pol_remote"
#define VNET_MAP_POLICY_RULES "vnet_pol_rules"
#define VNET_MAP_CONNTRACK "vnet_conntrack"
#define VNET_MAP_CT_STATS "vnet_ct_stats"
#define VNET_MAP_STATE "vnet_state"

/*
 * router_ifaces: (vni, router interface MAC) -> that interface. A frame an
 * endpoint sends to it is routed on the sending host (distributed routing);
 * the same MAC may arrive as the inner source of routed frames from any VTEP.
 * Key: struct vnet_fdb_key.
 */
struct vnet_router_iface {
	__u32 router_id; /* assigned by vnetd; keys the router's routes */
	__be32 ip_be;    /* the interface address: answers ping, sources ICMP errors */
};

/*
 * ports: ifindex of a local endpoint's host-side interface -> the endpoint.
 * The tc program on an interface without an entry drops everything
 * (VNET_DROP_NO_PORT): a removed endpoint's interface stays dark.
 */
#define VNET_PORT_F_XDP_DELIVER (1u << 0) /* peer has NAPI: XDP may redirect into it */
#define VNET_PORT_F_PEER (1u << 1)        /* veth: deliver with bpf_redirect_peer */

struct vnet_port {
	__u32 endpoint_id;
	__u32 vni;
	__u8 mac[VNET_ETH_ALEN];
	__u16 flags; /* VNET_PORT_F_* */
	__be32 ip_be;
	__u32 policy_in;  /* security groups: ingress policy id, 0 = unfiltered */
	__u32 policy_out; /* egress policy id, 0 = unfiltered */
	__u16 stats_slot; /* the endpoint's vnet_ep_stats index */
	__u16 pad;
	/*
	 * The gateway: the router interface on the port's network with the
	 * lowest MAC, a copy of its vnet_rtr_ifaces entry (gw.router_id 0:
	 * none). A frame to gw_mac is routed without the fdb lookup it would
	 * miss and the vnet_rtr_ifaces lookup after it; frames to any other
	 * router's MAC still take those.
	 */
	__u8 gw_mac[VNET_ETH_ALEN];
	__u16 pad2;
	struct vnet_router_iface gw;
};

/*
 * port_src (LPM trie): source IPv4 prefixes a local port may send from: its
 * own address, its allowed_addresses and the prefixes it is next hop for.
 * prefixlen counts bits after the 32-bit ifindex (32 + prefix length).
 */
struct vnet_port_src_key {
	__u32 prefixlen;
	__u32 ifindex;
	__be32 ip_be;
};

/*
 * fdb: (vni, mac) -> where that MAC lives. Exactly one of ifindex (a local
 * port) and vtep_be (a remote VTEP) is non-zero. A remote entry also holds
 * its endpoint's address, the inner source its frames usually carry: the
 * entry that proves the source MAC behind the VTEP then proves that source
 * too, where vnet_remote_host would take a second lookup (every address an
 * endpoint may send from is in vnet_remote_host/vnet_remote_src as well).
 */
struct vnet_fdb_key {
	__u32 vni;
	__u8 mac[VNET_ETH_ALEN];
	__u16 pad;
};

struct vnet_fdb_entry {
	__u32 ifindex;
	__be32 vtep_be;
	__u32 endpoint_id;
	__u16 port_flags; /* VNET_PORT_F_* of a local port */
	__u16 stats_slot; /* a local port's vnet_ep_stats index (vnet_port's), else 0 */
	__u32 policy_in;  /* a local port's policy ids (vnet_port's), else 0 */
	__u32 policy_out;
	__be32 ip_be;     /* a remote endpoint's address, else 0 */
};

/* neigh: (vni, ipv4) -> MAC, for ARP answered by the datapath. */
struct vnet_neigh_key {
	__u32 vni;
	__be32 ip_be;
};

struct vnet_neigh_entry {
	__u8 mac[VNET_ETH_ALEN];
	__u16 pad;
};

/*
 * Inner IPv4 sources a remote VTEP may send from on a VNI, in two maps; a
 * source passes when either holds it.
 *
 * remote_host (hash, preallocated): host addresses, exactly (vni, vtep,
 * ip). Nearly every source is one: each remote endpoint's address, under
 * its own network's VNI. A preallocated hash costs no allocation per
 * insert (an LPM trie node does, which made these inserts a fifth of a
 * host's cold apply at 100k endpoints) and one hash lookup on receive.
 */
struct vnet_remote_host_key {
	__u32 vni;
	__be32 vtep_be;
	__be32 ip_be;
};

/*
 * remote_src (LPM trie): the wider prefixes (allowed_addresses, prefixes
 * routed through an endpoint). prefixlen counts bits after vni and vtep
 * (64 + prefix length).
 */
struct vnet_remote_src_key {
	__u32 prefixlen;
	__u32 vni;
	__be32 vtep_be;
	__be32 ip_be;
};

/*
 * vteps: known remote VTEP address -> how to reach it on the underlay.
 * Presence is the receive path's check. VNET_VTEP_F_NEXT_HOP: vnetd found a
 * single-path route to the VTEP out of `ifindex` and a valid neighbour entry
 * for its next hop (the VTEP, or the gateway), and keeps both MACs current
 * from neighbour and route notifications: the XDP transmit path writes them
 * instead of asking bpf_fib_lookup. Without the flag (no route yet, an
 * unresolved neighbour, ECMP) it asks the FIB for every frame.
 */
#define VNET_VTEP_F_NEXT_HOP (1u << 0)

/*
 * state (one slot): what vnetd renews on every neighbour pass. The next
 * hops in vnet_vteps are trusted only until next_hops_until_ns
 * (CLOCK_MONOTONIC; bpf_ktime_get_coarse_ns): a vnetd that stopped, hung or
 * no longer keeps them stops renewing, and the XDP path asks the FIB for
 * every frame again. vnetd zeroes it when it stops cleanly.
 */
struct vnet_state {
	__u64 next_hops_until_ns;
};

struct vnet_vtep {
	__u32 flags;      /* VNET_VTEP_F_* */
	__u32 ifindex;    /* the interface the next hop is on */
	__u8 dmac[VNET_ETH_ALEN]; /* the next hop's MAC */
	__u8 smac[VNET_ETH_ALEN]; /* ifindex's own MAC */
};

/*
 * networks: a VNI present on this host -> its flood lists: remote VTEPs that
 * host the network (head-end replication) and local ports on it.
 */
struct vnet_network {
	__u32 n_vteps;
	__u32 n_ports;
	__be32 vteps_be[VNET_MAX_FLOOD_VTEPS];
	__u32 port_ifindex[VNET_MAX_FLOOD_PORTS];
};

/*
 * routes (LPM trie): (router, destination prefix) -> where the prefix is.
 * prefixlen counts bits after router_id (32 + prefix length). A connected
 * network has nh_ip_be 0 (the destination itself is the next hop), a
 * static route the address of its next-hop endpoint on network vni.
 */
struct vnet_route_key {
	__u32 prefixlen;
	__u32 router_id;
	__be32 ip_be;
};

struct vnet_route {
	__u32 vni;                /* the egress network */
	__be32 nh_ip_be;          /* 0: connected */
	__u8 smac[VNET_ETH_ALEN]; /* the router's MAC on the egress network */
	__u16 pad;
};

/*
 * icmp_rate (per-CPU LRU hash, ifindex of the port -> bucket): the token
 * bucket that limits the ICMP errors routers send back into each port
 * (VNET_ICMP_RATE per second and CPU, bursts of VNET_ICMP_BURST), so one VM
 * provoking errors cannot use up everyone's. Owned by the datapath.
 */
#define VNET_ICMP_RATE 1000
#define VNET_ICMP_BURST 50

struct vnet_icmp_bucket {
	__u64 last_ns; /* bpf_ktime_get_coarse_ns() of the last refill */
	__u64 tokens;
};

/*
 * Security groups. Every filtered direction of a local endpoint has a
 * policy: what the rules of all its groups allow in that direction,
 * compiled so that classifying a packet costs two LPM lookups whatever the
 * number of rules. The policy id is derived from the policy's content, so
 * an apply that changes what an endpoint allows (a rule, or the membership
 * of a remote_group) gives it a new id: new entries are written under the
 * new id, the port switches to it, the old entries are removed.
 *
 * pol_remote (LPM trie): (policy, remote IPv4 prefix) -> class, the set of
 * rules whose remote side (remote_cidr, or the addresses of remote_group's
 * members) contains the prefix; no entry: no rule's remote matches.
 * prefixlen counts bits after policy (32 + prefix length).
 */
struct vnet_policy_remote_key {
	__u32 prefixlen;
	__u32 policy;
	__be32 ip_be;
};

struct vnet_policy_remote {
	__u32 class_id; /* never 0 */
};

/*
 * pol_rules (LPM trie): (policy, class, protocol, port) -> allowed. Every
 * entry allows (security groups have no deny rules): a packet passes when
 * any prefix matches. Bits after policy and class: 16 of protocol (the IP
 * protocol number, big endian) and 16 of port, which is the destination
 * port for TCP and UDP, type << 8 | code for ICMP and 0 otherwise. So
 * prefixlen is 64 for "any protocol", 80 for a whole protocol, 80 + n for a
 * port prefix (a port range is a few prefixes), 88 for an ICMP type and 96
 * for a type and code. A non-first fragment, whose ports are unknown, is
 * looked up with prefixlen 80: only rules that need no port can pass it.
 */
struct vnet_policy_rule_key {
	__u32 prefixlen;
	__u32 policy;
	__u32 class_id;
	__be16 protocol_be;
	__be16 port_be;
};

struct vnet_policy_rule {
	__u32 flags; /* reserved, 0 */
};

/*
 * conntrack (LRU hash, vnetd --conntrack-size entries): the flows a
 * filtered endpoint's policy allowed, per endpoint and network (tenants
 * never share state, and an endpoint moved to another network takes none
 * along). The key is the endpoint's view, the same in both directions: its
 * own address and port, the remote's, the protocol. ICMP echo uses the
 * identifier as both ports. A full table evicts the least recently used
 * entry: an evicted flow is classified again, never passed unchecked.
 */
struct vnet_ct_key {
	__u32 endpoint_id;
	__u32 vni;       /* the endpoint's network: a moved endpoint keeps no flow */
	__be32 local_be;
	__be32 remote_be;
	__be16 local_port_be;
	__be16 remote_port_be;
	__u8 protocol;
	__u8 pad[3];
};

#define VNET_CT_ORIGIN_INGRESS 0 /* the remote opened the flow */
#define VNET_CT_ORIGIN_EGRESS 1  /* the endpoint opened it */

#define VNET_CT_F_REPLIED (1u << 0)    /* a packet went the other way */
#define VNET_CT_F_FIN_ORIGIN (1u << 1) /* TCP FIN from the side that opened */
#define VNET_CT_F_FIN_REPLY (1u << 2)  /* TCP FIN from the other side */

struct vnet_ct_entry {
	__u64 last_ns; /* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC_COARSE) */
	__u32 policy;  /* the origin direction's policy id it was allowed under */
	__u8 origin;   /* VNET_CT_ORIGIN_* */
	__u8 flags;    /* VNET_CT_F_* */
	__u16 pad;
};

/*
 * ct_stats (per-CPU array, one slot): what the conntrack table cannot say
 * of itself. `created` counts the flows the classifier allowed and inserted;
 * an insert into a full table evicts the least recently used entry, so
 * created minus the entries present bounds the flows evicted, expired or
 * closed since the table was made.
 */
struct vnet_ct_stats {
	__u64 created;
};

/*
 * Idle timeouts, in seconds: an entry idle longer is gone, on lookup
 * (datapath) and by vnetd's sweep. TCP after a FIN each way, and anything
 * that was never answered, expire sooner. RST removes the entry.
 */
#define VNET_CT_TIMEOUT_TCP 86400
#define VNET_CT_TIMEOUT_TCP_CLOSING 10
#define VNET_CT_TIMEOUT_UDP 180
#define VNET_CT_TIMEOUT_ICMP 30
#define VNET_CT_TIMEOUT_OTHER 600
#define VNET_CT_TIMEOUT_UNREPLIED 30

/* An entry's idle timeout in ns: the datapath and vnetd's sweep share it. */
static inline __u64 vnet_ct_timeout_ns(__u8 protocol, __u8 flags)
{
	__u64 sec;

	if (!(flags & VNET_CT_F_REPLIED))
		sec = VNET_CT_TIMEOUT_UNREPLIED;
	else if (protocol == 6 /* TCP */)
		sec = (flags & VNET_CT_F_FIN_ORIGIN) && (flags & VNET_CT_F_FIN_REPLY) ?
			VNET_CT_TIMEOUT_TCP_CLOSING : VNET_CT_TIMEOUT_TCP;
	else if (protocol == 17 /* UDP */)
		sec = VNET_CT_TIMEOUT_UDP;
	else if (protocol == 1 /* ICMP */)
		sec = VNET_CT_TIMEOUT_ICMP;
	else
		sec = VNET_CT_TIMEOUT_OTHER;
	return sec * 1000000000ull;
}

/*
 * skb->mark vnet_tc_underlay puts on VXLAN to our VTEP that arrived on the
 * underlay NIC; vnet_tc_tunnel takes nothing else and clears it.
 */
#define VNET_MARK_UNDERLAY 0x766e6574u /* "vnet" */

/*
 * Load-time configuration of every program (const volatile rodata, set by
 * vnetd before load; a change reloads and atomically replaces the programs).
 */
#define VNET_CFG_F_POISON_HEADROOM (1u << 0) /* tests: fill new headroom with 0xff */

struct vnet_config {
	__be32 vtep_be;            /* this host's VTEP address */
	__be16 vxlan_port_be;      /* UDP port of VXLAN, default 4789 */
	__u16 flags;               /* VNET_CFG_F_* */
	__u32 underlay_ifindex;    /* where encapsulated frames leave */
	__u32 tunnel_ifindex;      /* vnetd's VXLAN device (collect_md), 0 = none yet */
};

/* Drop reasons: every packet the datapath discards is counted under one. */
enum vnet_drop_reason {
	VNET_DROP_NONE = 0,
	VNET_DROP_MALFORMED,         /* truncated or inconsistent headers */
	VNET_DROP_NO_PORT,           /* interface has no endpoint (removed or unknown) */
	VNET_DROP_SPOOF_MAC,         /* source MAC is not the endpoint's */
	VNET_DROP_SPOOF_IP,          /* source IPv4 not allowed for the endpoint */
	VNET_DROP_SPOOF_ARP,         /* ARP sender fields not the endpoint's */
	VNET_DROP_ETHERTYPE,         /* not IPv4 or ARP (IPv6, LLDP, 802.1Q, ...) */
	VNET_DROP_UNKNOWN_UNICAST,   /* destination MAC unknown in the network */
	VNET_DROP_UNKNOWN_VTEP,      /* VXLAN from an address not in the topology */
	VNET_DROP_UNKNOWN_VNI,       /* VNI not present on this host / sender */
	VNET_DROP_FOREIGN_SOURCE,    /* inner source not behind the sending VTEP */
	VNET_DROP_VXLAN_FLAGS,       /* I flag not set */
	VNET_DROP_OUTER_FRAGMENT,    /* fragmented outer IPv4 */
	VNET_DROP_FRAG_NEEDED,       /* too big, DF set: ICMP frag-needed sent */
	VNET_DROP_TOO_BIG,           /* too big, no DF: VTEPs never fragment */
	VNET_DROP_NO_ROUTE_VTEP,     /* no underlay route/neighbour to the VTEP */
	VNET_DROP_NOT_LOCAL,         /* decapsulated frame for a MAC not on this host */
	VNET_DROP_HAIRPIN,           /* destination is the sending port itself */
	VNET_DROP_FLOOD_LIMIT,       /* replication list longer than the datapath bound */
	VNET_DROP_NOT_OUR_VTEP,      /* VXLAN to a local address that is not our VTEP */
	VNET_DROP_NO_ROUTE,          /* router: no route (ICMP net unreachable sent) */
	VNET_DROP_TTL_EXCEEDED,      /* router: TTL expired (ICMP time exceeded sent) */
	VNET_DROP_HOST_UNREACHABLE,  /* router: next hop unknown (ICMP host unreachable sent) */
	VNET_DROP_ROUTER_LOCAL,      /* to a router address, not an echo request */
	VNET_DROP_NOT_UNDERLAY,      /* VXLAN that did not arrive on the underlay NIC */
	VNET_DROP_POLICY_EGRESS,     /* security groups: no rule allows it out */
	VNET_DROP_POLICY_INGRESS,    /* security groups: no rule allows it in */
	VNET_DROP_POLICY_FRAGMENT,   /* non-first fragment only a port rule could allow */
	VNET_DROP_POLICY_REVOKED,    /* tracked flow no longer allowed after an apply */
	VNET_DROP_ERROR,             /* a helper failed (adjust_room, redirect, ...) */
	VNET_DROP_MAX,
};

/*
 * Per-endpoint counters: a per-CPU array indexed by the stats slot vnetd gives
 * each local endpoint (vnet_port.stats_slot, vnet_fdb_entry.stats_slot), so
 * counting costs no hash lookup (Katran's per-VIP stats pattern). vnetd
 * zeroes a slot before it names it in any entry and keeps which endpoint
 * owns which slot in vnet_ep_slots (an array of endpoint ids, 0 = free,
 * VNET_EP_SLOT_LEFT = reserved for an endpoint that left), read only by
 * vnetd: after a restart it finds each endpoint's slot there.
 */
struct vnet_ep_stats {
	__u64 tx_packets; /* from the endpoint into the overlay */
	__u64 tx_bytes;
	__u64 rx_packets; /* delivered to the endpoint */
	__u64 rx_bytes;
	__u64 drops[VNET_DROP_MAX];
};

#ifdef __cplusplus
static_assert(sizeof(struct vnet_port) == 48);
static_assert(sizeof(struct vnet_port_src_key) == 12);
static_assert(sizeof(struct vnet_fdb_key) == 12);
static_assert(sizeof(struct vnet_fdb_entry) == 28);
static_assert(sizeof(struct vnet_neigh_key) == 8);
static_assert(sizeof(struct vnet_neigh_entry) == 8);
static_assert(sizeof(struct vnet_remote_host_key) == 12);
static_assert(sizeof(struct vnet_remote_src_key) == 16);
static_assert(sizeof(struct vnet_config) == 16);
static_assert(sizeof(struct vnet_router_iface) == 8);
static_assert(sizeof(struct vnet_vtep) == 20);
static_assert(sizeof(struct vnet_state) == 8);
static_assert(sizeof(struct vnet_route_key) == 12);
static_assert(sizeof(struct vnet_route) == 16);
static_assert(sizeof(struct vnet_icmp_bucket) == 16);
static_assert(sizeof(struct vnet_policy_remote_key) == 12);
static_assert(sizeof(struct vnet_policy_rule_key) == 16);
static_assert(sizeof(struct vnet_ct_key) == 24);
static_assert(sizeof(struct vnet_ct_entry) == 16);
static_assert(sizeof(struct vnet_ct_stats) == 8);
static_assert(sizeof(struct vnet_network) == 8 + 4 * (VNET_MAX_FLOOD_VTEPS + VNET_MAX_FLOOD_PORTS));
#endif

#endif /* VNET_ABI_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_xdp_endpoint: the transmit fast path, XDP on a local endpoint's
 * host-side interface (vnetd --xdp-transmit). It takes the common case of
 * what a VM sends, a unicast IPv4 packet to an endpoint on another host, in
 * its own network or through a distributed router, and encapsulates and
 * redirects it to the underlay without an skb. Everything else it passes,
 * untouched, to vnet_tc_endpoint on the same interface, which does the whole
 * job: ARP, broadcast, local delivery, ICMP errors, frames too big for the
 * underlay, spoofed frames (dropped and counted there), checksums it cannot
 * vouch for, and any lookup that fails. So the fast path never decides what
 * tc would not: its output is what tc puts on the wire, byte for byte (a
 * checksum left to offload is finished here, where tc's skb has the
 * underlay device finish it), and its only verdict of its own is a security
 * group's drop.
 *
 * The order matters: every check that may still pass the frame to tc comes
 * before the security group (which records a new flow in conntrack), and
 * nothing is written to the frame before the group allowed it.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/csum.h"
#include "lib/encap.h"
#include "lib/endpoint.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/policy.h"
#include "lib/stats.h"

/* Longest TCP/UDP segment whose checksum the fast path sums (a 1500-byte MTU). */
#define L4_SUM_MAX 1536

/* Adds `n` bytes at p to sum when len has that bit; advances p, len. */
#define CSUM_CHUNK(n)							\
	if (len & (n)) {						\
		if (p + (n) > data_end)					\
			return -1;					\
		if ((n) > 512) {					\
			sum = bpf_csum_diff(NULL, 0, p, 512, csum_to32(sum)); \
			sum = bpf_csum_diff(NULL, 0, p + 512, (n) - 512,	\
					    csum_to32(sum));		\
		} else {						\
			sum = bpf_csum_diff(NULL, 0, p, (n), csum_to32(sum)); \
		}							\
		p += (n);						\
		len -= (n);						\
	}

/* The same below 64 bytes, by 32-bit loads: cheaper than a helper call. */
#define CSUM_WORDS(n)							\
	if (len & (n)) {						\
		if (p + (n) > data_end)					\
			return -1;					\
		_Pragma("unroll")					\
		for (i = 0; i < (n) / 4; i++)				\
			sum += ((__u32 *)p)[i];				\
		p += (n);						\
		len -= (n);						\
	}

/*
 * Ones' complement sum, in memory order like the fields it checks, of the
 * `len` (< 2048) bytes at `off` in the frame, plus `seed`, as a 32-bit
 * partial sum; -1 when they are not all in the frame. Power-of-two chunks
 * of bpf_csum_diff straight over the packet (at most 512 bytes a call),
 * below 64 bytes 32-bit loads, the last odd bytes by hand (RFC 1071: an odd byte is padded with a zero). A global
 * function: the verifier walks its branches once, not once per path of
 * the caller.
 */
__noinline __s64 csum_frame_bytes(struct xdp_md *ctx, __u32 off, __u32 len,
				  __u32 seed)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 sum = seed;
	void *p;
	int i;

	if (off > 128 || len > L4_SUM_MAX)
		return -1;
	p = data + off;
	CSUM_CHUNK(1024)
	CSUM_CHUNK(512)
	CSUM_CHUNK(256)
	CSUM_CHUNK(128)
	CSUM_CHUNK(64)
	CSUM_WORDS(32)
	CSUM_WORDS(16)
	CSUM_WORDS(8)
	CSUM_WORDS(4)
	if (len & 2) {
		if (p + 2 > data_end)
			return -1;
		sum += *(__u16 *)p;
		p += 2;
	}
	if (len & 1) {
		if (p + 1 > data_end)
			return -1;
		sum += *(__u8 *)p;
	}
	return csum_to32(sum);
}

/*
 * The L4 checksum, which an skb would carry as state XDP cannot see. A
 * VM's stack leaves TCP and UDP checksums to offload (CHECKSUM_PARTIAL):
 * the field holds the folded pseudo-header sum and the rest is owed by
 * whoever transmits, which tc's skb remembers. So the fast path sums the
 * segment: a checksum that verifies is finished; a field that holds the
 * pseudo-header sum is finished here (*fix: the value to write, the same
 * bytes offload would put on the wire); anything else goes to tc, which
 * knows. UDP without a checksum goes to tc too: it is what a guest's own
 * tunnel (VXLAN, Geneve) sends with the inner checksum still owed, and
 * only the skb's csum_start says so. ICMP is always finished by the
 * sender; other protocols that may be offloaded (SCTP's CRC32c) go to tc.
 */
enum l4_csum {
	L4_CSUM_TC,     /* not ours to vouch for */
	L4_CSUM_READY,  /* finished (or none needed): sent as it is */
	L4_CSUM_FINISH, /* owed: *fix is the checksum to write (0 is a value) */
};

static __always_inline enum l4_csum l4_csum_ready(struct xdp_md *ctx,
						    const struct iphdr *iph,
						    void *data_end, __u16 *fix)
{
	__u32 l4_len = bpf_ntohs(iph->tot_len) - sizeof(*iph);
	void *l4 = (void *)(iph + 1);
	__u16 field, pseudo;
	__s64 l4_sum;
	__u64 sum;

	*fix = 0;
	switch (iph->protocol) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return L4_CSUM_TC;
		field = th->check;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end || !uh->check)
			return L4_CSUM_TC;
		field = uh->check;
		break;
	}
	case IPPROTO_ICMP:
		return L4_CSUM_READY;
	default:
		return L4_CSUM_TC;
	}
	if (l4_len > L4_SUM_MAX)
		return L4_CSUM_TC;
	/* RFC 768/793 pseudo-header, summed in network order like the field */
	sum = (__u64)iph->saddr + iph->daddr + bpf_htons(iph->protocol) +
	      bpf_htons(l4_len);
	pseudo = (__u16)~csum_fold32(sum);
	l4_sum = csum_frame_bytes(ctx, ETH_HLEN + sizeof(*iph), l4_len, csum_to32(sum));
	if (l4_sum < 0)
		return L4_CSUM_TC;
	sum = l4_sum;
	if (!csum_fold32(sum))
		return L4_CSUM_READY; /* verifies */
	if (field != pseudo)
		return L4_CSUM_TC;
	/* The sum with the field at 0: ones' complement subtraction of it. */
	*fix = csum_fold32(sum + (__u16)~field);
	if (!*fix && iph->protocol == IPPROTO_UDP)
		*fix = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	return L4_CSUM_FINISH;
}

/*
 * Where the frame goes: a remote VTEP, directly or through a router (then
 * *hop holds the route and the rewrite is still to do). 0 to pass to tc.
 */
static __always_inline __be32 fast_destination(const struct vnet_port *port,
					       struct ethhdr *eth,
					       const struct iphdr *iph,
					       struct route_hop *hop)
{
	const struct vnet_router_iface *rif;
	const struct vnet_fdb_entry *dst;
	struct vnet_fdb_key key;

	hop->rt = NULL;
	rif = port_gateway(port, eth->h_dest);
	if (!rif) {
		key.vni = port->vni;
		key.pad = 0;
		mac_copy(key.mac, eth->h_dest);
		dst = bpf_map_lookup_elem(&vnet_fdb, &key);
		if (dst)
			return dst->ifindex ? 0 : dst->vtep_be;
		rif = bpf_map_lookup_elem(&vnet_rtr_ifaces, &key);
	}
	if (!rif || route_resolve(rif, iph, hop) != ROUTE_FORWARD ||
	    hop->dst->ifindex)
		return 0;
	return hop->dst->vtep_be;
}

/* TTL - 1 and the routed MACs; the TTL and protocol bytes are one word. */
static __always_inline void route_rewrite(struct ethhdr *eth, struct iphdr *iph,
					  const struct route_hop *hop)
{
	__u16 old_word = *(__u16 *)&iph->ttl;

	iph->ttl -= 1;
	iph->check = csum_replace16(iph->check, old_word, *(__u16 *)&iph->ttl);
	mac_copy(eth->h_dest, hop->n->mac);
	mac_copy(eth->h_source, hop->rt->smac);
}

/* Does vnetd still keep the next hops in vnet_vteps (abi.h: vnet_state)? */
static __always_inline int next_hops_leased(void)
{
	const struct vnet_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&vnet_state, &zero);
	return st && bpf_ktime_get_coarse_ns() < st->next_hops_until_ns;
}

/*
 * The underlay next hop toward vtep_be, in fib's ifindex, dmac and smac:
 * the one vnetd keeps in vnet_vteps (abi.h: VNET_VTEP_F_NEXT_HOP) while its
 * lease holds, else the FIB's. 0 to pass to tc: no resolved neighbour (tc's bpf_redirect_neigh
 * resolves it), or a route out of another interface than the underlay, the
 * only one checked for its MTU and for taking XDP frames (vnetd:
 * xdp-features).
 */
static __always_inline int underlay_next_hop(struct xdp_md *ctx, __be32 vtep_be,
					     __u8 tos, __u32 ifindex,
					     struct bpf_fib_lookup *fib)
{
	const struct vnet_vtep *vt = bpf_map_lookup_elem(&vnet_vteps, &vtep_be);

	if (vt && (vt->flags & VNET_VTEP_F_NEXT_HOP) && next_hops_leased()) {
		fib->ifindex = vt->ifindex;
		mac_copy(fib->dmac, vt->dmac);
		mac_copy(fib->smac, vt->smac);
	} else {
		encap_fib_params(fib, vtep_be, tos, ifindex);
		if (bpf_fib_lookup(ctx, fib, sizeof(*fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
			return 0;
	}
	return fib->ifindex == vnet_cfg.underlay_ifindex;
}

static __always_inline int endpoint_fast(struct xdp_md *ctx,
					 const struct vnet_port *port,
					 __u32 ifindex)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup fib;
	struct route_hop hop;
	struct vnet_tx tx;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct iphdr outer;
	__u32 len, mtu = 0;
	__be32 vtep_be;
	enum l4_csum csum;
	__u16 csum_fix;
	int is_tcp;

	eth = data;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	len = data_end - data;
	/*
	 * Plain IPv4 from the port's own MAC, without options, not a fragment,
	 * the whole packet in this one buffer (a GSO packet is multi-buffer)
	 * and no Ethernet padding: anything else is tc's.
	 */
	if (eth->h_proto != bpf_htons(ETH_P_IP) ||
	    !mac_eq(eth->h_source, port->mac) || mac_is_multicast(eth->h_dest) ||
	    iph->version != 4 || iph->ihl != 5 ||
	    (iph->frag_off & (IP_MF_BE | IP_OFFSET_BE)) ||
	    bpf_ntohs(iph->tot_len) != len - ETH_HLEN ||
	    bpf_xdp_get_buff_len(ctx) != len ||
	    !port_src_allowed(port, ifindex, iph->saddr))
		return XDP_PASS;
	vtep_be = fast_destination(port, eth, iph, &hop);
	if (!vtep_be)
		return XDP_PASS;
	/* After the lookups: a frame for tc anyway is not summed. */
	csum = l4_csum_ready(ctx, iph, data_end, &csum_fix);
	if (csum == L4_CSUM_TC)
		return XDP_PASS;
	tx.ep_id = port->endpoint_id;
	tx.stats_slot = port->stats_slot;
	tx.vni = hop.rt ? hop.rt->vni : port->vni;
	tx.len = len;
	tx.hash = flow_hash_ipv4(iph, data_end);
	tx.tos = iph->tos & ~0x3; /* DSCP; ECN is not copied */
	tx.ipv4 = 1;
	is_tcp = iph->protocol == IPPROTO_TCP;

	/* Too big: tc answers with ICMP fragmentation-needed or drops. */
	if (bpf_check_mtu(ctx, vnet_cfg.underlay_ifindex, &mtu,
			  VNET_VXLAN_OVERHEAD, 0) != BPF_MTU_CHK_RET_SUCCESS)
		return XDP_PASS;
	if (!underlay_next_hop(ctx, vtep_be, tx.tos, ifindex, &fib))
		return XDP_PASS;

	/* The sender's egress policy, as tc checks it: before routing. */
	if (port->policy_in | port->policy_out) {
		struct vnet_flow flow;
		int ret;

		if (policy_flow_parse(iph, data_end, tx.ep_id, port->vni, 1, &flow))
			return XDP_PASS;
		ret = policy_check(&flow, port->policy_in, port->policy_out, 1);
		if (ret < 0)
			return ret;
	}

	/*
	 * From here the frame is ours. A failure to open headroom leaves it
	 * intact for tc, whose policy check then finds the flow just tracked.
	 */
	if (bpf_xdp_adjust_head(ctx, -VNET_VXLAN_OVERHEAD))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + VXLAN_HDRS_LEN + sizeof(struct iphdr) > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	if (hop.rt)
		route_rewrite(data + VNET_VXLAN_OVERHEAD,
			      data + VNET_VXLAN_OVERHEAD + ETH_HLEN, &hop);
	if (csum == L4_CSUM_FINISH) {
		/* TCP's check at 16, UDP's at 6: headers checked above */
		__u16 *check = data + VXLAN_HDRS_LEN + sizeof(struct iphdr) +
			       (is_tcp ? 16 : 6);

		if ((void *)(check + 1) > data_end)
			return VNET_DROP(VNET_DROP_ERROR);
		*check = csum_fix;
	}
	encap_fill(data, len, &tx, vtep_be, &outer);
	eth = data;
	mac_copy(eth->h_dest, fib.dmac);
	mac_copy(eth->h_source, fib.smac);
	stats_tx(tx.stats_slot, len);
	return bpf_redirect(fib.ifindex, 0);
}

SEC("xdp.frags")
int vnet_xdp_endpoint(struct xdp_md *ctx)
{
	__u32 ifindex = ctx->ingress_ifindex;
	const struct vnet_port *port;
	int ret;

	/* No port (a removed endpoint): tc drops and counts it. */
	port = bpf_map_lookup_elem(&vnet_ports, &ifindex);
	if (!port)
		return XDP_PASS;
	ret = endpoint_fast(ctx, port, ifindex);
	if (ret < 0) {
		stats_drop(-ret, port->stats_slot);
		return XDP_DROP;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

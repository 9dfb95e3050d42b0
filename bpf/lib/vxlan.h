/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Receive-side VXLAN validation shared by vnet_xdp_underlay (frames on the
 * wire) and vnet_tc_tunnel (frames the kernel's VXLAN device decapsulated).
 * vxlan_rx_parse() takes a whole frame: is this UDP to our VXLAN port at our
 * VTEP (else "not ours", passed untouched), outer fragments, the I flag;
 * vxlan_rx_inner() the rest, given the VTEP and VNI: known VTEP, known VNI,
 * inner frame sane, inner source MAC and IPv4 behind that VTEP, then where
 * the inner destination lives. Both work on a [data, data_end) window, so
 * the very same checks compile for XDP and tc. They return
 * VNET_RX_NOT_VXLAN, VNET_RX_BUM, VNET_RX_UNICAST (a local port, rx->dst) or
 * VNET_DROP(reason); they never touch the packet.
 */
#ifndef VNET_LIB_VXLAN_H
#define VNET_LIB_VXLAN_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

enum vnet_rx_kind {
	VNET_RX_NOT_VXLAN = 0, /* not UDP to the VXLAN port: host stack's */
	VNET_RX_UNICAST = 1,   /* to a local port: rx->dst */
	VNET_RX_BUM = 2,       /* inner broadcast/multicast: replicate */
};

/* Inner Ethernet + IPv4 with options (ARP is shorter): what the checks read. */
#define VNET_RX_INNER_MAX (ETH_HLEN + 60)

struct vnet_rx {
	__u32 outer_len;    /* bytes before the inner Ethernet header */
	__u32 vni;
	__be32 vtep_be;     /* outer source address */
	__u8 have_inner;    /* inner Ethernet header was parsed: dst_key valid */
	__u8 inner_ipv4;    /* inner ethertype is IPv4 */
	__u8 truncated;     /* a bounds check failed: tc may pull and retry */
	__u8 pad;
	struct vnet_fdb_key dst_key;        /* (vni, inner destination MAC) */
	const struct vnet_fdb_entry *dst;   /* VNET_RX_UNICAST: local port */
	const struct vnet_network *net;     /* the VNI's flood lists */
};

static __always_inline int remote_src_allowed(__u32 vni, __be32 vtep_be,
					      __be32 ip_be);

/*
 * A frame a router routed on the sending host carries, as inner source, the
 * router's MAC on the destination network and the original sender's
 * address, which belongs to another network. That network is where the
 * router's own route back to the source points (connected: the source's
 * subnet; static: the next hop's network, whose endpoint announces the
 * prefix): the source must be one the sending VTEP may send from there.
 */
static __always_inline int routed_src_allowed(__u32 router_id, __be32 vtep_be,
					      __be32 ip_be)
{
	struct vnet_route_key key = {
		.prefixlen = 64,
		.router_id = router_id,
		.ip_be = ip_be,
	};
	const struct vnet_route *rt = bpf_map_lookup_elem(&vnet_routes, &key);

	return rt && remote_src_allowed(rt->vni, vtep_be, ip_be);
}

/* A host address first (one hash lookup), then the wider prefixes. */
static __always_inline int remote_src_allowed(__u32 vni, __be32 vtep_be,
					      __be32 ip_be)
{
	struct vnet_remote_host_key host = {
		.vni = vni,
		.vtep_be = vtep_be,
		.ip_be = ip_be,
	};
	struct vnet_remote_src_key key = {
		.prefixlen = 96,
		.vni = vni,
		.vtep_be = vtep_be,
		.ip_be = ip_be,
	};

	if (bpf_map_lookup_elem(&vnet_remote_host, &host))
		return 1;
	return bpf_map_lookup_elem(&vnet_remote_src, &key) != NULL;
}

/*
 * Why a frame whose inner source MAC has no fdb entry behind its VTEP, or
 * that is truncated (`otherwise`), is dropped: an unknown VTEP or VNI comes
 * first (steps 3 before 4). The slow path of vxlan_rx_inner().
 */
static __always_inline int vxlan_rx_reject(const struct vnet_rx *rx,
					   int otherwise)
{
	if (!bpf_map_lookup_elem(&vnet_vteps, &rx->vtep_be))
		return VNET_DROP(VNET_DROP_UNKNOWN_VTEP);
	if (!bpf_map_lookup_elem(&vnet_networks, &rx->vni))
		return VNET_DROP(VNET_DROP_UNKNOWN_VNI);
	return otherwise;
}

/*
 * vxlan_rx_reject() for a routed frame whose source is not proven yet: a
 * frame from an unknown VTEP is not charged to its destination.
 */
static __always_inline int vxlan_rx_reject_routed(struct vnet_rx *rx,
						  int otherwise)
{
	int ret = vxlan_rx_reject(rx, otherwise);

	if (ret != otherwise)
		rx->have_inner = 0;
	return ret;
}

/*
 * Steps 3-5 for a frame whose VTEP (rx->vtep_be) and VNI (rx->vni) are known
 * from its outer headers: vxlan_rx_parse() on the wire, the tunnel metadata
 * on vnet_tc_tunnel. nh points at the inner Ethernet header.
 *
 * Steps 3 and 4 share one lookup on the fast path: an fdb entry (vni, inner
 * source MAC) naming the outer source as its VTEP exists only for a VTEP of
 * the topology and a VNI this host holds, so it proves both; the VTEP and
 * VNI maps are read only to name the reason for a drop. The same entry
 * carries the endpoint's address: an inner IPv4 (or ARP sender) source equal
 * to it is proven too, and only other sources (allowed_addresses, routed
 * prefixes) take vnet_remote_host and vnet_remote_src. (A VNI held only
 * because a local router reaches it has fdb entries but no local port:
 * frames on it end as NOT_LOCAL or, broadcast, UNKNOWN_VNI.) A routed frame
 * (the inner source MAC is a router interface's) is proven the same way by
 * its inner IPv4 source: vnet_remote_host holds (vni, VTEP, address) only
 * for VTEPs of the topology. Until that check passed, every drop of a
 * routed frame is named as vxlan_rx_reject() names it, so an unknown VTEP
 * is UNKNOWN_VTEP whatever else is wrong with the frame.
 */
static __always_inline int vxlan_rx_inner(struct hdr_cursor *nh,
					  void *data_end, struct vnet_rx *rx)
{
	struct vnet_fdb_entry *src;
	struct ethhdr *ieth;
	__be32 inner_src;
	int bad, src_ok;
	const struct vnet_router_iface *router = NULL; /* inner source MAC's */

/* A drop before the routed frame's source was proven: see above. */
#define RX_DROP_UNPROVEN(ret) (router ? vxlan_rx_reject_routed(rx, (ret)) : (ret))

	/* 3-4. Known VTEP and VNI, inner source MAC behind that VTEP. */
	ieth = parse_ethhdr(nh, data_end);
	if (!ieth) {
		rx->truncated = 1;
		return vxlan_rx_reject(rx, VNET_DROP(VNET_DROP_MALFORMED));
	}
	rx->dst_key.vni = rx->vni;
	rx->dst_key.pad = 0;
	mac_copy(rx->dst_key.mac, ieth->h_source);
	src = bpf_map_lookup_elem(&vnet_fdb, &rx->dst_key);
	if (src) {
		/* A local MAC (vtep_be 0) is never behind a VTEP, also not
		 * behind a forged outer source of 0.0.0.0. */
		src_ok = src->vtep_be && src->vtep_be == rx->vtep_be;
	} else {
		/*
		 * Routed frames carry the router interface's MAC as source, from
		 * any VTEP of the topology (routing is distributed); the inner
		 * IPv4 source check below ties them to the sending VTEP.
		 */
		router = bpf_map_lookup_elem(&vnet_rtr_ifaces, &rx->dst_key);
		src_ok = router != NULL;
	}
	mac_copy(rx->dst_key.mac, ieth->h_dest);
	if (!src_ok) {
		int ret = vxlan_rx_reject(rx, VNET_DROP(VNET_DROP_FOREIGN_SOURCE));

		/* Only a frame of a known VNI is charged to its destination. */
		rx->have_inner = ret == VNET_DROP(VNET_DROP_FOREIGN_SOURCE);
		return ret;
	}
	rx->have_inner = 1;

	if (ieth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iiph = parse_iphdr(nh, data_end, &bad);

		if (!iiph) {
			if (bad)
				return RX_DROP_UNPROVEN(VNET_DROP(VNET_DROP_MALFORMED));
			rx->truncated = 1;
			return RX_DROP_UNPROVEN(VNET_DROP(VNET_DROP_MALFORMED));
		}
		rx->inner_ipv4 = 1;
		inner_src = iiph->saddr;
	} else if (ieth->h_proto == bpf_htons(ETH_P_ARP)) {
		struct arp_eth_ipv4 *arp = parse_arp(nh, data_end);

		/* Routers route IPv4; they never send ARP across the underlay. */
		if (router)
			return RX_DROP_UNPROVEN(VNET_DROP(VNET_DROP_FOREIGN_SOURCE));
		if (!arp)
			goto trunc_drop;
		if (!arp_is_eth_ipv4(arp))
			return VNET_DROP(VNET_DROP_MALFORMED);
		if (!mac_eq(arp->sha, ieth->h_source))
			return VNET_DROP(VNET_DROP_FOREIGN_SOURCE);
		inner_src = arp->spa;
	} else {
		return RX_DROP_UNPROVEN(VNET_DROP(VNET_DROP_ETHERTYPE));
	}
#undef RX_DROP_UNPROVEN
	/* 0.0.0.0 is legal only as an ARP probe's sender (RFC 5227). */
	if (router) {
		if (!routed_src_allowed(router->router_id, rx->vtep_be, inner_src))
			return vxlan_rx_reject_routed(rx, VNET_DROP(VNET_DROP_FOREIGN_SOURCE));
	} else if (!(inner_src == 0 && !rx->inner_ipv4) &&
		   !(src->ip_be && src->ip_be == inner_src) &&
		   !remote_src_allowed(rx->vni, rx->vtep_be, inner_src)) {
		return VNET_DROP(VNET_DROP_FOREIGN_SOURCE);
	}

	/* 5. Where the destination lives. */
	if (mac_is_multicast(rx->dst_key.mac)) {
		rx->net = bpf_map_lookup_elem(&vnet_networks, &rx->vni);
		if (!rx->net)
			return VNET_DROP(VNET_DROP_UNKNOWN_VNI);
		return VNET_RX_BUM;
	}
	rx->dst = bpf_map_lookup_elem(&vnet_fdb, &rx->dst_key);
	if (!rx->dst)
		return VNET_DROP(VNET_DROP_UNKNOWN_UNICAST);
	if (!rx->dst->ifindex)
		return VNET_DROP(VNET_DROP_NOT_LOCAL);
	return VNET_RX_UNICAST;

trunc_drop:
	rx->truncated = 1;
	return VNET_DROP(VNET_DROP_MALFORMED);
}

static __always_inline void vxlan_rx_init(struct vnet_rx *rx)
{
	rx->outer_len = 0;
	rx->have_inner = 0;
	rx->inner_ipv4 = 0;
	rx->truncated = 0;
	rx->dst = NULL;
	rx->net = NULL;
}

/* A frame from the wire: steps 1-2 on the outer headers, then the rest. */
static __always_inline int vxlan_rx_parse(void *data, void *data_end,
					  struct vnet_rx *rx)
{
	struct hdr_cursor nh = { .pos = data };
	struct vxlanhdr_be *vxh;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udp;
	int bad;

	vxlan_rx_init(rx);

	/* 1. Anything but UDP/IPv4 to the VXLAN port belongs to the host. */
	eth = parse_ethhdr(&nh, data_end);
	if (!eth)
		goto trunc_pass;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return VNET_RX_NOT_VXLAN;
	iph = parse_iphdr(&nh, data_end, &bad);
	if (!iph) {
		if (bad)
			return VNET_RX_NOT_VXLAN;
		goto trunc_pass;
	}
	if (iph->protocol != IPPROTO_UDP)
		return VNET_RX_NOT_VXLAN;
	/*
	 * A non-first fragment has no UDP header: it may be any UDP between
	 * the hosts (DNS, NFS), so it belongs to the stack. Dropping the first
	 * fragment of VXLAN below is enough: it never reassembles.
	 */
	if (iph->frag_off & IP_OFFSET_BE)
		return VNET_RX_NOT_VXLAN;
	udp = parse_udphdr(&nh, data_end);
	if (!udp)
		goto trunc_pass;
	/* Transit or promiscuously received VXLAN is not ours to terminate. */
	if (udp->dest != vnet_cfg.vxlan_port_be || iph->daddr != vnet_cfg.vtep_be)
		return VNET_RX_NOT_VXLAN;
	if (iph->frag_off & IP_MF_BE)
		return VNET_DROP(VNET_DROP_OUTER_FRAGMENT);

	/* From here on the packet is ours: truncation is MALFORMED. */
	vxh = parse_vxlanhdr(&nh, data_end);
	if (!vxh) {
		rx->truncated = 1;
		return VNET_DROP(VNET_DROP_MALFORMED);
	}
	/* 2. I flag; reserved bits are ignored (RFC 7348). */
	if (!(vxh->flags & VXLAN_FLAG_I))
		return VNET_DROP(VNET_DROP_VXLAN_FLAGS);
	rx->vtep_be = iph->saddr;
	rx->vni = bpf_ntohl(vxh->vni) >> 8;
	rx->outer_len = nh.pos - data;
	return vxlan_rx_inner(&nh, data_end, rx);

trunc_pass:
	rx->truncated = 1;
	return VNET_RX_NOT_VXLAN;
}

/*
 * The stats slot of the local endpoint a dropped VXLAN packet was addressed
 * to, if any: drops are charged to it. Slow path only (one more fdb lookup).
 */
static __always_inline __u32 vxlan_rx_drop_slot(const struct vnet_rx *rx)
{
	const struct vnet_fdb_entry *dst = rx->dst;

	if (!rx->have_inner || mac_is_multicast(rx->dst_key.mac))
		return VNET_SLOT_NONE;
	if (!dst)
		dst = bpf_map_lookup_elem(&vnet_fdb, &rx->dst_key);
	if (!dst || !dst->ifindex)
		return VNET_SLOT_NONE;
	return dst->stats_slot;
}

#endif /* VNET_LIB_VXLAN_H */

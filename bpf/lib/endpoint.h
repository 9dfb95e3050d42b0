/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What both endpoint programs (vnet_tc_endpoint, vnet_xdp_endpoint) ask of a
 * frame a VM sent: may the port send from this address, the inner flow's
 * hash for the outer source port, and where a router sends a packet
 * (route_resolve: longest prefix, next hop's MAC, the egress network's fdb).
 * Pointers and map lookups only, no context, so XDP and tc answer alike.
 */
#ifndef VNET_LIB_ENDPOINT_H
#define VNET_LIB_ENDPOINT_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/maps.h"
#include "lib/parsing.h"

/*
 * May the port send from ip_be? Its own address (vnet_port.ip_be) is
 * answered without the LPM trie, whose lookup costs several hash lookups:
 * the trie holds it too, so the answer is the same.
 */
static __always_inline int port_src_allowed(const struct vnet_port *port,
					    __u32 ifindex, __be32 ip_be)
{
	struct vnet_port_src_key key = {
		.prefixlen = 64,
		.ifindex = ifindex,
		.ip_be = ip_be,
	};

	if (ip_be == port->ip_be)
		return 1;
	return bpf_map_lookup_elem(&vnet_port_src, &key) != NULL;
}

/*
 * The router interface a frame to dmac is for, when that is the port's
 * gateway (abi.h: vnet_port.gw), without a lookup; NULL for any other
 * MAC, which the caller looks up in vnet_fdb, then vnet_rtr_ifaces.
 */
static __always_inline const struct vnet_router_iface *
port_gateway(const struct vnet_port *port, const __u8 *dmac)
{
	if (!port->gw.router_id || !mac_eq(dmac, port->gw_mac))
		return NULL;
	return &port->gw;
}

/* murmur3's finaliser: every input bit reaches every output bit. */
static __always_inline __u32 hash_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/*
 * The inner flow's hash for the outer UDP source port (RFC 7348: entropy
 * for ECMP in the underlay). Addresses, protocol and, for TCP/UDP that is
 * not a fragment, the ports: all fragments of a datagram hash alike. Our
 * own instead of bpf_get_hash_recalc(): a VM's packets arrive without a
 * hash, and the flow dissector the helper runs costs more than the rest of
 * the encapsulation.
 */
static __always_inline __u32 flow_hash_ipv4(const struct iphdr *iph,
					    void *data_end)
{
	__u32 h = hash_mix(iph->saddr ^ hash_mix(iph->daddr ^ iph->protocol));
	__be32 *ports = (void *)iph + iph->ihl * 4;

	if ((iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) &&
	    !(iph->frag_off & (IP_MF_BE | IP_OFFSET_BE)) &&
	    (void *)(ports + 1) <= data_end)
		h = hash_mix(h ^ *ports);
	return h;
}

/* Where a router sends a packet, or why it does not. */
enum route_verdict {
	ROUTE_FORWARD,      /* to hop.dst (local port or remote VTEP) */
	ROUTE_LOCAL,        /* to one of the router's own addresses */
	ROUTE_NOT_ROUTABLE, /* multicast, broadcast, 0/8, 127/8: dropped silently */
	ROUTE_NO_ROUTE,     /* ICMP net unreachable */
	ROUTE_TTL,          /* ICMP time exceeded */
	ROUTE_UNREACHABLE,  /* next hop unknown: ICMP host unreachable */
};

struct route_hop {
	const struct vnet_route *rt;
	const struct vnet_neigh_entry *n;
	const struct vnet_fdb_entry *dst;
};

/*
 * Distributed routing's decision for an IPv4 packet sent to router
 * interface `rif`: the longest prefix in that router's routes, TTL, the next
 * hop's MAC from vnet_neigh, then the egress network's fdb. Nothing is
 * written: the caller rewrites TTL and MACs (rt->smac, n->mac) once it
 * commits to ROUTE_FORWARD.
 */
static __always_inline enum route_verdict
route_resolve(const struct vnet_router_iface *rif, const struct iphdr *iph,
	      struct route_hop *hop)
{
	struct vnet_route_key rkey;
	struct vnet_neigh_key nkey;
	struct vnet_fdb_key fkey;
	__u32 id = rif->router_id;

	if (iph->daddr == rif->ip_be)
		return ROUTE_LOCAL;
	/* Multicast, limited broadcast, "this network" and loopback are never
	 * routed (RFC 1812 5.3.7). */
	if ((iph->daddr & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000) ||
	    iph->daddr == 0xffffffff ||
	    (iph->daddr & bpf_htonl(0xff000000)) == 0 ||
	    (iph->daddr & bpf_htonl(0xff000000)) == bpf_htonl(0x7f000000))
		return ROUTE_NOT_ROUTABLE;

	rkey.prefixlen = 64;
	rkey.router_id = id;
	rkey.ip_be = iph->daddr;
	hop->rt = bpf_map_lookup_elem(&vnet_routes, &rkey);
	hop->n = NULL;
	hop->dst = NULL;
	if (!hop->rt)
		return ROUTE_NO_ROUTE;
	nkey.vni = hop->rt->vni;
	nkey.ip_be = hop->rt->nh_ip_be ? hop->rt->nh_ip_be : iph->daddr;
	hop->n = bpf_map_lookup_elem(&vnet_neigh, &nkey);
	fkey.vni = hop->rt->vni;
	fkey.pad = 0;
	if (hop->n) {
		mac_copy(fkey.mac, hop->n->mac);
		hop->dst = bpf_map_lookup_elem(&vnet_fdb, &fkey);
		if (!hop->dst) {
			/* The router's address on another of its networks? */
			const struct vnet_router_iface *own;

			own = bpf_map_lookup_elem(&vnet_rtr_ifaces, &fkey);
			if (own && own->router_id == id && own->ip_be == nkey.ip_be &&
			    !hop->rt->nh_ip_be)
				return ROUTE_LOCAL;
		}
	}
	if (iph->ttl <= 1)
		return ROUTE_TTL;
	if (!hop->n || !hop->dst || (!hop->dst->ifindex && !hop->dst->vtep_be))
		return ROUTE_UNREACHABLE;
	return ROUTE_FORWARD;
}

#endif /* VNET_LIB_ENDPOINT_H */

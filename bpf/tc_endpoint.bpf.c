// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_tc_endpoint: tc ingress on a local endpoint's host-side interface,
 * i.e. everything the VM sends. Never TC_ACT_OK: nothing reaches the host
 * stack. Anti-spoofing (MAC, ARP sender, IPv4 source), ARP answered in
 * place from vnet_neigh, then by destination MAC: flood (local clones, one
 * encapsulation cloned per remote VTEP), a local port (redirect), a remote
 * VTEP (VXLAN encapsulation, MTU check, ICMP frag-needed), a router
 * interface (distributed routing: routed here, then delivered or
 * encapsulated with the destination network's VNI) or a drop. Security
 * groups: the sender's egress policy right after anti-spoofing, a local
 * receiver's ingress policy just before delivery (a remote receiver's host
 * checks its own).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/arp.h"
#include "lib/config.h"
#include "lib/encap.h"
#include "lib/endpoint.h"
#include "lib/flood.h"
#include "lib/icmp.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/policy.h"
#include "lib/stats.h"

/*
 * Headers the endpoint path reads directly: Ethernet, IPv4 with options and
 * the L4 ports (the flow hash).
 */
#define ENDPOINT_PULL_LEN (ETH_HLEN + 60 + 4)

/*
 * Will the frame fit the underlay once encapsulated? 0 if so; otherwise the
 * verdict: ICMP fragmentation-needed back to the VM for IPv4 with DF (from
 * `from_be`, or the original destination when 0), else a TOO_BIG drop. The
 * frame must still be as the VM sent it (the ICMP swaps its MACs).
 */
static __always_inline int endpoint_fits(struct __sk_buff *skb,
					 const struct vnet_tx *tx, int df,
					 __u32 ip_hlen, __be32 from_be)
{
	__u32 mtu;
	int ret;

	ret = encap_too_big(skb, tx, &mtu);
	if (ret < 0)
		return VNET_DROP(VNET_DROP_ERROR);
	if (!ret)
		return 0;
	if (!tx->ipv4 || !df)
		return VNET_DROP(VNET_DROP_TOO_BIG);
	ret = icmp_send_error(skb, ip_hlen, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
			      from_be, mtu > VNET_VXLAN_OVERHEAD ?
			      mtu - VNET_VXLAN_OVERHEAD : 0);
	if (ret >= 0)
		stats_drop(VNET_DROP_FRAG_NEEDED, tx->stats_slot);
	return ret ? ret : VNET_DROP(VNET_DROP_ERROR);
}

/* Encapsulation of a frame endpoint_fits() accepted. */
static __always_inline int endpoint_encap_fitting(struct __sk_buff *skb,
						  struct vnet_tx *tx,
						  __be32 vtep_be)
{
	struct iphdr ip;
	int ret;

	ret = encap_push(skb, tx, vtep_be, &ip);
	if (ret == ENCAP_VIA_TUNNEL)
		return encap_via_tunnel(skb, tx, vtep_be);
	if (ret < 0)
		return ret;
	return encap_xmit(skb, tx, vtep_be);
}

static __always_inline int endpoint_encap(struct __sk_buff *skb,
					  struct vnet_tx *tx, __be32 vtep_be,
					  int df, __u32 ip_hlen)
{
	int ret = endpoint_fits(skb, tx, df, ip_hlen, 0);

	if (ret)
		return ret;
	return endpoint_encap_fitting(skb, tx, vtep_be);
}

/*
 * A frame to a local port: the VM's namespace directly when it is a veth.
 * A receiver with security groups gets it only if its ingress policy
 * allows; that drop is the receiver's, counted here.
 */
static __always_inline int endpoint_deliver_local(struct __sk_buff *skb,
						  const struct vnet_tx *tx,
						  const struct vnet_fdb_entry *dst)
{
	if (tx->ipv4 && (dst->policy_in | dst->policy_out)) {
		struct vnet_flow flow;
		int ret;

		ret = policy_skb_flow(skb, dst->endpoint_id, tx->vni, 0, &flow);
		if (!ret)
			ret = policy_check(&flow, dst->policy_in, dst->policy_out, 0);
		if (ret < 0) {
			stats_drop(-ret, dst->stats_slot);
			return TC_ACT_SHOT;
		}
	}
	stats_tx(tx->stats_slot, tx->len);
	stats_rx(dst->stats_slot, tx->len);
	if (tx->ipv4 && (dst->port_flags & VNET_PORT_F_PEER)) {
		/*
		 * The sender's veth classified the frame against its own MAC
		 * (PACKET_OTHERHOST); kernels before 6.15 do not scrub it on
		 * bpf_redirect_peer and the receiving stack would drop it.
		 */
		bpf_skb_change_type(skb, PACKET_HOST);
		return bpf_redirect_peer(dst->ifindex, 0);
	}
	return bpf_redirect(dst->ifindex, 0);
}

/* A router's ICMP error back to the sender, rate-limited; `reason` is counted. */
static __always_inline int router_error(struct __sk_buff *skb, __u32 ip_hlen,
					__u8 type, __u8 code,
					const struct vnet_router_iface *rif,
					__u32 slot, int reason)
{
	__be32 from = rif->ip_be;
	int ret;

	if (!icmp_error_allowed(skb, ip_hlen) || !icmp_rate_allow(skb->ifindex))
		return VNET_DROP(reason);
	ret = icmp_send_error(skb, ip_hlen, type, code, from, 0);
	if (ret >= 0)
		stats_drop(reason, slot);
	return ret;
}

/* To one of the router's own addresses: it answers ping, nothing else. */
static __always_inline int router_local(struct __sk_buff *skb,
					const struct vnet_tx *tx, __u32 ip_hlen)
{
	void *data = skb_data(skb);
	void *data_end = skb_data_end(skb);
	struct icmp_echo_hdr *icmp;
	struct iphdr *iph;
	int ret;

	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end || ip_hlen > 60)
		return VNET_DROP(VNET_DROP_MALFORMED);
	icmp = (void *)iph + ip_hlen;
	if (iph->protocol != IPPROTO_ICMP ||
	    (iph->frag_off & (IP_MF_BE | IP_OFFSET_BE)) ||
	    (void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO)
		return VNET_DROP(VNET_DROP_ROUTER_LOCAL);
	ret = icmp_echo_reply_in_place(skb, ip_hlen);
	if (ret < 0)
		return ret;
	stats_tx(tx->stats_slot, tx->len);
	stats_rx(tx->stats_slot, tx->len);
	return bpf_redirect(skb->ifindex, 0);
}

/*
 * Distributed routing of an IPv4 packet the endpoint sent to a router
 * interface's MAC: longest prefix in that router's routes, TTL, next hop's
 * MAC from vnet_neigh, then the egress network's fdb. The packet leaves
 * with TTL - 1 (checksum updated incrementally), the router's MAC on the
 * egress network as source and the next hop's as destination, and crosses
 * the underlay once, with the egress network's VNI.
 */
static __always_inline int endpoint_route(struct __sk_buff *skb,
					  struct vnet_tx *tx,
					  const struct vnet_router_iface *rif,
					  int df, __u32 ip_hlen)
{
	struct route_hop hop;
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	__be16 old_word, new_word;

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end)
		return VNET_DROP(VNET_DROP_MALFORMED);

	switch (route_resolve(rif, iph, &hop)) {
	case ROUTE_FORWARD:
		break;
	case ROUTE_LOCAL:
		return router_local(skb, tx, ip_hlen);
	case ROUTE_NOT_ROUTABLE:
		return VNET_DROP(VNET_DROP_NO_ROUTE);
	case ROUTE_NO_ROUTE:
		return router_error(skb, ip_hlen, ICMP_DEST_UNREACH, ICMP_NET_UNREACH,
				    rif, tx->stats_slot, VNET_DROP_NO_ROUTE);
	case ROUTE_TTL:
		return router_error(skb, ip_hlen, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL,
				    rif, tx->stats_slot, VNET_DROP_TTL_EXCEEDED);
	default:
		return router_error(skb, ip_hlen, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
				    rif, tx->stats_slot, VNET_DROP_HOST_UNREACHABLE);
	}
	/*
	 * Checked before the rewrite: fragmentation-needed goes back to the
	 * VM from its gateway, with the frame's own addresses swapped.
	 */
	if (!hop.dst->ifindex) {
		int ret = endpoint_fits(skb, tx, df, ip_hlen, rif->ip_be);

		if (ret)
			return ret;
	}

	/* TTL - 1: the TTL and protocol bytes are one checksum word. */
	old_word = *(__be16 *)&iph->ttl;
	new_word = old_word;
	((__u8 *)&new_word)[0] -= 1;
	eth = data;
	mac_copy(eth->h_dest, hop.n->mac);
	mac_copy(eth->h_source, hop.rt->smac);
	tx->vni = hop.rt->vni;
	if (bpf_l3_csum_replace(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, check),
				old_word, new_word, 2))
		return VNET_DROP(VNET_DROP_ERROR);
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	iph->ttl -= 1;

	if (hop.dst->ifindex)
		return endpoint_deliver_local(skb, tx, hop.dst);
	return endpoint_encap_fitting(skb, tx, hop.dst->vtep_be);
}

static __always_inline int endpoint_flood(struct __sk_buff *skb,
					  struct vnet_tx *tx, __u32 ifindex)
{
	const struct vnet_network *net;
	struct vnet_flow flow;
	int ret;

	net = bpf_map_lookup_elem(&vnet_networks, &tx->vni);
	if (!net)
		return VNET_DROP(VNET_DROP_UNKNOWN_VNI);
	if (tx->ipv4) {
		/* The receivers' view, for those with security groups. */
		ret = policy_skb_flow(skb, VNET_EP_NONE, tx->vni, 0, &flow);
		if (ret < 0)
			return ret;
	}
	stats_tx(tx->stats_slot, tx->len);
	flood_local(skb, net, ifindex, tx->stats_slot, tx->ipv4 ? &flow : NULL);
	tx->hash = bpf_get_hash_recalc(skb);
	ret = encap_flood(skb, tx, net);
	if (ret < 0)
		return ret;
	return TC_ACT_SHOT; /* the original: every destination got a clone */
}

/* A frame to an fdb entry: another local port or a remote VTEP. */
static __always_inline int endpoint_switch(struct __sk_buff *skb,
					   struct vnet_tx *tx,
					   const struct vnet_fdb_entry *dst,
					   __u32 ifindex, int df, __u32 ip_hlen)
{
	if (dst->ifindex) {
		if (dst->ifindex == ifindex)
			return VNET_DROP(VNET_DROP_HAIRPIN);
		return endpoint_deliver_local(skb, tx, dst);
	}
	if (!dst->vtep_be)
		return VNET_DROP(VNET_DROP_UNKNOWN_UNICAST);
	return endpoint_encap(skb, tx, dst->vtep_be, df, ip_hlen);
}

static __always_inline int endpoint_handle(struct __sk_buff *skb,
					   const struct vnet_port *port,
					   __u32 ifindex)
{
	struct vnet_tx tx = {
		.ep_id = port->endpoint_id,
		.stats_slot = port->stats_slot,
		.vni = port->vni,
		.len = skb->len,
	};
	const struct vnet_router_iface *rif;
	const struct vnet_fdb_entry *dst;
	struct vnet_fdb_key key;
	struct hdr_cursor nh;
	void *data, *data_end;
	struct ethhdr *eth;
	__u32 ip_hlen = 0;
	int df = 0;

	skb_pull_headers(skb, (port->policy_in | port->policy_out) ?
			 POLICY_PULL_LEN : ENDPOINT_PULL_LEN);
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	nh.pos = data;

	eth = parse_ethhdr(&nh, data_end);
	if (!eth)
		return VNET_DROP(VNET_DROP_MALFORMED);
	if (!mac_eq(eth->h_source, port->mac))
		return VNET_DROP(VNET_DROP_SPOOF_MAC);
	/*
	 * The stack strips an 802.1Q/802.1ad tag into skb->vlan_tci before tc
	 * runs: h_proto below is the inner type. A tagged frame must not pass
	 * as plain IPv4, and its tag would be written onto the outer frame.
	 */
	if (skb->vlan_present)
		return VNET_DROP(VNET_DROP_ETHERTYPE);

	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		const struct vnet_neigh_entry *n;
		struct arp_eth_ipv4 *arp;

		arp = parse_arp(&nh, data_end);
		if (!arp || !arp_is_eth_ipv4(arp))
			return VNET_DROP(VNET_DROP_MALFORMED);
		if (!mac_eq(arp->sha, port->mac))
			return VNET_DROP(VNET_DROP_SPOOF_ARP);
		if (arp->spa && !port_src_allowed(port, ifindex, arp->spa))
			return VNET_DROP(VNET_DROP_SPOOF_ARP);
		n = arp_answer_lookup(tx.vni, arp);
		if (n) {
			arp_reply_in_place(eth, arp, n->mac);
			stats_tx(tx.stats_slot, tx.len);
			stats_rx(tx.stats_slot, tx.len);
			return bpf_redirect(ifindex, 0);
		}
	} else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph;
		int bad;

		iph = parse_iphdr(&nh, data_end, &bad);
		if (!iph)
			return VNET_DROP(VNET_DROP_MALFORMED);
		ip_hlen = iph->ihl * 4;
		/* skb->len, not data_end: a GSO packet's tot_len covers its frags */
		if (bpf_ntohs(iph->tot_len) < ip_hlen ||
		    bpf_ntohs(iph->tot_len) > skb->len - ETH_HLEN)
			return VNET_DROP(VNET_DROP_MALFORMED);
		if (!port_src_allowed(port, ifindex, iph->saddr))
			return VNET_DROP(VNET_DROP_SPOOF_IP);
		if (port->policy_in | port->policy_out) {
			struct vnet_flow flow;
			int ret;

			ret = policy_flow_parse(iph, data_end, tx.ep_id, tx.vni, 1, &flow);
			if (!ret)
				ret = policy_check(&flow, port->policy_in, port->policy_out, 1);
			if (ret < 0)
				return ret;
		}
		tx.ipv4 = 1;
		tx.hash = flow_hash_ipv4(iph, data_end);
		tx.tos = iph->tos & ~0x3; /* DSCP; ECN is not copied */
		df = !!(iph->frag_off & IP_DF_BE);
	} else {
		return VNET_DROP(VNET_DROP_ETHERTYPE);
	}

	if (mac_is_multicast(eth->h_dest))
		return endpoint_flood(skb, &tx, ifindex);

	rif = port_gateway(port, eth->h_dest);
	if (!rif) {
		key.vni = tx.vni;
		key.pad = 0;
		mac_copy(key.mac, eth->h_dest);
		dst = bpf_map_lookup_elem(&vnet_fdb, &key);
		if (dst)
			return endpoint_switch(skb, &tx, dst, ifindex, df, ip_hlen);
		rif = bpf_map_lookup_elem(&vnet_rtr_ifaces, &key);
	}
	if (rif && tx.ipv4)
		return endpoint_route(skb, &tx, rif, df, ip_hlen);
	return VNET_DROP(VNET_DROP_UNKNOWN_UNICAST);
}

SEC("tc")
int vnet_tc_endpoint(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	const struct vnet_port *port;
	int ret;

	port = bpf_map_lookup_elem(&vnet_ports, &ifindex);
	if (!port) {
		stats_drop(VNET_DROP_NO_PORT, VNET_SLOT_NONE);
		return TC_ACT_SHOT;
	}
	ret = endpoint_handle(skb, port, ifindex);
	if (ret < 0) {
		stats_drop(-ret, port->stats_slot);
		return TC_ACT_SHOT;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_tc_endpoint: tc ingress on a local endpoint's host-side interface,
 * i.e. everything the VM sends. Never TC_ACT_OK: nothing reaches the host
 * stack. Anti-spoofing (MAC, ARP sender, IPv4 source), ARP answered in
 * place from vnet_neigh, then by destination MAC: flood (local clones, one
 * encapsulation cloned per remote VTEP), a local port (redirect), a remote
 * VTEP (VXLAN encapsulation, MTU check, ICMP frag-needed) or a drop.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/arp.h"
#include "lib/config.h"
#include "lib/encap.h"
#include "lib/flood.h"
#include "lib/icmp.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

/*
 * Headers the endpoint path reads directly: Ethernet, IPv4 with options and
 * the L4 ports (the flow hash).
 */
#define ENDPOINT_PULL_LEN (ETH_HLEN + 60 + 4)

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

static __always_inline int endpoint_encap(struct __sk_buff *skb,
					  struct vnet_tx *tx, __be32 vtep_be,
					  int df, __u32 ip_hlen)
{
	struct iphdr ip;
	__u32 mtu;
	int ret;

	ret = encap_too_big(skb, tx, &mtu);
	if (ret < 0)
		return VNET_DROP(VNET_DROP_ERROR);
	if (ret) {
		if (!tx->ipv4 || !df)
			return VNET_DROP(VNET_DROP_TOO_BIG);
		ret = icmp_send_frag_needed(skb, ip_hlen,
					    mtu > VNET_VXLAN_OVERHEAD ?
					    mtu - VNET_VXLAN_OVERHEAD : 0);
		if (ret >= 0)
			stats_drop(VNET_DROP_FRAG_NEEDED, tx->ep_id);
		return ret;
	}
	ret = encap_push(skb, tx, vtep_be, &ip);
	if (ret < 0)
		return ret;
	return encap_xmit(skb, tx, vtep_be);
}

static __always_inline int endpoint_flood(struct __sk_buff *skb,
					  struct vnet_tx *tx, __u32 ifindex)
{
	const struct vnet_network *net;
	int ret;

	net = bpf_map_lookup_elem(&vnet_networks, &tx->vni);
	if (!net)
		return VNET_DROP(VNET_DROP_UNKNOWN_VNI);
	stats_tx(tx->ep_id, tx->len);
	flood_local(skb, net, ifindex, tx->ep_id);
	tx->hash = bpf_get_hash_recalc(skb);
	ret = encap_flood(skb, tx, net);
	if (ret < 0)
		return ret;
	return TC_ACT_SHOT; /* the original: every destination got a clone */
}

static __always_inline int endpoint_handle(struct __sk_buff *skb,
					   const struct vnet_port *port,
					   __u32 ifindex)
{
	struct vnet_tx tx = {
		.ep_id = port->endpoint_id,
		.vni = port->vni,
		.len = skb->len,
	};
	const struct vnet_fdb_entry *dst;
	struct vnet_fdb_key key;
	struct hdr_cursor nh;
	void *data, *data_end;
	struct ethhdr *eth;
	__u32 ip_hlen = 0;
	int df = 0;

	skb_pull_headers(skb, ENDPOINT_PULL_LEN);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
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
			stats_tx(tx.ep_id, tx.len);
			stats_rx(tx.ep_id, tx.len);
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
		tx.ipv4 = 1;
		tx.hash = flow_hash_ipv4(iph, data_end);
		tx.tos = iph->tos & ~0x3; /* DSCP; ECN is not copied */
		df = !!(iph->frag_off & IP_DF_BE);
	} else {
		return VNET_DROP(VNET_DROP_ETHERTYPE);
	}

	if (mac_is_multicast(eth->h_dest))
		return endpoint_flood(skb, &tx, ifindex);

	key.vni = tx.vni;
	key.pad = 0;
	mac_copy(key.mac, eth->h_dest);
	dst = bpf_map_lookup_elem(&vnet_fdb, &key);
	if (!dst)
		return VNET_DROP(VNET_DROP_UNKNOWN_UNICAST);
	if (dst->ifindex) {
		if (dst->ifindex == ifindex)
			return VNET_DROP(VNET_DROP_HAIRPIN);
		stats_tx(tx.ep_id, tx.len);
		stats_rx(dst->endpoint_id, tx.len);
		if (tx.ipv4 && (dst->port_flags & VNET_PORT_F_PEER))
			return bpf_redirect_peer(dst->ifindex, 0);
		return bpf_redirect(dst->ifindex, 0);
	}
	if (!dst->vtep_be)
		return VNET_DROP(VNET_DROP_UNKNOWN_UNICAST);
	return endpoint_encap(skb, &tx, dst->vtep_be, df, ip_hlen);
}

SEC("tc")
int vnet_tc_endpoint(struct __sk_buff *skb)
{
	__u32 ifindex = skb->ifindex;
	const struct vnet_port *port;
	int ret;

	port = bpf_map_lookup_elem(&vnet_ports, &ifindex);
	if (!port) {
		stats_drop(VNET_DROP_NO_PORT, VNET_EP_NONE);
		return TC_ACT_SHOT;
	}
	ret = endpoint_handle(skb, port, ifindex);
	if (ret < 0) {
		stats_drop(-ret, port->endpoint_id);
		return TC_ACT_SHOT;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

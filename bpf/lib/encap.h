/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * VXLAN encapsulation on tc (traffic from a local endpoint to a remote
 * VTEP): the GSO-aware MTU check, pushing the 50 bytes of outer headers
 * (bpf_skb_adjust_room keeps GSO for IPv4; ARP, which adjust_room refuses,
 * gets the same bytes with bpf_skb_change_head), the outer Ethernet header
 * from bpf_fib_lookup, and head-end replication to every remote VTEP of a
 * network (one encapsulation, outer destination and IP checksum rewritten
 * per bpf_clone_redirect copy, in a loop bounded by VNET_MAX_FLOOD_VTEPS).
 */
#ifndef VNET_LIB_ENCAP_H
#define VNET_LIB_ENCAP_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/csum.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

#define VXLAN_HDRS_LEN (VNET_VXLAN_OVERHEAD + ETH_HLEN) /* outer + inner Ethernet */
#define VXLAN_SPORT_MIN 49152
#define VXLAN_SPORT_MASK 0x3fff /* 16384 ports */

/*
 * FIXED_GSO: the segments the VM asked for are the segments that leave,
 * each 50 bytes longer; encap_too_big() checks them, so a VM whose MTU is
 * too large learns the overlay MTU from ICMP instead of having its TCP
 * segments silently shrunk. It is also the only way the kernel accepts
 * UDP GSO (UDP_SEGMENT) for encapsulation.
 */
#define VNET_ENCAP_FLAGS (BPF_F_ADJ_ROOM_FIXED_GSO |			\
			  BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |		\
			  BPF_F_ADJ_ROOM_ENCAP_L4_UDP |			\
			  BPF_F_ADJ_ROOM_ENCAP_L2_ETH |			\
			  BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN))

/* What the endpoint program learnt about the frame it encapsulates. */
struct vnet_tx {
	__u32 ep_id;     /* sending endpoint */
	__u32 vni;
	__u32 len;       /* frame length as sent by the endpoint */
	__u32 hash;      /* inner flow hash (outer UDP source port) */
	__u8 ipv4;       /* inner IPv4 (else ARP) */
	__u8 tos;        /* inner DSCP, ECN bits cleared */
	__u16 stats_slot; /* sending endpoint's counters (vnet_port's) */
};

/*
 * Does the frame fit the underlay once encapsulated? bpf_check_mtu() with
 * len_diff = 50 answers for a plain skb and says yes to any GSO skb; a GSO
 * skb keeps its gso_size (VNET_ENCAP_FLAGS), so every segment is inner IP
 * + L4 headers + gso_size + 50 on the wire: check that instead. Returns 0
 * (fits), 1 (too big) or < 0 (helper error); *mtu is the underlay MTU.
 */
static __always_inline int encap_too_big(struct __sk_buff *skb,
					 const struct vnet_tx *tx, __u32 *mtu)
{
	void *data, *data_end;
	struct iphdr *iph;
	__u32 hdrs, gso_size;
	long rc;

	*mtu = 0;
	rc = bpf_check_mtu(skb, vnet_cfg.underlay_ifindex, mtu,
			   VNET_VXLAN_OVERHEAD, 0);
	if (rc < 0)
		return rc;
	if (rc != BPF_MTU_CHK_RET_SUCCESS)
		return 1;
	gso_size = skb->gso_size;
	if (!gso_size || !tx->ipv4)
		return 0;

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end)
		return 0;
	hdrs = iph->ihl * 4;
	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)iph + hdrs;

		if ((void *)(th + 1) > data_end)
			return 0;
		hdrs += th->doff * 4;
	} else {
		hdrs += sizeof(struct udphdr);
	}
	return gso_size + hdrs + VNET_VXLAN_OVERHEAD > *mtu;
}

static __always_inline void poison64(void *data)
{
	__u64 *p = data;

	p[0] = ~0ULL;
	p[1] = ~0ULL;
	p[2] = ~0ULL;
	p[3] = ~0ULL;
	p[4] = ~0ULL;
	p[5] = ~0ULL;
	p[6] = ~0ULL;
	p[7] = ~0ULL;
}

/*
 * Write the outer IPv4, UDP and VXLAN headers and the outer EtherType in
 * front of an inner frame of `inner_len` bytes, into the VXLAN_HDRS_LEN -
 * ETH_HLEN bytes at `data` (the caller bounds-checked them). The outer MACs
 * are left to the caller; *ip_tmpl keeps the outer IPv4 header so flood
 * copies can rewrite the destination. Shared by tc and XDP.
 */
static __always_inline void encap_fill(void *data, __u32 inner_len,
				       const struct vnet_tx *tx, __be32 vtep_be,
				       struct iphdr *ip_tmpl)
{
	__u32 len = inner_len + VNET_VXLAN_OVERHEAD;
	struct vxlanhdr_be *vxh;
	struct ethhdr *eth = data;
	struct udphdr *udp;

	eth->h_proto = bpf_htons(ETH_P_IP);

	__builtin_memset(ip_tmpl, 0, sizeof(*ip_tmpl));
	ip_tmpl->version = 4;
	ip_tmpl->ihl = 5;
	ip_tmpl->tos = tx->tos;
	ip_tmpl->tot_len = bpf_htons(len - ETH_HLEN);
	ip_tmpl->frag_off = IP_DF_BE;
	ip_tmpl->ttl = 64;
	ip_tmpl->protocol = IPPROTO_UDP;
	ip_tmpl->saddr = vnet_cfg.vtep_be;
	ip_tmpl->daddr = vtep_be;
	ip_tmpl->check = csum_ipv4_hdr(ip_tmpl);
	*(struct iphdr *)(data + ETH_HLEN) = *ip_tmpl;

	udp = data + ETH_HLEN + sizeof(struct iphdr);
	udp->source = bpf_htons(VXLAN_SPORT_MIN | (tx->hash & VXLAN_SPORT_MASK));
	udp->dest = vnet_cfg.vxlan_port_be;
	udp->len = bpf_htons(len - ETH_HLEN - sizeof(struct iphdr));
	udp->check = 0;

	vxh = (void *)(udp + 1);
	*(__u32 *)vxh = 0;
	vxh->flags = VXLAN_FLAG_I;
	vxh->vni = bpf_htonl(tx->vni << 8);
}

/* encap_push()'s answer for a packet only the kernel's VXLAN device can take. */
#define ENCAP_VIA_TUNNEL 1

/*
 * Push the outer headers toward vtep_be. Everything is written except the
 * outer MACs (encap_set_macs); see encap_fill() for *ip_tmpl. Returns 0,
 * ENCAP_VIA_TUNNEL (the frame untouched) or VNET_DROP(ERROR).
 */
static __always_inline int encap_push(struct __sk_buff *skb,
				      const struct vnet_tx *tx, __be32 vtep_be,
				      struct iphdr *ip_tmpl)
{
	void *data = skb_data(skb);
	void *data_end = skb_data_end(skb);
	struct eth_saved inner;
	__u32 inner_len = skb->len;
	long rc;

	if (data + ETH_HLEN > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	eth_save(&inner, data);

	/*
	 * adjust_room(MAC) opens the gap after the Ethernet header, so the
	 * inner Ethernet header is rewritten from the saved copy below;
	 * change_head opens it in front and the frame is already in place.
	 */
	if (tx->ipv4) {
		rc = bpf_skb_adjust_room(skb, VNET_VXLAN_OVERHEAD,
					 BPF_ADJ_ROOM_MAC, VNET_ENCAP_FLAGS);
		/*
		 * A guest's own tunnel (VXLAN, Geneve in the VM) with its inner
		 * checksum still owed comes with skb->encapsulation set, and
		 * the kernel keeps one level of encapsulation metadata only.
		 * Without the flags the room opens the same way and the owed
		 * checksum stays where csum_start says, to be finished by the
		 * underlay. Not for such a tunnel's GSO packets: segmentation
		 * would take our headers for the guest's tunnel and leave the
		 * guest's outer headers unfixed in every segment. The kernel's
		 * VXLAN device takes those (ENCAP_VIA_TUNNEL), and any other GSO
		 * packet the kernel refuses to grow.
		 */
		if (rc == -EALREADY && !skb->gso_size)
			rc = bpf_skb_adjust_room(skb, VNET_VXLAN_OVERHEAD,
						 BPF_ADJ_ROOM_MAC, 0);
		else if (rc && skb->gso_size)
			return ENCAP_VIA_TUNNEL; /* nothing was changed */
	} else {
		rc = bpf_skb_change_head(skb, VNET_VXLAN_OVERHEAD, 0);
	}
	if (rc)
		return VNET_DROP(VNET_DROP_ERROR);

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	if (data + VXLAN_HDRS_LEN > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	if (cfg_poison_headroom())
		poison64(data);
	encap_fill(data, inner_len, tx, vtep_be, ip_tmpl);
	eth_restore(data + VNET_VXLAN_OVERHEAD, &inner);
	return 0;
}

/*
 * The underlay route toward a VTEP, as an input lookup as if the frame
 * arrived on the endpoint's port `ifindex`: the helper requires IPv4
 * forwarding on fib->ifindex, and vnetd turns it on for port interfaces
 * (whose traffic never reaches the stack) rather than on the underlay,
 * which would make the host a router. tot_len 0: tc's helper then checks
 * the skb against the egress device's MTU, XDP's checks nothing
 * (vnet_xdp_endpoint checks the underlay's with bpf_check_mtu).
 */
static __always_inline void encap_fib_params(struct bpf_fib_lookup *fib,
					     __be32 vtep_be, __u8 tos,
					     __u32 ifindex)
{
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->family = AF_INET;
	fib->l4_protocol = IPPROTO_UDP;
	fib->dport = vnet_cfg.vxlan_port_be;
	fib->tos = tos;
	fib->ipv4_src = vnet_cfg.vtep_be;
	fib->ipv4_dst = vtep_be;
	fib->ifindex = ifindex;
}

static __always_inline long encap_fib(struct __sk_buff *skb, __be32 vtep_be,
				      __u8 tos, struct bpf_fib_lookup *fib)
{
	encap_fib_params(fib, vtep_be, tos, skb->ifindex);
	return bpf_fib_lookup(skb, fib, sizeof(*fib), 0);
}

/* Outer MACs; 0 (not multicast: bpf_redirect_neigh fills them) if NULL. */
static __always_inline int encap_set_macs(struct __sk_buff *skb,
					  const struct bpf_fib_lookup *fib)
{
	void *data = skb_data(skb);
	void *data_end = skb_data_end(skb);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	if (fib) {
		mac_copy(eth->h_dest, fib->dmac);
		mac_copy(eth->h_source, fib->smac);
	} else {
		__u16 *w = data;

		w[0] = 0;
		w[1] = 0;
		w[2] = 0;
		w[3] = 0;
		w[4] = 0;
		w[5] = 0;
	}
	return 0;
}

/*
 * Send an encapsulated frame to one VTEP: the route's MACs when the
 * neighbour is known; otherwise bpf_redirect_neigh() resolves it (also the
 * fallback when the FIB helper refuses because IPv4 forwarding is off on
 * the port the lookup runs for). ARP frames keep skb->protocol ARP after change_head, which
 * redirect_neigh cannot send: those need a resolved neighbour.
 */
static __always_inline int encap_xmit(struct __sk_buff *skb,
				      const struct vnet_tx *tx, __be32 vtep_be)
{
	struct bpf_redir_neigh nh;
	struct bpf_fib_lookup fib;
	long rc;
	int ret;

	rc = encap_fib(skb, vtep_be, tx->tos, &fib);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		ret = encap_set_macs(skb, &fib);
		if (ret < 0)
			return ret;
		stats_tx(tx->stats_slot, tx->len);
		return bpf_redirect(fib.ifindex, 0);
	}
	if (!tx->ipv4 || (rc != BPF_FIB_LKUP_RET_NO_NEIGH &&
			  rc != BPF_FIB_LKUP_RET_FWD_DISABLED))
		return VNET_DROP(rc < 0 ? VNET_DROP_ERROR :
				 VNET_DROP_NO_ROUTE_VTEP);
	ret = encap_set_macs(skb, NULL);
	if (ret < 0)
		return ret;
	stats_tx(tx->stats_slot, tx->len);
	if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
		return bpf_redirect_neigh(vnet_cfg.underlay_ifindex, NULL, 0, 0);
	__builtin_memset(&nh, 0, sizeof(nh));
	nh.nh_family = AF_INET;
	nh.ipv4_nh = fib.ipv4_dst; /* the gateway, or the VTEP itself */
	return bpf_redirect_neigh(fib.ifindex, &nh, sizeof(nh), 0);
}

/*
 * A GSO packet of a guest's own tunnel, which bpf_skb_adjust_room cannot
 * grow (the kernel segments one level of tunnel only): handed to vnetd's
 * VXLAN device with the same VNI, VTEPs, DSCP and TTL. Its transmit
 * segments the packet first (the device has no hw_enc_features), then
 * encapsulates each segment, as the Linux-native bridge and VXLAN device
 * path does. Outer UDP checksum 0 and DF, like vnet's own.
 */
static __always_inline int encap_via_tunnel(struct __sk_buff *skb,
					    const struct vnet_tx *tx,
					    __be32 vtep_be)
{
	struct bpf_tunnel_key key;

	if (!vnet_cfg.tunnel_ifindex)
		return VNET_DROP(VNET_DROP_ERROR);
	__builtin_memset(&key, 0, sizeof(key));
	key.tunnel_id = tx->vni;
	key.remote_ipv4 = bpf_ntohl(vtep_be);
	key.local_ipv4 = bpf_ntohl(vnet_cfg.vtep_be);
	key.tunnel_tos = tx->tos;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key),
				   BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT))
		return VNET_DROP(VNET_DROP_ERROR);
	stats_tx(tx->stats_slot, tx->len);
	return bpf_redirect(vnet_cfg.tunnel_ifindex, 0);
}

/*
 * Head-end replication: encapsulate once, then per remote VTEP rewrite the
 * outer destination, IP checksum and MACs and clone to the underlay. A copy
 * without a resolved neighbour is dropped (NO_ROUTE_VTEP): vnetd keeps the
 * underlay neighbours of all remote VTEPs resolved. The caller drops the
 * original. Returns 0 or VNET_DROP(reason) for the whole remote part.
 */
static __always_inline int encap_flood(struct __sk_buff *skb,
				       const struct vnet_tx *tx,
				       const struct vnet_network *net)
{
	struct bpf_fib_lookup fib;
	struct iphdr ip;
	__u32 n = net->n_vteps;
	__u32 mtu, i;
	int ret;

	if (!n)
		return 0;
	if (n > VNET_MAX_FLOOD_VTEPS) {
		stats_drop(VNET_DROP_FLOOD_LIMIT, tx->stats_slot);
		n = VNET_MAX_FLOOD_VTEPS;
	}
	/* Never ICMP for broadcast/multicast (RFC 1122 3.2.2). */
	ret = encap_too_big(skb, tx, &mtu);
	if (ret)
		return VNET_DROP(ret < 0 ? VNET_DROP_ERROR : VNET_DROP_TOO_BIG);
	ret = encap_push(skb, tx, net->vteps_be[0], &ip);
	if (ret)
		return ret < 0 ? ret : VNET_DROP(VNET_DROP_ERROR);

	for (i = 0; i < VNET_MAX_FLOOD_VTEPS; i++) {
		void *data, *data_end;
		long rc;

		if (i >= n)
			break;
		ip.daddr = net->vteps_be[i];
		rc = encap_fib(skb, ip.daddr, tx->tos, &fib);
		if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
			stats_drop(VNET_DROP_NO_ROUTE_VTEP, tx->stats_slot);
			continue;
		}
		data = skb_data(skb);
		data_end = skb_data_end(skb);
		if (data + ETH_HLEN + sizeof(struct iphdr) > data_end)
			return VNET_DROP(VNET_DROP_ERROR);
		mac_copy(((struct ethhdr *)data)->h_dest, fib.dmac);
		mac_copy(((struct ethhdr *)data)->h_source, fib.smac);
		ip.check = 0;
		ip.check = csum_ipv4_hdr(&ip);
		*(struct iphdr *)(data + ETH_HLEN) = ip;
		if (bpf_clone_redirect(skb, fib.ifindex, 0))
			stats_drop(VNET_DROP_ERROR, tx->stats_slot);
	}
	return 0;
}

#endif /* VNET_LIB_ENCAP_H */

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP errors built in place from a packet an endpoint sent, sent back out of
 * the endpoint's interface: fragmentation-needed (type 3 code 4) for a
 * packet that does not fit the underlay once encapsulated, coming "from"
 * the original destination like the kernel's iptunnel_pmtud_build_icmp()
 * for bridged tunnels; and a router's unreachable / time exceeded, coming
 * from the router interface. Each carries the original IP header (with
 * options) and the first 8 bytes after it. The reply is assembled on the
 * stack, the packet trimmed with bpf_skb_change_tail() and overwritten in
 * one store. Also the echo reply a router interface gives, rewritten in
 * place, and the token bucket that rate-limits routers' errors.
 */
#ifndef VNET_LIB_ICMP_H
#define VNET_LIB_ICMP_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/csum.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

/* linux/icmp.h drags in libc headers (if.h -> sys/socket.h). */
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_FRAG_NEEDED 4
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_EXC_TTL 0

struct icmp_echo_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 seq;
};

/* The error header; mtu is "unused" (0) except in fragmentation-needed. */
struct icmp_frag_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 unused;
	__be16 mtu; /* next-hop MTU (RFC 1191) */
};

#define ICMP_QUOTE_MAX (60 + 8) /* original header with options + 8 bytes */

/*
 * Replace the packet by an ICMP error of type/code from `from_be` (0: from
 * the original destination) to the original source. iph_len is the original
 * IPv4 header length in bytes (20..60), mtu the next-hop MTU for
 * fragmentation-needed (else 0). The reply's Ethernet source is the
 * original destination MAC: the router interface's for a router's errors.
 * Returns the redirect verdict, or VNET_DROP(VNET_DROP_ERROR) when a helper
 * fails.
 */
static __always_inline int icmp_send_error(struct __sk_buff *skb,
					   __u32 iph_len, __u8 type, __u8 code,
					   __be32 from_be, __u32 mtu)
{
	/* Built at a 2-byte offset so the IP and ICMP headers are aligned. */
	struct {
		__u16 pad;
		struct eth_saved eth;
		struct iphdr ip;
		struct icmp_frag_hdr icmp;
		__u8 quote[ICMP_QUOTE_MAX];
	} r;
	struct iphdr *orig = (struct iphdr *)r.quote;
	__u32 quote_len = iph_len + 8;
	__u32 icmp_len, pkt_len, avail;
	__be16 tot_len_be;
	__u16 tmp[3];
	__s64 sum;

	if (quote_len < sizeof(struct iphdr) + 8 || quote_len > ICMP_QUOTE_MAX)
		return VNET_DROP(VNET_DROP_ERROR);
	/*
	 * RFC 792: the header and the first 8 bytes of the datagram, or less
	 * when the datagram is shorter (not the Ethernet padding after it).
	 */
	if (bpf_skb_load_bytes(skb, ETH_HLEN + 2, &tot_len_be, sizeof(tot_len_be)))
		return VNET_DROP(VNET_DROP_ERROR);
	avail = skb->len - ETH_HLEN;
	if (bpf_ntohs(tot_len_be) < avail)
		avail = bpf_ntohs(tot_len_be);
	if (quote_len > avail)
		quote_len = avail;
	if (quote_len < iph_len || quote_len > ICMP_QUOTE_MAX)
		return VNET_DROP(VNET_DROP_ERROR);
	__builtin_memset(&r, 0, sizeof(r));
	if (bpf_skb_load_bytes(skb, 0, &r.eth, ETH_HLEN))
		return VNET_DROP(VNET_DROP_ERROR);
	if (bpf_skb_load_bytes(skb, ETH_HLEN, r.quote, quote_len))
		return VNET_DROP(VNET_DROP_ERROR);

	/* Ethernet: back to the sender. */
	tmp[0] = r.eth.w[0];
	tmp[1] = r.eth.w[1];
	tmp[2] = r.eth.w[2];
	r.eth.w[0] = r.eth.w[3];
	r.eth.w[1] = r.eth.w[4];
	r.eth.w[2] = r.eth.w[5];
	r.eth.w[3] = tmp[0];
	r.eth.w[4] = tmp[1];
	r.eth.w[5] = tmp[2];
	r.eth.w[6] = bpf_htons(ETH_P_IP);

	icmp_len = sizeof(struct icmp_frag_hdr) + quote_len;
	r.icmp.type = type;
	r.icmp.code = code;
	r.icmp.mtu = bpf_htons(mtu);
	/* Whole words: the zeroed bytes after a short quote add nothing. */
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&r.icmp, (icmp_len + 3) & ~3u, 0);
	if (sum < 0)
		return VNET_DROP(VNET_DROP_ERROR);
	r.icmp.checksum = csum_fold32((__u64)sum);

	r.ip.version = 4;
	r.ip.ihl = 5;
	r.ip.tot_len = bpf_htons(sizeof(struct iphdr) + icmp_len);
	r.ip.ttl = 64;
	r.ip.protocol = IPPROTO_ICMP;
	r.ip.saddr = from_be ? from_be : orig->daddr;
	r.ip.daddr = orig->saddr;
	r.ip.check = csum_ipv4_hdr(&r.ip);

	pkt_len = ETH_HLEN + sizeof(struct iphdr) + icmp_len;
	if (bpf_skb_change_tail(skb, pkt_len, 0))
		return VNET_DROP(VNET_DROP_ERROR);
	if (bpf_skb_store_bytes(skb, 0, &r.eth, pkt_len, 0))
		return VNET_DROP(VNET_DROP_ERROR);
	return bpf_redirect(skb->ifindex, 0);
}

/*
 * May a router answer this packet with an ICMP error at all (RFC 1812
 * 4.3.2.7)? Not for an ICMP error itself (only echo requests get one), a
 * non-first fragment, a multicast or broadcast destination, or a source
 * that names no single host.
 */
static __always_inline int icmp_error_allowed(struct __sk_buff *skb,
					      __u32 iph_len)
{
	void *data = skb_data(skb);
	void *data_end = skb_data_end(skb);
	struct iphdr *iph = data + ETH_HLEN;
	__u8 *icmp_type;

	if ((void *)(iph + 1) > data_end || iph_len > 60)
		return 0;
	if (iph->frag_off & IP_OFFSET_BE)
		return 0;
	if ((iph->daddr & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000) ||
	    iph->daddr == 0xffffffff || iph->saddr == 0 ||
	    (iph->saddr & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000))
		return 0;
	if (iph->protocol != IPPROTO_ICMP)
		return 1;
	icmp_type = (void *)iph + iph_len;
	if ((void *)(icmp_type + 1) > data_end)
		return 0;
	return *icmp_type == ICMP_ECHO;
}

/*
 * May a router send one more ICMP error into port `ifindex` now? A token
 * bucket per port and CPU (VNET_ICMP_RATE per second, bursts of
 * VNET_ICMP_BURST) on the coarse clock, which costs no clock read. Errors
 * over the limit are not sent; the packet is dropped and counted all the
 * same.
 */
static __always_inline int icmp_rate_allow(__u32 ifindex)
{
	struct vnet_icmp_bucket *b;
	__u64 now, add;

	now = bpf_ktime_get_coarse_ns();
	b = bpf_map_lookup_elem(&vnet_icmp_rate, &ifindex);
	if (!b) {
		struct vnet_icmp_bucket fresh = {
			.last_ns = now,
			.tokens = VNET_ICMP_BURST - 1,
		};

		/* This CPU's slot; the other CPUs' start empty (refilled). */
		bpf_map_update_elem(&vnet_icmp_rate, &ifindex, &fresh, BPF_NOEXIST);
		return 1;
	}
	add = (now - b->last_ns) / (1000000000ULL / VNET_ICMP_RATE);
	if (add) {
		b->tokens += add;
		if (b->tokens > VNET_ICMP_BURST)
			b->tokens = VNET_ICMP_BURST;
		b->last_ns = now;
	}
	if (!b->tokens)
		return 0;
	b->tokens--;
	return 1;
}

/*
 * Turn an echo request to a router interface into the reply, in place:
 * Ethernet and IPv4 addresses swapped, a fresh TTL, type 0; both checksums
 * updated incrementally. iph_len is the IPv4 header length. Returns 0 or
 * VNET_DROP(reason).
 */
static __always_inline int icmp_echo_reply_in_place(struct __sk_buff *skb,
						    __u32 iph_len)
{
	const __u32 ip_off = ETH_HLEN;
	const __u32 icmp_off = ETH_HLEN + iph_len;
	struct icmp_echo_hdr *icmp;
	void *data, *data_end;
	struct ethhdr *eth;
	struct iphdr *iph;
	__be16 old_ttl, new_ttl;
	__u8 mac[ETH_ALEN];
	__be32 addr;

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	iph = data + ip_off;
	if ((void *)(iph + 1) > data_end)
		return VNET_DROP(VNET_DROP_MALFORMED);
	old_ttl = *(__be16 *)&iph->ttl; /* ttl and protocol, one checksum word */
	new_ttl = old_ttl;
	((__u8 *)&new_ttl)[0] = 64;
	if (bpf_l3_csum_replace(skb, ip_off + __builtin_offsetof(struct iphdr, check),
				old_ttl, new_ttl, 2))
		return VNET_DROP(VNET_DROP_ERROR);
	if (bpf_l4_csum_replace(skb, icmp_off + __builtin_offsetof(struct icmp_echo_hdr, checksum),
				bpf_htons(ICMP_ECHO << 8),
				bpf_htons(ICMP_ECHOREPLY << 8), 2))
		return VNET_DROP(VNET_DROP_ERROR);

	data = skb_data(skb);
	data_end = skb_data_end(skb);
	eth = data;
	iph = data + ip_off;
	if ((void *)(iph + 1) > data_end || icmp_off > 74)
		return VNET_DROP(VNET_DROP_MALFORMED);
	icmp = data + icmp_off;
	if ((void *)(icmp + 1) > data_end)
		return VNET_DROP(VNET_DROP_MALFORMED);
	mac_copy(mac, eth->h_dest);
	mac_copy(eth->h_dest, eth->h_source);
	mac_copy(eth->h_source, mac);
	addr = iph->saddr;
	iph->saddr = iph->daddr;
	iph->daddr = addr;
	iph->ttl = 64;
	icmp->type = ICMP_ECHOREPLY;
	return 0;
}

#endif /* VNET_LIB_ICMP_H */

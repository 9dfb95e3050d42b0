/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ICMP fragmentation-needed (type 3 code 4) built in place from a packet an
 * endpoint sent that does not fit the underlay once encapsulated, like the
 * kernel's iptunnel_pmtud_build_icmp() does for bridged tunnels: it comes
 * "from" the original destination, carries the original IP header (with
 * options) and the first 8 bytes after it, and goes back out of the
 * endpoint's interface. The reply is assembled on the stack, the packet
 * trimmed with bpf_skb_change_tail() and overwritten in one store.
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
#include "lib/parsing.h"
#include "lib/stats.h"

/* linux/icmp.h drags in libc headers (if.h -> sys/socket.h). */
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4

struct icmp_frag_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 unused;
	__be16 mtu; /* next-hop MTU (RFC 1191) */
};

#define ICMP_QUOTE_MAX (60 + 8) /* original header with options + 8 bytes */

/*
 * Replace the packet by the ICMP error. iph_len is the original IPv4 header
 * length in bytes (20..60), mtu the next-hop MTU to advertise. Returns the
 * redirect verdict, or VNET_DROP(VNET_DROP_ERROR) when a helper fails.
 */
static __always_inline int icmp_send_frag_needed(struct __sk_buff *skb,
						 __u32 iph_len, __u32 mtu)
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
	__u32 icmp_len, pkt_len;
	__u16 tmp[3];
	__s64 sum;

	if (quote_len < sizeof(struct iphdr) + 8 || quote_len > ICMP_QUOTE_MAX)
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
	r.icmp.type = ICMP_DEST_UNREACH;
	r.icmp.code = ICMP_FRAG_NEEDED;
	r.icmp.mtu = bpf_htons(mtu);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&r.icmp, icmp_len, 0);
	if (sum < 0)
		return VNET_DROP(VNET_DROP_ERROR);
	r.icmp.checksum = csum_fold32((__u64)sum);

	r.ip.version = 4;
	r.ip.ihl = 5;
	r.ip.tot_len = bpf_htons(sizeof(struct iphdr) + icmp_len);
	r.ip.ttl = 64;
	r.ip.protocol = IPPROTO_ICMP;
	r.ip.saddr = orig->daddr;
	r.ip.daddr = orig->saddr;
	r.ip.check = csum_ipv4_hdr(&r.ip);

	pkt_len = ETH_HLEN + sizeof(struct iphdr) + icmp_len;
	if (bpf_skb_change_tail(skb, pkt_len, 0))
		return VNET_DROP(VNET_DROP_ERROR);
	if (bpf_skb_store_bytes(skb, 0, &r.eth, pkt_len, 0))
		return VNET_DROP(VNET_DROP_ERROR);
	return bpf_redirect(skb->ifindex, 0);
}

#endif /* VNET_LIB_ICMP_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor programs: the least an XDP VXLAN decapsulator and a tc VXLAN
 * encapsulator can do, so a benchmark can put the same path with a program
 * that costs nothing beyond the unavoidable next to a real datapath's.
 * Neither looks anything up or checks what it forwards: correct only for
 * traffic the benchmark generates.
 *
 * tg_floor_decap (XDP): pops the 50 outer bytes and redirects the inner
 * frame to out_ifindex. tg_floor_encap (tc): opens 50 bytes behind the
 * Ethernet header the way a GSO-preserving encapsulator must
 * (bpf_skb_adjust_room), moves that header behind the gap as the inner one,
 * writes the fixed outer headers with this packet's IPv4 total length, UDP
 * length and IPv4 checksum, and redirects to out_ifindex's egress.
 * tg_floor_xencap (XDP): the same outer headers in front of the frame
 * with bpf_xdp_adjust_head, redirected to out_ifindex: what an XDP
 * transmit path on an endpoint's interface could reach, skb-free when the
 * frame arrives as an XDP frame (no GSO, no checksum offload there).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "abi.h"

/* Same flags as vnet's encapsulation (bpf/lib/encap.h): GSO packets keep
 * their segment size, and the skb is marked as carrying UDP-in-IPv4
 * encapsulation for the offloads. */
#define FLOOR_ENCAP_FLAGS (BPF_F_ADJ_ROOM_FIXED_GSO |			\
			   BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 |		\
			   BPF_F_ADJ_ROOM_ENCAP_L4_UDP |		\
			   BPF_F_ADJ_ROOM_ENCAP_L2_ETH |		\
			   BPF_F_ADJ_ROOM_ENCAP_L2(ETH_HLEN))

#define OUTER_WORDS (TG_FLOOR_OUTER_LEN / 2)

/* Set by the CLI before load. */
const volatile __u32 out_ifindex;
/*
 * The encapsulators' outer headers in wire order, with IPv4 total length and
 * UDP length 0 and the IPv4 checksum computed that way, so adding the
 * packet's total length to it is the whole checksum update. 16-bit words:
 * the packet's headers are only 2-byte aligned.
 */
const volatile __u16 outer[OUTER_WORDS];

SEC("xdp")
int tg_floor_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	/* Too short for outer headers and an inner Ethernet header. */
	if (data + TG_FLOOR_OUTER_LEN + ETH_HLEN >= data_end)
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, TG_FLOOR_OUTER_LEN))
		return XDP_ABORTED;
	return bpf_redirect(out_ifindex, 0);
}

/*
 * The outer headers at the front of a `len`-byte frame: the template, then
 * the per-packet fields: IPv4 total length, UDP length, and the IPv4
 * checksum by RFC 1624: the template's sum plus the new total length (ones'
 * complement sums do not care about byte order); one fold suffices for the
 * sum of two 16-bit values.
 */
static __always_inline void floor_put_outer(__u16 *pkt, __u32 len)
{
	__u16 ip_len = bpf_htons(len - ETH_HLEN);
	__u32 csum, i;

	for (i = 0; i < OUTER_WORDS; i++)
		pkt[i] = outer[i];
	pkt[TG_FLOOR_IP_TOT_LEN_OFF / 2] = ip_len;
	pkt[TG_FLOOR_UDP_LEN_OFF / 2] = bpf_htons(len - ETH_HLEN - sizeof(struct iphdr));
	csum = (__u16)~outer[TG_FLOOR_IP_CHECK_OFF / 2] + (__u32)ip_len;
	csum = (csum & 0xffff) + (csum >> 16);
	pkt[TG_FLOOR_IP_CHECK_OFF / 2] = (__u16)~csum;
}

SEC("tc")
int tg_floor_encap(struct __sk_buff *skb)
{
	void *data, *data_end;
	__u16 *pkt;
	__u32 i;

	if (bpf_skb_adjust_room(skb, TG_FLOOR_OUTER_LEN, BPF_ADJ_ROOM_MAC,
				FLOOR_ENCAP_FLAGS))
		return TC_ACT_SHOT;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + TG_FLOOR_OUTER_LEN + ETH_HLEN > data_end)
		return TC_ACT_SHOT;
	pkt = data;

	/* The gap is at [ETH_HLEN, ETH_HLEN + 50): the frame's own Ethernet
	 * header, still in front of it, goes behind it as the inner one. */
	for (i = 0; i < ETH_HLEN / 2; i++)
		pkt[OUTER_WORDS + i] = pkt[i];
	floor_put_outer(pkt, skb->len);
	return bpf_redirect(out_ifindex, 0);
}

SEC("xdp")
int tg_floor_xencap(struct xdp_md *ctx)
{
	void *data, *data_end;
	__u16 *pkt;

	if (bpf_xdp_adjust_head(ctx, -TG_FLOOR_OUTER_LEN))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + TG_FLOOR_OUTER_LEN + ETH_HLEN > data_end)
		return XDP_DROP;
	pkt = data;
	floor_put_outer(pkt, (__u32)(data_end - data));
	return bpf_redirect(out_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bounds-checked header parsers over a [data, data_end) window, in the style
 * of xdp-tools' parsing_helpers.h. They take plain pointers, not a context,
 * so the same code serves XDP (xdp_md) and tc (__sk_buff). Each parser
 * advances a cursor and returns NULL when the header does not fit; callers
 * decide what a truncated header means. Also: the few protocol structs the
 * uapi headers lack (ARP for Ethernet/IPv4, VXLAN) and MAC helpers.
 */
#ifndef VNET_LIB_PARSING_H
#define VNET_LIB_PARSING_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* linux/if_arp.h drags in libc headers (netdevice.h -> sys/socket.h). */
#define ARPHRD_ETHER 1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

#ifndef AF_INET
#define AF_INET 2
#endif

#define IP_DF_BE bpf_htons(0x4000)
#define IP_MF_BE bpf_htons(0x2000)
#define IP_OFFSET_BE bpf_htons(0x1fff)

/* ARP for Ethernet/IPv4 (RFC 826), the only kind the overlay carries. */
struct arp_eth_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

/* VXLAN header (RFC 7348). */
struct vxlanhdr_be {
	__u8 flags; /* 0x08: I flag, the VNI is valid */
	__u8 rsvd0[3];
	__be32 vni; /* VNI << 8, low byte reserved */
};

#define VXLAN_FLAG_I 0x08

struct hdr_cursor {
	void *pos;
};

static __always_inline struct ethhdr *parse_ethhdr(struct hdr_cursor *nh,
						   void *data_end)
{
	struct ethhdr *eth = nh->pos;

	if ((void *)(eth + 1) > data_end)
		return NULL;
	nh->pos = eth + 1;
	return eth;
}

/* IPv4 header including options; NULL if truncated or not a sane v4 header. */
static __always_inline struct iphdr *parse_iphdr(struct hdr_cursor *nh,
						 void *data_end, int *bad)
{
	struct iphdr *iph = nh->pos;
	__u32 hlen;

	*bad = 0;
	if ((void *)(iph + 1) > data_end)
		return NULL;
	hlen = iph->ihl * 4;
	if (iph->version != 4 || hlen < sizeof(*iph)) {
		*bad = 1;
		return NULL;
	}
	if (nh->pos + hlen > data_end)
		return NULL;
	nh->pos += hlen;
	return iph;
}

static __always_inline struct udphdr *parse_udphdr(struct hdr_cursor *nh,
						   void *data_end)
{
	struct udphdr *udp = nh->pos;

	if ((void *)(udp + 1) > data_end)
		return NULL;
	nh->pos = udp + 1;
	return udp;
}

static __always_inline struct vxlanhdr_be *parse_vxlanhdr(struct hdr_cursor *nh,
							  void *data_end)
{
	struct vxlanhdr_be *vxh = nh->pos;

	if ((void *)(vxh + 1) > data_end)
		return NULL;
	nh->pos = vxh + 1;
	return vxh;
}

static __always_inline struct arp_eth_ipv4 *parse_arp(struct hdr_cursor *nh,
						      void *data_end)
{
	struct arp_eth_ipv4 *arp = nh->pos;

	if ((void *)(arp + 1) > data_end)
		return NULL;
	nh->pos = arp + 1;
	return arp;
}

/* Ethernet/IPv4 ARP as RFC 826 lays it out; anything else is malformed. */
static __always_inline int arp_is_eth_ipv4(const struct arp_eth_ipv4 *arp)
{
	return arp->htype == bpf_htons(ARPHRD_ETHER) &&
	       arp->ptype == bpf_htons(ETH_P_IP) &&
	       arp->hlen == ETH_ALEN && arp->plen == 4;
}

static __always_inline int mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1;
}

/*
 * MACs compared and copied as three 16-bit words: every MAC the datapath
 * touches sits at an even offset (packet headers, map values, stack keys).
 */
static __always_inline int mac_eq(const void *a, const void *b)
{
	const __u16 *x = a, *y = b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2])) == 0;
}

static __always_inline void mac_copy(void *dst, const void *src)
{
	__u16 *d = dst;
	const __u16 *s = src;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
}

/* Ethernet header saved aside (decap/encap rewrite the bytes it sits in). */
struct eth_saved {
	__u16 w[ETH_HLEN / 2];
};

static __always_inline void eth_save(struct eth_saved *s, const void *pkt)
{
	const __u16 *p = pkt;

	s->w[0] = p[0];
	s->w[1] = p[1];
	s->w[2] = p[2];
	s->w[3] = p[3];
	s->w[4] = p[4];
	s->w[5] = p[5];
	s->w[6] = p[6];
}

static __always_inline void eth_restore(void *pkt, const struct eth_saved *s)
{
	__u16 *p = pkt;

	p[0] = s->w[0];
	p[1] = s->w[1];
	p[2] = s->w[2];
	p[3] = s->w[3];
	p[4] = s->w[4];
	p[5] = s->w[5];
	p[6] = s->w[6];
}

/*
 * tc only: make the first `need` bytes linear when they are not, so direct
 * packet access can see the headers. A no-op (two loads) on the usual skb
 * whose headers are already in the linear area.
 */
/*
 * skb->data and skb->data_end, loaded straight from the context. With plain
 * field reads clang may keep &skb->data_end in a register across calls and
 * load through it later, which the verifier rejects ("dereference of
 * modified ctx ptr"); an asm load always addresses the context itself.
 */
static __always_inline void *skb_data(const struct __sk_buff *skb)
{
	void *ptr;

	asm volatile("%[ptr] = *(u32 *)(%[skb] + %[off])"
		     : [ptr] "=r"(ptr)
		     : [skb] "r"(skb),
		       [off] "i"(__builtin_offsetof(struct __sk_buff, data)));
	return ptr;
}

static __always_inline void *skb_data_end(const struct __sk_buff *skb)
{
	void *ptr;

	asm volatile("%[ptr] = *(u32 *)(%[skb] + %[off])"
		     : [ptr] "=r"(ptr)
		     : [skb] "r"(skb),
		       [off] "i"(__builtin_offsetof(struct __sk_buff, data_end)));
	return ptr;
}

static __always_inline void skb_pull_headers(struct __sk_buff *skb, __u32 need)
{
	__u32 linear = skb->data_end - skb->data;

	if (linear >= need || skb->len <= linear)
		return;
	bpf_skb_pull_data(skb, skb->len < need ? skb->len : need);
}

#endif /* VNET_LIB_PARSING_H */

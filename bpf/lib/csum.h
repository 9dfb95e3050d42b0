/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Internet checksum helpers (RFC 1071, 1624): folding partial sums, the
 * incremental update of one word, and the IPv4 header checksum of a header
 * built on the stack (aligned, 20 bytes, no options), so the program can
 * compute it before one store to the packet.
 */
#ifndef VNET_LIB_CSUM_H
#define VNET_LIB_CSUM_H

#include <linux/types.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

static __always_inline __u16 csum_fold32(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* A 64-bit partial sum folded to 32 bits (a seed for bpf_csum_diff). */
static __always_inline __u32 csum_to32(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	return (__u32)sum;
}

/*
 * The checksum `check` after one 16-bit word it covers changed from `from`
 * to `to` (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')); all in memory order.
 */
static __always_inline __u16 csum_replace16(__u16 check, __u16 from, __u16 to)
{
	__u64 sum = (__u16)~check;

	sum += (__u16)~from;
	sum += to;
	return csum_fold32(sum);
}

/* Checksum of a 20-byte IPv4 header whose check field is 0. */
static __always_inline __u16 csum_ipv4_hdr(const struct iphdr *iph)
{
	const __u32 *w = (const __u32 *)iph;
	__u64 sum = 0;

	sum += w[0];
	sum += w[1];
	sum += w[2];
	sum += w[3];
	sum += w[4];
	/* fold the 32-bit words' halves: ones' complement sum is word-order free */
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	return csum_fold32(sum);
}

#endif /* VNET_LIB_CSUM_H */

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tg_gen: the live-frames generator's program. vnet-trafficgen runs it with
 * BPF_PROG_TEST_RUN(BPF_F_TEST_XDP_LIVE_FRAMES) over a template frame; every
 * XDP_TX goes out of the ctx's ingress interface. With flows > 1 it writes
 * the big-endian 16-bit field at flow_offset as flow_base + (i % flows) for
 * the i-th frame, so the traffic spreads over that many flows (RSS, hashes,
 * conntrack). The field is written absolutely on every frame because live
 * frames recycle their pages without restoring the template. For a path
 * that rewrites headers in place on the frame's own page (routing: MACs,
 * TTL, checksum), restore_len > 0 rewrites that many leading bytes from the
 * template first, on the generator's CPU rather than the measured path's.
 * With csum_offset, the 16-bit Internet checksum there (one that covers the
 * flow field, e.g. UDP's over its source port) is kept valid for every
 * rewritten value (RFC 1624), unless the template's is 0 (UDP: none).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "abi.h"

/* Set by the CLI before load. */
const volatile __u32 flows = 1;
const volatile __u32 flow_offset;
const volatile __u32 flow_base;	/* the template's value, host order */
const volatile __u32 restore_len;	/* <= TG_GEN_MAX_RESTORE */
const volatile __u32 csum_offset;	/* 0: no checksum to keep */
const volatile __u32 csum_base;		/* the template's checksum, host order */
const volatile __u8 template_head[TG_GEN_MAX_RESTORE];

/* Next flow index. One test_run thread per program: no atomics needed. */
__u32 flow_idx;

SEC("xdp")
int tg_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = flow_offset;
	__u32 idx, val, i;
	__u8 *field;

	for (i = 0; i < TG_GEN_MAX_RESTORE && i < restore_len; i++) {
		__u8 *b = data + i;

		if ((void *)(b + 1) > data_end)
			return XDP_ABORTED;
		*b = template_head[i];
	}
	if (flows <= 1)
		return XDP_TX;
	if (off > TG_GEN_MAX_FLOW_OFFSET)
		return XDP_ABORTED;
	field = data + off;
	if ((void *)(field + 2) > data_end)
		return XDP_ABORTED;
	idx = flow_idx;
	val = flow_base + idx;
	field[0] = (val >> 8) & 0xff;
	field[1] = val & 0xff;
	flow_idx = idx + 1 >= flows ? 0 : idx + 1;
	if (csum_offset && csum_base) {
		/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), from the template's. */
		__u32 sum = (~csum_base & 0xffff) + (~flow_base & 0xffff) + (val & 0xffff);
		__u8 *check;

		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = ~sum & 0xffff;
		if (!sum)
			sum = 0xffff; /* UDP sends a computed 0 as all ones */
		if (csum_offset > TG_GEN_MAX_FLOW_OFFSET)
			return XDP_ABORTED;
		check = data + csum_offset;
		if ((void *)(check + 2) > data_end)
			return XDP_ABORTED;
		check[0] = sum >> 8;
		check[1] = sum & 0xff;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

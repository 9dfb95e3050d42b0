// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The benchmark's receiving end. tg_sink_xdp (driver-mode XDP) and
 * tg_sink_tc (clsact ingress) count every packet and its bytes in a per-CPU
 * array and drop it: the cheapest possible consumer, so what a benchmark
 * measures is the path in front of it. tg_xdp_pass does nothing at all: on
 * a veth it gives the device NAPI, without which XDP_TX/redirected frames
 * sent into it are dropped, while every packet still reaches the stack.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_sink_counters);
} tg_sink_counters SEC(".maps");

static __always_inline void sink_count(__u64 len)
{
	struct tg_sink_counters *c;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&tg_sink_counters, &key);
	if (!c)
		return;
	c->packets++;
	c->bytes += len;
}

SEC("xdp")
int tg_sink_xdp(struct xdp_md *ctx)
{
	sink_count(ctx->data_end - ctx->data);
	return XDP_DROP;
}

SEC("tc")
int tg_sink_tc(struct __sk_buff *skb)
{
	sink_count(skb->len);
	return TC_ACT_SHOT;
}

SEC("xdp")
int tg_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

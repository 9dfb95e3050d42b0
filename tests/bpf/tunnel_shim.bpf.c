// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Test shim for vnet_tc_tunnel. BPF_PROG_TEST_RUN builds an skb without the
 * metadata the kernel's VXLAN device attaches on receive, so this program
 * attaches it (bpf_skb_set_tunnel_key) and tail-calls the program under test
 * in slot 0 of shim_target. The test writes shim_key before each run.
 *
 * set_tunnel_key speaks for transmit and get_tunnel_key for receive: the
 * address set as remote_ipv4 is read back as local_ipv4 and vice versa, so
 * the test fills shim_key with the two swapped (see run_prog).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct bpf_tunnel_key shim_key;

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} shim_target SEC(".maps");

/* Returned when the tail call did not happen: no TC_ACT_* has this value. */
#define SHIM_NO_TARGET 1000

SEC("tc")
int tunnel_shim(struct __sk_buff *skb)
{
	if (bpf_skb_set_tunnel_key(skb, &shim_key, sizeof(shim_key), 0))
		return SHIM_NO_TARGET + 1;
	bpf_tail_call(skb, &shim_target, 0);
	return SHIM_NO_TARGET;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

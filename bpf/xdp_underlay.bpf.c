// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_xdp_underlay: XDP on the underlay NIC, the receive fast path. Not
 * VXLAN to our port: XDP_PASS untouched. VXLAN: every check of
 * lib/vxlan.h; a valid unicast frame for a port that accepts XDP redirects
 * (VNET_PORT_F_XDP_DELIVER, a tap) is decapsulated with bpf_xdp_adjust_head
 * and redirected; everything else valid (broadcast, veth ports) passes to
 * vnet_tc_underlay, which can clone and use bpf_redirect_peer.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/maps.h"
#include "lib/policy.h"
#include "lib/stats.h"
#include "lib/vxlan.h"

static __always_inline int xdp_deliver(struct xdp_md *ctx,
				       const struct vnet_rx *rx)
{
	const struct vnet_fdb_entry *dst = rx->dst;
	__u32 ifindex, slot;

	if (!(dst->port_flags & VNET_PORT_F_XDP_DELIVER))
		return XDP_PASS;
	/* Security groups: the receiver's ingress policy, on its own host. */
	if (rx->inner_ipv4 && (dst->policy_in | dst->policy_out)) {
		void *data = (void *)(long)ctx->data;
		void *data_end = (void *)(long)ctx->data_end;
		struct vnet_flow flow;
		struct iphdr *iph;
		int ret;

		if (rx->outer_len > 128)
			return XDP_PASS;
		iph = data + rx->outer_len + ETH_HLEN;
		/* Headers beyond the first buffer: tc pulls them and decides. */
		if ((void *)(iph + 1) > data_end ||
		    policy_flow_parse(iph, data_end, dst->endpoint_id, rx->vni, 0, &flow))
			return XDP_PASS;
		ret = policy_check(&flow, dst->policy_in, dst->policy_out, 0);
		if (ret < 0)
			return ret;
	}
	ifindex = dst->ifindex;
	slot = dst->stats_slot;
	if (bpf_xdp_adjust_head(ctx, rx->outer_len))
		return VNET_DROP(VNET_DROP_ERROR);
	stats_rx(slot, bpf_xdp_get_buff_len(ctx));
	return bpf_redirect(ifindex, 0);
}

SEC("xdp.frags")
int vnet_xdp_underlay(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct vnet_rx rx;
	int ret;

	ret = vxlan_rx_parse(data, data_end, &rx);
	/*
	 * Headers spilling out of the first buffer of a multi-buffer frame are
	 * not truncation: tc pulls them into the linear area and decides.
	 */
	if (ret < 0 && rx.truncated &&
	    bpf_xdp_get_buff_len(ctx) > (__u64)(data_end - data))
		return XDP_PASS;
	if (ret == VNET_RX_UNICAST)
		ret = xdp_deliver(ctx, &rx);
	else if (ret >= 0)
		return XDP_PASS; /* not ours, or BUM for tc to replicate */
	if (ret < 0) {
		stats_drop(-ret, vxlan_rx_drop_slot(&rx));
		return XDP_DROP;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

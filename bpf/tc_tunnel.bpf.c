// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_tc_tunnel: tc ingress on vnetd's VXLAN device (collect_md, vnet-vxlan),
 * the receive path for everything vnet_xdp_underlay passed: unicast to ports
 * that do not take XDP redirects (veths without NAPI), broadcast and
 * multicast, and anything that arrived where no XDP program runs.
 *
 * Why the kernel's VXLAN device: its UDP socket gives the underlay's GRO a
 * VXLAN receive handler, so consecutive segments of one inner TCP flow merge
 * into one large packet before decapsulation, and a VM receives 64 KB
 * packets as it does behind a Linux VXLAN bridge. Decapsulating each wire
 * packet in tc instead would hand the VM one skb per segment.
 *
 * The device decapsulates; this program sees the inner frame and the tunnel
 * metadata (remote VTEP, local address, VNI). The device's socket listens on
 * every interface and address, and an outer source address proves nothing
 * off the underlay: only frames vnet_tc_underlay marked on the underlay NIC
 * are taken. Then the same checks as XDP (lib/vxlan.h; XDP already dropped
 * invalid frames, but it may not be attached). Then delivery: a veth port
 * with bpf_redirect_peer (the skb enters the VM's namespace directly), a tap
 * with bpf_redirect to its egress; broadcast is cloned to every local port
 * of the network.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/flood.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/policy.h"
#include "lib/stats.h"
#include "lib/vxlan.h"

static __always_inline int tunnel_parse(struct __sk_buff *skb,
					struct vnet_rx *rx)
{
	struct bpf_tunnel_key key = {};
	struct hdr_cursor nh;
	void *data_end;

	vxlan_rx_init(rx);
	if (skb->mark != VNET_MARK_UNDERLAY)
		return VNET_DROP(VNET_DROP_NOT_UNDERLAY);
	skb->mark = 0;
	/*
	 * The device untags an inner 802.1Q frame into skb->vlan_tci before tc:
	 * the headers below would read as untagged.
	 */
	if (skb->vlan_present)
		return VNET_DROP(VNET_DROP_ETHERTYPE);
	if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0))
		return VNET_DROP(VNET_DROP_ERROR); /* not from the VXLAN socket */
	/* The socket listens on every local address; only our VTEP is ours. */
	if (bpf_htonl(key.local_ipv4) != vnet_cfg.vtep_be)
		return VNET_DROP(VNET_DROP_NOT_OUR_VTEP);
	rx->vtep_be = bpf_htonl(key.remote_ipv4);
	rx->vni = (__u32)key.tunnel_id;

	skb_pull_headers(skb, VNET_RX_INNER_MAX);
	nh.pos = skb_data(skb);
	data_end = skb_data_end(skb);
	return vxlan_rx_inner(&nh, data_end, rx);
}

static __always_inline int tunnel_deliver(struct __sk_buff *skb,
					  const struct vnet_rx *rx)
{
	const struct vnet_fdb_entry *dst = rx->dst;

	/* Security groups: the receiver's ingress policy, on its own host. */
	if (rx->inner_ipv4 && (dst->policy_in | dst->policy_out)) {
		struct vnet_flow flow;
		int ret;

		ret = policy_skb_flow(skb, dst->endpoint_id, rx->vni, 0, &flow);
		if (!ret)
			ret = policy_check(&flow, dst->policy_in, dst->policy_out, 0);
		if (ret < 0)
			return ret;
	}
	stats_rx(dst->stats_slot, skb->len);
	if (dst->port_flags & VNET_PORT_F_PEER) {
		/*
		 * The device classified the frame against its own MAC; the VM's
		 * side receives it without a second eth_type_trans.
		 */
		bpf_skb_change_type(skb, PACKET_HOST);
		return bpf_redirect_peer(dst->ifindex, 0);
	}
	return bpf_redirect(dst->ifindex, 0);
}

SEC("tc")
int vnet_tc_tunnel(struct __sk_buff *skb)
{
	struct vnet_rx rx;
	int ret;

	ret = tunnel_parse(skb, &rx);
	if (ret == VNET_RX_UNICAST) {
		ret = tunnel_deliver(skb, &rx);
	} else if (ret == VNET_RX_BUM) {
		struct vnet_flow flow;

		if (rx.inner_ipv4)
			ret = policy_skb_flow(skb, VNET_EP_NONE, rx.vni, 0, &flow);
		if (ret >= 0) {
			flood_local(skb, rx.net, 0, VNET_SLOT_NONE, rx.inner_ipv4 ? &flow : NULL);
			ret = TC_ACT_SHOT; /* the original: every port got a clone */
		}
	}
	if (ret < 0) {
		stats_drop(-ret, vxlan_rx_drop_slot(&rx));
		return TC_ACT_SHOT;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_tc_underlay: tc ingress on the underlay NIC, the receive slow path
 * for what XDP passed (or everything, where XDP is not attached). Same
 * checks as XDP (lib/vxlan.h), then decapsulation with bpf_skb_adjust_room
 * (shrink at MAC, inner Ethernet header restored) and delivery: IPv4 to a
 * veth port with bpf_redirect_peer, anything else to the egress of the
 * host-side interface (the peer's eth_type_trans sets the protocol);
 * broadcast is cloned to every local port of the network. Non-VXLAN:
 * TC_ACT_OK untouched.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/flood.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"
#include "lib/vxlan.h"

static __always_inline int underlay_parse(struct __sk_buff *skb,
					  struct vnet_rx *rx)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	int ret;

	ret = vxlan_rx_parse(data, data_end, rx);
	if (!rx->truncated || skb->len <= data_end - data)
		return ret;
	/* Headers beyond the linear area: pull them in and look again. */
	skb_pull_headers(skb, VNET_RX_PULL_LEN);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	return vxlan_rx_parse(data, data_end, rx);
}

/* Remove outer Ethernet/IPv4/UDP/VXLAN; the frame starts at the inner MAC. */
static __always_inline int underlay_decap(struct __sk_buff *skb,
					  __u32 outer_len)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct eth_saved inner;

	if (outer_len > VNET_RX_MAX_OUTER)
		return VNET_DROP(VNET_DROP_ERROR);
	if (data + outer_len + ETH_HLEN > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	eth_save(&inner, data + outer_len);
	/* BPF_ADJ_ROOM_MAC removes the bytes after the outer MAC header. */
	if (bpf_skb_adjust_room(skb, -(__s32)outer_len, BPF_ADJ_ROOM_MAC, 0))
		return VNET_DROP(VNET_DROP_ERROR);
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + ETH_HLEN > data_end)
		return VNET_DROP(VNET_DROP_ERROR);
	eth_restore(data, &inner);
	return 0;
}

static __always_inline int underlay_deliver(struct __sk_buff *skb,
					    const struct vnet_rx *rx)
{
	const struct vnet_fdb_entry *dst = rx->dst;
	__u32 ifindex = dst->ifindex;
	__u32 ep_id = dst->endpoint_id;
	__u16 flags = dst->port_flags;
	int ret;

	ret = underlay_decap(skb, rx->outer_len);
	if (ret < 0)
		return ret;
	stats_rx(ep_id, skb->len);
	if (rx->inner_ipv4 && (flags & VNET_PORT_F_PEER))
		return bpf_redirect_peer(ifindex, 0);
	return bpf_redirect(ifindex, 0);
}

static __always_inline int underlay_flood(struct __sk_buff *skb,
					  const struct vnet_rx *rx)
{
	int ret;

	ret = underlay_decap(skb, rx->outer_len);
	if (ret < 0)
		return ret;
	flood_local(skb, rx->net, 0, VNET_EP_NONE);
	return TC_ACT_SHOT; /* the original: every port got a clone */
}

SEC("tc")
int vnet_tc_underlay(struct __sk_buff *skb)
{
	struct vnet_rx rx;
	int ret;

	/*
	 * A tag stripped into skb->vlan_tci means the frame belongs to a VLAN
	 * on top of the underlay NIC, not to vnet (XDP sees the tag and passes).
	 */
	if (skb->vlan_present)
		return TC_ACT_OK;
	ret = underlay_parse(skb, &rx);
	if (ret == VNET_RX_UNICAST)
		ret = underlay_deliver(skb, &rx);
	else if (ret == VNET_RX_BUM)
		ret = underlay_flood(skb, &rx);
	else if (ret == VNET_RX_NOT_VXLAN)
		return TC_ACT_OK;
	if (ret < 0) {
		stats_drop(-ret, vxlan_rx_drop_ep(&rx));
		return TC_ACT_SHOT;
	}
	return ret;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

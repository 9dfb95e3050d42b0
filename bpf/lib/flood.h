/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Replication of a broadcast/multicast frame to the local ports of its
 * network: one bpf_clone_redirect() to the egress of each port's host-side
 * interface (so the peer's eth_type_trans() classifies the copy), in a loop
 * bounded by VNET_MAX_FLOOD_PORTS. A list longer than the bound is cut and
 * counted FLOOD_LIMIT (vnetctl refuses such topologies, so this is a
 * guard); a copy that cannot be sent is counted ERROR for its receiver.
 * A receiver with security groups gets an IPv4 copy only if its ingress
 * policy allows it (classified, not tracked: broadcast opens no flow).
 */
#ifndef VNET_LIB_FLOOD_H
#define VNET_LIB_FLOOD_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <vnet/abi.h>
#include "lib/maps.h"
#include "lib/policy.h"
#include "lib/stats.h"

/*
 * skip_ifindex: the sending port (0 when the frame came from the underlay);
 * charge_slot: whose counters a flood-limit drop is charged to (stats.h).
 * flow: the IPv4 packet's flow as a receiver sees it (policy_flow_parse(),
 * ingress), NULL for ARP, which security groups always let through.
 */
static __always_inline void flood_local(struct __sk_buff *skb,
					const struct vnet_network *net,
					__u32 skip_ifindex, __u32 charge_slot,
					const struct vnet_flow *flow)
{
	__u32 n = net->n_ports;
	__u32 i;

	if (n > VNET_MAX_FLOOD_PORTS) {
		stats_drop(VNET_DROP_FLOOD_LIMIT, charge_slot);
		n = VNET_MAX_FLOOD_PORTS;
	}
	for (i = 0; i < VNET_MAX_FLOOD_PORTS; i++) {
		__u32 ifindex;

		if (i >= n)
			break;
		const struct vnet_port *port;
		__u32 slot;

		ifindex = net->port_ifindex[i];
		if (!ifindex || ifindex == skip_ifindex)
			continue;
		port = bpf_map_lookup_elem(&vnet_ports, &ifindex);
		slot = port ? port->stats_slot : VNET_SLOT_NONE;
		/* A listed port without its entry (being added, or a failed
		 * write) may have security groups: no IPv4 for it yet. */
		if (flow && !port) {
			stats_drop(VNET_DROP_NO_PORT, VNET_SLOT_NONE);
			continue;
		}
		if (flow && port->policy_in &&
		    !policy_allows(port->policy_in, flow->remote_be,
				   flow->kind == VNET_FLOW_ICMP_ERROR ? IPPROTO_ICMP :
				   flow->key.protocol, flow->port,
				   flow->kind != VNET_FLOW_FRAGMENT)) {
			stats_drop(flow->kind == VNET_FLOW_FRAGMENT ?
				   VNET_DROP_POLICY_FRAGMENT : VNET_DROP_POLICY_INGRESS, slot);
			continue;
		}
		if (bpf_clone_redirect(skb, ifindex, 0))
			stats_drop(VNET_DROP_ERROR, slot);
		else
			stats_rx(slot, skb->len);
	}
}

#endif /* VNET_LIB_FLOOD_H */

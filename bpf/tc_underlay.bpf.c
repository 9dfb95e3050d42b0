// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * vnet_tc_underlay: tc ingress on the underlay NIC. It marks what the VXLAN
 * device may take: UDP to our VXLAN port at our VTEP address, arriving on
 * the underlay (the skb after GRO, so one mark covers a merged train).
 * vnet_tc_tunnel delivers only marked frames: the device's UDP socket
 * listens on every interface and address, and the outer source, the only
 * proof of where a frame comes from, means something only on the underlay.
 * Everything passes on (TC_ACT_OK): XDP already dropped invalid VXLAN.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/config.h"
#include "lib/parsing.h"

/* Outer Ethernet + IPv4 with options + UDP. */
#define UNDERLAY_PULL_LEN (ETH_HLEN + 60 + 8)

SEC("tc")
int vnet_tc_underlay(struct __sk_buff *skb)
{
	struct hdr_cursor nh;
	struct ethhdr *eth;
	struct iphdr *iph;
	struct udphdr *udp;
	void *data_end;
	int bad;

	/* A stripped VLAN tag: a VLAN device's traffic, not the underlay's. */
	if (skb->vlan_present || skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	skb_pull_headers(skb, UNDERLAY_PULL_LEN);
	nh.pos = skb_data(skb);
	data_end = skb_data_end(skb);
	eth = parse_ethhdr(&nh, data_end);
	if (!eth || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	iph = parse_iphdr(&nh, data_end, &bad);
	if (!iph || iph->protocol != IPPROTO_UDP ||
	    iph->daddr != vnet_cfg.vtep_be || (iph->frag_off & IP_OFFSET_BE))
		return TC_ACT_OK;
	udp = parse_udphdr(&nh, data_end);
	if (!udp || udp->dest != vnet_cfg.vxlan_port_be)
		return TC_ACT_OK;
	skb->mark = VNET_MARK_UNDERLAY;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * ARP answered by the datapath. An endpoint's request for an address vnetd
 * put in vnet_neigh (router interfaces, known endpoints of the network) is
 * turned into the reply in place, frame length and padding unchanged, and
 * sent back out of the interface it came from. Requests that are not
 * questions about someone else are left alone and forwarded like any frame:
 * gratuitous ARP (sender IP == target IP) and a probe for the requester's
 * own address (the neighbour MAC is the requester's), since answering those
 * would make the VM's duplicate address detection see a conflict.
 */
#ifndef VNET_LIB_ARP_H
#define VNET_LIB_ARP_H

#include <linux/types.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/maps.h"
#include "lib/parsing.h"

/* The neighbour to answer a request with, or NULL to forward it. */
static __always_inline const struct vnet_neigh_entry *
arp_answer_lookup(__u32 vni, const struct arp_eth_ipv4 *arp)
{
	const struct vnet_neigh_entry *n;
	struct vnet_neigh_key key;

	if (arp->op != bpf_htons(ARPOP_REQUEST) || arp->spa == arp->tpa)
		return NULL;
	key.vni = vni;
	key.ip_be = arp->tpa;
	n = bpf_map_lookup_elem(&vnet_neigh, &key);
	if (!n || mac_eq(n->mac, arp->sha))
		return NULL;
	return n;
}

/*
 * Rewrite the request in place into the reply: Ethernet dst = requester's
 * source MAC, src = target's MAC; op 2, sha/spa = target, tha/tpa = the
 * requester's sha/spa. Fixed-length ARP fields need no other change.
 */
static __always_inline void arp_reply_in_place(struct ethhdr *eth,
					       struct arp_eth_ipv4 *arp,
					       const __u8 *target_mac)
{
	__be32 req_spa = arp->spa;

	mac_copy(eth->h_dest, eth->h_source);
	mac_copy(eth->h_source, target_mac);
	arp->op = bpf_htons(ARPOP_REPLY);
	mac_copy(arp->tha, arp->sha);
	mac_copy(arp->sha, target_mac);
	arp->spa = arp->tpa;
	arp->tpa = req_spa;
}

#endif /* VNET_LIB_ARP_H */

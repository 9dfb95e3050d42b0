/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Counters. Helpers never decide a verdict for a drop: they return
 * VNET_DROP(reason) (a negative int; >= 0 is a verdict to return as is) and
 * the program's entry point counts the reason in vnet_drops and, when the
 * packet belongs to a local endpoint, in that endpoint's vnet_ep_stats, then
 * turns it into TC_ACT_SHOT / XDP_DROP (Cilium's drop_reasons pattern).
 * An endpoint is counted at the stats slot its vnet_port or local
 * vnet_fdb_entry names (abi.h): an array index, no hash lookup. Slot 0 is
 * no endpoint's and counts nothing.
 */
#ifndef VNET_LIB_STATS_H
#define VNET_LIB_STATS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <vnet/abi.h>
#include "lib/maps.h"

/* A helper's outcome: >= 0 is a verdict, < 0 is a drop reason. */
#define VNET_DROP(reason) (-(int)(reason))

/* No endpoint (policy flows of a broadcast). Endpoint ids start at 1. */
#define VNET_EP_NONE 0

/* No endpoint to charge a drop to. vnetd gives stats slots from 1. */
#define VNET_SLOT_NONE 0

static __always_inline void stats_drop_global(__u32 reason)
{
	__u64 *cnt;

	/* stats_drop() clamps; an out-of-range reason finds no slot here. */
	cnt = bpf_map_lookup_elem(&vnet_drops, &reason);
	if (cnt)
		*cnt += 1;
}

static __always_inline struct vnet_ep_stats *stats_ep(__u32 slot)
{
	if (slot == VNET_SLOT_NONE)
		return NULL;
	return bpf_map_lookup_elem(&vnet_ep_stats, &slot);
}

/* Count a drop globally and, if slot names an endpoint, for it. */
static __always_inline void stats_drop(__u32 reason, __u32 slot)
{
	struct vnet_ep_stats *st;

	if (reason >= VNET_DROP_MAX)
		reason = VNET_DROP_ERROR;
	stats_drop_global(reason);
	st = stats_ep(slot);
	if (st)
		st->drops[reason] += 1;
}

static __always_inline void stats_tx(__u32 slot, __u64 bytes)
{
	struct vnet_ep_stats *st = stats_ep(slot);

	if (st) {
		st->tx_packets += 1;
		st->tx_bytes += bytes;
	}
}

static __always_inline void stats_rx(__u32 slot, __u64 bytes)
{
	struct vnet_ep_stats *st = stats_ep(slot);

	if (st) {
		st->rx_packets += 1;
		st->rx_bytes += bytes;
	}
}

#endif /* VNET_LIB_STATS_H */

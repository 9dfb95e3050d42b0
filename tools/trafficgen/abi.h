/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * vnet-trafficgen ABI: what the sink program and the CLI share (the counter
 * value layout, the pinned map's name, the generator's bounds, the floor
 * encapsulator's header layout). C only, included by BPF and C++ alike.
 */
#ifndef VNET_TRAFFICGEN_ABI_H
#define VNET_TRAFFICGEN_ABI_H

#include <linux/types.h>

/* Value of the sink's per-CPU array (one slot, key 0). */
struct tg_sink_counters {
	__u64 packets;
	__u64 bytes;
};

/* The counter map; pinned as <pin dir>/tg_sink_counters. */
#define TG_SINK_MAP_NAME "tg_sink_counters"

/* The generator's rewrite never reaches beyond this offset. */
#define TG_GEN_MAX_FLOW_OFFSET 1024
/* Header bytes tg_gen can rewrite from the template on every frame. */
#define TG_GEN_MAX_RESTORE 128

/*
 * The floor programs' VXLAN outer headers: Ethernet, IPv4 without options,
 * UDP, VXLAN. Byte offsets (all even) of the fields tg_floor_encap fills in
 * per packet.
 */
#define TG_FLOOR_OUTER_LEN 50
#define TG_FLOOR_IP_TOT_LEN_OFF 16
#define TG_FLOOR_IP_CHECK_OFF 24
#define TG_FLOOR_UDP_LEN_OFF 38

#endif /* VNET_TRAFFICGEN_ABI_H */

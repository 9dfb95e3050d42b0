/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the datapath, defined once and included by all three
 * programs. Each map is pinned by name (LIBBPF_PIN_BY_NAME): vnetd opens the
 * skeletons with pin_root_path = --pin-dir, so the programs share one set of
 * maps and a restarted vnetd adopts them. Keys, values and capacities come
 * from vnet/abi.h; the map names here are the VNET_MAP_* strings there.
 *
 * Hash maps are preallocated. Without it they draw elements from
 * bpf_mem_alloc caches that are refilled asynchronously: in the
 * 100k-endpoint benchmark a burst of thousands of inserts into the per-CPU
 * counters failed with ENOMEM, and the other hash maps take bursts just as
 * large. The price is memory for the full capacity (~80 MB per host with
 * the limits in abi.h).
 */
#ifndef VNET_LIB_MAPS_H
#define VNET_LIB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <vnet/abi.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_PORTS);
	__type(key, __u32); /* ifindex */
	__type(value, struct vnet_port);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VNET_MAX_SRC_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vnet_port_src_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_port_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_FDB);
	__type(key, struct vnet_fdb_key);
	__type(value, struct vnet_fdb_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_fdb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_NEIGH);
	__type(key, struct vnet_neigh_key);
	__type(value, struct vnet_neigh_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_neigh SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_SRC_PREFIXES);
	__type(key, struct vnet_remote_host_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_remote_host SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VNET_MAX_SRC_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vnet_remote_src_key);
	__type(value, __u8);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_remote_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_VTEPS);
	__type(key, __be32);
	__type(value, struct vnet_vtep);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_vteps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_NETWORKS);
	__type(key, __u32); /* vni */
	__type(value, struct vnet_network);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_networks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VNET_MAX_ENDPOINT_STATS);
	__type(key, __u32); /* stats slot (abi.h) */
	__type(value, struct vnet_ep_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_ep_stats SEC(".maps");

/* Which endpoint owns each stats slot: vnetd's alone, no program reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VNET_MAX_ENDPOINT_STATS);
	__type(key, __u32);   /* stats slot */
	__type(value, __u32); /* endpoint id, 0 = free, VNET_EP_SLOT_LEFT */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_ep_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VNET_DROP_MAX);
	__type(key, __u32); /* enum vnet_drop_reason */
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VNET_MAX_ROUTER_IFACES);
	__type(key, struct vnet_fdb_key);
	__type(value, struct vnet_router_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_rtr_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VNET_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vnet_route_key);
	__type(value, struct vnet_route);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, VNET_MAX_PORTS);
	__type(key, __u32); /* ifindex of the port */
	__type(value, struct vnet_icmp_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_icmp_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VNET_MAX_POLICY_REMOTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vnet_policy_remote_key);
	__type(value, struct vnet_policy_remote);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_pol_remote SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, VNET_MAX_POLICY_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct vnet_policy_rule_key);
	__type(value, struct vnet_policy_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_pol_rules SEC(".maps");

/* Sized by vnetd (--conntrack-size) before load; owned by the datapath,
 * swept by vnetd. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, VNET_CT_DEFAULT_SIZE);
	__type(key, struct vnet_ct_key);
	__type(value, struct vnet_ct_entry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_conntrack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vnet_ct_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_ct_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vnet_state);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} vnet_state SEC(".maps");

#endif /* VNET_LIB_MAPS_H */

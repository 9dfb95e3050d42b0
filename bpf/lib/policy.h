/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Security groups: the stateful policy check of one direction of a local
 * endpoint, shared by every program that hands a packet to an endpoint or
 * takes one from it (XDP and tc alike: it works on a [data, data_end)
 * window and map lookups only).
 *
 * policy_flow_parse() reads the IPv4 packet into the endpoint's view of its
 * flow (struct vnet_flow); policy_check() then decides:
 *
 *  1. A tracked flow (vnet_conntrack hit, not idle too long) passes, in
 *     either direction. When the policy of the direction that opened it has
 *     changed since (an apply), the flow is classified again under the new
 *     policy first: still allowed, it goes on; not, its entry is removed and
 *     the packet is dropped (POLICY_REVOKED).
 *  2. An ICMP error passes when the flow it quotes is tracked (related).
 *  3. Anything else is classified (two LPM lookups whatever the number of
 *     rules: remote address -> class, then class, protocol and port) and,
 *     when allowed and trackable, opens a flow.
 *
 * policy_allows() and policy_check() are global functions: the verifier
 * checks each once, not once per call site (a program calls them from up
 * to four places, one inside the flood loop).
 *
 * Trackable: TCP, UDP, ICMP echo requests and other IP protocols, first
 * fragments included. Non-first fragments carry no ports: they are never
 * tracked and pass only a rule that needs none (policy_allows() with
 * port_known = 0).
 */
#ifndef VNET_LIB_POLICY_H
#define VNET_LIB_POLICY_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>
#include "lib/icmp.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

/*
 * Bytes after the IPv4 header policy_flow_parse() may read: an ICMP error
 * quotes an IPv4 header (with options) and 8 bytes of its payload.
 */
#define POLICY_L4_MAX (8 + 60 + 8)
/* ... so tc makes Ethernet, IPv4 with options and that much linear. */
#define POLICY_PULL_LEN (ETH_HLEN + 60 + POLICY_L4_MAX)

/* ICMP errors (RFC 792) besides those lib/icmp.h sends. */
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_PARAMETERPROB 12

/* TCP flags: byte 13 of the header (linux/tcp.h pulls in libc). */
#define TCP_FLAGS_OFF 13
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

enum vnet_flow_kind {
	VNET_FLOW_PLAIN = 0,   /* classified; tracked */
	VNET_FLOW_UNTRACKED,   /* classified only: ICMP that is neither echo nor error */
	VNET_FLOW_FRAGMENT,    /* non-first fragment: no ports */
	VNET_FLOW_ICMP_ERROR,  /* related to the flow in ct.related */
	VNET_FLOW_ECHO_REPLY,  /* tracked as its request's flow, never opens one */
};

/* A packet as the endpoint sees its flow. */
struct vnet_flow {
	struct vnet_ct_key key; /* conntrack key; the quoted flow's for ICMP errors */
	__be32 remote_be;       /* the packet's remote address (classified) */
	__u16 port;             /* classified: TCP/UDP dest port, ICMP type << 8 | code */
	__u8 kind;              /* enum vnet_flow_kind */
	__u8 tcp_flags;
};

/*
 * Fill `f` from the IPv4 header at iph, for endpoint ep_id on network vni
 * in direction `egress` (the endpoint sends) or not (it receives). 0, or a
 * drop reason for headers that do not fit.
 */
static __always_inline int policy_flow_parse(struct iphdr *iph, void *data_end,
					     __u32 ep_id, __u32 vni, int egress,
					     struct vnet_flow *f)
{
	__u32 hlen = iph->ihl * 4;
	void *l4 = (void *)iph + hlen;
	__be16 *ports;

	f->key.endpoint_id = ep_id;
	f->key.vni = vni;
	f->key.protocol = iph->protocol;
	f->key.pad[0] = 0;
	f->key.pad[1] = 0;
	f->key.pad[2] = 0;
	f->key.local_port_be = 0;
	f->key.remote_port_be = 0;
	f->port = 0;
	f->tcp_flags = 0;
	f->kind = VNET_FLOW_PLAIN;
	if (egress) {
		f->key.local_be = iph->saddr;
		f->key.remote_be = iph->daddr;
	} else {
		f->key.local_be = iph->daddr;
		f->key.remote_be = iph->saddr;
	}
	f->remote_be = f->key.remote_be;
	if (hlen < sizeof(*iph) || hlen > 60)
		return VNET_DROP(VNET_DROP_MALFORMED);
	if (iph->frag_off & IP_OFFSET_BE) {
		f->kind = VNET_FLOW_FRAGMENT;
		return 0;
	}

	switch (iph->protocol) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		ports = l4;
		if ((void *)(ports + 2) > data_end)
			return VNET_DROP(VNET_DROP_MALFORMED);
		f->key.local_port_be = egress ? ports[0] : ports[1];
		f->key.remote_port_be = egress ? ports[1] : ports[0];
		f->port = bpf_ntohs(ports[1]);
		if (iph->protocol == IPPROTO_TCP) {
			__u8 *flags = l4 + TCP_FLAGS_OFF;

			if ((void *)(flags + 1) > data_end)
				return VNET_DROP(VNET_DROP_MALFORMED);
			f->tcp_flags = *flags;
		}
		return 0;
	case IPPROTO_ICMP: {
		struct icmp_echo_hdr *icmp = l4;
		struct iphdr *inner;
		__u32 ihlen;

		if ((void *)(icmp + 1) > data_end)
			return VNET_DROP(VNET_DROP_MALFORMED);
		f->port = (__u16)icmp->type << 8 | icmp->code;
		if (icmp->type == ICMP_ECHO || icmp->type == ICMP_ECHOREPLY) {
			/*
			 * The identifier sits on the side of whoever pings: two
			 * pings with one identifier, one each way, are two flows
			 * (one key for both would let each request take over the
			 * other's entry and its replies be classified).
			 */
			if (egress == (icmp->type == ICMP_ECHO))
				f->key.local_port_be = icmp->id;
			else
				f->key.remote_port_be = icmp->id;
			if (icmp->type == ICMP_ECHOREPLY)
				f->kind = VNET_FLOW_ECHO_REPLY;
			return 0;
		}
		if (icmp->type != ICMP_DEST_UNREACH && icmp->type != ICMP_TIME_EXCEEDED &&
		    icmp->type != ICMP_PARAMETERPROB && icmp->type != ICMP_SOURCE_QUENCH &&
		    icmp->type != ICMP_REDIRECT) {
			f->kind = VNET_FLOW_UNTRACKED;
			return 0;
		}
		/*
		 * An error quotes a packet that went the other way: its source
		 * is our remote when we send the error, ourselves when we get it.
		 */
		inner = (void *)(icmp + 1);
		if ((void *)(inner + 1) > data_end)
			return VNET_DROP(VNET_DROP_MALFORMED);
		ihlen = inner->ihl * 4;
		if (ihlen < sizeof(*inner) || ihlen > 60)
			return VNET_DROP(VNET_DROP_MALFORMED);
		/*
		 * An error goes back to the quoted packet's sender (as Linux's
		 * conntrack requires): one addressed elsewhere relates to no flow
		 * of ours, whatever it quotes, and is classified like any ICMP.
		 */
		if (inner->saddr != iph->daddr) {
			f->kind = VNET_FLOW_UNTRACKED;
			return 0;
		}
		f->kind = VNET_FLOW_ICMP_ERROR;
		f->key.protocol = inner->protocol;
		f->key.local_be = egress ? inner->daddr : inner->saddr;
		f->key.remote_be = egress ? inner->saddr : inner->daddr;
		/* RFC 792: the quote holds the first 8 bytes of the payload. */
		ports = (void *)inner + ihlen;
		if ((void *)(ports + 4) > data_end)
			return VNET_DROP(VNET_DROP_MALFORMED);
		if (inner->protocol == IPPROTO_TCP || inner->protocol == IPPROTO_UDP) {
			f->key.local_port_be = egress ? ports[1] : ports[0];
			f->key.remote_port_be = egress ? ports[0] : ports[1];
		} else if (inner->protocol == IPPROTO_ICMP) {
			/* The quoted echo request (type, code, checksum, id), sent
			 * by whoever the error goes back to: the endpoint when it
			 * receives the error, the remote when it sends one. */
			if (egress)
				f->key.remote_port_be = ports[2];
			else
				f->key.local_port_be = ports[2];
		}
		return 0;
	}
	default:
		return 0;
	}
}

/*
 * tc: the flow of the IPv4 packet after the Ethernet header, once every
 * header policy_flow_parse() may read is linear. Packet pointers the
 * caller holds are invalid afterwards.
 */
static __always_inline int policy_skb_flow(struct __sk_buff *skb, __u32 ep_id,
					   __u32 vni, int egress,
					   struct vnet_flow *f)
{
	void *data, *data_end;
	struct iphdr *iph;

	skb_pull_headers(skb, POLICY_PULL_LEN);
	data = skb_data(skb);
	data_end = skb_data_end(skb);
	iph = data + ETH_HLEN;
	if ((void *)(iph + 1) > data_end)
		return VNET_DROP(VNET_DROP_MALFORMED);
	return policy_flow_parse(iph, data_end, ep_id, vni, egress, f);
}

/*
 * Does `policy` allow a packet to or from `remote_be` with this protocol
 * and port? port_known = 0 for a non-first fragment: only a rule that
 * needs no port can match (prefixlen 80 stops before the port bits).
 */
__noinline int policy_allows(__u32 policy, __be32 remote_be, __u8 protocol,
			     __u16 port, int port_known)
{
	struct vnet_policy_remote_key rkey = {
		.prefixlen = 64,
		.policy = policy,
		.ip_be = remote_be,
	};
	struct vnet_policy_rule_key key;
	const struct vnet_policy_remote *remote;

	remote = bpf_map_lookup_elem(&vnet_pol_remote, &rkey);
	if (!remote)
		return 0;
	key.prefixlen = port_known ? 96 : 80;
	key.policy = policy;
	key.class_id = remote->class_id;
	key.protocol_be = bpf_htons(protocol);
	key.port_be = bpf_htons(port);
	return bpf_map_lookup_elem(&vnet_pol_rules, &key) != NULL;
}

/* The port a tracked flow was classified on, in the direction that opened it. */
static __always_inline __u16 ct_origin_port(const struct vnet_ct_key *key,
					    const struct vnet_ct_entry *e)
{
	if (key->protocol == IPPROTO_ICMP)
		return ICMP_ECHO << 8; /* only echo requests open ICMP flows */
	if (key->protocol != IPPROTO_TCP && key->protocol != IPPROTO_UDP)
		return 0;
	return bpf_ntohs(e->origin == VNET_CT_ORIGIN_EGRESS ? key->remote_port_be :
							      key->local_port_be);
}

/*
 * A tracked flow found for `f`: still allowed by the current policy of the
 * direction that opened it? Re-classified only when that policy's id
 * changed, which is what an apply that changes what it allows does.
 */
static __always_inline int ct_revalidate(const struct vnet_ct_key *key,
					 struct vnet_ct_entry *e,
					 __u32 policy_in, __u32 policy_out)
{
	__u32 policy = e->origin == VNET_CT_ORIGIN_EGRESS ? policy_out : policy_in;

	if (e->policy == policy)
		return 1;
	if (policy && !policy_allows(policy, key->remote_be, key->protocol,
				     ct_origin_port(key, e), 1))
		return 0;
	e->policy = policy;
	return 1;
}

static __always_inline int ct_expired(const struct vnet_ct_key *key,
				      const struct vnet_ct_entry *e, __u64 now)
{
	/* Another CPU may have refreshed it after `now` was read. */
	return now > e->last_ns &&
	       now - e->last_ns > vnet_ct_timeout_ns(key->protocol, e->flags);
}

/*
 * The check for endpoint f->key.endpoint_id with policies (policy_in,
 * policy_out), at least one of them non-zero, for a packet going `egress`
 * (from the endpoint) or not. 0 passes it, < 0 is the drop reason.
 */
__noinline int policy_check(struct vnet_flow *f, __u32 policy_in,
			    __u32 policy_out, int egress)
{
	__u32 policy = egress ? policy_out : policy_in;
	__u8 dir = egress ? VNET_CT_ORIGIN_EGRESS : VNET_CT_ORIGIN_INGRESS;
	struct vnet_ct_entry *e;
	struct vnet_ct_entry fresh;
	__u64 now;

	/* An unfiltered direction: only replies need state, and they pass. */
	if (!f || !policy)
		return 0;

	now = bpf_ktime_get_coarse_ns();
	if (f->kind == VNET_FLOW_FRAGMENT) {
		if (policy_allows(policy, f->remote_be, f->key.protocol, 0, 0))
			return 0;
		return VNET_DROP(VNET_DROP_POLICY_FRAGMENT);
	}

	e = f->kind == VNET_FLOW_UNTRACKED ? NULL :
	    bpf_map_lookup_elem(&vnet_conntrack, &f->key);
	/* An echo flow carries requests its opener's way and replies back:
	 * a request the other way is a new ping, classified. */
	if (e && f->key.protocol == IPPROTO_ICMP && f->kind != VNET_FLOW_ICMP_ERROR &&
	    (f->kind == VNET_FLOW_ECHO_REPLY) == (dir == e->origin))
		e = NULL;
	if (e && !ct_expired(&f->key, e, now)) {
		__u8 flags = e->flags;

		if (!ct_revalidate(&f->key, e, policy_in, policy_out)) {
			bpf_map_delete_elem(&vnet_conntrack, &f->key);
			return VNET_DROP(VNET_DROP_POLICY_REVOKED);
		}
		if (f->kind == VNET_FLOW_ICMP_ERROR)
			return 0; /* related: the quoted flow's state is left alone */
		/* A new connection on the 4-tuple of a closing one opens afresh. */
		if (f->key.protocol == IPPROTO_TCP &&
		    (f->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN &&
		    (flags & (VNET_CT_F_FIN_ORIGIN | VNET_CT_F_FIN_REPLY)))
			goto classify;
		if (f->tcp_flags & TCP_FLAG_RST) {
			bpf_map_delete_elem(&vnet_conntrack, &f->key);
			return 0;
		}
		if (dir != e->origin)
			flags |= VNET_CT_F_REPLIED;
		if (f->tcp_flags & TCP_FLAG_FIN)
			flags |= dir == e->origin ? VNET_CT_F_FIN_ORIGIN : VNET_CT_F_FIN_REPLY;
		/* Written only when something changed: the entry's cache line
		 * stays shared between CPUs within a clock tick. */
		if (e->flags != flags)
			e->flags = flags;
		if (e->last_ns != now)
			e->last_ns = now;
		return 0;
	}

classify:
	/* Unrelated ICMP errors are ICMP like any other, from their sender. */
	if (!policy_allows(policy, f->remote_be,
			   f->kind == VNET_FLOW_ICMP_ERROR ? IPPROTO_ICMP : f->key.protocol,
			   f->port, 1))
		goto deny;
	if (f->kind != VNET_FLOW_PLAIN || (f->tcp_flags & TCP_FLAG_RST))
		return 0;
	fresh.last_ns = now;
	fresh.policy = policy;
	fresh.origin = dir;
	fresh.flags = 0;
	fresh.pad = 0;
	/* Cannot fail but for memory; the flow then stays untracked (replies
	 * are classified on their own), never unchecked. */
	if (!bpf_map_update_elem(&vnet_conntrack, &f->key, &fresh, BPF_ANY)) {
		__u32 zero = 0;
		struct vnet_ct_stats *st = bpf_map_lookup_elem(&vnet_ct_stats, &zero);

		if (st)
			st->created++;
	}
	return 0;

deny:
	return VNET_DROP(egress ? VNET_DROP_POLICY_EGRESS : VNET_DROP_POLICY_INGRESS);
}

#endif /* VNET_LIB_POLICY_H */

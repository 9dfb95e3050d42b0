/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Load-time configuration. Every program has one `const volatile struct
 * vnet_config vnet_cfg` in .rodata that vnetd fills through the skeleton
 * (skel->rodata->vnet_cfg) before load; the verifier then sees constants, so
 * a knob that is off (VNET_CFG_F_POISON_HEADROOM) costs nothing. A change of
 * configuration is a reload and an atomic replace of the programs.
 */
#ifndef VNET_LIB_CONFIG_H
#define VNET_LIB_CONFIG_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <vnet/abi.h>

#define VNET_VXLAN_PORT_DEFAULT 4789

const volatile struct vnet_config vnet_cfg = {
	.vxlan_port_be = bpf_htons(VNET_VXLAN_PORT_DEFAULT),
};

static __always_inline int cfg_poison_headroom(void)
{
	return vnet_cfg.flags & VNET_CFG_F_POISON_HEADROOM;
}

#endif /* VNET_LIB_CONFIG_H */

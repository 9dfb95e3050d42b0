#!/usr/bin/env bash
# test_underlay_move: a host's underlay moves to another interface, while
# vnetd runs and while it is down; the old interface must stop terminating
# VXLAN (no vnet program left on it) and traffic must follow the new one.
#
#                 br0 198.18.0.0/24 (${P}-fab)
#        ┌───────────┬────────────────┐
#      eth0 .0.1   eth1 .0.11       eth0 .0.2
#      ┌──────────────────┐        ┌──────────────┐
#      │ hv1  vnetd       │        │ hv2  vnetd   │
#      └──────────────────┘        └──────────────┘
#       vm1-h                        vm2-h
#        │                            │
#       vm1 10.0.1.11                vm2 10.0.1.12
#
#   (a) underlay eth0: vnet's XDP and tc programs on hv1's eth0 only.
#   (b) apply underlay eth1 (VTEP 198.18.0.11) while vnetd runs: eth0 is
#       released, eth1 carries the overlay (TCP, sha256 checked).
#   (c) vnetd stopped, underlay back to eth0 applied, vnetd started: it
#       finds its underlay program still on eth1 and releases it.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV1_IP2=198.18.0.11
HV2_IP=198.18.0.2
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
TCP_BYTES=$((2 * 1024 * 1024))

lab_init ulm

lab_fabric
lab_host hv1 "$HV1_IP"
_fabric_port hv1b "$HV1_IP2" hv1 eth1
lab_host hv2 "$HV2_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC"

topology() {  # HV1_UNDERLAY HV1_VTEP
  cat <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $2, underlay_interface: $1}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv2, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
EOF
}
topology eth0 "$HV1_IP" >"$LAB_DIR/on-eth0.yaml"
topology eth1 "$HV1_IP2" >"$LAB_DIR/on-eth1.yaml"

# vnet programs on hv1's DEV: "xdp" and/or "tc" (the kernel keeps 15
# characters of a program's name).
vnet_progs() {
  local out=""
  ip -n "$P-hv1" -d link show dev "$1" | grep -q "prog/xdp id [0-9]* name vnet_" && out="xdp"
  tc -n "$P-hv1" filter show dev "$1" ingress 2>/dev/null | grep -q "vnet_" && out="$out tc"
  echo "${out# }"
}
progs_are() {  # DEV WANT
  local got
  got=$(vnet_progs "$1")
  echo "hv1 $1: vnet programs [$got]"
  [[ $got == "$2" ]]
}

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/on-eth0.yaml"

# --- (a)
check "underlay eth0: vnet's XDP and tc on eth0" progs_are eth0 "xdp tc"
check "underlay eth0: nothing of vnet's on eth1" progs_are eth1 ""
check "tcp vm1 -> vm2 over eth0, sha256 verified" tcp_transfer vm1 vm2 "$VM2_IP" "$TCP_BYTES"

# --- (b) moved while vnetd runs
lab_apply "$LAB_DIR/on-eth1.yaml"
check "moved to eth1 while running: programs on eth1" wait_until 10 "eth1" progs_are eth1 "xdp tc"
check "moved to eth1 while running: eth0 released" progs_are eth0 ""
check "tcp vm1 -> vm2 over eth1, sha256 verified" tcp_transfer vm1 vm2 "$VM2_IP" "$TCP_BYTES"
check "tcp vm2 -> vm1 over eth1, sha256 verified" tcp_transfer vm2 vm1 "$VM1_IP" "$TCP_BYTES"

# --- (c) moved back while vnetd is down
lab_vnetd_kill hv1
vnetctl apply -f "$LAB_DIR/on-eth0.yaml" >/dev/null
lab_vnetd hv1
lab_apply "$LAB_DIR/on-eth0.yaml"
check "moved back to eth0 while down: programs on eth0" wait_until 10 "eth0" progs_are eth0 "xdp tc"
check "moved back to eth0 while down: eth1 released at start" wait_until 10 "eth1" progs_are eth1 ""
check "tcp vm1 -> vm2 over eth0 again, sha256 verified" tcp_transfer vm1 vm2 "$VM2_IP" "$TCP_BYTES"

lab_done

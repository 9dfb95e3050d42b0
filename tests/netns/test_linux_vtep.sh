#!/usr/bin/env bash
# test_linux_vtep: vnet hypervisors interoperate with a plain Linux VTEP.
#
#                     br0 198.18.0.0/24 (${P}-fab)
#            ┌──────────────┬─────┴──────────────────┐
#          eth0 198.18.0.1  eth0 198.18.0.2         eth0 198.18.0.3
#        ┌──────────┐    ┌──────────┐      ┌──────────────────────────────┐
#        │ hv1 vnetd│    │ hv2 vnetd│      │ sw1 (role: switch, no vnetd) │
#        └──────────┘    └──────────┘      │  vx0 (vxlan 1001, nolearning)│
#          vm1-h           vm2-h           │   └─ br0 ─ swp1              │
#           │               │              └──────────────────────┬───────┘
#          vm1 10.0.1.11   vm2 10.0.1.12                          │
#                                                                bm1 10.0.1.21
#                                                       (bare-metal server)
#
# sw1 is configured by this test as a Cumulus-style Linux VTEP: a vxlan
# device without learning, bridged with the server port, head-end
# replication lists (all-zero FDB entries) to the vnet hosts, and a static
# FDB entry per VM MAC. The topology declares sw1 as a `role: switch` host
# and bm1 as an endpoint on its port swp1; vnetd runs only on hv1 and hv2.
# ARP (broadcast and unicast) and content-checked TCP work both ways
# between bm1 and the VMs, and BUM from the VMs reaches the Linux VTEP.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
SW1_IP=198.18.0.3
VXLAN_PORT=4789
BLUE_VNI=1001
BLUE_NET=10.0.1.0/24
OVERLAY_MTU=1450
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
BM1_IP=10.0.1.21; BM1_MAC=02:00:00:00:01:21
UNKNOWN_IP=10.0.1.99
TCP_BYTES=$((4 * 1024 * 1024))

lab_init lvtep

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_host sw1 "$SW1_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC"
lab_vm sw1 bm1 "$BM1_IP" "$BM1_MAC" "$OVERLAY_MTU" swp1

# --- sw1: the Linux VTEP
sw() { ip netns exec "$P-sw1" "$@"; }
sw ip link add vx0 type vxlan id "$BLUE_VNI" local "$SW1_IP" dstport "$VXLAN_PORT" nolearning dev eth0
sw ip link add br0 type bridge stp_state 0 mcast_snooping 0
sw ip link set vx0 master br0
sw ip link set swp1 master br0
sw ip link set vx0 mtu "$OVERLAY_MTU" up
sw ip link set br0 up
for vtep in "$HV1_IP" "$HV2_IP"; do
  sw bridge fdb append 00:00:00:00:00:00 dev vx0 dst "$vtep"        # BUM head-end replication
done
sw bridge fdb add "$VM1_MAC" dev vx0 dst "$HV1_IP" self permanent
sw bridge fdb add "$VM2_MAC" dev vx0 dst "$HV2_IP" self permanent
sw bridge fdb add "$VM1_MAC" dev vx0 master static
sw bridge fdb add "$VM2_MAC" dev vx0 master static

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
underlay:
  vxlan_port: $VXLAN_PORT
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
  - {name: sw1, role: switch, vtep_ip: $SW1_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: $BLUE_VNI, subnet: $BLUE_NET}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv2, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
  - {name: bm1, host: sw1, network: blue, interface: swp1, mac: "$BM1_MAC", ip: $BM1_IP}
EOF

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/topology.yaml"

arp_answer_is() {  # FROM TO_IP EXPECTED_MAC [DST_MAC for a unicast request]
  local res
  res=$(traffic "$1" arping --iface eth0 --to "$2" --count 3 ${4:+--dst-mac "$4"}) || true
  echo "$res"
  json_eval "$res" "d['replies'] >= 1 and set(d['macs']) == {'$3'}"
}

# --- ARP, both directions, broadcast and unicast
check "bm1: broadcast ARP for vm1 ($VM1_IP) answered with $VM1_MAC" arp_answer_is bm1 "$VM1_IP" "$VM1_MAC"
check "bm1: broadcast ARP for vm2 ($VM2_IP) answered with $VM2_MAC" arp_answer_is bm1 "$VM2_IP" "$VM2_MAC"
check "bm1: unicast ARP to vm1's MAC answered" arp_answer_is bm1 "$VM1_IP" "$VM1_MAC" "$VM1_MAC"
check "vm1: broadcast ARP for bm1 ($BM1_IP) answered with $BM1_MAC" arp_answer_is vm1 "$BM1_IP" "$BM1_MAC"
check "vm2: unicast ARP to bm1's MAC answered with $BM1_MAC" \
  arp_answer_is vm2 "$BM1_IP" "$BM1_MAC" "$BM1_MAC"

# BUM from a VM (ARP for an address nobody has) is replicated to sw1 and
# arrives at the bare-metal server.
bum_reaches_bm1() {
  local ready=$LAB_DIR/bm-sniff.ready stop=$LAB_DIR/bm-sniff.stop res
  rm -f "$ready" "$stop"
  local seen="any(g['src_mac'] == '$VM1_MAC' and g.get('arp_op') == 1 and g.get('dst_ip') == '$UNKNOWN_IP' for g in d['by'])"
  bg_start bm-sniff bm1 "$LAB_PY" "$TRAFFIC" sniff --iface eth0 --duration 20 --ready "$ready" \
    --stop-file "$stop" --status "$LAB_DIR/bm-sniff.status"
  wait_until 10 "sniffer in bm1" test -e "$ready" || return 1
  traffic vm1 arping --iface eth0 --to "$UNKNOWN_IP" --count 3 --timeout 0.5 --expect-none >/dev/null || true
  wait_until 5 "vm1's ARP requests at bm1" json_file_eval "$LAB_DIR/bm-sniff.status" "$seen" || true
  touch "$stop"
  bg_wait bm-sniff 10 || true
  res=$(bg_out bm-sniff)
  echo "bm1 saw: $res"
  json_eval "${res:-{\}}" "$seen"
}
check "vm1's broadcast ARP for $UNKNOWN_IP reaches bm1 through sw1" bum_reaches_bm1

# --- ping and TCP, both directions
check "ping bm1 -> vm1" ping_ok bm1 "$VM1_IP"
check "ping bm1 -> vm2" ping_ok bm1 "$VM2_IP"
check "ping vm1 -> bm1" ping_ok vm1 "$BM1_IP"
check "ping vm2 -> bm1" ping_ok vm2 "$BM1_IP"
check "tcp bm1 -> vm1 $TCP_BYTES bytes, sha256 verified" tcp_transfer bm1 vm1 "$VM1_IP" "$TCP_BYTES"
check "tcp vm1 -> bm1 $TCP_BYTES bytes, sha256 verified" tcp_transfer vm1 bm1 "$BM1_IP" "$TCP_BYTES"
check "tcp bm1 -> vm2 $TCP_BYTES bytes, sha256 verified" tcp_transfer bm1 vm2 "$VM2_IP" "$TCP_BYTES"
check "tcp vm2 -> bm1 $TCP_BYTES bytes, sha256 verified" tcp_transfer vm2 bm1 "$BM1_IP" "$TCP_BYTES"

# The VMs still reach each other (sw1 in the flood lists changes nothing).
check "ping vm1 -> vm2" ping_ok vm1 "$VM2_IP"

lab_done

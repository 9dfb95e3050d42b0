#!/usr/bin/env bash
# test_l2_basic: one L2 overlay network across bridged and routed VTEPs.
#
#                          ${P}-fab                         ${P}-rt
#         br0 198.18.0.0/24 ─────────────── eth0 .0.254 ┌──────────┐ .1.254 eth1 ── br1 198.18.1.0/24
#          │                  │                          │ forwards │                   │
#        eth0 198.18.0.1    eth0 198.18.0.2              └──────────┘              eth0 198.18.1.3
#        ┌─────┐            ┌─────┐                                                ┌─────┐
#        │ hv1 │ vnetd      │ hv2 │ vnetd                                          │ hv3 │ vnetd
#        └─────┘            └─────┘                                                └─────┘
#        vm1-h vm2-h         vm3-h                                                  vm4-h
#         │      │             │                                                      │
#        vm1    vm2           vm3                                                    vm4
#      10.0.1.11 .12         10.0.1.13                                             10.0.1.14
#
# Network blue (VNI 1001, 10.0.1.0/24) spans all three hypervisors. Every
# pair of VMs — same host (vm1-vm2), across the bridge (hv1-hv2) and across
# the underlay router (hv1/hv2-hv3) — pings both ways and moves several MB
# over TCP with the content checked by sha256. With XDP on every underlay
# NIC, the hosts' own underlay traffic (ping, TCP, UDP to another port)
# still works, bridged and routed.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
HV3_IP=198.18.1.3
BLUE_VNI=1001
BLUE_NET=10.0.1.0/24
BLUE_BCAST=10.0.1.255
BCAST_PORT=6200
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
VM4_IP=10.0.1.14; VM4_MAC=02:00:00:00:01:14
TCP_BYTES=$((4 * 1024 * 1024))

lab_init l2

lab_fabric
lab_router
lab_host hv1 "$HV1_IP" "$LAB_RT0_IP"
lab_host hv2 "$HV2_IP" "$LAB_RT0_IP"
lab_host hv3 "$HV3_IP" "$LAB_RT1_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv1 vm2 "$VM2_IP" "$VM2_MAC"
lab_vm hv2 vm3 "$VM3_IP" "$VM3_MAC"
lab_vm hv3 vm4 "$VM4_IP" "$VM4_MAC"

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
underlay:
  mtu: 1500
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
  - {name: hv3, vtep_ip: $HV3_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: $BLUE_VNI, subnet: $BLUE_NET}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv1, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
  - {name: vm3, host: hv2, network: blue, interface: vm3-h, mac: "$VM3_MAC", ip: $VM3_IP}
  - {name: vm4, host: hv3, network: blue, interface: vm4-h, mac: "$VM4_MAC", ip: $VM4_IP}
EOF

lab_vnetd hv1
lab_vnetd hv2
lab_vnetd hv3
lab_apply "$LAB_DIR/topology.yaml"

# --- the datapath is where the contract puts it
for h in hv1 hv2 hv3; do
  check "$h: XDP attached to the underlay eth0" \
    bash -c "ip -n $P-$h -d link show dev eth0 | grep -q 'prog/xdp'"
done
for pair in hv1:vm1 hv1:vm2 hv2:vm3 hv3:vm4; do
  h=${pair%%:*}; vm=${pair##*:}
  check "$h: tc ingress program on $vm-h" \
    bash -c "tc -n $P-$h filter show dev $vm-h ingress | grep -q bpf"
done

# --- every pair of VMs, both directions
declare -A IP=([vm1]=$VM1_IP [vm2]=$VM2_IP [vm3]=$VM3_IP [vm4]=$VM4_IP)
declare -A MAC=([vm1]=$VM1_MAC [vm2]=$VM2_MAC [vm3]=$VM3_MAC [vm4]=$VM4_MAC)
declare -A WHERE=([vm1-vm2]="same host" [vm1-vm3]="across the bridge" [vm2-vm3]="across the bridge"
                  [vm1-vm4]="across the router" [vm2-vm4]="across the router" [vm3-vm4]="across the router")
PAIRS="vm1-vm2 vm1-vm3 vm2-vm3 vm1-vm4 vm2-vm4 vm3-vm4"

for pair in $PAIRS; do
  a=${pair%-*}; b=${pair#*-}
  check "ping $a -> $b (${WHERE[$pair]})" ping_ok "$a" "${IP[$b]}"
  check "ping $b -> $a (${WHERE[$pair]})" ping_ok "$b" "${IP[$a]}"
done

# ARP resolved to the right MACs (answered by the datapath or the peer).
for pair in $PAIRS; do
  a=${pair%-*}; b=${pair#*-}
  check "$a's neighbour entry for $b is ${MAC[$b]}" \
    bash -c "ip -n $P-$a neigh show ${IP[$b]} dev eth0 | grep -qi 'lladdr ${MAC[$b]}'"
done

for pair in $PAIRS; do
  a=${pair%-*}; b=${pair#*-}
  check "tcp $a -> $b $TCP_BYTES bytes, sha256 verified (${WHERE[$pair]})" \
    tcp_transfer "$a" "$b" "${IP[$b]}" "$TCP_BYTES"
  check "tcp $b -> $a $TCP_BYTES bytes, sha256 verified (${WHERE[$pair]})" \
    tcp_transfer "$b" "$a" "${IP[$a]}" "$TCP_BYTES"
done

# --- broadcast: replicated to the local endpoints and to every VTEP of the
# network (bridged and routed). 100 datagrams to 10.0.1.255 from vm1.
broadcast_reaches_all() {
  local vm res ok=0
  for vm in vm2 vm3 vm4; do
    rm -f "$LAB_DIR/bc-$vm.ready"
    bg_start "bc-$vm" "$vm" "$LAB_PY" "$TRAFFIC" udp-recv --port "$BCAST_PORT" --senders 1 --duration 20 \
      --ready "$LAB_DIR/bc-$vm.ready"
  done
  for vm in vm2 vm3 vm4; do
    wait_until 10 "receiver in $vm" test -e "$LAB_DIR/bc-$vm.ready" || return 1
  done
  traffic vm1 udp-send --to "$BLUE_BCAST" --broadcast --port "$BCAST_PORT" --rate 200 --count 100 \
    --duration 10 --tag bc
  for vm in vm2 vm3 vm4; do
    bg_wait "bc-$vm" 25 || true
    res=$(bg_out "bc-$vm")
    echo "$vm: $res"
    json_eval "${res:-{\}}" "d['streams'].get('$VM1_IP/bc', {}).get('unique') == 100" || ok=1
  done
  return $ok
}
check "broadcast from vm1 to $BLUE_BCAST reaches vm2 (same host), vm3 (bridged), vm4 (routed): 100 each" \
  broadcast_reaches_all

# --- the hosts' own underlay traffic passes XDP untouched
check "underlay ping hv1 -> hv2 (bridged)" ping_ok hv1 "$HV2_IP"
check "underlay ping hv3 -> hv1 (routed)" ping_ok hv3 "$HV1_IP"
check "underlay tcp hv2 -> hv1 $TCP_BYTES bytes, sha256 verified" \
  tcp_transfer hv2 hv1 "$HV1_IP" "$TCP_BYTES"
check "underlay tcp hv1 -> hv3 $TCP_BYTES bytes, sha256 verified (routed)" \
  tcp_transfer hv1 hv3 "$HV3_IP" "$TCP_BYTES"

# UDP to a port other than VXLAN's is the host's: 500 datagrams, none lost.
udp_underlay() {
  local ready=$LAB_DIR/uu.ready res snd
  rm -f "$ready"
  bg_start uu hv1 "$LAB_PY" "$TRAFFIC" udp-recv --port 4790 --duration 20 --ready "$ready"
  snd=$(traffic hv2 udp-send --to "$HV1_IP" --port 4790 --rate 500 --count 500 --duration 10 \
          --wait-ready "$ready" --tag under)
  bg_wait uu 25 || true
  res=$(bg_out uu)
  echo "sent: $snd"; echo "received: $res"
  json_eval "$res" 'd["streams"] and all(s["missing"] == 0 and s["expected"] == 500 for s in d["streams"].values())'
}
check "underlay udp hv2 -> hv1:4790, 500 datagrams, none missing" udp_underlay

lab_done

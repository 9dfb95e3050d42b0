#!/usr/bin/env bash
# test_restart: forwarding survives kill -9 of vnetd, its restart, and an
# apply that changes other endpoints — not one packet lost.
#
#              br0 198.18.0.0/24 (${P}-fab)
#            ┌────────┴──────────────┐
#          eth0 198.18.0.1         eth0 198.18.0.2
#        ┌──────────────┐        ┌──────────────┐
#        │ hv1  vnetd   │        │ hv2  vnetd   │
#        └──────────────┘        └──────────────┘
#        vm1-h vm3-h vm5-h        vm2-h vm4-h
#         │     │     │            │     │
#        vm1   vm3   vm5          vm2   vm4
#
#   blue (VNI 1001, 10.0.1.0/24): vm1 .11 @hv1, vm2 .12 @hv2 carry two
#   sequence-numbered UDP streams (vm1 -> vm2 and vm2 -> vm1, 1,000
#   packets/s each). Meanwhile:
#     1. kill -9 vnetd on hv1, then on hv2 (forwarding continues)
#     2. restart both (they adopt the pinned maps: same map ids)
#     3. apply a topology that removes vm4 and adds vm5 (vm3 stays)
#   Each step waits for the streams to move on by at least STEP_PACKETS.
#   Then the receivers must report no missing and no duplicate packet.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
BLUE_VNI=1001
BLUE_NET=10.0.1.0/24
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
VM4_IP=10.0.1.14; VM4_MAC=02:00:00:00:01:14
VM5_IP=10.0.1.15; VM5_MAC=02:00:00:00:01:15
UDP_PORT=6100
RATE=1000           # packets per second, each direction
STEP_PACKETS=1000   # each step: the streams move on by at least this much

lab_init rst

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC"
lab_vm hv1 vm3 "$VM3_IP" "$VM3_MAC"
lab_vm hv2 vm4 "$VM4_IP" "$VM4_MAC"
lab_vm hv1 vm5 "$VM5_IP" "$VM5_MAC"

cat >"$LAB_DIR/common.yaml" <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: $BLUE_VNI, subnet: $BLUE_NET}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv2, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
  - {name: vm3, host: hv1, network: blue, interface: vm3-h, mac: "$VM3_MAC", ip: $VM3_IP}
EOF
cat >"$LAB_DIR/gen1.yaml" <<EOF
version: 1
endpoints:
  - {name: vm4, host: hv2, network: blue, interface: vm4-h, mac: "$VM4_MAC", ip: $VM4_IP}
EOF
cat >"$LAB_DIR/gen2.yaml" <<EOF
version: 1
endpoints:
  - {name: vm5, host: hv1, network: blue, interface: vm5-h, mac: "$VM5_MAC", ip: $VM5_IP}
EOF

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/common.yaml" "$LAB_DIR/gen1.yaml"

check "ping vm1 -> vm2 before the streams" ping_ok vm1 "$VM2_IP"
check "ping vm4 -> vm3 before the change" ping_ok vm4 "$VM3_IP"

map_id() {  # HOST MAP: the kernel id of a pinned map ("" if none)
  local j
  j=$(bpftool -j map show pinned "$(lab_pin_dir "$1")/$2" 2>/dev/null) || return 0
  json_get "$j" id
}
declare -A FDB_ID=()
for h in hv1 hv2; do FDB_ID[$h]=$(map_id "$h" vnet_fdb); done

# --- the streams
STOP=$LAB_DIR/streams.stop
start_stream() {  # NAME FROM TO TO_IP
  rm -f "$LAB_DIR/rx-$1.ready" "$LAB_DIR/rx-$1.status"
  bg_start "rx-$1" "$3" "$LAB_PY" "$TRAFFIC" udp-recv --port "$UDP_PORT" --senders 1 --duration 300 \
    --ready "$LAB_DIR/rx-$1.ready" --status "$LAB_DIR/rx-$1.status"
  bg_start "tx-$1" "$2" "$LAB_PY" "$TRAFFIC" udp-send --to "$4" --port "$UDP_PORT" --rate "$RATE" \
    --duration 240 --stop-file "$STOP" --tag "$1" --wait-ready "$LAB_DIR/rx-$1.ready"
}
rx_count() { "$LAB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$1" 2>/dev/null || echo 0; }
# advance STEP: both streams move on by STEP_PACKETS from now.
advance() {
  local step=$1 s n
  for s in fwd rev; do
    n=$(rx_count "$LAB_DIR/rx-$s.status")
    wait_until 30 "stream $s past $((n + STEP_PACKETS)) packets ($step)" \
      json_file_ge "$LAB_DIR/rx-$s.status" received $((n + STEP_PACKETS)) ||
      fatal "stream $s stalled ($step): $(cat "$LAB_DIR/rx-$s.status" 2>/dev/null)"
  done
  log "streams moving after: $step"
}
start_stream fwd vm1 vm2 "$VM2_IP"
start_stream rev vm2 vm1 "$VM1_IP"
advance "start"
vm1_tx() { lab_stats hv1 vm1 | json_get "$(cat)" endpoints.0.tx_packets; }
VM1_TX_BEFORE=$(vm1_tx)

# 1. kill -9: the datapath keeps forwarding on its own.
lab_vnetd_kill hv1 KILL
advance "kill -9 vnetd on hv1"
lab_vnetd_kill hv2 KILL
advance "kill -9 vnetd on hv2"

# 2. restart: the daemons adopt what is pinned.
lab_vnetd hv1
lab_vnetd hv2
advance "vnetd restarted on hv1 and hv2"
# Wait until both report the stored generation again (apply of the same
# documents: no change, returns once every live vnetd reports it).
lab_apply "$LAB_DIR/common.yaml" "$LAB_DIR/gen1.yaml"
advance "restarted daemons reconciled"
for h in hv1 hv2; do
  check "$h: restarted vnetd adopted the pinned vnet_fdb (map id ${FDB_ID[$h]})" \
    test -n "${FDB_ID[$h]}" -a "$(map_id "$h" vnet_fdb)" = "${FDB_ID[$h]}"
done
# Counters live in pinned maps at the slot vnet_ep_slots records: the
# restarted vnetd finds vm1's and keeps counting there.
vm1_counters_kept() {
  local tx; tx=$(vm1_tx)
  echo "vm1 tx_packets: ${VM1_TX_BEFORE:-none} before kill -9, ${tx:-none} after the restart"
  [[ -n $VM1_TX_BEFORE && -n $tx ]] && (( VM1_TX_BEFORE >= STEP_PACKETS && tx >= VM1_TX_BEFORE + 3 * STEP_PACKETS ))
}
check "hv1: vm1's counters survive kill -9 and restart of vnetd" vm1_counters_kept

# 3. an apply that changes other endpoints.
lab_apply "$LAB_DIR/common.yaml" "$LAB_DIR/gen2.yaml"
advance "apply: vm4 removed, vm5 added"
lab_vnetd_kill hv1 KILL
lab_vnetd hv1
advance "kill -9 and restart of vnetd on hv1 after the change"

touch "$STOP"
for s in fwd rev; do bg_wait "tx-$s" 15 || true; done
for s in fwd rev; do bg_wait "rx-$s" 15 || true; done

stream_lossless() {  # NAME
  local tx rx key
  tx=$(bg_out "tx-$1"); rx=$(bg_out "rx-$1")
  echo "sender: $tx"; echo "receiver: $rx"
  [[ -n $tx && -n $rx ]] || return 1
  json_eval "$rx" "len(d['streams']) == 1 and all(s['ended'] and s['missing'] == 0 and s['duplicates'] == 0 and s['expected'] == $(json_get "$tx" seq_end) for s in d['streams'].values())"
}
check "stream vm1 -> vm2: nothing lost or duplicated across kill -9, restart and apply" stream_lossless fwd
check "stream vm2 -> vm1: nothing lost or duplicated across kill -9, restart and apply" stream_lossless rev
log "fwd: $(bg_out tx-fwd)"
log "rev: $(bg_out tx-rev)"

# The change itself took effect.
check "vm5 (added with the streams running) reaches vm2" ping_ok vm5 "$VM2_IP"
check "vm4 (removed) reaches nothing" ping_fails vm4 "$VM3_IP"

lab_done

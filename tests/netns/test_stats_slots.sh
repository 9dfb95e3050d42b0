#!/usr/bin/env bash
# test_stats_slots: a full host that replaces many endpoints at once keeps
# forwarding and counts every endpoint.
#
#          br0 198.18.0.0/24 (${P}-fab)
#               │
#             eth0 198.18.0.1
#          ┌──────────────────┐
#          │ hv1  vnetd       │  + 8,190 endpoints without an interface
#          └──────────────────┘    (networks fill000.., 64 each)
#          vm1-h  vm2-h  vm3-h
#
# hv1 holds VNET_MAX_PORTS (8,192) local endpoints: vm1 and vm2 (blue, VNI
# 1001) and 8,190 fillers whose interfaces do not exist (they still get a
# stats slot: counters outlive a missing tap). The second generation
# replaces 500 of them: 499 new fillers and vm3 (blue, with an interface).
# The 500 that leave keep their slots reserved until the pass that prunes
# their entries has succeeded, so the newcomers find none free: vnetd must
# program them uncounted and give them slots in a second round of the same
# pass (docs/architecture.md, "Stats slots"), never fail the pass. Shown by:
# the apply converging, the warning in vnetd's log, vm3 reaching vm1 and
# its packets counted, and vm1's counters going on across the change.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
FILLERS=8190   # + vm1 and vm2: VNET_MAX_PORTS
REPLACED=500   # fillers 0..499 leave; 499 new fillers and vm3 arrive

lab_init slot
lab_fabric
lab_host hv1 "$HV1_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv1 vm2 "$VM2_IP" "$VM2_MAC"
lab_vm hv1 vm3 "$VM3_IP" "$VM3_MAC"

# generation FILE FIRST LAST [vm3]: fillers FIRST..LAST (their index gives
# name, network, MAC and address: 64 to a network, the most one host
# floods to), vm1, vm2 and, with a fourth argument, vm3.
generation() {
  "$LAB_PY" - "$@" <<EOF
import sys
out, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with_vm3 = len(sys.argv) > 4
nets = range(first // 64, last // 64 + 1)
lines = ["version: 1",
         "hosts:",
         "  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}",
         "networks:",
         "  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}"]
lines += ["  - {name: fill%03d, vni: %d, subnet: 10.%d.%d.0/24}" % (n, 2000 + n, 64 + n // 256, n % 256)
          for n in nets]
lines += ["endpoints:",
          "  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: '$VM1_MAC', ip: $VM1_IP}",
          "  - {name: vm2, host: hv1, network: blue, interface: vm2-h, mac: '$VM2_MAC', ip: $VM2_IP}"]
if with_vm3:
    lines.append("  - {name: vm3, host: hv1, network: blue, interface: vm3-h, mac: '$VM3_MAC', ip: $VM3_IP}")
for i in range(first, last + 1):
    n = i // 64
    lines.append("  - {name: f%05d, host: hv1, network: fill%03d, interface: f%05d-h, "
                 "mac: '02:00:00:08:%02x:%02x', ip: 10.%d.%d.%d}"
                 % (i, n, i, i >> 8, i & 0xff, 64 + n // 256, n % 256, i % 64 + 1))
open(out, "w").write("\n".join(lines) + "\n")
EOF
}
generation "$LAB_DIR/gen1.yaml" 0 $((FILLERS - 1))
generation "$LAB_DIR/gen2.yaml" "$REPLACED" $((FILLERS + REPLACED - 2)) vm3

lab_vnetd hv1
lab_apply "$LAB_DIR/gen1.yaml"
check "ping vm1 -> vm2 with $((FILLERS + 2)) endpoints on hv1" ping_ok vm1 "$VM2_IP"
check_fails "vm3 (not in the topology yet) reaches nothing" ping_ok vm3 "$VM1_IP" 1

ep_counter() {  # ENDPOINT FIELD
  lab_stats hv1 "$1" | json_get "$(cat)" "endpoints.0.$2"
}
check "vm1 -> vm2, 30 echoes (vm1's counters to carry over)" ping_ok vm1 "$VM2_IP" 30
VM1_TX_BEFORE=$(ep_counter vm1 tx_packets)

# vnet_ep_slots' record for endpoint ID, read with bpftool: the slot it owns.
slot_of_endpoint() {  # ID
  bpftool -j map dump pinned "$(lab_pin_dir hv1)/vnet_ep_slots" | "$LAB_PY" -c '
import json, sys
want = int(sys.argv[1])
for e in json.load(sys.stdin):
    k, v = e["key"], e["value"]
    k = int.from_bytes(bytes(int(b, 16) for b in k), "little") if isinstance(k, list) else int(k)
    v = int.from_bytes(bytes(int(b, 16) for b in v), "little") if isinstance(v, list) else int(v)
    if v == want:
        print(k)
' "$1"
}

lab_apply "$LAB_DIR/gen2.yaml"
check "vnetd warned that the newcomers waited for the slots of those that left" \
  grep -q "endpoints uncounted until the slots of endpoints that left are free" \
  "$LAB_DIR/vnetd-hv1.log"
no_error_and_ok() {
  local log=$LAB_DIR/vnetd-hv1.log
  grep 'generation [0-9]*: ' "$log" | tail -n 3
  ! grep -q ': error: ' "$log" && grep 'generation [0-9]*: ' "$log" | tail -n 1 | grep -q ': ok$'
}
check "vnetd logged no error, and its last generation is ok" no_error_and_ok
VM3_ID=$(ep_counter vm3 id)
vm3_slot_recorded() {
  local slot; slot=$(slot_of_endpoint "${VM3_ID:-0}")
  echo "vm3 (id ${VM3_ID:-none}) owns slot(s): ${slot:-none}"
  [[ -n $VM3_ID && $(wc -w <<<"$slot") -eq 1 ]]
}
# lab_apply returned when hv1 reported the generation: the pass is over.
check "vm3 owned one stats slot when the apply returned (given in the same pass)" vm3_slot_recorded
check "vm3 (added with the host full) reaches vm1" ping_ok vm3 "$VM1_IP" 5
check "vm3 -> vm2, content-checked TCP" tcp_transfer vm3 vm2 "$VM2_IP" 200000

vm3_counted() {
  local tx rx
  tx=$(ep_counter vm3 tx_packets); rx=$(ep_counter vm3 rx_packets)
  echo "vm3 tx_packets ${tx:-none}, rx_packets ${rx:-none}"
  [[ -n $tx && -n $rx ]] && (( tx >= 5 && rx >= 5 ))
}
check "vm3's packets are counted (it got a slot in the same pass)" vm3_counted
vm1_counted_on() {
  local tx
  tx=$(ep_counter vm1 tx_packets)
  echo "vm1 tx_packets: ${VM1_TX_BEFORE:-none} before the change, ${tx:-none} after"
  [[ -n $VM1_TX_BEFORE && -n $tx ]] && (( VM1_TX_BEFORE >= 30 && tx >= VM1_TX_BEFORE + 3 ))
}
check "ping vm1 -> vm2 after the change" ping_ok vm1 "$VM2_IP"
check "vm1 kept its slot: its counters went on across the change" vm1_counted_on

lab_done

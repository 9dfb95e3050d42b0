#!/usr/bin/env bash
# test_endpoint_lifecycle: endpoints removed, added late, recreated, reclaimed.
#
#              br0 198.18.0.0/24 (${P}-fab)
#            ┌────────┴──────────────┐
#          eth0 198.18.0.1         eth0 198.18.0.2
#        ┌──────────────────┐    ┌──────────────┐
#        │ hv1  udp :7000   │    │     hv2      │
#        └──────────────────┘    └──────────────┘
#        vm1-h vm3-h ctl-h        vm2-h vm4-h
#         │     │     │            │     │
#        vm1   vm3   ctl          vm2   vm4 (created after the apply)
#
#   blue (VNI 1001, 10.0.1.0/24): vm1 .11 @hv1, vm2 .12 @hv2, vm3 .13 @hv1,
#   vm4 .14 @hv2. ctl (10.0.1.99) is a plain veth on hv1 that is in no
#   topology: the control proving that hv1's host stack would see a
#   broadcast from an unmanaged interface (a UDP listener on hv1, bound to
#   all addresses, gets it), so the same probe from vm3 is meaningful.
#
# 1. vm3 is an endpoint: it talks to vm1 and vm2; its broadcasts never
#    reach hv1's stack.
# 2. vm4's interface appears after the apply: vnetd attaches on the link
#    notification and vm4 gets connectivity; the same after its interface
#    is deleted and created again (new ifindex).
# 3. vm3 is removed (apply without it): its pings fail, nothing it sends
#    (unicast, broadcast, ARP) arrives at vm1 or vm2 or hv1's stack, while
#    vm1-vm2 keeps working.
# 4. vm3 is added back: connectivity returns, and its counters start from
#    zero (its stats slot, freed at its removal, is the lowest free one, so
#    it gets the same slot back, and vnetd zeroes a slot before giving it).

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
BLUE_VNI=1001
BLUE_NET=10.0.1.0/24
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
VM4_IP=10.0.1.14; VM4_MAC=02:00:00:00:01:14
CTL_IP=10.0.1.99; CTL_MAC=02:00:00:00:01:99
HOST_PORT=7000      # UDP listener in hv1's own stack
VM_PORT=7001        # UDP listeners in vm1 and vm2
TCP_BYTES=$((2 * 1024 * 1024))

lab_init life

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC"
lab_vm hv1 vm3 "$VM3_IP" "$VM3_MAC"
lab_vm hv1 ctl "$CTL_IP" "$CTL_MAC"

topology() {  # FILE WITH_VM3(0|1)
  {
    cat <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: $BLUE_VNI, subnet: $BLUE_NET}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv2, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
  - {name: vm4, host: hv2, network: blue, interface: vm4-h, mac: "$VM4_MAC", ip: $VM4_IP}
EOF
    if [[ $2 -eq 1 ]]; then
      echo "  - {name: vm3, host: hv1, network: blue, interface: vm3-h, mac: \"$VM3_MAC\", ip: $VM3_IP}"
    fi
  } >"$1"
}
topology "$LAB_DIR/with-vm3.yaml" 1
topology "$LAB_DIR/without-vm3.yaml" 0

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/with-vm3.yaml"

# host_sees_broadcast FROM_VM: a UDP broadcast sent out of FROM_VM's eth0
# reaches the listener in hv1's own stack (exit 0) or not (exit 1).
host_sees_broadcast() {
  local vm=$1 ready=$LAB_DIR/hostrx.ready res
  rm -f "$ready"
  bg_start hostrx hv1 "$LAB_PY" "$TRAFFIC" udp-recv --port "$HOST_PORT" --senders 1 --duration 5 \
    --ready "$ready"
  traffic "$vm" udp-send --to 255.255.255.255 --broadcast --bind-dev eth0 --port "$HOST_PORT" \
    --rate 200 --count 100 --duration 5 --tag "bc-$vm" --wait-ready "$ready" >/dev/null || true
  bg_wait hostrx 10 || true
  res=$(bg_out hostrx)
  echo "hv1 stack received: $res"
  json_eval "${res:-{\}}" "d['total']['received'] > 0"
}

# --- 1. a live endpoint
check "ping vm1 -> vm2" ping_ok vm1 "$VM2_IP"
check "ping vm3 -> vm1 (same host)" ping_ok vm3 "$VM1_IP"
check "ping vm3 -> vm2 (across hosts)" ping_ok vm3 "$VM2_IP"
check "control: hv1's stack receives a broadcast from the unmanaged interface ctl-h" \
  host_sees_broadcast ctl
check_fails "hv1's stack never sees vm3's broadcast (endpoint interface)" \
  host_sees_broadcast vm3
traffic vm3 udp-send --to "$VM1_IP" --port "$VM_PORT" --rate 1000 --count 300 --duration 5 --tag counted >/dev/null || true
vm3_tx() { lab_stats hv1 vm3 | json_get "$(cat)" endpoints.0.tx_packets; }
VM3_TX_BEFORE=$(vm3_tx)
check "vm3's counters on hv1 count its 300 datagrams and pings (tx_packets ${VM3_TX_BEFORE:-none})" \
  test "${VM3_TX_BEFORE:-0}" -ge 306

# --- 2. an interface created after the apply
lab_vm hv2 vm4 "$VM4_IP" "$VM4_MAC"
check "vm4 (interface created after apply) reaches vm1 within 10 s" wait_ping 10 vm4 "$VM1_IP"
check "ping vm1 -> vm4" ping_ok vm1 "$VM4_IP"
check "ping vm4 -> vm2 (same host)" ping_ok vm4 "$VM2_IP"
check "tcp vm4 -> vm1 $TCP_BYTES bytes, sha256 verified" tcp_transfer vm4 vm1 "$VM1_IP" "$TCP_BYTES"
lab_vm_del hv2 vm4
lab_vm hv2 vm4 "$VM4_IP" "$VM4_MAC"
check "vm4 recreated (new ifindex) reaches vm1 within 10 s" wait_ping 10 vm4 "$VM1_IP"
check "ping vm2 -> vm4 after recreation" ping_ok vm2 "$VM4_IP"

# --- 3. vm3 removed
lab_apply "$LAB_DIR/without-vm3.yaml"
check "tc program still on vm3-h after removal (interface keeps dropping)" \
  bash -c "tc -n $P-hv1 filter show dev vm3-h ingress | grep -q bpf"

stop=$LAB_DIR/sniff.stop
for vm in vm1 vm2; do
  bg_start "sniff-$vm" "$vm" "$LAB_PY" "$TRAFFIC" sniff --iface eth0 --duration 120 \
    --ready "$LAB_DIR/sniff-$vm.ready" --stop-file "$stop"
  bg_start "rx-$vm" "$vm" "$LAB_PY" "$TRAFFIC" udp-recv --port "$VM_PORT" --senders 0 --duration 120 \
    --ready "$LAB_DIR/rx-$vm.ready" --status "$LAB_DIR/rx-$vm.status" --stop-file "$stop"
done
for vm in vm1 vm2; do
  wait_until 10 "listeners in $vm" test -e "$LAB_DIR/sniff-$vm.ready" -a -e "$LAB_DIR/rx-$vm.ready" \
    || die "listeners in $vm did not start"
done

check "removed vm3: ping vm3 -> vm1 fails" ping_fails vm3 "$VM1_IP"
check "removed vm3: ping vm3 -> vm2 fails" ping_fails vm3 "$VM2_IP"
check "removed vm3: no ARP answer for vm1 (broadcast)" \
  traffic vm3 arping --iface eth0 --to "$VM1_IP" --count 3 --timeout 1 --expect-none
check "removed vm3: no ARP answer for vm2 (unicast to its MAC)" \
  traffic vm3 arping --iface eth0 --to "$VM2_IP" --dst-mac "$VM2_MAC" --count 3 --timeout 1 --expect-none
# vm3 still has vm1's and vm2's MACs in its neighbour table: unicast UDP.
traffic vm3 udp-send --to "$VM1_IP" --port "$VM_PORT" --rate 500 --count 200 --duration 5 --tag gone >/dev/null || true
traffic vm3 udp-send --to "$VM2_IP" --port "$VM_PORT" --rate 500 --count 200 --duration 5 --tag gone >/dev/null || true
traffic vm3 udp-send --to 10.0.1.255 --broadcast --port "$VM_PORT" --rate 500 --count 200 --duration 5 --tag gone >/dev/null || true
check_fails "removed vm3: hv1's stack does not see its broadcast" \
  host_sees_broadcast vm3
check "vm1 -> vm2 still works after vm3's removal" ping_ok vm1 "$VM2_IP"
# Control: 50 datagrams between vm1 and vm2, sent after vm3's, prove the
# listeners work; once they are in, anything of vm3's would be too.
traffic vm1 udp-send --to "$VM2_IP" --port "$VM_PORT" --rate 500 --count 50 --duration 5 --tag alive >/dev/null || true
traffic vm2 udp-send --to "$VM1_IP" --port "$VM_PORT" --rate 500 --count 50 --duration 5 --tag alive >/dev/null || true
for vm in vm1 vm2; do
  wait_until 5 "$vm's listener got the control datagrams" json_file_ge "$LAB_DIR/rx-$vm.status" ended 1 || true
done
touch "$stop"
for vm in vm1 vm2; do bg_wait "sniff-$vm" 10 || true; bg_wait "rx-$vm" 10 || true; done

nothing_from_vm3() {  # VM PEER_IP
  local sn rx
  sn=$(bg_out "sniff-$1"); rx=$(bg_out "rx-$1")
  echo "sniffer: $sn"; echo "udp: $rx"
  json_eval "${sn:-{\}}" "not [g for g in d['by'] if g['src_mac'] == '$VM3_MAC' or g.get('src_ip') == '$VM3_IP']" &&
  json_eval "${rx:-{\}}" "not [k for k in d['streams'] if k.startswith('$VM3_IP/')] and d['streams'].get('$2/alive', {}).get('unique') == 50"
}
check "removed vm3: nothing from it arrived at vm1 (control: vm2's 50 datagrams did)" nothing_from_vm3 vm1 "$VM2_IP"
check "removed vm3: nothing from it arrived at vm2 (control: vm1's 50 datagrams did)" nothing_from_vm3 vm2 "$VM1_IP"

# --- 4. vm3 claimed again
lab_apply "$LAB_DIR/with-vm3.yaml"
check "vm3 added back reaches vm2 within 10 s" wait_ping 10 vm3 "$VM2_IP"
check "ping vm1 -> vm3 after re-adding" ping_ok vm1 "$VM3_IP"
vm3_counts_anew() {
  local tx; tx=$(vm3_tx)
  echo "vm3 tx_packets: $VM3_TX_BEFORE before its removal, ${tx:-none} since it was added back"
  [[ -n $tx ]] && (( tx > 0 && tx < 300 ))
}
check "vm3 added back counts from zero (its stats slot zeroed before reuse)" vm3_counts_anew

lab_done

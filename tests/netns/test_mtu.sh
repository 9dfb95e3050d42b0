#!/usr/bin/env bash
# test_mtu: VMs left at MTU 1500 on a 1500 underlay learn the overlay MTU
# (1450) from the datapath's ICMP fragmentation-needed.
#
#              br0 198.18.0.0/24 (${P}-fab), MTU 1500
#            ┌────────┴──────────────┐
#          eth0 198.18.0.1         eth0 198.18.0.2
#        ┌──────────────┐        ┌──────────────┐
#        │     hv1      │        │     hv2      │
#        └──────────────┘        └──────────────┘
#          vm1-h   vm3-h            vm2-h
#           │       │ MTU 1500       │ MTU 1500
#          vm1     vm3 (no TSO/GSO) vm2 10.0.1.12
#       10.0.1.11  10.0.1.13
#
# 1. TCP at MTU 1500 (several MB, sha256 checked) completes both ways and
#    the sender learns the PMTU 1450 from the datapath's ICMP frag-needed,
#    with segmentation offloads (vm1, vm2: GSO packets) and without (vm3).
# 2. An echo of 1500 (or 1451) bytes with DF gets ICMP fragmentation-needed,
#    MTU 1450; one of exactly 1450 bytes with DF is answered.
# 3. An echo of 1500 bytes without DF is dropped (VTEPs never fragment):
#    no answer and no ICMP.
# 4. UDP GSO: datagrams that fit arrive whole; too big ones with DF get
#    frag-needed and never arrive resized.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
UNDERLAY_MTU=1500
OVERLAY_MTU=$((UNDERLAY_MTU - 50))
VM_MTU=1500
BLUE_VNI=1001
BLUE_NET=10.0.1.0/24
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
TCP_BYTES=$((8 * 1024 * 1024))
ICMP_HDRS=28        # IPv4 + ICMP echo headers
GSO_PORT=6300
GSO_FIT=$((OVERLAY_MTU - 28))   # UDP payload filling the overlay MTU
GSO_BIG=$((VM_MTU - 28))        # UDP payload filling the VM's MTU

lab_init mtu

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC" "$VM_MTU"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC" "$VM_MTU"
lab_vm hv1 vm3 "$VM3_IP" "$VM3_MAC" "$VM_MTU"
vn_exec vm3 ethtool -K eth0 tso off gso off >/dev/null

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
underlay:
  mtu: $UNDERLAY_MTU
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

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/topology.yaml"

check "underlay eth0 MTU is $UNDERLAY_MTU and vm1's is $VM_MTU" \
  bash -c "ip -n $P-hv1 link show eth0 | grep -q 'mtu $UNDERLAY_MTU ' && ip -n $P-vm1 link show eth0 | grep -q 'mtu $VM_MTU '"
check "ping vm1 -> vm2 (small)" ping_ok vm1 "$VM2_IP"

# route_mtu VM DST: the PMTU the VM's kernel has cached for DST ("" if none).
route_mtu() { ip -n "$P-$1" route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p' | head -n1; }
flush_pmtu() { ip netns exec "$P-$1" ip route flush cache; }

# --- 1. TCP across the overlay at MTU 1500. Caches are flushed first: a
# receiver that knows the PMTU advertises the smaller MSS, and the sender
# would never send a packet too big.
flush_all() { local vm; for vm in vm1 vm2 vm3; do flush_pmtu "$vm"; done; }
for pair in vm1:vm2:$VM2_IP vm2:vm1:$VM1_IP; do
  IFS=: read -r src dst dst_ip <<<"$pair"
  flush_all
  check "tcp $src -> $dst $TCP_BYTES bytes at MTU $VM_MTU (default offloads), sha256 verified" \
    tcp_transfer "$src" "$dst" "$dst_ip" "$TCP_BYTES"
  # GSO segments leave as the VM cut them (FIXED_GSO), so a 1448-byte MSS
  # is too big after encapsulation and the VM must learn the PMTU.
  check "$src learned PMTU $OVERLAY_MTU for $dst from ICMP frag-needed (TSO/GSO on)" \
    test "$(route_mtu "$src" "$dst_ip")" = "$OVERLAY_MTU"
done
# A guest without segmentation offloads sends every segment as its own
# 1500-byte packet: each too big, each answered by frag-needed.
flush_all
check "vm3 (no TSO/GSO) has no PMTU cached for vm2 before the transfer" test -z "$(route_mtu vm3 "$VM2_IP")"
check "tcp vm3 -> vm2 $TCP_BYTES bytes at MTU $VM_MTU without offloads, sha256 verified" \
  tcp_transfer vm3 vm2 "$VM2_IP" "$TCP_BYTES"
check "vm3 learned PMTU $OVERLAY_MTU for vm2 from ICMP frag-needed" \
  test "$(route_mtu vm3 "$VM2_IP")" = "$OVERLAY_MTU"

# --- 2. ICMP fragmentation-needed for DF packets
frag_needed() {  # VM DST SIZE: no echo, ICMP frag-needed with the overlay MTU
  local res
  flush_pmtu "$1"
  res=$(traffic "$1" ping --to "$2" --count 2 --size "$3" --pmtudisc do --timeout 2 --expect-none) || true
  echo "$res"
  json_eval "$res" "d['received'] == 0 and d['frag_needed_count'] >= 1 and all(f['mtu'] == $OVERLAY_MTU for f in d['frag_needed'])"
}
check "vm1: DF echo of $VM_MTU bytes -> ICMP frag-needed MTU $OVERLAY_MTU" \
  frag_needed vm1 "$VM2_IP" $((VM_MTU - ICMP_HDRS))
check "vm2: DF echo of $((OVERLAY_MTU + 1)) bytes -> ICMP frag-needed MTU $OVERLAY_MTU" \
  frag_needed vm2 "$VM1_IP" $((OVERLAY_MTU + 1 - ICMP_HDRS))
flush_pmtu vm1
check "vm1: DF echo of exactly $OVERLAY_MTU bytes is answered" \
  traffic vm1 ping --to "$VM2_IP" --count 3 --interval 0.1 --size $((OVERLAY_MTU - ICMP_HDRS)) --pmtudisc do

# --- 3. no DF: dropped, never fragmented, no ICMP
no_df_dropped() {
  local res
  flush_pmtu vm1
  res=$(traffic vm1 ping --to "$VM2_IP" --count 3 --interval 0.1 --size $((VM_MTU - ICMP_HDRS)) \
          --pmtudisc dont --timeout 1 --expect-none) || true
  echo "$res"
  json_eval "$res" "d['sent'] == 3 and d['received'] == 0 and d['frag_needed_count'] == 0"
}
check "vm1: echo of $VM_MTU bytes without DF is dropped (no answer, no ICMP)" no_df_dropped
# --- 4. UDP GSO (UDP_SEGMENT, as QUIC stacks send): datagrams that fit the
# overlay arrive whole; datagrams too big with DF get frag-needed, and
# whatever arrives is never a resized datagram.
udp_gso() {  # SIZE [UDP-SEND ARGS]: 100 datagrams of SIZE bytes, 4 per GSO send, vm1 -> vm2
  local size=$1 ready=$LAB_DIR/gso.ready snd
  shift
  rm -f "$ready"
  flush_pmtu vm1
  bg_start gso vm2 "$LAB_PY" "$TRAFFIC" udp-recv --port "$GSO_PORT" --senders 1 --duration 10 --ready "$ready"
  snd=$(traffic vm1 udp-send --to "$VM2_IP" --port "$GSO_PORT" --rate 1000 --count 100 --size "$size" \
          --gso --gso-batch 4 --duration 5 --tag gso --wait-ready "$ready" "$@") || true
  bg_wait gso 15 || true
  echo "sent: $snd"
  echo "received: $(bg_out gso)"
}
gso_fits() {
  local res
  res=$(udp_gso "$GSO_FIT") && echo "$res"
  res=$(bg_out gso)
  json_eval "${res:-{\}}" "d['streams'].get('$VM1_IP/gso', {}).get('unique') == 100 and set(d['sizes']) <= {'$GSO_FIT', '28'}"
}
# Linux sets DF on a UDP GSO send only with IP_PMTUDISC_DO (the whole skb
# is larger than the route MTU), so the sender asks for it.
gso_too_big() {
  local res
  res=$(udp_gso "$GSO_BIG" --pmtudisc do) && echo "$res"
  res=$(bg_out gso)
  echo "vm1's route: $(ip -n "$P-vm1" route get "$VM2_IP" | tr -s '\n ' ' ')"
  json_eval "${res:-{\}}" "set(d['sizes']) <= {'$GSO_BIG', '28'}" &&
    test "$(route_mtu vm1 "$VM2_IP")" = "$OVERLAY_MTU"
}
check "UDP GSO: 100 datagrams of $GSO_FIT bytes (fit the overlay) arrive whole" gso_fits
check "UDP GSO: datagrams of $GSO_BIG bytes with DF get frag-needed (vm1 learns $OVERLAY_MTU), none arrive resized" \
  gso_too_big

# Without DF the same datagrams are dropped and counted: VTEPs never fragment.
gso_too_big_no_df() {
  local res before after
  before=$(lab_stats hv1 vm1 | json_get "$(cat)" endpoints.0.drops.too_big) || return 1
  res=$(udp_gso "$GSO_BIG" --pmtudisc dont) && echo "$res"
  res=$(bg_out gso)
  after=$(lab_stats hv1 vm1 | json_get "$(cat)" endpoints.0.drops.too_big) || return 1
  echo "vm1 too_big drops: ${before:-0} before, ${after:-0} after"
  json_eval "${res:-{\}}" "d['streams'].get('$VM1_IP/gso', {}).get('unique', 0) == 0" &&
    (( ${after:-0} - ${before:-0} >= 25 ))
}
check "UDP GSO: datagrams of $GSO_BIG bytes without DF are dropped and counted too_big" gso_too_big_no_df

check "vm1 -> vm2 still fine afterwards" ping_ok vm1 "$VM2_IP"

lab_done

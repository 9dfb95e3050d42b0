#!/usr/bin/env bash
# test_xdp_transmit: vnetd --xdp-transmit, the XDP fast path on endpoint
# interfaces (vnet_xdp_endpoint), with real VMs and real traffic.
#
#              br0 198.18.0.0/24 (${P}-fab; the ports hv1, hv2 run GRO, so
#            ┌────────┴──────────────┐  the hosts' eth0 take XDP frames)
#          eth0 198.18.0.1         eth0 198.18.0.2
#        ┌──────────────┐        ┌──────────────┐
#        │ hv1  vnetd   │        │ hv2  vnetd   │
#        │ --xdp-transmit        │ --xdp-transmit
#        └──────────────┘        └──────────────┘
#         vm1-h   vm2-h           vm3-h    vm4-h
#          │        │               │        │
#         vm1      vm2             vm3      vm4
#     10.0.1.11  10.0.1.12      10.0.1.13  10.0.2.14 (red, behind router r1)
#     tx csum off  defaults
#
# vm1 computes its checksums itself (ethtool -K eth0 tx off), as a guest on
# a tap may: what it sends verifies and takes the fast path as it is. vm2
# keeps the veth default (CHECKSUM_PARTIAL: the field holds the
# pseudo-header sum), which the fast path finishes. Which path carried a
# frame is read from the host-side veth's own XDP counters (ethtool -S
# rx_queue_*_xdp_redirect).
#   (a) vnet_xdp_endpoint and vnet_tc_endpoint are both attached to vm1-h.
#   (b) vm1 -> vm3 (L2, across hosts) and vm1 -> vm4 (routed): ping, a
#       4 MiB TCP transfer (sha256 checked) and a sequence-numbered UDP
#       stream with nothing lost; vm1-h redirected at least one frame per
#       TCP segment and UDP datagram.
#   (c) vm1's security group: TCP to an allowed port works, to another port
#       is refused, and the refusal is XDP's (xdp_drops on vm1-h, counted
#       policy_egress in vnetctl stats).
#   (d) vm2 -> vm3 TCP with checksums left to offload: finished by the fast
#       path (sha256 checked at vm3, every segment redirected).
#   (e) UDP without a checksum (SO_NO_CHECK) goes to tc, and so does a
#       guest's own VXLAN tunnel (vm2 <-> vm3, default offloads: the inner
#       TCP checksum is still owed, which only the skb knows): TCP through
#       it arrives intact.
#   (f) vnetd restarted without --xdp-transmit removes the XDP program;
#       traffic still flows, and the guest's VXLAN, whose GSO packets no
#       BPF program can grow, goes through vnet's own VXLAN device.
#   (g) --xdp-transmit again, then the underlay stops taking XDP frames
#       (GRO off on the fabric port): vnetd hears it (xdp-features
#       notification) and takes the fast path off every port within 2 s
#       with a note, tc carries everything.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
VM4_IP=10.0.2.14; VM4_MAC=02:00:00:00:02:14
TCP_BYTES=$((4 * 1024 * 1024))
# 4 MiB at MSS 1398 is ~3000 segments, each redirected by XDP.
MIN_TCP_FRAMES=2500
ALLOWED_PORT=7000
REFUSED_PORT=7001
UDP_PORT=6400
UDP_COUNT=2000

lab_init xtx
command -v ethtool >/dev/null 2>&1 || skip "missing tool: ethtool"

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
# NAPI on the fabric side of each host's eth0: a veth takes XDP frames
# (ndo_xdp_xmit) only then, and vnetd checks it (xdp-features).
for h in hv1 hv2; do ip netns exec "$P-fab" ethtool -K "$h" gro on >/dev/null; done
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv1 vm2 "$VM2_IP" "$VM2_MAC"
lab_vm hv2 vm3 "$VM3_IP" "$VM3_MAC"
lab_vm hv2 vm4 "$VM4_IP" "$VM4_MAC"
ip netns exec "$P-vm1" ethtool -K eth0 tx off >/dev/null
ip -n "$P-vm1" route add default via 10.0.1.1
ip -n "$P-vm4" route add default via 10.0.2.1

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}
  - {name: red, vni: 1002, subnet: 10.0.2.0/24}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP,
     security_groups: [sender]}
  - {name: vm2, host: hv1, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
  - {name: vm3, host: hv2, network: blue, interface: vm3-h, mac: "$VM3_MAC", ip: $VM3_IP}
  - {name: vm4, host: hv2, network: red, interface: vm4-h, mac: "$VM4_MAC", ip: $VM4_IP}
routers:
  - name: r1
    interfaces:
      - {network: blue, ip: 10.0.1.1/24}
      - {network: red, ip: 10.0.2.1/24}
security_groups:
  - name: sender
    rules:
      - {direction: egress, protocol: tcp, ports: $ALLOWED_PORT, remote_cidr: 10.0.0.0/8}
      - {direction: egress, protocol: udp, ports: $UDP_PORT, remote_cidr: 10.0.0.0/8}
      - {direction: egress, protocol: icmp, remote_cidr: 10.0.0.0/8}
EOF

lab_vnetd hv1 --xdp-transmit
lab_vnetd hv2 --xdp-transmit
lab_apply "$LAB_DIR/topology.yaml"

redirected() { veth_stat hv1 "$1" xdp_redirect; }
# HOST DEV: vnet_xdp_endpoint is DEV's XDP program (the kernel keeps 15
# characters of a program's name).
xdp_prog_on() { ip -n "$P-$1" -d link show dev "$2" | grep -q "prog/xdp id [0-9]* name vnet_xdp_endpoi"; }
tc_prog_on() { tc -n "$P-$1" filter show dev "$2" ingress | grep -q "vnet_tc_endpoi"; }

# --- (a) both programs on vm1-h
check "vnet_xdp_endpoint attached to vm1-h (XDP)" xdp_prog_on hv1 vm1-h
check "vnet_tc_endpoint still attached to vm1-h (tc ingress)" tc_prog_on hv1 vm1-h
check "hv1's log says the XDP transmit path is on" grep -q "XDP transmit path: on" "$LAB_DIR/vnetd-hv1.log"

# --- (b) the fast path carries vm1's traffic, L2 and routed
fast_tcp() {  # TO IP
  local before after
  before=$(redirected vm1-h)
  tcp_transfer vm1 "$1" "$2" "$TCP_BYTES" "$ALLOWED_PORT" || return 1
  after=$(redirected vm1-h)
  echo "vm1-h XDP redirected $((after - before)) frames"
  ((after - before >= MIN_TCP_FRAMES))
}
check "ping vm1 -> vm3 (L2, across hosts)" ping_ok vm1 "$VM3_IP"
check "ping vm1 -> vm4 (routed, across hosts)" ping_ok vm1 "$VM4_IP"
check "tcp vm1 -> vm3 through XDP, sha256 verified, >= $MIN_TCP_FRAMES frames redirected" \
  fast_tcp vm3 "$VM3_IP"
check "tcp vm1 -> vm4 routed through XDP, sha256 verified, >= $MIN_TCP_FRAMES frames redirected" \
  fast_tcp vm4 "$VM4_IP"

udp_stream() {  # TO IP
  local to=$1 ip=$2 ready=$LAB_DIR/udp-$1.ready stop=$LAB_DIR/udp-$1.stop res before after
  rm -f "$ready" "$stop"
  bg_start "udp-$to" "$to" "$LAB_PY" "$TRAFFIC" udp-recv --port "$UDP_PORT" --senders 1 \
    --duration 60 --ready "$ready" --status "$LAB_DIR/udp-$to.status" --stop-file "$stop"
  wait_until 10 "udp receiver in $to" test -e "$ready" || return 1
  before=$(redirected vm1-h)
  traffic vm1 udp-send --to "$ip" --port "$UDP_PORT" --rate 2000 --count "$UDP_COUNT" \
    --duration 20 --tag xdp >/dev/null || return 1
  wait_until 5 "END at $to" json_file_ge "$LAB_DIR/udp-$to.status" ended 1 || true
  touch "$stop"
  bg_wait "udp-$to" 10 || true
  after=$(redirected vm1-h)
  res=$(bg_out "udp-$to")
  echo "$to received: $res; vm1-h XDP redirected $((after - before)) frames"
  json_eval "${res:-{\}}" "d['streams']['$VM1_IP/xdp']['unique'] == $UDP_COUNT and d['streams']['$VM1_IP/xdp']['missing'] == 0" &&
    ((after - before >= UDP_COUNT))
}
check "udp vm1 -> vm3: $UDP_COUNT sequence-numbered datagrams through XDP, none lost" \
  udp_stream vm3 "$VM3_IP"
check "udp vm1 -> vm4 routed: $UDP_COUNT sequence-numbered datagrams through XDP, none lost" \
  udp_stream vm4 "$VM4_IP"

# --- (c) the security group's refusal happens in XDP
refused() {
  local ready=$LAB_DIR/refused.ready drops_before drops_after pol_before pol_after rc=0
  rm -f "$ready"
  drops_before=$(redirected_drops)
  pol_before=$(json_get "$(lab_stats hv1 vm1)" "endpoints.0.drops.policy_egress")
  bg_start refused vm3 "$LAB_PY" "$TRAFFIC" tcp-sink --port "$REFUSED_PORT" --timeout 4 --ready "$ready"
  traffic vm1 tcp-send --to "$VM3_IP" --port "$REFUSED_PORT" --bytes 1000 --timeout 3 \
    --connect-timeout 1 --connect-window 2 --wait-ready "$ready" >/dev/null && rc=1
  bg_wait refused 6 || true
  drops_after=$(redirected_drops)
  pol_after=$(json_get "$(lab_stats hv1 vm1)" "endpoints.0.drops.policy_egress")
  echo "vm1-h xdp_drops +$((drops_after - drops_before)), policy_egress ${pol_before:-0} -> ${pol_after:-0}"
  ((rc == 0 && drops_after > drops_before && ${pol_after:-0} > ${pol_before:-0}))
}
redirected_drops() { veth_stat hv1 vm1-h xdp_drops; }
check "vm1 -> vm3:$REFUSED_PORT is refused by vm1's group, dropped in XDP and counted" refused

# --- (d) checksums left to offload: finished by the fast path
offload_tcp() {
  local before after
  before=$(redirected vm2-h)
  tcp_transfer vm2 vm3 "$VM3_IP" "$TCP_BYTES" || return 1
  after=$(redirected vm2-h)
  echo "vm2-h XDP redirected $((after - before)) frames"
  ((after - before >= MIN_TCP_FRAMES))
}
check "tcp vm2 -> vm3 with CHECKSUM_PARTIAL: finished in XDP, sha256 verified" offload_tcp

# --- (e) what the fast path cannot vouch for goes to tc
nocsum_stream() {
  local ready=$LAB_DIR/nocsum.ready stop=$LAB_DIR/nocsum.stop res before after
  rm -f "$ready" "$stop"
  bg_start nocsum vm3 "$LAB_PY" "$TRAFFIC" udp-recv --port $((UDP_PORT + 1)) --senders 1 \
    --duration 60 --ready "$ready" --status "$LAB_DIR/nocsum.status" --stop-file "$stop"
  wait_until 10 "udp receiver in vm3" test -e "$ready" || return 1
  before=$(redirected vm2-h)
  traffic vm2 udp-send --to "$VM3_IP" --port $((UDP_PORT + 1)) --rate 2000 --count "$UDP_COUNT" \
    --duration 20 --tag nocsum --no-checksum >/dev/null || return 1
  wait_until 5 "END at vm3" json_file_ge "$LAB_DIR/nocsum.status" ended 1 || true
  touch "$stop"
  bg_wait nocsum 10 || true
  after=$(redirected vm2-h)
  res=$(bg_out nocsum)
  echo "vm3 received: $res; vm2-h XDP redirected $((after - before)) frames"
  # A stray ACK or ARP-free frame of vm2's may still take the fast path.
  json_eval "${res:-{\}}" "d['streams']['$VM2_IP/nocsum']['unique'] == $UDP_COUNT and d['streams']['$VM2_IP/nocsum']['missing'] == 0" &&
    ((after - before < UDP_COUNT / 100))
}
check "udp without checksum vm2 -> vm3: all through tc, none lost" nocsum_stream

# The guests' own VXLAN (VNI 42, port 4790) between vm2 and vm3, inner
# 172.16.0.0/24, default offloads: the outer UDP checksum is 0 and the
# inner TCP checksum is left to offload.
ip -n "$P-vm2" link add gtun type vxlan id 42 remote "$VM3_IP" dstport 4790 dev eth0
ip -n "$P-vm3" link add gtun type vxlan id 42 remote "$VM2_IP" dstport 4790 dev eth0
for vm in vm2 vm3; do
  ip -n "$P-$vm" link set gtun mtu 1350 up
done
ip -n "$P-vm2" addr add 172.16.0.2/24 dev gtun
ip -n "$P-vm3" addr add 172.16.0.3/24 dev gtun
check "tcp through a guest's own VXLAN (inner checksum owed), sha256 verified" \
  tcp_transfer vm2 vm3 172.16.0.3 "$TCP_BYTES"

# --- (f) without --xdp-transmit the program goes away
lab_vnetd_kill hv1
lab_vnetd hv1
no_xdp() { ! xdp_prog_on hv1 vm1-h; }
check "vnetd without --xdp-transmit removed vnet_xdp_endpoint from vm1-h" wait_until 10 "XDP gone" no_xdp
check "tcp vm1 -> vm3 through tc, sha256 verified" tcp_transfer vm1 vm3 "$VM3_IP" "$TCP_BYTES" "$ALLOWED_PORT"
# vm2's veth has its GSO back: the guest's VXLAN sends 64 KB GSO packets,
# which no BPF program can grow; vnet hands them to its own VXLAN device,
# which segments, then encapsulates.
tunnel_tx() { ip -n "$P-hv1" -s -j link show dev vnet-vxlan | "$LAB_PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["packets"])'; }
guest_gso_tcp() {
  local before after
  before=$(tunnel_tx)
  tcp_transfer vm2 vm3 172.16.0.3 "$TCP_BYTES" || return 1
  after=$(tunnel_tx)
  echo "hv1 vnet-vxlan transmitted $((after - before)) packets"
  ((after > before))
}
check "tcp through a guest's own VXLAN with GSO (no fast path): via vnet-vxlan, sha256 verified" \
  guest_gso_tcp

# --- (g) the underlay stops taking XDP frames while the fast path runs
lab_vnetd_kill hv1
lab_vnetd hv1 --xdp-transmit
check "--xdp-transmit again: vnet_xdp_endpoint back on vm1-h" \
  wait_until 10 "XDP back" xdp_prog_on hv1 vm1-h
ip netns exec "$P-fab" ethtool -K hv1 gro off >/dev/null
# The kernel announces the change (netdev "mgmt" group): vnetd hears it,
# long before its 10 s resync would have asked.
check "GRO off on the fabric port: vnetd takes vnet_xdp_endpoint off vm1-h within 2 s" \
  wait_until 2 "XDP gone" no_xdp
check "and says why" grep -q "xdp-transmit: off, the underlay eth0 cannot take XDP frames" \
  "$LAB_DIR/vnetd-hv1.log"
check "tcp vm1 -> vm3 through tc, sha256 verified" tcp_transfer vm1 vm3 "$VM3_IP" "$TCP_BYTES" "$ALLOWED_PORT"

lab_done

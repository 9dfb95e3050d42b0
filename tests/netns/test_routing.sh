#!/usr/bin/env bash
# test_routing: distributed routing through virtual routers (issue 4).
#
#              br0 198.18.0.0/24 (${P}-fab)
#            ┌────────┴─────────────┐
#          eth0 198.18.0.1        eth0 198.18.0.2
#        ┌──────────────┐       ┌──────────────┐
#        │     hv1      │       │     hv2      │
#        └──────────────┘       └──────────────┘
#         a1  a3  b1             a2  fw  b2
#                                    └── lan 192.168.50.10 (behind fw)
#
#   tenant A, router ra: blue (VNI 1001, 10.0.1.0/24, gateway .1) and
#     red (VNI 1002, 10.0.2.0/24, gateway .1); static route 192.168.50.0/24
#     via fw (10.0.2.254, IP forwarding on, the LAN namespace behind it).
#     a1 10.0.1.11 @hv1, a2 10.0.2.12 @hv2, a3 10.0.2.13 @hv1.
#   tenant B, router rb: the same address plan on VNIs 2001/2002.
#     b1 10.0.1.11 @hv1, b2 10.0.2.12 @hv2.
#
# Shown: the gateway answers ping; VMs in two subnets ping and transfer
# over TCP (content verified) through the router, across hosts and on one
# host; traceroute shows exactly one hop (the gateway); the static route
# through fw reaches the LAN behind it; the tenants' routers stay apart
# (tagged streams checked at the receivers: tag, sender and the own
# router's MAC); `vnetctl get routers` shows the effective table; and a
# route change applied under a 1,000 packets/s sequence-numbered UDP stream
# to an unchanged prefix loses nothing.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
A1_MAC=02:00:00:0a:00:11; A2_MAC=02:00:00:0a:00:12; A3_MAC=02:00:00:0a:00:13
A4_MAC=02:00:00:0a:00:14
FW_MAC=02:00:00:0a:00:fe
B1_MAC=02:00:00:0b:00:11; B2_MAC=02:00:00:0b:00:12
IP1=10.0.1.11; IP2=10.0.2.12; IP3=10.0.2.13; IP4=10.0.1.14; FW_IP=10.0.2.254
LAN_IP=192.168.50.10
UDP_PORT=6201
RATE=1000
TCP_BYTES=$((4 * 1024 * 1024))

lab_init rt

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_vm hv1 a1 "$IP1" "$A1_MAC"
lab_vm hv2 a2 "$IP2" "$A2_MAC"
lab_vm hv1 a3 "$IP3" "$A3_MAC"
lab_vm hv1 a4 "$IP4" "$A4_MAC" 1500   # MTU above the overlay's: learns it by PMTU
lab_vm hv2 fw "$FW_IP" "$FW_MAC"
lab_vm hv1 b1 "$IP1" "$B1_MAC"
lab_vm hv2 b2 "$IP2" "$B2_MAC"
for vm in a1 a4 b1; do ip -n "$P-$vm" route add default via 10.0.1.1; done
for vm in a2 a3 fw b2; do ip -n "$P-$vm" route add default via 10.0.2.1; done

# The LAN behind the appliance: fw routes between it and red.
_ns_base lan
ip -n "$P-fw" link add lan0 type veth peer name eth0 netns "$P-lan"
ip -n "$P-fw" addr add 192.168.50.1/24 dev lan0
ip -n "$P-fw" link set lan0 up
ip -n "$P-lan" addr add "$LAN_IP/24" dev eth0
ip -n "$P-lan" link set eth0 up
ip -n "$P-lan" route add default via 192.168.50.1
ip netns exec "$P-fw" sysctl -qw net.ipv4.ip_forward=1

topology() {  # EXTRA_RA_ROUTE_LINE
  cat <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}
  - {name: red, vni: 1002, subnet: 10.0.2.0/24}
  - {name: green, vni: 2001, subnet: 10.0.1.0/24}
  - {name: yellow, vni: 2002, subnet: 10.0.2.0/24}
endpoints:
  - {name: a1, host: hv1, network: blue, interface: a1-h, mac: "$A1_MAC", ip: $IP1}
  - {name: a2, host: hv2, network: red, interface: a2-h, mac: "$A2_MAC", ip: $IP2}
  - {name: a3, host: hv1, network: red, interface: a3-h, mac: "$A3_MAC", ip: $IP3}
  - {name: a4, host: hv1, network: blue, interface: a4-h, mac: "$A4_MAC", ip: $IP4}
  - {name: fw, host: hv2, network: red, interface: fw-h, mac: "$FW_MAC", ip: $FW_IP}
  - {name: b1, host: hv1, network: green, interface: b1-h, mac: "$B1_MAC", ip: $IP1}
  - {name: b2, host: hv2, network: yellow, interface: b2-h, mac: "$B2_MAC", ip: $IP2}
routers:
  - name: ra
    interfaces:
      - {network: blue, ip: 10.0.1.1/24}
      - {network: red, ip: 10.0.2.1/24}
    routes:
      - {destination: 192.168.50.0/24, next_hop: $FW_IP}
$1
  - name: rb
    interfaces:
      - {network: green, ip: 10.0.1.1/24}
      - {network: yellow, ip: 10.0.2.1/24}
EOF
}
topology "" >"$LAB_DIR/topology.yaml"
topology "      - {destination: 192.168.60.0/24, next_hop: $FW_IP}" >"$LAB_DIR/topology-more.yaml"

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/topology.yaml"

# --- the gateway, and routed traffic
check "a1 pings its gateway 10.0.1.1" ping_ok a1 10.0.1.1
check "a2 pings its gateway 10.0.2.1" ping_ok a2 10.0.2.1
check "a1 pings the router's other interface 10.0.2.1" ping_ok a1 10.0.2.1
check "a2 pings the router's interface on blue, which hv2 does not hold" ping_ok a2 10.0.1.1
check "ping a1 -> a2 (routed, across hosts)" ping_ok a1 "$IP2"
check "ping a2 -> a1 (routed, across hosts)" ping_ok a2 "$IP1"
check "ping a1 -> a3 (routed, same host)" ping_ok a1 "$IP3"
check "tcp a1 -> a2 routed across hosts, sha256 verified" tcp_transfer a1 a2 "$IP2" "$TCP_BYTES"
check "tcp a2 -> a1 routed across hosts, sha256 verified" tcp_transfer a2 a1 "$IP1" "$TCP_BYTES"
check "tcp a1 -> a3 routed on one host, sha256 verified" tcp_transfer a1 a3 "$IP3" "$TCP_BYTES"
# a4 (MTU 1500) learns the overlay MTU from its gateway's fragmentation-needed.
check "tcp a4 (MTU 1500) -> a2 routed across hosts completes (PMTU from the gateway)" \
  tcp_transfer a4 a2 "$IP2" "$TCP_BYTES"

one_hop() {  # FROM TO_IP GATEWAY
  local res
  res=$(traffic "$1" traceroute --to "$2") || { echo "$res"; return 1; }
  echo "$res"
  json_eval "$res" "[h['from'] for h in d['hops']] == ['$3', '$2']"
}
check "traceroute a1 -> a2: exactly one hop, the gateway" one_hop a1 "$IP2" 10.0.1.1
check "traceroute a2 -> a1: exactly one hop, the gateway" one_hop a2 "$IP1" 10.0.2.1

# --- a static route through an appliance VM
check "ping a1 -> $LAN_IP behind fw (static route)" ping_ok a1 "$LAN_IP"
check "tcp a1 -> lan through fw, sha256 verified" tcp_transfer a1 lan "$LAN_IP" "$TCP_BYTES"
check "no route: a1 -> 192.168.70.1 is unreachable" ping_fails a1 192.168.70.1

# --- tenants: the same addresses through two routers, checked at receivers
# The effective table (vnetctl get routers): NAME DESTINATION VIA NETWORK
# GATEWAY ROUTER-MAC, one row per route.
router_mac() {  # ROUTER NETWORK: the router's (derived) MAC there
  vnetctl get routers "$1" | awk -v net="$2" 'NR > 1 && $3 == "connected" && $4 == net { print $6 }'
}
RA_RED_MAC=$(router_mac ra red)
RB_YELLOW_MAC=$(router_mac rb yellow)
log "ra on red: $RA_RED_MAC, rb on yellow: $RB_YELLOW_MAC"
check "the two tenants' routers have different MACs" test -n "$RA_RED_MAC" -a "$RA_RED_MAC" != "$RB_YELLOW_MAC"

tenant_streams() {
  local vm stop=$LAB_DIR/udp.stop
  rm -f "$stop"
  for vm in a2 b2; do
    rm -f "$LAB_DIR/udp-$vm.ready"
    bg_start "udp-$vm" "$vm" "$LAB_PY" "$TRAFFIC" udp-recv --port "$UDP_PORT" --senders 0 \
      --duration 60 --mac-iface eth0 --ready "$LAB_DIR/udp-$vm.ready" \
      --status "$LAB_DIR/udp-$vm.status" --stop-file "$stop"
  done
  for vm in a2 b2; do wait_until 10 "udp receiver in $vm" test -e "$LAB_DIR/udp-$vm.ready" || return 1; done
  bg_start udp-a1 a1 "$LAB_PY" "$TRAFFIC" udp-send --to "$IP2" --port "$UDP_PORT" --rate 500 \
    --count 300 --duration 20 --tag tenant-a
  bg_start udp-b1 b1 "$LAB_PY" "$TRAFFIC" udp-send --to "$IP2" --port "$UDP_PORT" --rate 500 \
    --count 300 --duration 20 --tag tenant-b
  bg_wait udp-a1 30 || true
  bg_wait udp-b1 30 || true
  for vm in a2 b2; do wait_until 5 "END at $vm" json_file_ge "$LAB_DIR/udp-$vm.status" ended 1 || true; done
  touch "$stop"
  for vm in a2 b2; do bg_wait "udp-$vm" 10 || true; done
}
only_stream() {  # VM TAG ROUTER_MAC
  local res
  res=$(bg_out "udp-$1")
  echo "$1 received: $res"
  json_eval "${res:-{\}}" "list(d['streams']) == ['$IP1/$2'] and d['streams']['$IP1/$2']['unique'] == 300 and d['streams']['$IP1/$2']['missing'] == 0 and set(d['src_macs']) == {'$3'}"
}
tenant_streams
check "a2 got tenant A's routed stream only (from its router's MAC)" only_stream a2 tenant-a "$RA_RED_MAC"
check "b2 got tenant B's routed stream only (from its router's MAC)" only_stream b2 tenant-b "$RB_YELLOW_MAC"
check "tcp b1 -> b2 through rb, sha256 verified" tcp_transfer b1 b2 "$IP2" "$TCP_BYTES"

# --- vnetctl get routers: the effective table
routers_table() {
  local out rows
  out=$(vnetctl get routers ra) || return 1
  echo "$out"
  rows=$(awk 'NR > 1 { print $2, $3, $4, $5 }' <<<"$out")
  [[ $rows == "10.0.1.0/24 connected blue 10.0.1.1
10.0.2.0/24 connected red 10.0.2.1
192.168.50.0/24 $FW_IP red 10.0.2.1" ]]
}
check "vnetctl get routers ra shows the effective table" routers_table

# --- a route change under a stream to an unchanged prefix loses nothing
route_change_under_stream() {
  local stop=$LAB_DIR/rc.stop res
  rm -f "$stop" "$LAB_DIR/rc.ready"
  bg_start rc-recv a2 "$LAB_PY" "$TRAFFIC" udp-recv --port $((UDP_PORT + 1)) --senders 1 \
    --duration 60 --ready "$LAB_DIR/rc.ready" --status "$LAB_DIR/rc.status" --stop-file "$stop"
  wait_until 10 "stream receiver" test -e "$LAB_DIR/rc.ready" || return 1
  bg_start rc-send a1 "$LAB_PY" "$TRAFFIC" udp-send --to "$IP2" --port $((UDP_PORT + 1)) \
    --rate "$RATE" --count $((RATE * 8)) --duration 30 --tag rc
  sleep 2
  lab_apply "$LAB_DIR/topology-more.yaml"
  sleep 1
  lab_apply "$LAB_DIR/topology.yaml"
  bg_wait rc-send 30 || true
  wait_until 5 "END at a2" json_file_ge "$LAB_DIR/rc.status" ended 1 || true
  touch "$stop"
  bg_wait rc-recv 10 || true
  res=$(bg_out rc-recv)
  echo "a2 received: $res"
  json_eval "${res:-{\}}" "d['streams']['$IP1/rc']['unique'] == $((RATE * 8)) and d['streams']['$IP1/rc']['missing'] == 0"
}
check "route added and removed under a $RATE pkt/s stream a1 -> a2: nothing lost" route_change_under_stream
check "after the change, 192.168.60.0/24 is gone again: no route" ping_fails a1 192.168.60.1

lab_done

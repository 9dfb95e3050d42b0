#!/usr/bin/env bash
# test_underlay_only: VXLAN is terminated only from the underlay NIC.
#
#          br0 198.18.0.0/24 (${P}-fab)
#        ┌────────┴─────────────┐
#      eth0 198.18.0.1        eth0 198.18.0.2
#      ┌─────┐                ┌─────┐
#      │ hv1 │── mgmt0 198.19.9.1/24 ── eth0 198.19.9.2 (intruder)
#      └─────┘                └─────┘
#       vm1 10.0.1.11          vm2 10.0.1.12
#
# vnetd's VXLAN device (vnet-vxlan) has a UDP socket on every interface
# and address of hv1. The intruder, on a management network, sends hv1's
# VTEP address a VXLAN frame that claims to come from hv2's VTEP, carrying
# an inner frame from vm2 to vm1: everything in it would pass the checks,
# whose only proof of origin is the outer source. It must not reach vm1
# (counted not_underlay on hv1); the very same frame sent on the underlay
# by a fabric node does reach vm1 (the control: the frame itself is valid).

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
PROBE_IP=198.18.0.9
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
PORT=6301
COUNT=5

lab_init ulo

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_host probe "$PROBE_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC"
_ns_base intruder
ip -n "$P-hv1" link add mgmt0 type veth peer name eth0 netns "$P-intruder"
ip -n "$P-hv1" addr add 198.19.9.1/24 dev mgmt0
ip -n "$P-hv1" link set mgmt0 up
ip -n "$P-intruder" addr add 198.19.9.2/24 dev eth0
ip -n "$P-intruder" link set eth0 up
ip -n "$P-intruder" route add "$HV1_IP/32" via 198.19.9.1

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv2, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
EOF
lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/topology.yaml"
check "ping vm1 -> vm2 (the overlay works)" ping_ok vm1 "$VM2_IP"

# The forger: COUNT VXLAN datagrams from "hv2's VTEP" to hv1's, inner UDP
# vm2 -> vm1:PORT carrying TAG, through a raw socket (the outer source is
# not the sender's).
cat >"$LAB_DIR/forge.py" <<EOF
import socket, struct, sys

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(src, dst, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, 17, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload

def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload

def mac(m):
    return bytes(int(x, 16) for x in m.split(":"))

tag, count = sys.argv[1].encode(), int(sys.argv[2])
inner = mac("$VM1_MAC") + mac("$VM2_MAC") + b"\x08\x00" + \
    ip4("$VM2_IP", "$VM1_IP", udp(40000, $PORT, tag))
vxlan = struct.pack("!II", 0x08000000, 1001 << 8) + inner
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for _ in range(count):
    s.sendto(ip4("$HV2_IP", "$HV1_IP", udp(54321, 4789, vxlan)), ("$HV1_IP", 0))
EOF

# vm1 counts datagrams carrying TAG for 2 s after the last one.
cat >"$LAB_DIR/receive.py" <<EOF
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", $PORT))
s.settimeout(2.0)
got = 0
try:
    while True:
        data, _ = s.recvfrom(2048)
        got += data == sys.argv[1].encode()
except socket.timeout:
    pass
print(got)
EOF

not_underlay_drops() {
  lab_stats hv1 | "$LAB_PY" -c \
    'import json, sys; print(json.load(sys.stdin)["drops"].get("not_underlay", 0))'
}

attempt() {  # SENDER_NS TAG: prints how many of COUNT reached vm1
  bg_start "recv-$2" vm1 "$LAB_PY" "$LAB_DIR/receive.py" "$2"
  sleep 0.5
  vn_exec "$1" "$LAB_PY" "$LAB_DIR/forge.py" "$2" "$COUNT"
  bg_wait "recv-$2" 10 || true
  bg_out "recv-$2"
}

before=$(not_underlay_drops)
got=$(attempt intruder from-mgmt)
after=$(not_underlay_drops)
log "from the management network: vm1 received ${got:-?} of $COUNT, not_underlay ${before:-?} -> ${after:-?}"
check "VXLAN forged on another interface does not reach vm1" test "${got:-x}" = 0
check "... and is counted not_underlay on hv1" test $(( ${after:-0} - ${before:-0} )) -ge "$COUNT"

got=$(attempt probe from-underlay)
log "from the underlay: vm1 received ${got:-?} of $COUNT"
check "the same frame from a node on the underlay reaches vm1 (the frame is valid)" \
  test "${got:-0}" -ge $((COUNT - 1))

lab_done

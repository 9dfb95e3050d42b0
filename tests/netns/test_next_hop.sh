#!/usr/bin/env bash
# test_next_hop: the underlay next hop vnetd keeps for each remote VTEP in
# vnet_vteps, which the XDP transmit path (vnetd --xdp-transmit) writes
# instead of asking bpf_fib_lookup for every frame. It must follow the
# kernel's neighbour and route tables as they change.
#
#              br0 198.18.0.0/24 (${P}-fab; ports hv1, hv2 run GRO, so the
#            ┌────────┴──────────────┐  hosts' eth0 take XDP frames)
#          eth0 198.18.0.1         eth0 198.18.0.2
#        ┌──────────────┐        ┌──────────────┐
#        │ hv1  vnetd   │        │ hv2  vnetd   │
#        │ --xdp-transmit        │ --xdp-transmit
#        └──────────────┘        └──────────────┘
#          vm1-h 10.0.1.11         vm3-h 10.0.1.13
#
#   (a) hv1 keeps hv2's next hop: hv2's eth0 MAC, sent from hv1's eth0 MAC;
#       a TCP transfer vm1 -> vm3 (sha256 checked) goes through XDP.
#   (b) hv1's neighbour entry for hv2 replaced by a MAC nobody has (and
#       flooding to hv2's fabric port off): the kept next hop follows within
#       a second and vm1's traffic to vm3 stops, so it is the neighbour
#       table, through vnetd, that addresses the frames.
#   (c) the right MAC back: followed within a second, traffic flows.
#   (d) the entry deleted: the kept next hop goes, traffic goes through tc,
#       which resolves the neighbour again, and the next hop comes back.
#   (e) an ECMP route to hv2: no kept next hop (the XDP path asks the FIB,
#       which picks a path per flow), traffic still through XDP; the route
#       removed: the kept next hop is back.
#   (f) hv1's eth0 gets another MAC: the kept source MAC follows.
#   (g) a policy routing rule (ip rule): no kept next hop (only a lookup per
#       frame honours rules), traffic through XDP; the rule removed: back.
#   (h) the lease: vnetd killed (SIGKILL) with --next-hop-lease 10, then
#       the neighbour entry changed behind its back: within the lease the
#       XDP path goes back to the kernel's tables (traffic follows the
#       change). vnetd stopped cleanly (SIGTERM): the lease is withdrawn at
#       once.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM3_IP=10.0.1.13; VM3_MAC=02:00:00:00:01:13
NOBODY_MAC=02:00:5e:00:99:99
HV1_NEW_MAC=02:00:5e:00:01:77
TCP_BYTES=$((2 * 1024 * 1024))
# 2 MiB at MSS 1398 is ~1500 segments, each redirected by XDP.
MIN_TCP_FRAMES=1200

lab_init nhop
command -v bpftool >/dev/null 2>&1 || skip "missing tool: bpftool"

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
for h in hv1 hv2; do ip netns exec "$P-fab" ethtool -K "$h" gro on >/dev/null; done
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm3 "$VM3_IP" "$VM3_MAC"

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: 1001, subnet: 10.0.1.0/24}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm3, host: hv2, network: blue, interface: vm3-h, mac: "$VM3_MAC", ip: $VM3_IP}
EOF

lab_vnetd hv1 --xdp-transmit
lab_vnetd hv2 --xdp-transmit
lab_apply "$LAB_DIR/topology.yaml"

link_mac() { ip -n "$P-$1" -j link show dev "$2" | "$LAB_PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])'; }
HV1_MAC=$(link_mac hv1 eth0)
HV2_MAC=$(link_mac hv2 eth0)

# hv1's vnet_vteps entry for hv2 as "FLAGS DMAC SMAC".
kept() {
  bpftool -j map lookup pinned "$(lab_pin_dir hv1)/vnet_vteps" key 198 18 0 2 | "$LAB_PY" -c '
import json, sys
v = [int(b, 16) for b in json.load(sys.stdin)["value"]]
mac = lambda b: ":".join("%02x" % x for x in b)
print(int.from_bytes(bytes(v[0:4]), "little"), mac(v[8:14]), mac(v[14:20]))'
}
kept_is() { [[ $(kept) == "$1" ]]; }
no_next_hop() { [[ $(kept) == 0\ * ]]; }
show_kept() { echo "hv1 keeps for hv2: $(kept) (want $1)"; kept_is "$1"; }

redirected() { veth_stat hv1 vm1-h xdp_redirect; }
check_ping_fails() { ! ping_ok vm1 "$VM3_IP"; }
fast_tcp() {
  local before after
  before=$(redirected)
  tcp_transfer vm1 vm3 "$VM3_IP" "$TCP_BYTES" || return 1
  after=$(redirected)
  echo "vm1-h XDP redirected $((after - before)) frames"
  ((after - before >= MIN_TCP_FRAMES))
}

# --- (a)
check "ping vm1 -> vm3" ping_ok vm1 "$VM3_IP"
check "hv1 keeps hv2's next hop: $HV2_MAC from $HV1_MAC" \
  wait_until 10 "kept next hop" show_kept "1 $HV2_MAC $HV1_MAC"
check "tcp vm1 -> vm3 through XDP, sha256 verified" fast_tcp

# --- (b) the neighbour table says another MAC
ip netns exec "$P-fab" bridge link set dev hv2 flood off
ip -n "$P-hv1" neigh replace "$HV2_IP" lladdr "$NOBODY_MAC" dev eth0 nud permanent
check "neighbour entry replaced: the kept next hop follows within 1 s" \
  wait_until 1 "kept $NOBODY_MAC" kept_is "1 $NOBODY_MAC $HV1_MAC"
# Had vnetd not followed, the XDP path would still send to hv2's real MAC.
check_fails "and vm1's traffic follows: ping vm1 -> vm3 fails" ping_ok vm1 "$VM3_IP"

# --- (c) the right MAC back
ip -n "$P-hv1" neigh replace "$HV2_IP" lladdr "$HV2_MAC" dev eth0 nud reachable
check "the right MAC back within 1 s" wait_until 1 "kept $HV2_MAC" kept_is "1 $HV2_MAC $HV1_MAC"
check "tcp vm1 -> vm3 through XDP again, sha256 verified" fast_tcp

# --- (d) the entry deleted
# log_since MARK PATTERN: PATTERN in hv1's log after line MARK.
log_since() { tail -n +"$(($1 + 1))" "$LAB_DIR/vnetd-hv1.log" | grep -q "$2"; }
mark=$(wc -l <"$LAB_DIR/vnetd-hv1.log")
ip -n "$P-hv1" neigh del "$HV2_IP" dev eth0
check "neighbour deleted: vnetd logs that hv2 has no next hop" \
  wait_until 2 "log line" log_since "$mark" "VTEP $HV2_IP: no resolved single-path next hop"
check "tcp vm1 -> vm3 meanwhile, sha256 verified" tcp_transfer vm1 vm3 "$VM3_IP" "$TCP_BYTES"
check "the neighbour resolved again: the kept next hop is back" \
  wait_until 10 "kept $HV2_MAC" kept_is "1 $HV2_MAC $HV1_MAC"
ip netns exec "$P-fab" bridge link set dev hv2 flood on

# --- (e) ECMP: two paths to hv2 (both on-link through eth0)
ip -n "$P-hv1" route add "$HV2_IP/32" nexthop dev eth0 weight 1 nexthop dev eth0 weight 1
check "ECMP route to hv2: no kept next hop within 2 s" wait_until 2 "no next hop" no_next_hop
check "tcp vm1 -> vm3 through XDP (the FIB's path), sha256 verified" fast_tcp
ip -n "$P-hv1" route del "$HV2_IP/32"
check "ECMP route removed: the kept next hop is back within 2 s" \
  wait_until 2 "kept $HV2_MAC" kept_is "1 $HV2_MAC $HV1_MAC"

# --- (f) the underlay's own MAC changes
ip -n "$P-hv1" link set dev eth0 address "$HV1_NEW_MAC"
check "hv1's eth0 MAC changed: the kept source MAC follows within 2 s" \
  wait_until 2 "kept $HV1_NEW_MAC" kept_is "1 $HV2_MAC $HV1_NEW_MAC"
check "tcp vm1 -> vm3 through XDP, sha256 verified" fast_tcp
HV1_MAC=$HV1_NEW_MAC

# --- (g) policy routing
ip -n "$P-hv1" rule add from "$HV1_IP" lookup main pref 100
check "a policy rule: no kept next hop within 2 s" wait_until 2 "no next hop" no_next_hop
check "tcp vm1 -> vm3 through XDP (the FIB's lookup), sha256 verified" fast_tcp
ip -n "$P-hv1" rule del from "$HV1_IP" lookup main pref 100
check "the rule removed: the kept next hop is back within 2 s" \
  wait_until 2 "kept $HV2_MAC" kept_is "1 $HV2_MAC $HV1_MAC"

# --- (h) the lease
lease() {
  bpftool -j map lookup pinned "$(lab_pin_dir hv1)/vnet_state" key 0 0 0 0 |
    "$LAB_PY" -c 'import json, sys; print(int.from_bytes(bytes(int(b, 16) for b in json.load(sys.stdin)["value"]), "little"))'
}
lease_is_zero() { [[ $(lease) == 0 ]]; }
lease_set() { [[ $(lease) -gt 0 ]]; }
lab_vnetd_kill hv1
check "vnetd stopped cleanly: the lease is withdrawn" lease_is_zero
lab_vnetd hv1 --xdp-transmit --next-hop-lease 10
check "vnetd back with --next-hop-lease 10: the lease renewed" wait_until 10 "lease" lease_set
check "hv2's next hop kept" wait_until 10 "kept $HV2_MAC" kept_is "1 $HV2_MAC $HV1_MAC"
lab_vnetd_kill hv1 KILL
ip netns exec "$P-fab" bridge link set dev hv2 flood off
ip -n "$P-hv1" neigh replace "$HV2_IP" lladdr "$NOBODY_MAC" dev eth0 nud permanent
# Renewed at most 5 s before the kill: at least 5 s of it remain.
check "vnetd killed, the neighbour changed: while the lease holds, XDP still sends to the kept MAC" \
  ping_ok vm1 "$VM3_IP" 1
check "once it lapses (10 s), the XDP path follows the kernel: ping fails" \
  wait_until 20 "ping fails" check_ping_fails
ip -n "$P-hv1" neigh replace "$HV2_IP" lladdr "$HV2_MAC" dev eth0 nud reachable
ip netns exec "$P-fab" bridge link set dev hv2 flood on
check "the right MAC back in the kernel: tcp vm1 -> vm3 through XDP, sha256 verified" fast_tcp

lab_done

#!/usr/bin/env bash
# The vnet demo: builds vnet, brings up a three-host lab in network
# namespaces (hv3 behind an underlay router), starts a vnetd per host on the
# embedded file store, applies examples/demo.yaml and shows traffic and
# blocked flows. Everything lives in namespaces the demo creates and is
# removed when it ends. Usage: sudo tools/demo.sh [--keep]
#   --keep   leave the lab up until Enter is pressed (inspect it with
#            ip netns exec <ns> ..., vnetctl --store ... get endpoints)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KEEP=0
[[ ${1:-} == --keep ]] && KEEP=1

source tools/deps.sh
vnet_install_deps
echo "== building vnet"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target vnetd vnetctl >/dev/null
export VNET_BIN=$ROOT/build/bin

# The namespace lab library of the integration tests.
source tests/netns/lib.sh
lab_init demo

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "underlay: hv1 198.18.0.1 and hv2 198.18.0.2 on one bridge, hv3 198.18.1.3 behind a router"
lab_fabric
lab_router
lab_host hv1 198.18.0.1 "$LAB_RT0_IP"
lab_host hv2 198.18.0.2 "$LAB_RT0_IP"
lab_host hv3 198.18.1.3 "$LAB_RT1_IP"
lab_vm hv1 blue1 10.0.1.11 02:00:00:00:01:11
lab_vm hv2 blue2 10.0.1.12 02:00:00:00:01:12
lab_vm hv3 blue3 10.0.1.13 02:00:00:00:01:13
lab_vm hv1 red1 10.0.1.11 02:00:00:00:02:11
lab_vm hv2 red2 10.0.1.12 02:00:00:00:02:12
lab_vm hv2 green1 10.0.2.21 02:00:00:00:03:21
ip -n "$P-blue1" route add default via 10.0.1.1
ip -n "$P-green1" route add default via 10.0.2.1
for h in hv1 hv2 hv3; do lab_vnetd "$h"; done

say "apply the topology (two tenants, both on 10.0.1.0/24)"
run "$VNETCTL" --store "$LAB_STORE" validate -f examples/demo.yaml
run "$VNETCTL" --store "$LAB_STORE" apply -f examples/demo.yaml --wait=30
run "$VNETCTL" --store "$LAB_STORE" get endpoints
run "$VNETCTL" --store "$LAB_STORE" status

say "traffic: blue1 (hv1) -> blue2 (hv2) across the bridge, -> blue3 (hv3) across the router"
vn_exec blue1 ping -c 3 -i 0.2 10.0.1.12
vn_exec blue1 ping -c 3 -i 0.2 10.0.1.13
tcp_transfer blue1 blue3 10.0.1.13 $((8 * 1024 * 1024))

say "routing: blue1 (10.0.1.11, hv1) -> green1 (10.0.2.21, hv2) through router r1, routed on hv1"
run "$VNETCTL" --store "$LAB_STORE" get routers
vn_exec blue1 ping -c 3 -i 0.2 10.0.2.21
tcp_transfer blue1 green1 10.0.2.21 $((8 * 1024 * 1024))
vn_exec blue1 "$LAB_PY" "$TRAFFIC" traceroute --to 10.0.2.21

say "tenants: red2 pings 10.0.1.11 and reaches red1, never blue1 (same address)"
vn_exec red2 ping -c 3 -i 0.2 10.0.1.11
run "$VNETCTL" --socket "$(lab_sock hv1)" stats red1
run "$VNETCTL" --socket "$(lab_sock hv1)" stats blue1

say "blocked: red1 tries blue3's address 10.0.1.13, which does not exist in red"
if vn_exec red1 ping -c 2 -W 1 10.0.1.13; then
  echo "unexpected: red reached blue" >&2; exit 1
fi
echo "no answer: the red tenant has no 10.0.1.13"

say "blocked: blue1 sends from a spoofed source address 10.0.1.99"
vn_exec blue1 ip addr add 10.0.1.99/24 dev eth0
if vn_exec blue1 ping -c 2 -W 1 -I 10.0.1.99 10.0.1.12; then
  echo "unexpected: spoofed traffic passed" >&2; exit 1
fi
run "$VNETCTL" --socket "$(lab_sock hv1)" stats blue1

say "security groups: green1 joins web (policies/web.yaml: tcp 80/443 and ping in) and allow-egress"
# The same topology with one line more, plus two files of the policies/ library.
awk '{ print } /^    ip: 10.0.2.21/ { print "    security_groups: [web, allow-egress]" }' \
  examples/demo.yaml >"$LAB_DIR/demo-secured.yaml"
run "$VNETCTL" --store "$LAB_STORE" apply -f "$LAB_DIR/demo-secured.yaml" \
  -f policies/web.yaml -f policies/allow-egress.yaml --wait=30
run "$VNETCTL" --store "$LAB_STORE" get security-groups web
vn_exec blue1 ping -c 3 -i 0.2 10.0.2.21
tcp_transfer blue1 green1 10.0.2.21 $((8 * 1024 * 1024)) 80
tcp_transfer green1 blue1 10.0.1.11 $((1024 * 1024))

say "blocked: blue1 -> green1 tcp port 22, which no rule of web allows"
if traffic blue1 tcp-send --to 10.0.2.21 --port 22 --bytes 1000 --connect-timeout 1 \
     --connect-window 2 --timeout 3; then
  echo "unexpected: tcp 22 reached green1" >&2; exit 1
fi
echo "no connection: dropped on hv2 before green1 (its ingress rules)"
run "$VNETCTL" --socket "$(lab_sock hv2)" stats green1

if [[ $KEEP -eq 1 ]]; then
  say "lab $P is up: namespaces $(ip netns list | awk '{print $1}' | grep "^$P-" | tr '\n' ' ')"
  echo "store: $LAB_STORE   sockets: $LAB_DIR/<host>.sock"
  read -r -p "press Enter to tear it down " _
fi
say "done: tearing the lab down"

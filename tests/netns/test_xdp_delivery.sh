#!/usr/bin/env bash
# test_xdp_delivery: a veth port moves between tc delivery and XDP delivery
# as the VM attaches and detaches a native XDP program on its side.
#
#              br0 198.18.0.0/24 (${P}-fab)
#            ┌────────┴──────────────┐
#          eth0 198.18.0.1         eth0 198.18.0.2
#        ┌──────────────┐        ┌──────────────┐
#        │ hv1  vnetd   │        │ hv2  vnetd   │  XDP vnet_xdp_underlay on eth0
#        └──────────────┘        └──────────────┘
#          vm1-h                   vm2-h   ◀── counted: tx_queue_*_xdp_xmit (ethtool -S)
#           │                        │
#          eth0                     eth0   ◀── XDP_PASS in driver mode, attached and
#          vm1 10.0.1.11            vm2 10.0.1.12  detached by the test (the "guest")
#
# XDP_REDIRECT into a veth delivers only when its peer runs NAPI (a native
# XDP program there, or GRO). vnetd follows the VM side of every veth port
# (RTM_GETLINK with IFLA_TARGET_NETNSID, NETLINK_LISTEN_ALL_NSID
# notifications) and sets the port's flags accordingly:
#   (a) no XDP on vm2's eth0: vm2's fdb entry and port entry on hv2 carry
#       PEER only; TCP vm1 -> vm2 (content checked) is delivered by tc, so
#       nothing is XDP-transmitted into vm2-h.
#   (b) XDP_PASS attached (native): within SWITCH_TIMEOUT the flags become
#       PEER|XDP_DELIVER; TCP still works and vm2-h's xdp_xmit counter grows
#       by at least one frame per segment of the transfer (the frames took
#       XDP_REDIRECT from the underlay's XDP, not the tc path), with no
#       xdp_xmit errors; vm2's XDP program saw them.
#   (c) detached: back to PEER within SWITCH_TIMEOUT; TCP works, xdp_xmit
#       stands still.
#   (d) a sequence-numbered UDP stream vm1 -> vm2 runs across (b) and (c):
#       no datagram is missing outside the two change windows (a window runs
#       from just before the attach/detach until the flags have switched
#       plus WINDOW_TAIL); what the windows lost is logged.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
BLUE_VNI=1001
BLUE_NET=10.0.1.0/24
VM1_IP=10.0.1.11; VM1_MAC=02:00:00:00:01:11
VM2_IP=10.0.1.12; VM2_MAC=02:00:00:00:01:12
TCP_BYTES=$((4 * 1024 * 1024))
# A 4 MiB transfer at MSS 1398 is ~3000 segments: XDP delivery must have
# carried at least this many frames into vm2-h.
MIN_XDP_FRAMES=2500
UDP_PORT=6300
RATE=1000             # UDP stream, packets per second
STEP_PACKETS=1000     # the stream moves on by this much between steps
SWITCH_TIMEOUT=3      # seconds for vnetd to switch a port's flags
WINDOW_TAIL=0.5       # seconds after the switch still counted as the window
PEER_FLAGS=2          # VNET_PORT_F_PEER
PEER_XDP_FLAGS=3      # VNET_PORT_F_PEER | VNET_PORT_F_XDP_DELIVER

lab_init xdp
command -v bpftool >/dev/null 2>&1 || skip "missing tool: bpftool"

# --- the guest's XDP program: vnet-trafficgen's xdp-pass when it is built,
# else a three-line XDP_PASS object compiled here.
TRAFFICGEN=$VNET_BIN/vnet-trafficgen
XDP_OBJ=$LAB_DIR/xdp_pass.o
if [[ -x $TRAFFICGEN ]]; then
  log "guest XDP: $TRAFFICGEN xdp-pass"
else
  command -v clang >/dev/null 2>&1 || skip "missing tool: clang (or vnet-trafficgen)"
  cat >"$LAB_DIR/xdp_pass.c" <<'EOF'
/* XDP_PASS is 2 (enum xdp_action): no headers, no dependencies. */
__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }
__attribute__((section("license"), used)) char _license[] = "GPL";
EOF
  clang -O2 -target bpf -c "$LAB_DIR/xdp_pass.c" -o "$XDP_OBJ"
  log "guest XDP: $XDP_OBJ (clang)"
fi
vm_xdp_attach() {
  if [[ -x $TRAFFICGEN ]]; then vn_exec vm2 "$TRAFFICGEN" xdp-pass attach --dev eth0 >/dev/null
  else ip -n "$P-vm2" link set dev eth0 xdpdrv obj "$XDP_OBJ" sec xdp; fi
}
vm_xdp_detach() {
  if [[ -x $TRAFFICGEN ]]; then vn_exec vm2 "$TRAFFICGEN" xdp-pass detach --dev eth0 >/dev/null
  else ip -n "$P-vm2" link set dev eth0 xdpdrv off; fi
}

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_vm hv1 vm1 "$VM1_IP" "$VM1_MAC"
lab_vm hv2 vm2 "$VM2_IP" "$VM2_MAC"

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: $BLUE_VNI, subnet: $BLUE_NET}
endpoints:
  - {name: vm1, host: hv1, network: blue, interface: vm1-h, mac: "$VM1_MAC", ip: $VM1_IP}
  - {name: vm2, host: hv2, network: blue, interface: vm2-h, mac: "$VM2_MAC", ip: $VM2_IP}
EOF

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/topology.yaml"
VM2_IFINDEX=$(ip -n "$P-hv2" -j link show dev vm2-h | "$LAB_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')

# --- what hv2's maps say about vm2: flags of its fdb entry (vni, mac) and
# of its port entry (ifindex). bpftool prints the values as BTF-formatted
# JSON when the map has BTF, as hex bytes otherwise: read the bytes
# (abi.h: vnet_fdb_entry.port_flags at offset 12, vnet_port.flags at 14).
map_flags() {  # MAP: prints "fdb_flags port_flags" for vm2 ("-" when absent)
  local pin=$LAB_BPF/hv2
  "$LAB_PY" - "$(bpftool -j map dump pinned "$pin/vnet_fdb")" \
    "$(bpftool -j map dump pinned "$pin/vnet_ports")" "$BLUE_VNI" "$VM2_MAC" "$VM2_IFINDEX" <<'EOF'
import json, struct, sys
fdb, ports, vni, mac, ifindex = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
def raw(e, part):
    return bytes(int(x, 16) for x in e[part])
want_key = struct.pack("=I", vni) + bytes(int(x, 16) for x in mac.split(":")) + b"\0\0"
out = []
for e in fdb:
    if raw(e, "key") == want_key:
        out.append(str(struct.unpack_from("=H", raw(e, "value"), 12)[0]))
        break
else:
    out.append("-")
for e in ports:
    if struct.unpack("=I", raw(e, "key"))[0] == ifindex:
        out.append(str(struct.unpack_from("=H", raw(e, "value"), 14)[0]))
        break
else:
    out.append("-")
print(" ".join(out))
EOF
}
flags_are() { [[ $(map_flags) == "$1 $1" ]]; }

xmit() { veth_stat hv2 vm2-h xdp_xmit; }
xmit_errors() { veth_stat hv2 vm2-h xdp_xmit_errors; }

check "vm2's eth0 starts without XDP" \
  bash -c "! ip -n $P-vm2 -d link show dev eth0 | grep -q prog/xdp"
check "(a) hv2: vm2's fdb and port entries carry PEER ($PEER_FLAGS) only" flags_are "$PEER_FLAGS"
log "hv2 flags (fdb port) for vm2: $(map_flags)"
check "ping vm1 -> vm2" ping_ok vm1 "$VM2_IP"

# tcp_via_xdp MIN: a content-checked transfer vm1 -> vm2 during which at
# least MIN frames were XDP-transmitted into vm2-h (MIN 0: none at all)
# and none failed.
tcp_via_xdp() {
  local min=$1 x0 e0 x1 e1
  x0=$(xmit); e0=$(xmit_errors)
  tcp_transfer vm1 vm2 "$VM2_IP" "$TCP_BYTES" || return 1
  x1=$(xmit); e1=$(xmit_errors)
  echo "vm2-h xdp_xmit +$((x1 - x0)), xdp_xmit_errors +$((e1 - e0))"
  ((e1 == e0)) || return 1
  if ((min == 0)); then ((x1 == x0)); else ((x1 - x0 >= min)); fi
}
check "(a) tcp vm1 -> vm2 $TCP_BYTES bytes, sha256 verified, delivered by tc (no xdp_xmit into vm2-h)" \
  tcp_via_xdp 0

# --- (d) the stream that runs across the changes
STOP=$LAB_DIR/stream.stop
rm -f "$LAB_DIR/rx.ready" "$LAB_DIR/rx.status"
bg_start rx vm2 "$LAB_PY" "$TRAFFIC" udp-recv --port "$UDP_PORT" --senders 1 --duration 300 \
  --ready "$LAB_DIR/rx.ready" --status "$LAB_DIR/rx.status"
bg_start tx vm1 "$LAB_PY" "$TRAFFIC" udp-send --to "$VM2_IP" --port "$UDP_PORT" --rate "$RATE" \
  --duration 240 --stop-file "$STOP" --tag xdp --wait-ready "$LAB_DIR/rx.ready"
rx_count() { "$LAB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$LAB_DIR/rx.status" 2>/dev/null || echo 0; }
advance() {
  local n
  n=$(rx_count)
  wait_until 30 "stream past $((n + STEP_PACKETS)) packets ($1)" \
    json_file_ge "$LAB_DIR/rx.status" received $((n + STEP_PACKETS)) ||
    fatal "stream stalled ($1): $(cat "$LAB_DIR/rx.status" 2>/dev/null)"
  log "stream moving after: $1"
}
advance "start"

now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
WINDOWS=()  # "first_seq last_seq" of each change window (by received count)
# change NAME ACTION FLAGS: run ACTION, wait for the flags, record the window.
change() {
  local name=$1 action=$2 flags=$3 lo hi t0 t1
  lo=$(rx_count)
  t0=$(now_us)
  "$action"
  if wait_until "$SWITCH_TIMEOUT" "vm2's flags to become $flags" flags_are "$flags"; then
    t1=$(now_us)
    pass "$name: hv2 switched vm2's fdb and port flags to $flags in $(((t1 - t0) / 1000)) ms (bound ${SWITCH_TIMEOUT}s)"
  else
    fail "$name: vm2's flags are '$(map_flags)', not $flags after ${SWITCH_TIMEOUT}s"
  fi
  sleep "$WINDOW_TAIL"
  # The status file lags by up to 0.2 s: the window's end is when the
  # receiver has certainly seen what was sent during the switch.
  wait_until 5 "status update" json_file_ge "$LAB_DIR/rx.status" received $(($(rx_count) + 1)) || true
  hi=$(rx_count)
  WINDOWS+=("$lo $hi")
  log "$name: change window = stream packets $lo..$hi"
}

# --- (b) attach a native XDP program on the VM side
change "(b) XDP attached on vm2's eth0" vm_xdp_attach "$PEER_XDP_FLAGS"
check "(b) vm2's eth0 runs XDP in driver mode" \
  bash -c "ip -n $P-vm2 -d link show dev eth0 | grep -q 'prog/xdp '"
check "(b) vnetd on hv2 logged vm2's switch to XDP delivery" \
  grep -q "vm2-h): receive path XDP redirect" "$LAB_DIR/vnetd-hv2.log"
advance "attach"
VM_XDP0=$(veth_stat vm2 eth0 xdp_packets)
check "(b) tcp vm1 -> vm2 $TCP_BYTES bytes, sha256 verified, >= $MIN_XDP_FRAMES frames XDP-redirected into vm2-h" \
  tcp_via_xdp "$MIN_XDP_FRAMES"
VM_XDP1=$(veth_stat vm2 eth0 xdp_packets)
check "(b) vm2's own XDP program saw them (rx xdp_packets +$((VM_XDP1 - VM_XDP0)))" \
  test $((VM_XDP1 - VM_XDP0)) -ge "$MIN_XDP_FRAMES"
check "(b) ping vm1 -> vm2" ping_ok vm1 "$VM2_IP"

# --- (c) detach it again
change "(c) XDP detached from vm2's eth0" vm_xdp_detach "$PEER_FLAGS"
advance "detach"
check "(c) tcp vm1 -> vm2 $TCP_BYTES bytes, sha256 verified, delivered by tc again (no xdp_xmit)" \
  tcp_via_xdp 0
check "(c) ping vm1 -> vm2" ping_ok vm1 "$VM2_IP"

# --- (d) the stream's verdict
advance "after the changes"
touch "$STOP"
bg_wait tx 20 || true
bg_wait rx 30 || true
RX=$(bg_out rx)
printf '%s\n' "$RX" >"$LAB_DIR/stream.json"
log "stream: $(json_get "$RX" total)"
stream_ok() {
  "$LAB_PY" - "$RX" "${WINDOWS[@]}" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
windows = [tuple(int(x) for x in w.split()) for w in sys.argv[2:]]
s = d["streams"].get("10.0.1.11/xdp")
if not s or not s["ended"]:
    print("stream missing or not ended:", d.get("total")); sys.exit(1)
gaps = s["first_gaps"]
listed = sum(b - a + 1 for a, b in gaps)
ok = listed == s["missing"]  # every gap is listed (at most 10 are)
if not ok:
    print("more gaps than listed:", s["missing"], "missing,", gaps)
for i, (lo, hi) in enumerate(windows):
    lost = sum(min(b, hi) - max(a, lo) + 1 for a, b in gaps if a <= hi and b >= lo)
    print("change window %d (packets %d..%d): %d lost" % (i + 1, lo, hi, lost))
outside = [g for g in gaps if not any(g[0] >= lo and g[1] <= hi for lo, hi in windows)]
if outside:
    print("lost outside the change windows:", outside); ok = False
print("received %d of %d, missing %d, duplicates %d, reordered %d" %
      (s["unique"], s["expected"], s["missing"], s["duplicates"], s["reordered"]))
sys.exit(0 if ok and s["duplicates"] == 0 else 1)
EOF
}
check "(d) UDP stream vm1 -> vm2 at $RATE pkt/s across attach and detach: nothing lost outside the change windows" \
  stream_ok
stream_ok | sed 's/^/      /' >&2 || true

lab_done

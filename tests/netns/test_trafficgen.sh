#!/usr/bin/env bash
# test_trafficgen: the benchmark tool's behaviour (never its speed).
#
#        ${P}-gen                         ${P}-sink
#      ┌──────────┐                    ┌────────────────────────────┐
#      │  gen ──▶ tg-a ═══ veth ═══ tg-b ──▶ sink (xdp or tc)       │
#      └──────────┘   XDP_TX (live     │    or xdp-pass + sniffer   │
#                      frames)         └────────────────────────────┘
#
# 1. XDP sink on tg-b, generator on tg-a for 1 s: the sink counts packets,
#    at most what the generator attempted, 60 bytes each; reset zeroes it.
# 2. Refusals: a second XDP program never overwrites the sink, detach of
#    the other kind leaves it alone, bad arguments and missing pins fail.
# 3. Detach leaves nothing attached and --pin removes the counters.
# 4. --flows 1000 at the UDP source port: a sniffer behind xdp-pass sees
#    exactly the ports 1024..2023; without --flows, only 1024.
# 5. tc sink (xdp-pass gives tg-b NAPI): counts like the XDP sink.
# 6. SIGINT ends the generator early with a normal report.
# 7. tc sink and xdp-pass detach leave nothing attached.
# 8. floor decap (XDP on tg-b): VXLAN frames lose their 50 outer bytes and
#    go out of tg-c; the XDP sink on its peer tg-d counts the 60-byte inner
#    frames. Another XDP program never replaces the floor; encap needs
#    --outer of exactly 50 bytes.
# 9. floor encap (tc ingress on tg-b, xdp-pass for NAPI): plain frames get
#    the --outer headers and go out of tg-c; the sink counts 110-byte
#    frames, and one sniffed on tg-d has the template's headers with the
#    right IPv4 total length, UDP length and IPv4 checksum, then the frame.
#    Detach leaves nothing attached.
# 10. floor xdp-encap (XDP on tg-b): the same outer headers pushed in XDP;
#    the XDP sink on tg-d counts 110-byte frames, and one sniffed behind
#    xdp-pass on tg-d (a redirect into a veth needs NAPI on its peer) has
#    the same headers, lengths and checksum. Detach leaves nothing.
#
# No addresses are configured: frames are built by hand and dropped at the
# sink (or by tg-b's stack, which owns none of their addresses).

source "$(dirname "$0")/lib.sh"

# Template frame: 02:..:01 -> 02:..:02, IPv4 198.18.0.1 -> 198.18.0.2,
# UDP 1024 -> 9 with checksum 0 (so rewriting the port needs no fix-up),
# 18 zero bytes of payload: 60 bytes.
FRAME_HEX=0200000000020200000000010800                       # Ethernet
FRAME_HEX+=4500002e000040004011ae97c6120001c6120002             # IPv4
FRAME_HEX+=04000009001a0000                                     # UDP
FRAME_HEX+=$(printf '00%.0s' $(seq 18))                         # payload
FRAME_LEN=60
# The same frame with its UDP checksum (6f89), for --csum-offset.
FRAME_CSUM_HEX=${FRAME_HEX:0:80}6f89${FRAME_HEX:84}
SPORT_OFFSET=34     # 14 Ethernet + 20 IPv4
CSUM_OFFSET=40      # the UDP checksum
SPORT=1024
FLOWS=1000

lab_init tg
TG=$VNET_BIN/vnet-trafficgen
[[ -x $TG ]] || skip "vnet-trafficgen not built in VNET_BIN=$VNET_BIN"
PIN=$LAB_BPF/sink

# VXLAN around the template (VNI 1001, outer UDP checksum 0) for the floor
# decapsulator, and the floor encapsulator's --outer (lengths and IPv4
# checksum left 0: the program sets them).
OUTER_HEX=0200000000040200000000030800                          # Ethernet
OUTER_HEX+=450000000000400040110000c6120101c6120102             # IPv4
OUTER_HEX+=c00012b500000000                                     # UDP
OUTER_HEX+=080000000003e900                                     # VXLAN
VXLAN_HEX=0200000000040200000000030800                          # Ethernet
VXLAN_HEX+=45000060000040004011ac65c6120101c6120102             # IPv4
VXLAN_HEX+=c00012b5004c0000                                     # UDP
VXLAN_HEX+=080000000003e900$FRAME_HEX                           # VXLAN

# Two bare namespaces (IPv6 off, so tg-b sees no stray ND/MLD frames); the
# floor programs redirect out of tg-c to tg-d, both in the sink namespace.
_ns_base gen
_ns_base sink
ip -n "$P-gen" link add tg-a type veth peer name tg-b netns "$P-sink"
ip -n "$P-sink" link add tg-c type veth peer name tg-d
ip -n "$P-gen" link set tg-a up
for dev in tg-b tg-c tg-d; do
  ip -n "$P-sink" link set "$dev" up
done

tg_gen() { vn_exec gen "$TG" gen --dev tg-a --frame-hex "${GEN_FRAME:-$FRAME_HEX}" "$@"; }
tg_sink() { vn_exec sink "$TG" "$@"; }
sink_read() { tg_sink sink read --pin "$PIN"; }
sink_counts() { json_eval "$(sink_read)" "d['packets'] > 0"; }
xdp_prog() { vn_exec sink ip -d link show dev tg-b | awk '/prog\/xdp/ {print $5}'; }
tc_filters() { vn_exec sink tc filter show dev tg-b ingress; }
tc_has_sink() { tc_filters | grep -q tg_sink_tc; }
tc_has_floor() { tc_filters | grep -q tg_floor_encap; }

# The sniffer: UDP source ports of the frames arriving on tg-b (as many as
# the socket keeps up with) as JSON {frames, distinct, min, max}; stops once
# WANT distinct ports were seen, or STOP exists and the socket is drained.
SNIFF=$LAB_DIR/sniff_ports.py
cat >"$SNIFF" <<'PY'
import json, select, socket, struct, sys, time
import os
duration, ready, stop, want = float(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE
s.bind(("tg-b", 3))
open(ready, "w").close()
ports, frames, checked, bad = set(), 0, 0, 0
deadline = time.monotonic() + duration
while time.monotonic() < deadline and len(ports) < want:
    if not select.select([s], [], [], 0.05)[0]:
        if os.path.exists(stop):
            break
        continue
    data = s.recv(2048)
    if len(data) >= 42 and data[12:14] == b"\x08\x00" and data[23] == 17:
        frames += 1
        ports.add(struct.unpack("!H", data[34:36])[0])
        if data[40:42] != b"\0\0":
            # RFC 768: the pseudo header and the segment sum to 0xffff.
            seg = data[34:34 + struct.unpack("!H", data[38:40])[0]]
            d = data[26:34] + struct.pack("!BBH", 0, 17, len(seg)) + seg + b"\0" * (len(seg) % 2)
            s_ = sum(struct.unpack("!%dH" % (len(d) // 2), d))
            while s_ >> 16:
                s_ = (s_ & 0xFFFF) + (s_ >> 16)
            checked += 1
            bad += s_ != 0xFFFF
print(json.dumps({"frames": frames, "distinct": len(ports), "csum_checked": checked,
                  "csum_bad": bad, "min": min(ports, default=None), "max": max(ports, default=None)}))
PY

# The first IPv4 frame arriving on tg-d, as JSON {hex} ({} after 10 s).
SNIFF_ONE=$LAB_DIR/sniff_one.py
cat >"$SNIFF_ONE" <<'PY'
import json, select, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("tg-d", 0x0800))
open(sys.argv[1], "w").close()
if select.select([s], [], [], 10)[0]:
    print(json.dumps({"hex": s.recv(2048).hex()}))
else:
    print("{}")
PY

# The checks of a frame from the floor encapsulator: outer headers as in
# --outer but with IPv4 total length, UDP length and a valid IPv4 checksum
# set, then the generator's frame unchanged.
ENCAP_OK=$(cat <<PY
'hex' in d and (lambda b, o: len(b) == $FRAME_LEN + 50
  and [b[i:i + 2] for i in range(0, 50, 2) if i not in (16, 24, 38)]
      == [o[i:i + 2] for i in range(0, 50, 2) if i not in (16, 24, 38)]
  and int.from_bytes(b[16:18], 'big') == $FRAME_LEN + 36
  and int.from_bytes(b[38:40], 'big') == $FRAME_LEN + 16
  and sum(int.from_bytes(b[i:i + 2], 'big') for i in range(14, 34, 2)) % 0xffff == 0
  and b[50:] == bytes.fromhex('$FRAME_HEX'))(bytes.fromhex(d['hex']), bytes.fromhex('$OUTER_HEX'))
PY
)

# check_counted_encap WHAT: 1 s of gen through a floor encapsulator on tg-b
# reaches the sink on tg-d as frames 50 bytes longer.
check_counted_encap() {
  local what=$1 sink
  tg_gen --duration 1 >/dev/null
  sink=$(sink_read)
  log "$what: sink $sink"
  check "$what: encapsulated frames counted behind tg-c" json_eval "$sink" "d['packets'] > 0"
  check "$what: sink bytes = packets * $((FRAME_LEN + 50))" \
    json_eval "$sink" "d['bytes'] == d['packets'] * $((FRAME_LEN + 50))"
}

# check_sniffed_encap NAME WHAT: the first frame a floor encapsulator on
# tg-b sends to tg-d's stack is the generator's frame behind --outer, with
# lengths and checksum set.
check_sniffed_encap() {
  local name=$1 what=$2 frame
  bg_start "sniff-$name" sink "$LAB_PY" "$SNIFF_ONE" "$LAB_DIR/sniff-$name.ready"
  wait_until 5 "sniffer ready" test -e "$LAB_DIR/sniff-$name.ready" || die "sniffer did not start"
  tg_gen --duration 0.2 >/dev/null
  bg_wait "sniff-$name" 15 || die "sniffer failed: $(cat "$LAB_DIR/sniff-$name.err")"
  frame=$(bg_out "sniff-$name")
  log "$what: sniffed $frame"
  check "$what: outer headers, lengths and checksum right, frame intact" \
    json_eval "$frame" "$ENCAP_OK"
}

# sniff_gen NAME WANT GEN_ARGS...: the sniffer's report for 1 s of gen.
sniff_gen() {
  local name=$1 want=$2 ready=$LAB_DIR/$1.ready stop=$LAB_DIR/$1.stop
  shift 2
  bg_start "$name" sink "$LAB_PY" "$SNIFF" 10 "$ready" "$stop" "$want"
  wait_until 5 "sniffer $name ready" test -e "$ready" || die "sniffer $name did not start"
  tg_gen --duration 1 "$@" >/dev/null
  touch "$stop"
  bg_wait "$name" 15 || die "sniffer $name failed: $(cat "$LAB_DIR/$name.err")"
  bg_out "$name"
}

# ---------------------------------------------------------------- 1. XDP sink
tg_sink sink attach --dev tg-b --pin "$PIN" --mode xdp
check "sink attach xdp: tg_sink_xdp on tg-b" test "$(xdp_prog)" = tg_sink_xdp
check "sink counters pinned" test -e "$PIN/tg_sink_counters"
check "fresh sink reads zero" json_eval "$(sink_read)" "d == {'packets': 0, 'bytes': 0}"

gen=$(tg_gen --duration 1)
sink=$(sink_read)
log "gen: $gen sink: $sink"
check "gen reports dev, seconds, frames_attempted, flows" \
  json_eval "$gen" "d['dev'] == 'tg-a' and 0.9 <= d['seconds'] < 5 and d['frames_attempted'] > 0 and d['flows'] == 1"
check "xdp sink counted frames (0 < packets <= frames_attempted)" \
  json_eval "$sink" "0 < d['packets'] <= $(json_get "$gen" frames_attempted)"
check "xdp sink bytes = packets * $FRAME_LEN" json_eval "$sink" "d['bytes'] == d['packets'] * $FRAME_LEN"
tg_sink sink reset --pin "$PIN"
check "sink reset zeroes the counters" json_eval "$(sink_read)" "d == {'packets': 0, 'bytes': 0}"

# ---------------------------------------------------------------- 2. refusals
check_fails "xdp-pass attach refuses to replace the sink" tg_sink xdp-pass attach --dev tg-b
check_fails "xdp-pass detach leaves the sink alone" tg_sink xdp-pass detach --dev tg-b
check "sink still attached after both refusals" test "$(xdp_prog)" = tg_sink_xdp
check "sink attach again (same program, same pin) is fine" tg_sink sink attach --dev tg-b --pin "$PIN"
check_fails "gen: unknown interface" vn_exec gen "$TG" gen --dev nosuchdev --frame-hex "$FRAME_HEX" --duration 0.1
check_fails "gen: flow field outside the frame" tg_gen --flows 2 --flow-offset $((FRAME_LEN - 1)) --duration 0.1
check_fails "gen: not hex" vn_exec gen "$TG" gen --dev tg-a --frame-hex 02zz --duration 0.1
check_fails "gen: batch size over 256" tg_gen --batch-size 257 --duration 0.1
check_fails "sink read: no such pin" tg_sink sink read --pin "$LAB_BPF/none"
mkdir -p "$LAB_DIR/notbpf"
check_fails "sink attach: pin dir not on a bpffs" tg_sink sink attach --dev tg-b --pin "$LAB_DIR/notbpf"

# ---------------------------------------------------------------- 3. detach
tg_sink sink detach --dev tg-b --mode xdp --pin "$PIN"
check "sink detach: no XDP program left" test -z "$(xdp_prog)"
check "sink detach --pin: counters unpinned" test ! -e "$PIN/tg_sink_counters"
check "sink detach again is a no-op" tg_sink sink detach --dev tg-b --mode xdp

# ---------------------------------------------------------------- 4. flows
tg_sink xdp-pass attach --dev tg-b
check "xdp-pass attach: tg_xdp_pass on tg-b" test "$(xdp_prog)" = tg_xdp_pass

ports=$(sniff_gen sniff-flows "$FLOWS" --flows "$FLOWS" --flow-offset "$SPORT_OFFSET")
log "--flows $FLOWS: $ports"
check "--flows $FLOWS: exactly the source ports $SPORT..$((SPORT + FLOWS - 1)) seen" \
  json_eval "$ports" "d['distinct'] == $FLOWS and d['min'] == $SPORT and d['max'] == $SPORT + $FLOWS - 1"
ports=$(sniff_gen sniff-one 2)
log "no --flows: $ports"
check "without --flows: the template's port only" \
  json_eval "$ports" "d['frames'] > 0 and d['distinct'] == 1 and d['min'] == $SPORT"
ports=$(GEN_FRAME=$FRAME_CSUM_HEX sniff_gen sniff-csum "$FLOWS" --flows "$FLOWS" \
          --flow-offset "$SPORT_OFFSET" --csum-offset "$CSUM_OFFSET")
log "--flows $FLOWS --csum-offset $CSUM_OFFSET: $ports"
check "--csum-offset: every port of the $FLOWS flows, every UDP checksum valid" \
  json_eval "$ports" "d['distinct'] == $FLOWS and d['csum_checked'] == d['frames'] > 0 and d['csum_bad'] == 0"
ports=$(GEN_FRAME=$FRAME_CSUM_HEX sniff_gen sniff-nocsum "$FLOWS" --flows "$FLOWS" \
          --flow-offset "$SPORT_OFFSET")
log "--flows $FLOWS without --csum-offset: $ports"
check "without --csum-offset the rewritten ports break the checksum (the check can fail)" \
  json_eval "$ports" "d['csum_bad'] > 0"

# ---------------------------------------------------------------- 5. tc sink
# xdp-pass stays: it gives tg-b the NAPI that XDP_TX into a veth needs.
tg_sink sink attach --dev tg-b --pin "$PIN" --mode tc
check "sink attach tc: tg_sink_tc filter on tg-b ingress" tc_has_sink
gen=$(tg_gen --duration 1)
sink=$(sink_read)
log "gen: $gen sink: $sink"
check "tc sink counted frames (0 < packets <= frames_attempted)" \
  json_eval "$sink" "0 < d['packets'] <= $(json_get "$gen" frames_attempted)"
check "tc sink bytes = packets * $FRAME_LEN" json_eval "$sink" "d['bytes'] == d['packets'] * $FRAME_LEN"

# ---------------------------------------------------------------- 6. SIGINT
tg_sink sink reset --pin "$PIN"
bg_start gen-int gen "$TG" gen --dev tg-a --frame-hex "$FRAME_HEX" --duration 60
wait_until 10 "the sink to count frames" sink_counts || fail "no frames from the generator"
kill -INT "${LAB_BG_PIDS[gen-int]}"
rc=0
bg_wait gen-int 10 || rc=$?
gen=$(bg_out gen-int)
sink=$(sink_read)
log "interrupted gen: $gen sink: $sink"
check "SIGINT: generator exits 0" test "$rc" -eq 0
check "SIGINT: generator stopped early with a report" \
  json_eval "$gen" "0 < d['seconds'] < 30 and d['frames_attempted'] > 0"
check "SIGINT: sink count <= frames_attempted" \
  json_eval "$sink" "0 < d['packets'] <= $(json_get "$gen" frames_attempted)"

# ---------------------------------------------------------------- 7. detach (tc, xdp-pass)
tg_sink sink detach --dev tg-b --mode tc --pin "$PIN"
check "sink detach tc: no filter left on ingress" test -z "$(tc_filters)"
tg_sink xdp-pass detach --dev tg-b
check "xdp-pass detach: no XDP program left" test -z "$(xdp_prog)"

# ---------------------------------------------------------------- 8. floor decap
tg_sink sink attach --dev tg-d --pin "$PIN" --mode xdp
tg_sink floor attach --dev tg-b --mode decap --out tg-c
check "floor attach decap: tg_floor_decap on tg-b" test "$(xdp_prog)" = tg_floor_decap
vn_exec gen "$TG" gen --dev tg-a --frame-hex "$VXLAN_HEX" --duration 1 >/dev/null
sink=$(sink_read)
log "floor decap: sink $sink"
check "floor decap: inner frames counted behind tg-c" json_eval "$sink" "d['packets'] > 0"
check "floor decap: sink bytes = packets * $FRAME_LEN" \
  json_eval "$sink" "d['bytes'] == d['packets'] * $FRAME_LEN"
check_fails "xdp-pass attach refuses to replace the floor" tg_sink xdp-pass attach --dev tg-b
check_fails "floor attach encap: --outer is required" \
  tg_sink floor attach --dev tg-b --mode encap --out tg-c
check_fails "floor attach encap: --outer of 49 bytes" \
  tg_sink floor attach --dev tg-b --mode encap --out tg-c --outer "${OUTER_HEX:2}"
tg_sink floor detach --dev tg-b --mode decap
check "floor detach decap: no XDP program left" test -z "$(xdp_prog)"

# ---------------------------------------------------------------- 9. floor encap
tg_sink sink reset --pin "$PIN"
tg_sink xdp-pass attach --dev tg-b
tg_sink floor attach --dev tg-b --mode encap --out tg-c --outer "$OUTER_HEX"
check "floor attach encap: tg_floor_encap filter on tg-b ingress" tc_has_floor
check_counted_encap "floor encap"
# Without XDP on tg-d the redirected skbs reach its stack and the sniffer.
tg_sink sink detach --dev tg-d --mode xdp --pin "$PIN"
check_sniffed_encap encap "floor encap"
tg_sink floor detach --dev tg-b --mode encap
check "floor detach encap: no filter left on ingress" test -z "$(tc_filters)"
tg_sink xdp-pass detach --dev tg-b

# ---------------------------------------------------------- 10. floor xdp-encap
tg_sink sink attach --dev tg-d --pin "$PIN" --mode xdp
tg_sink sink reset --pin "$PIN"
tg_sink floor attach --dev tg-b --mode xdp-encap --out tg-c --outer "$OUTER_HEX"
check "floor attach xdp-encap: tg_floor_xencap on tg-b" test "$(xdp_prog)" = tg_floor_xencap
check_counted_encap "floor xdp-encap"
tg_sink sink detach --dev tg-d --mode xdp --pin "$PIN"
tg_sink xdp-pass attach --dev tg-d
check_sniffed_encap xencap "floor xdp-encap"
tg_sink floor detach --dev tg-b --mode xdp-encap
check "floor detach xdp-encap: no XDP program left" test -z "$(xdp_prog)"
tg_sink xdp-pass detach --dev tg-d

lab_done

# shellcheck shell=bash
# tests/netns/lib.sh — the namespace lab every tests/netns/test_*.sh sources.
#
# A test builds its own little data centre out of network namespaces:
#
#   ${P}-fab   underlay "fabric": bridge br0 (198.18.0.0/24) and br1
#              (198.18.1.0/24); every host's eth0 is a veth into one of them
#   ${P}-rt    optional underlay router between the two segments
#   ${P}-hvN   a hypervisor (or switch) host: eth0 on the underlay, one
#              VM-h veth per VM, a vnetd started with `ip netns exec`
#   ${P}-VM    a VM: eth0 (plain veth, default features, no XDP, no GRO)
#
# P is unique per run (vn<4 hex><tag>), so tests can run side by side. All
# state lives under /run/vnet-test/$P: the file: store, a private bpffs for
# the daemons' --pin-dir (mounted in the root mount namespace, because
# `ip netns exec` remounts /sys), vnetd logs, pid files and traffic output.
#
# Setup aborts on the first failing command with a message (ERR trap);
# checks (`check`, `pass`, `fail`) are counted and `lab_done` turns them into
# the exit status. Teardown runs on EXIT/INT/TERM and never fails the test.
# Exit 77 = skipped (not root, a tool or the vnet binaries missing).
#
# NETWORK SAFETY: nothing here touches the root network namespace: every
# address, route and packet lives inside the test's own namespaces.

set -euo pipefail
set -o errtrace

LAB_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VNET_SOURCE_DIR=${VNET_SOURCE_DIR:-$(cd "$LAB_LIB_DIR/../.." && pwd)}
VNET_BIN=${VNET_BIN:-$VNET_SOURCE_DIR/build/bin}
TRAFFIC=$LAB_LIB_DIR/traffic.py

# Underlay router addresses (lab_router).
LAB_RT0_IP=198.18.0.254
LAB_RT1_IP=198.18.1.254
LAB_UNDERLAY_PREFIX=24

P=""
LAB_DIR=""
LAB_STORE=""
LAB_BPF=""
LAB_PASSED=0
LAB_FAILED=0
LAB_CLEANED=0
LAB_INITED=0
declare -A LAB_BG_PIDS=()
declare -A LAB_VNETD_PIDS=()

# ---------------------------------------------------------------- messages

_ts() { date +%H:%M:%S.%3N; }
log() { printf '%s [%s] %s\n' "$(_ts)" "${P:-lab}" "$*" >&2; }
skip() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

# Setup failure: stop now (teardown still runs).
die() {
  printf '%s [%s] SETUP FAILED: %s\n' "$(_ts)" "${P:-lab}" "$*" >&2
  LAB_FAILED=$((LAB_FAILED + 1))
  exit 1
}

pass() { LAB_PASSED=$((LAB_PASSED + 1)); printf '%s [%s] ok   - %s\n' "$(_ts)" "$P" "$*" >&2; }
fail() { LAB_FAILED=$((LAB_FAILED + 1)); printf '%s [%s] FAIL - %s\n' "$(_ts)" "$P" "$*" >&2; }
# A failed check after which the rest of the test means nothing.
fatal() { fail "$@"; exit 1; }

# check DESC CMD...: run CMD, count it as a passed or failed check. CMD's
# output goes to the test log only (shown on failure).
check() {
  local desc=$1; shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [[ $rc -eq 0 ]]; then
    pass "$desc"
  else
    fail "$desc (exit $rc)"
    [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/      | /' >&2
  fi
  return 0
}

LAB_ERR_SHOWN=0
# check_fails DESC CMD...: like check, but CMD must fail (exit non-zero).
check_fails() {
  local desc=$1; shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [[ $rc -ne 0 ]]; then
    pass "$desc"
  else
    fail "$desc (succeeded)"
    [[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/      | /' >&2
  fi
  return 0
}

_lab_on_err() {
  local rc=$1 cmd=$2 i=0 where="" frame
  [[ $LAB_ERR_SHOWN -eq 0 ]] || return 0
  LAB_ERR_SHOWN=1
  # file:line of every frame, innermost first.
  while frame=$(caller $i); do
    set -- $frame
    where+=" ${3##*/}:$1"
    i=$((i + 1))
  done
  printf '%s [%s] FAILED: `%s` exited %s at%s\n' "$(_ts)" "${P:-lab}" "$cmd" "$rc" "$where" >&2
}
trap '_lab_on_err $? "$BASH_COMMAND"' ERR

# ---------------------------------------------------------------- small helpers

# vn_exec NS CMD...: run CMD inside ${P}-NS.
vn_exec() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

# traffic NS MODE ARGS...: run traffic.py inside ${P}-NS.
traffic() { local ns=$1; shift; ip netns exec "$P-$ns" "$LAB_PY" "$TRAFFIC" "$@"; }

pid_alive() {
  local pid=$1 state
  [[ -r /proc/$pid/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z && $state != X ]]
}

# wait_until TIMEOUT DESC CMD...: poll CMD every 0.1 s until it succeeds
# (TIMEOUT in seconds, fractions allowed). Returns 1, with a message, at the
# deadline: the synchronisation primitive of these tests (no bare sleeps).
wait_until() {
  local timeout=$1 desc=$2; shift 2
  local end=$((${EPOCHREALTIME//[.,]/} + $(awk -v t="$timeout" 'BEGIN{printf "%d", t * 1000000}')))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ((${EPOCHREALTIME//[.,]/} >= end)); then
      log "timeout after ${timeout}s waiting for: $desc"
      return 1
    fi
    sleep 0.1
  done
}

# json_get JSON KEY.PATH: print one field of a JSON document ("" if absent);
# lists are indexed by number, dicts by key; objects print as JSON.
json_get() {
  "$LAB_PY" - "$1" "$2" <<'EOF'
import json, sys
doc = json.loads(sys.argv[1]) if sys.argv[1].strip() else None
cur = doc
for part in [p for p in sys.argv[2].split(".") if p]:
    if isinstance(cur, list):
        cur = cur[int(part)] if int(part) < len(cur) else None
    elif isinstance(cur, dict):
        cur = cur.get(part)
    else:
        cur = None
if cur is None:
    print("")
elif isinstance(cur, (dict, list)):
    print(json.dumps(cur, sort_keys=True))
elif isinstance(cur, bool):
    print("true" if cur else "false")
else:
    print(cur)
EOF
}

# json_eval JSON PYEXPR: evaluate a python expression with `d` = the document;
# exit 0 when it is truthy. For assertions more complex than one field.
json_eval() {
  "$LAB_PY" - "$1" "$2" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2], {"d": d}) else 1)
EOF
}

# json_file_ge FILE FIELD N: FILE holds a JSON object whose FIELD >= N (for
# wait_until on traffic.py --status files).
json_file_ge() {
  [[ -s $1 ]] && "$LAB_PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d.get(sys.argv[2], 0) >= int(sys.argv[3]) else 1)' "$1" "$2" "$3"
}

# json_file_eval FILE PYEXPR: like json_eval on the JSON in FILE.
json_file_eval() { [[ -s $1 ]] && json_eval "$(cat "$1")" "$2"; }

# ---------------------------------------------------------------- background jobs

# bg_start NAME NS CMD...: run CMD in ${P}-NS in the background; stdout to
# $LAB_DIR/NAME.out, stderr to NAME.err.
bg_start() {
  local name=$1 ns=$2; shift 2
  ip netns exec "$P-$ns" "$@" >"$LAB_DIR/$name.out" 2>"$LAB_DIR/$name.err" &
  LAB_BG_PIDS[$name]=$!
}

# bg_wait NAME TIMEOUT: wait for a background job; returns its exit status
# (124 on timeout, after killing it).
bg_wait() {
  local name=$1 timeout=$2 pid rc=0
  pid=${LAB_BG_PIDS[$name]:-}
  [[ -n $pid ]] || { log "bg_wait: no job $name"; return 1; }
  if ! wait_until "$timeout" "job $name to finish" _bg_done "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset "LAB_BG_PIDS[$name]"
    return 124
  fi
  wait "$pid" || rc=$?
  unset "LAB_BG_PIDS[$name]"
  return $rc
}
_bg_done() { ! pid_alive "$1"; }
bg_out() { cat "$LAB_DIR/$1.out" 2>/dev/null || true; }

# ---------------------------------------------------------------- lab setup

# lab_init TAG: checks, unique prefix, private bpffs and store, teardown trap.
lab_init() {
  local tag=${1:-t}
  [[ $(id -u) -eq 0 ]] || skip "netns tests need root (run with sudo)"
  local tool
  for tool in ip bridge tc ethtool mount umount awk sed; do
    command -v "$tool" >/dev/null 2>&1 || skip "missing tool: $tool"
  done
  if [[ -x /usr/bin/python3 ]]; then LAB_PY=/usr/bin/python3
  elif command -v python3 >/dev/null 2>&1; then LAB_PY=$(command -v python3)
  else skip "missing tool: python3"; fi
  VNETD=$VNET_BIN/vnetd
  VNETCTL=$VNET_BIN/vnetctl
  [[ -x $VNETD && -x $VNETCTL ]] || skip "vnetd/vnetctl not built in VNET_BIN=$VNET_BIN"

  P=vn$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')$tag
  LAB_DIR=/run/vnet-test/$P
  LAB_STORE=file:$LAB_DIR/store
  LAB_BPF=$LAB_DIR/bpf
  trap '_lab_cleanup; exit 130' INT
  trap '_lab_cleanup; exit 143' TERM
  trap '_lab_exit' EXIT

  ip netns add "$P-probe" 2>/dev/null || skip "cannot create network namespaces"
  ip netns del "$P-probe"
  mkdir -p "$LAB_DIR/store" "$LAB_BPF"
  mount -t bpf bpf "$LAB_BPF" 2>/dev/null || skip "cannot mount a bpffs at $LAB_BPF"
  LAB_INITED=1
  log "lab $P in $LAB_DIR (VNET_BIN=$VNET_BIN)"
}

_lab_ns() { ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true; }

_lab_exit() {
  local rc=$?
  if [[ $rc -ne 0 && $rc -ne 77 && $LAB_INITED -eq 1 ]]; then
    _lab_save_logs
    _lab_hold
  fi
  _lab_cleanup
  exit "$rc"
}

# On failure keep the daemons' logs and traffic output outside /run.
_lab_save_logs() {
  local keep=${VNET_TEST_LOGS:-/tmp/vnet-test-logs}/$P f
  mkdir -p "$keep" 2>/dev/null || return 0
  cp -a "$LAB_DIR"/*.log "$LAB_DIR"/*.out "$LAB_DIR"/*.err "$LAB_DIR"/*.yaml "$keep"/ 2>/dev/null || true
  for f in "$LAB_DIR"/*.log; do
    [[ -e $f ]] || continue
    printf -- '--- tail of %s\n' "$(basename "$f")" >&2
    tail -n 15 "$f" | sed 's/^/      | /' >&2
  done
  log "logs kept in $keep"
}

# VNET_TEST_HOLD=SECONDS: on failure keep the lab up that long (or until
# $LAB_DIR/release exists) for inspection with ip netns exec, bpftool, ...
_lab_hold() {
  local hold=${VNET_TEST_HOLD:-0}
  [[ $hold =~ ^[0-9]+$ && $hold -gt 0 ]] || return 0
  log "holding the lab for ${hold}s: namespaces $P-*, pins $LAB_BPF; touch $LAB_DIR/release to end"
  wait_until "$hold" "release" test -e "$LAB_DIR/release" 2>/dev/null || true
}

_lab_cleanup() {
  [[ $LAB_CLEANED -eq 1 ]] && return 0
  LAB_CLEANED=1
  set +e
  trap - ERR
  [[ -n $P ]] || return 0
  local name pid ns f i
  # Daemons: by pid file.
  for f in "$LAB_DIR"/*.pid; do
    [[ -e $f ]] || continue
    pid=$(cat "$f" 2>/dev/null)
    [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null
  done
  for f in "$LAB_DIR"/*.pid; do
    [[ -e $f ]] || continue
    pid=$(cat "$f" 2>/dev/null)
    [[ -n $pid ]] || continue
    for i in $(seq 20); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for name in "${!LAB_BG_PIDS[@]}"; do
    pid=${LAB_BG_PIDS[$name]}
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # Anything else still running inside our namespaces was started by us.
  for ns in $(_lab_ns); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  for ns in $(_lab_ns); do ip netns del "$ns" 2>/dev/null; done
  if [[ -n $LAB_BPF ]] && grep -qs " $LAB_BPF " /proc/mounts; then
    umount "$LAB_BPF" 2>/dev/null || umount -l "$LAB_BPF" 2>/dev/null
  fi
  [[ -n $LAB_DIR ]] && rm -rf "$LAB_DIR"
  rmdir /run/vnet-test 2>/dev/null
  return 0
}

# lab_done: summary line and exit status from the counted checks.
lab_done() {
  local h
  for h in "${!LAB_VNETD_PIDS[@]}"; do
    if ! pid_alive "${LAB_VNETD_PIDS[$h]}"; then
      fail "vnetd on $h died during the test (see vnetd-$h.log)"
    fi
  done
  printf '%s passed, %s failed\n' "$LAB_PASSED" "$LAB_FAILED"
  [[ $LAB_FAILED -eq 0 ]] || exit 1
  exit 0
}

_ns_base() {
  local ns=$P-$1
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# lab_fabric: the underlay: ${P}-fab with bridges br0 (198.18.0.0/24) and
# br1 (198.18.1.0/24, reached through lab_router).
lab_fabric() {
  _ns_base fab
  local br
  for br in br0 br1; do
    ip -n "$P-fab" link add "$br" type bridge stp_state 0 mcast_snooping 0
    ip -n "$P-fab" link set "$br" up
  done
}

# _fabric_port NAME IP NS DEV: a veth DEV in NS (IP/24) with its peer NAME on
# the fabric bridge of IP's segment; both ends checksum like a wire.
_fabric_port() {
  local name=$1 ip=$2 ns=$3 dev=$4 br
  case $ip in
    198.18.0.*) br=br0 ;;
    198.18.1.*) br=br1 ;;
    *) die "underlay address $ip not in 198.18.0.0/24 or 198.18.1.0/24" ;;
  esac
  ip -n "$P-fab" link add "$name" type veth peer name "$dev" netns "$P-$ns"
  ip -n "$P-fab" link set "$name" master "$br" up
  # A veth hands CHECKSUM_PARTIAL skbs to its peer; a wire never does.
  ip netns exec "$P-fab" ethtool -K "$name" tx off >/dev/null
  ip netns exec "$P-$ns" ethtool -K "$dev" tx off >/dev/null
  ip -n "$P-$ns" addr add "$ip/$LAB_UNDERLAY_PREFIX" dev "$dev"
  ip -n "$P-$ns" link set "$dev" up
}

# lab_router: ${P}-rt forwarding between 198.18.0.0/24 (eth0) and
# 198.18.1.0/24 (eth1).
lab_router() {
  _ns_base rt
  _fabric_port rt0 "$LAB_RT0_IP" rt eth0
  _fabric_port rt1 "$LAB_RT1_IP" rt eth1
  ip netns exec "$P-rt" sysctl -qw net.ipv4.ip_forward=1
}

# lab_host NAME VTEP_IP [GW]: a host namespace with eth0 on the underlay;
# GW (the underlay router's address on its segment) becomes the default
# route, for VTEPs in the other subnet.
lab_host() {
  local name=$1 ip=$2 gw=${3:-}
  _ns_base "$name"
  _fabric_port "$name" "$ip" "$name" eth0
  if [[ -n $gw ]]; then
    ip -n "$P-$name" route add default via "$gw"
  fi
}

# lab_vm HOST VM IP[/LEN] MAC [MTU] [HOST_IF]: a VM namespace ${P}-VM whose
# eth0 is a veth to HOST_IF (default VM-h) in HOST's namespace. The VM side
# keeps default features (no XDP, no GRO): a guest is not ours to tune. MTU
# defaults to the overlay MTU a cloud would hand out (1450 on a 1500
# underlay). A bare-metal server on a switch port is the same thing with
# HOST_IF = the port (swp1).
lab_vm() {
  local host=$1 vm=$2 ip=$3 mac=$4 mtu=${5:-1450} hif=${6:-$2-h}
  [[ $ip == */* ]] || ip=$ip/24
  ((${#hif} <= 15)) || die "interface name $hif too long"
  _ns_base "$vm"
  ip -n "$P-$host" link add "$hif" type veth peer name eth0 netns "$P-$vm"
  ip -n "$P-$vm" link set eth0 address "$mac" mtu "$mtu"
  ip -n "$P-$vm" addr add "$ip" dev eth0
  if ((mtu > 1500)); then ip -n "$P-$host" link set "$hif" mtu "$mtu"; fi
  ip -n "$P-$vm" link set eth0 up
  ip -n "$P-$host" link set "$hif" up
}

# lab_vm_del HOST VM: remove a VM's interface and namespace.
lab_vm_del() {
  local host=$1 vm=$2 pid
  for pid in $(ip netns pids "$P-$vm" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  ip -n "$P-$host" link del "$vm-h" 2>/dev/null || true
  ip netns del "$P-$vm"
}

# ---------------------------------------------------------------- vnet

vnetctl() { "$VNETCTL" --store "$LAB_STORE" "$@"; }
lab_sock() { echo "$LAB_DIR/$1.sock"; }
lab_pin_dir() { echo "$LAB_BPF/$1"; }

# veth_stat NS DEV SUFFIX: a veth's ethtool -S per-queue counters ending in
# SUFFIX (xdp_redirect, xdp_drops, xdp_xmit, ...), summed over its queues.
veth_stat() {
  ip netns exec "$P-$1" ethtool -S "$2" |
    awk -v suf="$3" '{ sub(":", "", $1) } $1 ~ "^(tx|rx)_queue_[0-9]+_" suf "$" { n += $2 } END { print n + 0 }'
}

# lab_vnetd HOST [VNETD_ARGS...]: start vnetd for HOST inside its namespace
# (with any extra flags, e.g. --xdp-transmit) and wait until its control
# socket answers.
lab_vnetd() {
  local host=$1 pid
  shift
  mkdir -p "$LAB_BPF/$host"
  ip netns exec "$P-$host" "$VNETD" --host "$host" --store "$LAB_STORE" \
    --pin-dir "$LAB_BPF/$host" --socket "$LAB_DIR/$host.sock" --state-dir "$LAB_DIR/state-$host" \
    "$@" >>"$LAB_DIR/vnetd-$host.log" 2>&1 &
  pid=$!
  echo "$pid" >"$LAB_DIR/vnetd-$host.pid"
  LAB_VNETD_PIDS[$host]=$pid
  if ! wait_until 15 "vnetd on $host to open $LAB_DIR/$host.sock" _vnetd_up "$host" "$pid"; then
    pid_alive "$pid" || log "vnetd on $host exited"
    tail -n 20 "$LAB_DIR/vnetd-$host.log" | sed 's/^/      | /' >&2
    die "vnetd on $host did not come up"
  fi
  pid_alive "$pid" || die "vnetd on $host exited at start (see vnetd-$host.log)"
}
_vnetd_up() { pid_alive "$2" && [[ -S $LAB_DIR/$1.sock ]]; }

# lab_vnetd_kill HOST [SIGNAL]: stop HOST's vnetd and reap it.
lab_vnetd_kill() {
  local host=$1 sig=${2:-TERM} pid
  pid=${LAB_VNETD_PIDS[$host]:-}
  [[ -n $pid ]] || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  wait_until 10 "vnetd on $host to exit" _bg_done "$pid" || kill -KILL "$pid" 2>/dev/null || true
  # (braces: bash reports the killed job while reaping it, on this stderr)
  { wait "$pid"; } 2>/dev/null || true
  unset "LAB_VNETD_PIDS[$host]"
  rm -f "$LAB_DIR/vnetd-$host.pid"
  # The socket of a killed daemon stays behind; the next one replaces it.
  rm -f "$LAB_DIR/$host.sock"
}

# lab_apply FILE...: apply and wait for every live vnetd; setup failure if
# the apply fails.
lab_apply() {
  local args=() f out rc=0
  for f in "$@"; do args+=(-f "$f"); done
  out=$(vnetctl apply "${args[@]}" --wait=30 2>&1) || rc=$?
  printf '%s\n' "$out" >>"$LAB_DIR/vnetctl.log"
  if [[ $rc -ne 0 ]]; then
    printf '%s\n' "$out" | sed 's/^/      | /' >&2
    die "vnetctl apply ${*##*/} failed (exit $rc)"
  fi
  log "applied ${*##*/}"
}

# lab_stats HOST [ENDPOINT]: JSON counters from HOST's vnetd.
lab_stats() {
  local host=$1; shift
  "$VNETCTL" --socket "$LAB_DIR/$host.sock" stats "$@" -o json
}

# ---------------------------------------------------------------- traffic checks

# ping_ok FROM_NS TO_IP [COUNT]: every echo answered.
ping_ok() { traffic "$1" ping --to "$2" --count "${3:-3}" --interval 0.1 --timeout 3; }
# ping_fails FROM_NS TO_IP: no echo answered.
ping_fails() { traffic "$1" ping --to "$2" --count 3 --interval 0.1 --timeout 1 --expect-none; }

# wait_ping TIMEOUT FROM_NS TO_IP: until one echo is answered.
wait_ping() { wait_until "$1" "ping $2 -> $3" traffic "$2" ping --to "$3" --count 1 --timeout 0.5; }

# tcp_transfer FROM_NS TO_NS TO_IP BYTES [PORT]: content-checked transfer;
# prints a one-line summary, returns 0 when the sink got exactly what the
# sender sent.
LAB_TCP_PORT=5100
tcp_transfer() {
  local from=$1 to=$2 ip=$3 bytes=$4 port=${5:-}
  if [[ -z $port ]]; then LAB_TCP_PORT=$((LAB_TCP_PORT + 1)); port=$LAB_TCP_PORT; fi
  local job=tcp-$from-$to-$port ready=$LAB_DIR/tcp-$from-$to-$port.ready
  local seed=$port snd rc=0 rcv src_sum dst_sum
  rm -f "$ready"
  bg_start "$job" "$to" "$LAB_PY" "$TRAFFIC" tcp-sink --port "$port" --timeout 90 --ready "$ready"
  snd=$(traffic "$from" tcp-send --to "$ip" --port "$port" --bytes "$bytes" --seed "$seed" \
          --timeout 90 --wait-ready "$ready") || rc=$?
  # A sender that failed leaves the sink waiting: give it a moment, then stop it.
  if [[ $rc -eq 0 ]]; then bg_wait "$job" 100 || rc=1; else bg_wait "$job" 2 || true; fi
  rcv=$(bg_out "$job")
  [[ -n $snd ]] || snd='{}'
  [[ -n $rcv ]] || rcv='{}'
  src_sum=$(json_get "$snd" sha256)
  dst_sum=$(json_get "$rcv" sha256)
  echo "tcp $from -> $to ($ip:$port): sent $(json_get "$snd" bytes) B sha256 ${src_sum:0:16}, received $(json_get "$rcv" bytes) B sha256 ${dst_sum:0:16} $(json_get "$snd" error) $(json_get "$rcv" error)"
  [[ $rc -eq 0 && -n $src_sum && $src_sum == "$dst_sum" && $(json_get "$rcv" bytes) == "$bytes" ]]
}

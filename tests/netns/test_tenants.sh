#!/usr/bin/env bash
# test_tenants: two tenants, same subnet, same IPs, same hosts — isolated.
#
#              br0 198.18.0.0/24 (${P}-fab)
#            ┌────────┴─────────────┐
#          eth0 198.18.0.1        eth0 198.18.0.2
#        ┌──────────────┐       ┌──────────────┐
#        │     hv1      │       │     hv2      │
#        └──────────────┘       └──────────────┘
#        b1   r1   b3   r3       b2   r2
#
#   blue (VNI 1001, 10.0.1.0/24): b1 10.0.1.11 @hv1, b2 10.0.1.12 @hv2, b3 10.0.1.13 @hv1
#   red  (VNI 2002, 10.0.1.0/24): r1 10.0.1.11 @hv1, r2 10.0.1.12 @hv2, r3 10.0.1.13 @hv1
#
# Each VM has a twin with the same IP in the other tenant (MACs differ so the
# receiving side can tell who sent a frame). Every assertion is made where
# traffic arrives: ARP answers name the own tenant's MAC; tagged UDP
# streams arrive only at the own tenant's receiver (payload tag, sender IP
# and source MAC checked); concurrent TCP transfers to the same IP:port in
# both tenants each deliver their own sender's bytes; and a sniffer in every
# receiving VM sees no frame from the other tenant for the whole test.

source "$(dirname "$0")/lib.sh"

HV1_IP=198.18.0.1
HV2_IP=198.18.0.2
NET=10.0.1.0/24
BLUE_VNI=1001
RED_VNI=2002
IP1=10.0.1.11
IP2=10.0.1.12
IP3=10.0.1.13
B1_MAC=02:00:00:0b:00:11; B2_MAC=02:00:00:0b:00:12; B3_MAC=02:00:00:0b:00:13
R1_MAC=02:00:00:0e:00:11; R2_MAC=02:00:00:0e:00:12; R3_MAC=02:00:00:0e:00:13
UDP_PORT=6001
UDP_COUNT=300
TCP_PORT=5300
TCP_BYTES=$((4 * 1024 * 1024))

lab_init ten

lab_fabric
lab_host hv1 "$HV1_IP"
lab_host hv2 "$HV2_IP"
lab_vm hv1 b1 "$IP1" "$B1_MAC"
lab_vm hv2 b2 "$IP2" "$B2_MAC"
lab_vm hv1 b3 "$IP3" "$B3_MAC"
lab_vm hv1 r1 "$IP1" "$R1_MAC"
lab_vm hv2 r2 "$IP2" "$R2_MAC"
lab_vm hv1 r3 "$IP3" "$R3_MAC"

cat >"$LAB_DIR/topology.yaml" <<EOF
version: 1
hosts:
  - {name: hv1, vtep_ip: $HV1_IP, underlay_interface: eth0}
  - {name: hv2, vtep_ip: $HV2_IP, underlay_interface: eth0}
networks:
  - {name: blue, vni: $BLUE_VNI, subnet: $NET}
  - {name: red, vni: $RED_VNI, subnet: $NET}
endpoints:
  - {name: b1, host: hv1, network: blue, interface: b1-h, mac: "$B1_MAC", ip: $IP1}
  - {name: b2, host: hv2, network: blue, interface: b2-h, mac: "$B2_MAC", ip: $IP2}
  - {name: b3, host: hv1, network: blue, interface: b3-h, mac: "$B3_MAC", ip: $IP3}
  - {name: r1, host: hv1, network: red, interface: r1-h, mac: "$R1_MAC", ip: $IP1}
  - {name: r2, host: hv2, network: red, interface: r2-h, mac: "$R2_MAC", ip: $IP2}
  - {name: r3, host: hv1, network: red, interface: r3-h, mac: "$R3_MAC", ip: $IP3}
EOF

lab_vnetd hv1
lab_vnetd hv2
lab_apply "$LAB_DIR/topology.yaml"

declare -A MAC=([b1]=$B1_MAC [b2]=$B2_MAC [b3]=$B3_MAC [r1]=$R1_MAC [r2]=$R2_MAC [r3]=$R3_MAC)
declare -A IP=([b1]=$IP1 [b2]=$IP2 [b3]=$IP3 [r1]=$IP1 [r2]=$IP2 [r3]=$IP3)
BLUE_MACS="$B1_MAC $B2_MAC $B3_MAC"
RED_MACS="$R1_MAC $R2_MAC $R3_MAC"

# Sniffers in every VM for the whole traffic phase.
SNIFF_STOP=$LAB_DIR/sniff.stop
for vm in b1 b2 b3 r1 r2 r3; do
  bg_start "sniff-$vm" "$vm" "$LAB_PY" "$TRAFFIC" sniff --iface eth0 --duration 300 \
    --ready "$LAB_DIR/sniff-$vm.ready" --stop-file "$SNIFF_STOP"
done
for vm in b1 b2 b3 r1 r2 r3; do
  wait_until 10 "sniffer in $vm" test -e "$LAB_DIR/sniff-$vm.ready" || die "sniffer in $vm did not start"
done

# --- ARP: the answer names the requester's own tenant's MAC, only.
arp_answer_is() {  # FROM TO_IP EXPECTED_MAC [unicast DST_MAC]
  local res
  res=$(traffic "$1" arping --iface eth0 --to "$2" --count 3 ${4:+--dst-mac "$4"}) || true
  echo "$res"
  json_eval "$res" "d['replies'] >= 1 and set(d['macs']) == {'$3'}"
}
for src in b1 r1; do
  t=${src:0:1}
  check "$src: broadcast ARP for $IP2 answered by ${t}2 only" arp_answer_is "$src" "$IP2" "${MAC[${t}2]}"
  check "$src: broadcast ARP for $IP3 answered by ${t}3 only" arp_answer_is "$src" "$IP3" "${MAC[${t}3]}"
  check "${t}2: broadcast ARP for $IP1 answered by $src only" arp_answer_is "${t}2" "$IP1" "${MAC[$src]}"
  check "$src: unicast ARP to ${t}2 answered by ${t}2" \
    arp_answer_is "$src" "$IP2" "${MAC[${t}2]}" "${MAC[${t}2]}"
done

# --- ping within each tenant (the same IPs in both)
for t in b r; do
  check "ping ${t}1 -> ${t}2 ($IP2, across hosts)" ping_ok "${t}1" "$IP2"
  check "ping ${t}2 -> ${t}1 ($IP1, across hosts)" ping_ok "${t}2" "$IP1"
  check "ping ${t}1 -> ${t}3 ($IP3, same host)" ping_ok "${t}1" "$IP3"
done

# --- tagged UDP: both tenants send to the same IPs at the same time; each
# receiver must get exactly its tenant's stream (tag, sender and MAC).
udp_isolation() {
  local vm f stop=$LAB_DIR/udp.stop
  rm -f "$stop"
  for vm in b2 b3 r2 r3; do
    rm -f "$LAB_DIR/udp-$vm.ready" "$LAB_DIR/udp-$vm.status"
    bg_start "udp-$vm" "$vm" "$LAB_PY" "$TRAFFIC" udp-recv --port "$UDP_PORT" --senders 0 \
      --duration 60 --mac-iface eth0 --ready "$LAB_DIR/udp-$vm.ready" \
      --status "$LAB_DIR/udp-$vm.status" --stop-file "$stop"
  done
  for vm in b2 b3 r2 r3; do
    wait_until 10 "udp receiver in $vm" test -e "$LAB_DIR/udp-$vm.ready" || return 1
  done
  for f in b1:b2:blue b1:b3:blue r1:r2:red r1:r3:red; do
    IFS=: read -r src dst tag <<<"$f"
    bg_start "udp-$src-$dst" "$src" "$LAB_PY" "$TRAFFIC" udp-send --to "${IP[$dst]}" \
      --port "$UDP_PORT" --rate 500 --count "$UDP_COUNT" --duration 20 --tag "$tag"
  done
  for f in b1-b2 b1-b3 r1-r2 r1-r3; do bg_wait "udp-$f" 30 || true; done
  # Senders are done (END markers included): wait for each receiver's END,
  # anything leaked from the other tenant has arrived before it.
  for vm in b2 b3 r2 r3; do
    wait_until 5 "END at $vm" json_file_ge "$LAB_DIR/udp-$vm.status" ended 1 || true
  done
  touch "$stop"
  for vm in b2 b3 r2 r3; do bg_wait "udp-$vm" 10 || true; done
}
udp_only_from() {  # VM SENDER_IP TAG SENDER_MAC
  local res
  res=$(bg_out "udp-$1")
  echo "$1 received: $res"
  json_eval "${res:-{\}}" "list(d['streams']) == ['$2/$3'] and d['streams']['$2/$3']['unique'] == $UDP_COUNT and d['streams']['$2/$3']['missing'] == 0 and set(d['src_macs']) == {'$4'}"
}
udp_isolation
check "b2 got blue's stream only ($UDP_COUNT from $IP1/$B1_MAC)" udp_only_from b2 "$IP1" blue "$B1_MAC"
check "r2 got red's stream only ($UDP_COUNT from $IP1/$R1_MAC)" udp_only_from r2 "$IP1" red "$R1_MAC"
check "b3 got blue's stream only (same host)" udp_only_from b3 "$IP1" blue "$B1_MAC"
check "r3 got red's stream only (same host)" udp_only_from r3 "$IP1" red "$R1_MAC"

# --- concurrent TCP to the same IP:port in both tenants
tcp_twins() {  # FROM_SUFFIX TO_SUFFIX TO_IP
  local a=$1 b=$2 ip=$3 t ok=0 snd rcv
  declare -A SND=()
  for t in b r; do
    rm -f "$LAB_DIR/tt-$t$b.ready"
    bg_start "tt-sink-$t$b" "$t$b" "$LAB_PY" "$TRAFFIC" tcp-sink --port "$TCP_PORT" --timeout 60 \
      --ready "$LAB_DIR/tt-$t$b.ready"
  done
  for t in b r; do
    # Different seeds: the tenants' byte streams differ.
    bg_start "tt-send-$t$a" "$t$a" "$LAB_PY" "$TRAFFIC" tcp-send --to "$ip" --port "$TCP_PORT" \
      --bytes "$TCP_BYTES" --seed "$([[ $t == b ]] && echo 1001 || echo 2002)" --timeout 60 \
      --wait-ready "$LAB_DIR/tt-$t$b.ready"
  done
  for t in b r; do
    if bg_wait "tt-send-$t$a" 70; then bg_wait "tt-sink-$t$b" 70 || ok=1
    else ok=1; bg_wait "tt-sink-$t$b" 2 || true; fi
    snd=$(bg_out "tt-send-$t$a"); rcv=$(bg_out "tt-sink-$t$b")
    echo "$t$a -> $t$b: sent $snd received $rcv"
    [[ -n $snd && -n $rcv ]] || { ok=1; continue; }
    SND[$t]=$(json_get "$snd" sha256)
    [[ ${SND[$t]} == "$(json_get "$rcv" sha256)" && $(json_get "$rcv" bytes) == "$TCP_BYTES" ]] || ok=1
  done
  [[ $ok -eq 0 && ${SND[b]} != "${SND[r]}" ]]
}
check "concurrent tcp b1->b2 and r1->r2 to $IP2:$TCP_PORT, each sha256 verified" tcp_twins 1 2 "$IP2"
check "concurrent tcp b2->b1 and r2->r1 to $IP1:$TCP_PORT, each sha256 verified" tcp_twins 2 1 "$IP1"
check "concurrent tcp b1->b3 and r1->r3 to $IP3:$TCP_PORT (same host), each sha256 verified" \
  tcp_twins 1 3 "$IP3"

# --- nothing from the other tenant ever reached a VM
touch "$SNIFF_STOP"
only_tenant_macs() {  # VM MACS_ALLOWED...
  local vm=$1 res; shift
  res=$(bg_out "sniff-$vm")
  echo "$vm saw: $res"
  json_eval "${res:-{\}}" "d['frames'] > 0 and {g['src_mac'] for g in d['by']} <= set('$*'.split())"
}
for vm in b1 b2 b3 r1 r2 r3; do bg_wait "sniff-$vm" 10 || true; done
for vm in b1 b2 b3; do
  check "$vm saw frames from blue MACs only" only_tenant_macs "$vm" $BLUE_MACS
done
for vm in r1 r2 r3; do
  check "$vm saw frames from red MACs only" only_tenant_macs "$vm" $RED_MACS
done

lab_done

#!/usr/bin/env python3
"""Traffic tools for the vnet namespace lab (python3 standard library only).

Run inside a namespace with `ip netns exec NS python3 traffic.py MODE ...`.
Every mode is bounded in time and count and stops by itself; results are
printed as one JSON object on stdout so the shell tests can assert on them
(lib.sh's `json_get` reads a field). Exit status: 0 when the mode's own
expectation holds (see each mode), 1 otherwise, 2 on usage errors.

Modes:
  ping       ICMP echo through a raw socket (no iputils needed); also
             reports ICMP fragmentation-needed errors and local EMSGSIZE.
  arping     ARP request (broadcast or unicast) from an interface; reports
             the MACs that answered.
  tcp-sink   accept one connection, report byte count and sha256.
  tcp-send   send N pseudo-random bytes (seeded), report sha256.
  udp-send   sequence-numbered UDP stream at a fixed rate, END markers last.
  udp-recv   receive streams: received, missing (+ first gaps), duplicates,
             reordering, per sender and tag; optional source MACs.
  sniff      count the frames arriving on an interface, grouped.
  traceroute UDP probes with TTL 1, 2, ...: the address that answered each
             TTL (ICMP time exceeded) until the destination answers (ICMP
             port unreachable).

A receiver given --ready FILE creates FILE once it listens; a sender given
--wait-ready FILE starts only when FILE exists (bounded by --ready-timeout).
"""

import argparse
import array
import fcntl
import hashlib
import json
import os
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4
SIOCGIFHWADDR = 0x8927
SIOCGIFADDR = 0x8915
SO_RCVBUFFORCE = 33
IP_MTU_DISCOVER = 10
UDP_SEGMENT = 103
SO_NO_CHECK = 11
PMTUDISC = {"dont": 0, "want": 1, "do": 2, "probe": 3, "interface": 4}

MAGIC_DATA = b"VNTD"
MAGIC_END = b"VNTE"
# magic, seq (u64), tag (16 bytes, NUL padded)
UDP_HDR = struct.Struct("!4sQ16s")


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def touch(path):
    if path:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(os.getpid()) + "\n")
        os.rename(tmp, path)


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, sort_keys=True)
    os.rename(tmp, path)


def wait_ready(path, timeout):
    if not path:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def mac_bytes(s):
    parts = s.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC " + s)
    return bytes(int(p, 16) for p in parts)


def if_hwaddr(ifname):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        req = struct.pack("256s", ifname.encode()[:15])
        res = fcntl.ioctl(s.fileno(), SIOCGIFHWADDR, req)
        return res[18:24]
    finally:
        s.close()


def if_ipaddr(ifname):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        req = struct.pack("256s", ifname.encode()[:15])
        res = fcntl.ioctl(s.fileno(), SIOCGIFADDR, req)
        return res[20:24]
    except OSError:
        return b"\0\0\0\0"
    finally:
        s.close()


def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(array.array("H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return (~total) & 0xFFFF


# ---------------------------------------------------------------- ping


def cmd_ping(a):
    ident = os.getpid() & 0xFFFF
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    if a.pmtudisc:
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC[a.pmtudisc])
    if a.bind_dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.bind_dev.encode())
    dst = socket.inet_aton(a.to)
    sent = 0
    replies = set()
    frag_needed = []
    emsgsize = 0
    other_errors = {}
    payload_len = max(a.size, 8)
    deadline_all = time.monotonic() + a.count * a.interval + a.timeout
    next_send = time.monotonic()
    seq = 0
    while True:
        now = time.monotonic()
        if seq < a.count and now >= next_send:
            seq += 1
            body = struct.pack("!d", time.time()) + bytes((i & 0xFF for i in range(payload_len - 8)))
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
            # inet_csum sums native-order words: store it in native order.
            pkt = hdr[:2] + struct.pack("=H", inet_csum(hdr + body)) + hdr[4:] + body
            try:
                s.sendto(pkt, (a.to, 0))
                sent += 1
            except OSError as e:
                if e.errno == 90:  # EMSGSIZE: the route's PMTU is known
                    emsgsize += 1
                else:
                    other_errors[e.strerror] = other_errors.get(e.strerror, 0) + 1
            next_send = now + a.interval
        if len(replies) >= a.count and seq >= a.count:
            break
        if now >= deadline_all:
            break
        wait = min(deadline_all, next_send if seq < a.count else deadline_all) - now
        r, _, _ = select.select([s], [], [], max(0.0, min(wait, 0.05)))
        if not r:
            continue
        data, addr = s.recvfrom(65535)
        ihl = (data[0] & 0x0F) * 4
        icmp = data[ihl:]
        if len(icmp) < 8:
            continue
        typ, code = icmp[0], icmp[1]
        if typ == 0 and data[12:16] == dst:
            rid, rseq = struct.unpack("!HH", icmp[4:8])
            if rid == ident:
                replies.add(rseq)
        elif typ == 3 and len(icmp) >= 8 + 20 + 8:
            inner = icmp[8:]
            iihl = (inner[0] & 0x0F) * 4
            if inner[16:20] != dst or inner[9] != 1 or len(inner) < iihl + 8:
                continue
            iid = struct.unpack("!H", inner[iihl + 4:iihl + 6])[0]
            if iid != ident:
                continue
            if code == 4:
                frag_needed.append({"mtu": struct.unpack("!H", icmp[6:8])[0],
                                    "from": socket.inet_ntoa(data[12:16])})
            else:
                key = "icmp_unreach_%d" % code
                other_errors[key] = other_errors.get(key, 0) + 1
    res = {"to": a.to, "sent": sent, "received": len(replies), "emsgsize": emsgsize,
           "frag_needed": frag_needed[:5], "frag_needed_count": len(frag_needed),
           "errors": other_errors}
    emit(res)
    if a.expect_none:
        return 0 if not replies else 1
    need = a.min_replies if a.min_replies is not None else a.count
    return 0 if len(replies) >= need else 1


# ---------------------------------------------------------------- arping


def cmd_traceroute(a):
    """Classic UDP traceroute: one probe per TTL to a closed port; the ICMP
    error quoting our probe names the hop. Exit 0 when the destination was
    reached."""
    icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("0.0.0.0", 0))
    sport = probe.getsockname()[1]
    dst = socket.inet_aton(a.to)
    hops = []
    reached = False
    for ttl in range(1, a.max_hops + 1):
        probe.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        dport = a.port + ttl
        probe.sendto(b"vnet-traceroute", (a.to, dport))
        hop = None
        deadline = time.monotonic() + a.timeout
        while hop is None and time.monotonic() < deadline:
            r, _, _ = select.select([icmp], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            data, _ = icmp.recvfrom(65535)
            ihl = (data[0] & 0x0F) * 4
            msg = data[ihl:]
            if len(msg) < 8 + 20 + 8 or msg[0] not in (3, 11):
                continue
            inner = msg[8:]
            iihl = (inner[0] & 0x0F) * 4
            if inner[9] != 17 or inner[16:20] != dst or len(inner) < iihl + 4:
                continue
            isport, idport = struct.unpack("!HH", inner[iihl:iihl + 4])
            if isport != sport or idport != dport:
                continue
            hop = {"ttl": ttl, "from": socket.inet_ntoa(data[12:16]), "type": msg[0], "code": msg[1]}
        hops.append(hop or {"ttl": ttl, "from": None})
        if hop and hop["type"] == 3:
            reached = hop["from"] == a.to
            break
    emit({"to": a.to, "hops": hops, "reached": reached})
    return 0 if reached else 1


def cmd_arping(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((a.iface, ETH_P_ARP))
    my_mac = if_hwaddr(a.iface)
    my_ip = socket.inet_aton(a.src_ip) if a.src_ip else if_ipaddr(a.iface)
    tgt = socket.inet_aton(a.to)
    dst_mac = mac_bytes(a.dst_mac) if a.dst_mac else b"\xff" * 6
    frame = (dst_mac + my_mac + struct.pack("!H", ETH_P_ARP)
             + struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 1)
             + my_mac + my_ip + b"\0" * 6 + tgt)
    frame += b"\0" * (60 - len(frame))
    macs = {}
    sent = 0
    deadline = time.monotonic() + a.count * a.interval + a.timeout
    next_send = time.monotonic()
    while time.monotonic() < deadline:
        now = time.monotonic()
        if sent < a.count and now >= next_send:
            s.send(frame)
            sent += 1
            next_send = now + a.interval
        if sent >= a.count and sum(macs.values()) >= a.count:
            break
        r, _, _ = select.select([s], [], [], 0.05)
        if not r:
            continue
        data, addr = s.recvfrom(2048)
        if addr[2] == PACKET_OUTGOING or len(data) < 42:
            continue
        op = struct.unpack("!H", data[20:22])[0]
        spa = data[28:32]
        if op == 2 and spa == tgt and data[38:42] == my_ip:
            m = mac_str(data[22:28])
            macs[m] = macs.get(m, 0) + 1
    res = {"to": a.to, "sent": sent, "replies": sum(macs.values()), "macs": macs,
           "dst_mac": mac_str(dst_mac)}
    emit(res)
    if a.expect_none:
        return 0 if not macs else 1
    return 0 if macs else 1


# ---------------------------------------------------------------- tcp


def payload_stream(nbytes, seed):
    rng = random.Random(seed)
    chunk = 1 << 16
    left = nbytes
    while left > 0:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


def cmd_tcp_sink(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    touch(a.ready)
    ls.settimeout(a.timeout)
    h = hashlib.sha256()
    total = 0
    peer = None
    ok = False
    last_rx = None
    next_status = 0.0
    deadline = time.monotonic() + a.timeout
    try:
        c, addr = ls.accept()
        peer = addr[0]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            if a.status:
                # Wake up to keep the status file fresh while nothing comes.
                left = min(left, 0.1)
            c.settimeout(left)
            try:
                d = c.recv(1 << 16)
            except socket.timeout:
                d = None
            if d == b"":
                ok = True
                break
            if d:
                h.update(d)
                total += len(d)
                last_rx = time.time()
            if a.status and time.monotonic() >= next_status:
                write_json(a.status, {"bytes": total, "last_rx": last_rx, "now": time.time()})
                next_status = time.monotonic() + 0.05
        c.close()
    except (socket.timeout, OSError) as e:
        emit({"bytes": total, "sha256": h.hexdigest(), "peer": peer, "error": str(e) or "timeout"})
        return 1
    emit({"bytes": total, "sha256": h.hexdigest(), "peer": peer})
    return 0 if ok else 1


def cmd_tcp_send(a):
    if not wait_ready(a.wait_ready, a.ready_timeout):
        emit({"error": "receiver not ready"})
        return 1
    deadline = time.monotonic() + a.timeout
    connect_deadline = min(deadline, time.monotonic() + a.connect_window)
    s = None
    last_err = None
    # The sink may be a moment behind its ready file: retry refused connects.
    while time.monotonic() < connect_deadline:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(max(0.1, min(a.connect_timeout, connect_deadline - time.monotonic())))
        try:
            s.connect((a.to, a.port))
            break
        except OSError as e:
            last_err = e
            s.close()
            s = None
            time.sleep(0.1)
    if s is None:
        emit({"error": "connect: %s" % last_err})
        return 1
    h = hashlib.sha256()
    total = 0
    started = time.monotonic()
    try:
        for chunk in payload_stream(a.bytes, a.seed):
            s.settimeout(max(0.1, deadline - time.monotonic()))
            if a.rate:
                # Paced: a steady stream whose interruption shows by time.
                for off in range(0, len(chunk), 1024):
                    due = started + (total + off) / a.rate
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
                    s.sendall(chunk[off:off + 1024])
            else:
                s.sendall(chunk)
            h.update(chunk)
            total += len(chunk)
        s.shutdown(socket.SHUT_WR)
        # Wait for the sink to close: it has then read everything.
        s.settimeout(max(0.1, deadline - time.monotonic()))
        while s.recv(4096):
            pass
    except (socket.timeout, OSError) as e:
        emit({"bytes": total, "sha256": h.hexdigest(), "error": str(e) or "timeout"})
        return 1
    finally:
        s.close()
    emit({"bytes": total, "sha256": h.hexdigest()})
    return 0


# ---------------------------------------------------------------- udp


def cmd_udp_send(a):
    if not wait_ready(a.wait_ready, a.ready_timeout):
        emit({"error": "receiver not ready"})
        return 1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.bind_dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, a.bind_dev.encode())
    if a.broadcast:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    if a.pmtudisc:
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, PMTUDISC[a.pmtudisc])
    if a.no_checksum:
        s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)
    tag = a.tag.encode()[:16]
    pad = b"\0" * max(0, a.size - UDP_HDR.size)
    batch = 1
    if a.gso:
        # UDP GSO: one send carries --gso-batch datagrams of --size bytes,
        # which the stack (or the device) cuts at --size.
        s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, a.size)
        batch = a.gso_batch
    interval = batch / a.rate
    start = time.monotonic()
    deadline = start + a.duration
    sent = 0
    errors = 0
    seq = 0
    while True:
        now = time.monotonic()
        if now >= deadline or (a.count and seq >= a.count):
            break
        if a.stop_file and seq % 50 == 0 and os.path.exists(a.stop_file):
            break
        target = start + (seq // batch) * interval
        if target > now:
            time.sleep(target - now)
        n = batch if not a.count else min(batch, a.count - seq)
        buf = b"".join(UDP_HDR.pack(MAGIC_DATA, seq + i, tag) + pad for i in range(n))
        try:
            s.sendto(buf, (a.to, a.port))
            sent += n
        except OSError:
            errors += n  # e.g. ENOBUFS, or no neighbour yet: still a gap
        seq += n
    if a.gso:
        s.setsockopt(socket.IPPROTO_UDP, UDP_SEGMENT, 0)
    for _ in range(5):
        try:
            s.sendto(UDP_HDR.pack(MAGIC_END, seq, tag), (a.to, a.port))
        except OSError:
            pass
        time.sleep(0.02)
    emit({"to": a.to, "sent": sent, "seq_end": seq, "send_errors": errors,
          "seconds": round(time.monotonic() - start, 3), "tag": a.tag})
    return 0 if errors == 0 else 1


class Stream:
    def __init__(self):
        self.seen = bytearray()
        self.received = 0
        self.dups = 0
        self.reordered = 0
        self.max_seq = -1
        self.end = None

    def add(self, seq):
        self.received += 1
        if seq >= len(self.seen):
            self.seen.extend(b"\0" * (seq + 1 - len(self.seen) + 1024))
        if self.seen[seq]:
            self.dups += 1
            return
        self.seen[seq] = 1
        if seq < self.max_seq:
            self.reordered += 1
        else:
            self.max_seq = seq

    def report(self):
        expected = self.end if self.end is not None else self.max_seq + 1
        gaps = []
        missing = 0
        i = 0
        while i < expected:
            if i >= len(self.seen) or not self.seen[i]:
                j = i
                while j < expected and (j >= len(self.seen) or not self.seen[j]):
                    j += 1
                missing += j - i
                if len(gaps) < 10:
                    gaps.append([i, j - 1])
                i = j
            else:
                i += 1
        return {"received": self.received, "unique": self.received - self.dups,
                "expected": expected, "missing": missing, "first_gaps": gaps,
                "duplicates": self.dups, "reordered": self.reordered,
                "ended": self.end is not None}


def cmd_udp_recv(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((a.bind, a.port))
    socks = [s]
    ps = None
    src_macs = {}
    if a.mac_iface:
        ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        ps.bind((a.mac_iface, ETH_P_IP))
        socks.append(ps)
    touch(a.ready)
    streams = {}
    sizes = {}
    other = 0
    start = time.monotonic()
    deadline = start + a.duration
    drain_until = None
    next_status = 0.0
    while True:
        now = time.monotonic()
        if now >= deadline or (drain_until is not None and now >= drain_until):
            break
        if a.stop_file and os.path.exists(a.stop_file):
            break
        if a.status and now >= next_status:
            write_json(a.status, {"received": sum(x.received for x in streams.values()),
                                  "streams": len(streams),
                                  "ended": sum(1 for x in streams.values() if x.end is not None)})
            next_status = now + 0.2
        r, _, _ = select.select(socks, [], [], 0.05)
        for sk in r:
            if sk is ps:
                data, addr = ps.recvfrom(2048)
                if addr[2] == PACKET_OUTGOING or len(data) < 14 + 28:
                    continue
                ip = data[14:]
                ihl = (ip[0] & 0x0F) * 4
                if ip[9] != 17 or len(ip) < ihl + 8:
                    continue
                dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
                if dport != a.port:
                    continue
                m = mac_str(data[6:12])
                src_macs[m] = src_macs.get(m, 0) + 1
                continue
            data, addr = s.recvfrom(65535)
            sizes[len(data)] = sizes.get(len(data), 0) + 1
            if len(data) < UDP_HDR.size:
                other += 1
                continue
            magic, seq, tag = UDP_HDR.unpack_from(data)
            key = "%s/%s" % (addr[0], tag.rstrip(b"\0").decode(errors="replace"))
            if magic == MAGIC_DATA:
                streams.setdefault(key, Stream()).add(seq)
            elif magic == MAGIC_END:
                st = streams.setdefault(key, Stream())
                if st.end is None:
                    st.end = seq
                    ended = sum(1 for x in streams.values() if x.end is not None)
                    if a.senders and ended >= a.senders and drain_until is None:
                        drain_until = time.monotonic() + a.drain
            else:
                other += 1
    reports = {k: v.report() for k, v in sorted(streams.items())}
    total = {"received": sum(r["received"] for r in reports.values()),
             "missing": sum(r["missing"] for r in reports.values()),
             "duplicates": sum(r["duplicates"] for r in reports.values()),
             "reordered": sum(r["reordered"] for r in reports.values())}
    res = {"streams": reports, "total": total, "other": other,
           "sizes": {str(k): v for k, v in sorted(sizes.items())},
           "seconds": round(time.monotonic() - start, 3),
           "all_ended": bool(streams) and all(r["ended"] for r in reports.values())}
    if ps is not None:
        res["src_macs"] = src_macs
    if a.status:
        write_json(a.status, {"received": total["received"], "streams": len(streams),
                              "ended": sum(1 for x in streams.values() if x.end is not None),
                              "done": True})
    emit(res)
    return 0


# ---------------------------------------------------------------- sniff


def cmd_sniff(a):
    ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    ps.bind((a.iface, ETH_P_ALL))
    touch(a.ready)
    groups = {}
    frames = 0
    deadline = time.monotonic() + a.duration
    next_status = 0.0
    while time.monotonic() < deadline:
        if a.stop_file and os.path.exists(a.stop_file):
            break
        if a.status and time.monotonic() >= next_status:
            write_json(a.status, sniff_summary(a.iface, frames, groups))
            next_status = time.monotonic() + 0.2
        r, _, _ = select.select([ps], [], [], 0.05)
        if not r:
            continue
        data, addr = ps.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING or len(data) < 14:
            continue
        frames += 1
        etype = struct.unpack("!H", data[12:14])[0]
        g = {"src_mac": mac_str(data[6:12]), "dst_mac": mac_str(data[0:6]),
             "ethertype": "0x%04x" % etype}
        if etype == ETH_P_IP and len(data) >= 34:
            g["src_ip"] = socket.inet_ntoa(data[26:30])
            g["dst_ip"] = socket.inet_ntoa(data[30:34])
            g["proto"] = data[23]
        elif etype == ETH_P_ARP and len(data) >= 42:
            g["arp_op"] = struct.unpack("!H", data[20:22])[0]
            g["src_ip"] = socket.inet_ntoa(data[28:32])
            g["dst_ip"] = socket.inet_ntoa(data[38:42])
        key = json.dumps(g, sort_keys=True)
        groups[key] = groups.get(key, 0) + 1
    res = sniff_summary(a.iface, frames, groups)
    if a.status:
        write_json(a.status, res)
    emit(res)
    return 0


def sniff_summary(iface, frames, groups):
    by = []
    for k, n in sorted(groups.items(), key=lambda kv: -kv[1]):
        g = json.loads(k)
        g["count"] = n
        by.append(g)
    return {"iface": iface, "frames": frames, "by": by}


# ---------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)

    q = sub.add_parser("ping")
    q.add_argument("--to", required=True)
    q.add_argument("--count", type=int, default=3)
    q.add_argument("--interval", type=float, default=0.2)
    q.add_argument("--timeout", type=float, default=2.0, help="wait after the last request")
    q.add_argument("--size", type=int, default=56, help="ICMP payload bytes")
    q.add_argument("--pmtudisc", choices=sorted(PMTUDISC))
    q.add_argument("--bind-dev")
    q.add_argument("--min-replies", type=int)
    q.add_argument("--expect-none", action="store_true")
    q.set_defaults(fn=cmd_ping)

    q = sub.add_parser("arping")
    q.add_argument("--iface", required=True)
    q.add_argument("--to", required=True)
    q.add_argument("--dst-mac", help="unicast request to this MAC (default broadcast)")
    q.add_argument("--src-ip")
    q.add_argument("--count", type=int, default=3)
    q.add_argument("--interval", type=float, default=0.2)
    q.add_argument("--timeout", type=float, default=2.0)
    q.add_argument("--expect-none", action="store_true")
    q.set_defaults(fn=cmd_arping)

    q = sub.add_parser("tcp-sink")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--bind", default="0.0.0.0")
    q.add_argument("--timeout", type=float, default=60.0)
    q.add_argument("--ready")
    q.add_argument("--status", help="JSON progress file (bytes, last_rx wall time), every 0.05 s")
    q.set_defaults(fn=cmd_tcp_sink)

    q = sub.add_parser("tcp-send")
    q.add_argument("--to", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--bytes", type=int, required=True)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--rate", type=float, default=0.0, help="bytes per second (0: as fast as possible)")
    q.add_argument("--timeout", type=float, default=60.0)
    q.add_argument("--connect-timeout", type=float, default=3.0, help="per connect() attempt")
    q.add_argument("--connect-window", type=float, default=10.0, help="give up connecting after this")
    q.add_argument("--wait-ready")
    q.add_argument("--ready-timeout", type=float, default=10.0)
    q.set_defaults(fn=cmd_tcp_send)

    q = sub.add_parser("udp-send")
    q.add_argument("--to", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--rate", type=float, default=1000.0, help="packets per second")
    q.add_argument("--duration", type=float, default=10.0, help="upper bound in seconds")
    q.add_argument("--count", type=int, default=0, help="stop after N packets (0: no limit)")
    q.add_argument("--size", type=int, default=64)
    q.add_argument("--tag", default="")
    q.add_argument("--stop-file", help="stop early once this file exists")
    q.add_argument("--bind-dev")
    q.add_argument("--broadcast", action="store_true")
    q.add_argument("--gso", action="store_true", help="send with UDP GSO (UDP_SEGMENT = --size)")
    q.add_argument("--gso-batch", type=int, default=4, help="datagrams per GSO send")
    q.add_argument("--pmtudisc", choices=sorted(PMTUDISC), help="IP_MTU_DISCOVER (do: DF on every send)")
    q.add_argument("--no-checksum", action="store_true", help="SO_NO_CHECK: UDP checksum 0")
    q.add_argument("--wait-ready")
    q.add_argument("--ready-timeout", type=float, default=10.0)
    q.set_defaults(fn=cmd_udp_send)

    q = sub.add_parser("udp-recv")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--bind", default="0.0.0.0")
    q.add_argument("--duration", type=float, default=10.0, help="upper bound in seconds")
    q.add_argument("--senders", type=int, default=1,
                   help="stop once this many streams sent END (0: run for --duration)")
    q.add_argument("--drain", type=float, default=0.3)
    q.add_argument("--ready")
    q.add_argument("--status", help="JSON progress file, rewritten every 0.2 s")
    q.add_argument("--stop-file", help="stop once this file exists")
    q.add_argument("--mac-iface", help="also count source MACs of UDP to --port on this interface")
    q.set_defaults(fn=cmd_udp_recv)

    q = sub.add_parser("traceroute")
    q.add_argument("--to", required=True)
    q.add_argument("--max-hops", type=int, default=8)
    q.add_argument("--port", type=int, default=33433, help="probe n goes to port + n")
    q.add_argument("--timeout", type=float, default=1.0, help="per probe")
    q.set_defaults(fn=cmd_traceroute)

    q = sub.add_parser("sniff")
    q.add_argument("--iface", required=True)
    q.add_argument("--duration", type=float, default=5.0)
    q.add_argument("--ready")
    q.add_argument("--stop-file")
    q.add_argument("--status", help="JSON summary so far, rewritten every 0.2 s")
    q.set_defaults(fn=cmd_sniff)

    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())

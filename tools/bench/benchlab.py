"""benchlab: the namespace lab and measuring helpers behind tools/bench/vnet-bench.

Mirrors tests/netns/lib.sh in Python (the harness needs numbers, not shell
checks): a unique prefix `bn-<4 hex>` for every namespace, all state under
/run/vnet-bench/<prefix> (a private bpffs for vnetd's --pin-dir and the
sinks' counters, mounted in the root mount namespace because `ip netns exec`
remounts /sys), and a cleanup that removes everything and never raises.

NETWORK SAFETY: every address, route, neighbour and packet lives in the
namespaces this module creates. The only machine-wide state touched is the
sysctl kernel.bpf_stats_enabled (restored by Lab.cleanup) and the CPU
affinity of the NAPI kernel threads of our own veths.

Python 3 standard library only.
"""

import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import time

RUN_ROOT = "/run/vnet-bench"


class LabError(RuntimeError):
    """A setup or measuring command failed."""


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def run(cmd, check=True, timeout=120, capture=True, env=None):
    """Runs cmd (a list); returns stdout. Raises LabError with stderr on failure."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.PIPE if capture else None,
                           timeout=timeout, text=True, env=env)
    except subprocess.TimeoutExpired as e:
        raise LabError("timeout after %ss: %s" % (timeout, " ".join(cmd))) from e
    if check and p.returncode != 0:
        raise LabError("`%s` exited %d: %s" % (" ".join(cmd), p.returncode,
                                              (p.stderr or "").strip()[-2000:]))
    return p.stdout or ""


# ------------------------------------------------------------------ frames

def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def ip_bytes(ip):
    return bytes(int(x) for x in ip.split("."))


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, ethertype, payload):
    return mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ttl=64, df=True, tos=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + len(payload), 0,
                      0x4000 if df else 0, ttl, proto, 0, ip_bytes(src), ip_bytes(dst))
    hdr = hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload):
    # Checksum 0 (allowed for IPv4 UDP; what VXLAN senders use for the outer
    # header): the generator may rewrite a port without breaking the frame.
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def udp_checksummed(src_ip, dst_ip, sport, dport, payload):
    """UDP with its RFC 768 checksum, as a VM's stack (or its NIC) sends it."""
    seg = udp(sport, dport, payload)
    pseudo = ip_bytes(src_ip) + ip_bytes(dst_ip) + struct.pack("!BBH", 0, 17, len(seg))
    c = csum16(pseudo + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def inner_frame(dst_mac, src_mac, src_ip, dst_ip, size, sport=10000, dport=9, ttl=64):
    """An Ethernet/IPv4/UDP frame of `size` bytes (no FCS; >= 60), with a UDP
    checksum (vnet-trafficgen gen --csum-offset keeps it valid per flow)."""
    size = max(size, 60)
    payload = bytes((i * 7) & 0xFF for i in range(size - 42))
    return eth(dst_mac, src_mac, 0x0800,
               ipv4(src_ip, dst_ip, 17, udp_checksummed(src_ip, dst_ip, sport, dport, payload),
                    ttl=ttl))


def vxlan_frame(outer_dst_mac, outer_src_mac, src_vtep, dst_vtep, vni, inner,
                sport=49152, dport=4789):
    vx = struct.pack("!BBHI", 0x08, 0, 0, vni << 8) + inner
    return eth(outer_dst_mac, outer_src_mac, 0x0800,
               ipv4(src_vtep, dst_vtep, 17, udp(sport, dport, vx)))


# Offset of the (outer, or only) UDP source port in the frames above.
UDP_SPORT_OFFSET = 14 + 20
# Offset of the UDP checksum in an inner frame (0 in the outer headers of
# vxlan_frame: nothing to keep there).
UDP_CSUM_OFFSET = 14 + 20 + 6


# ------------------------------------------------------------------ CPU and NAPI threads

def cpu_times():
    """{cpu index: (busy jiffies, total jiffies)} from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+)\s+(.*)", line)
            if not m:
                continue
            v = [int(x) for x in m.group(2).split()]
            idle = v[3] + (v[4] if len(v) > 4 else 0)
            total = sum(v[:8])
            out[int(m.group(1))] = (total - idle, total)
    return out


def task_comms():
    """(pid, comm) of every task in /proc."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % pid) as f:
                yield int(pid), f.read().strip()
        except OSError:
            continue


def kthread_pid(comm):
    """The pid of the kernel thread named comm (e.g. ksoftirqd/1)."""
    for pid, c in task_comms():
        if c == comm:
            return pid
    raise LabError("no kernel thread %s" % comm)


def task_runtime_ns(pid):
    """CPU time a task has run (/proc/PID/schedstat), 0 once it is gone."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def napi_threads():
    """{pid: comm} of every NAPI kernel thread."""
    return {pid: comm for pid, comm in task_comms() if comm.startswith("napi/")}


def thread_alive(pid, comm):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip() == comm
    except OSError:
        return False


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine_info():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = 0
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    u = os.uname()
    return {"cpus": os.cpu_count(), "cpu_model": model, "kernel": u.release,
            "machine": u.machine, "mem_gib": round(mem_kb / 1048576, 1)}


# ------------------------------------------------------------------ the lab

class Lab:
    """Namespaces, daemons and pins of one benchmark run; cleanup() undoes all."""

    def __init__(self, vnet_bin, keep_logs=None):
        self.vnet_bin = vnet_bin
        self.prefix = "bn-" + secrets.token_hex(2)
        self.dir = os.path.join(RUN_ROOT, self.prefix)
        self.bpf = os.path.join(self.dir, "bpf")
        self.store = "file:" + os.path.join(self.dir, "store")
        self.keep_logs = keep_logs
        self.procs = {}          # name -> Popen we started
        self.napi = {}           # (ns, dev) -> {pid: comm}
        self.threaded = []       # (ns, dev) with threaded NAPI
        self.napi_cpu = None     # where pin_napi put them
        self.ksoftirqd = {}      # cpu -> pid
        self.bpf_stats_orig = None
        self.cleaned = False
        self.mounted = False

    # -- names
    def ns(self, name):
        return "%s-%s" % (self.prefix, name)

    def sh(self, ns, *cmd, **kw):
        return run(["ip", "netns", "exec", self.ns(ns)] + list(cmd), **kw)

    def ip(self, ns, *args, **kw):
        return run(["ip", "-n", self.ns(ns)] + list(args), **kw)

    # -- setup
    def init(self):
        if os.geteuid() != 0:
            raise LabError("vnet-bench needs root (network namespaces, XDP)")
        os.makedirs(os.path.join(self.dir, "store"), exist_ok=True)
        os.makedirs(self.bpf, exist_ok=True)
        run(["mount", "-t", "bpf", "bpf", self.bpf])
        self.mounted = True
        log("lab %s in %s" % (self.prefix, self.dir))

    def add_ns(self, name):
        ns = self.ns(name)
        run(["ip", "netns", "add", ns])
        self.ip(name, "link", "set", "lo", "up")
        self.sh(name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1")
        self.sh(name, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0")
        # br_netfilter, when some other user of the machine loaded it, sends
        # bridged frames through iptables in every new namespace: neither a
        # Cumulus VTEP nor this baseline wants that.
        if os.path.exists("/proc/sys/net/bridge/bridge-nf-call-iptables"):
            self.sh(name, "sysctl", "-qw", "net.bridge.bridge-nf-call-iptables=0",
                    "net.bridge.bridge-nf-call-ip6tables=0", "net.bridge.bridge-nf-call-arptables=0",
                    check=False)

    def veth(self, ns_a, dev_a, ns_b, dev_b):
        run(["ip", "-n", self.ns(ns_a), "link", "add", dev_a, "type", "veth",
             "peer", "name", dev_b, "netns", self.ns(ns_b)])

    def ethtool(self, ns, dev, *features):
        self.sh(ns, "ethtool", "-K", dev, *features)

    def mac(self, ns, dev):
        j = json.loads(self.ip(ns, "-j", "link", "show", "dev", dev))
        return j[0]["address"]

    def ifstats(self, ns, dev):
        out = self.sh(ns, "cat", "/sys/class/net/%s/statistics/rx_packets" % dev,
                      "/sys/class/net/%s/statistics/rx_bytes" % dev)
        p, b = out.split()
        return int(p), int(b)

    # -- NAPI threads: the fairness setup for a 2-core machine
    def thread_napi(self, ns, dev, hop=0):
        """Makes dev's NAPI threaded (it must have NAPI: GRO on or XDP
        attached) and remembers its kernel thread(s). The thread is found as
        the napi/<dev>-* thread that appeared when threading was switched on
        (names repeat across namespaces: eth0; a task name has at most 15
        characters)."""
        before = napi_threads()
        self.sh(ns, "sh", "-c", "echo 1 > /sys/class/net/%s/threaded" % dev)
        found = {}
        for _ in range(50):
            after = napi_threads()
            found = {p: c for p, c in after.items()
                     if p not in before and c.startswith(("napi/%s-" % dev)[:15])}
            if found:
                break
            time.sleep(0.02)
        if not found:
            raise LabError("no NAPI thread appeared for %s/%s" % (ns, dev))
        self.napi[(ns, dev)] = found
        self.threaded.append((ns, dev, hop))

    def pin_napi(self, cpu, fifo=0):
        """Pins every NAPI thread of the lab to cpu and, with fifo > 0, makes
        it SCHED_FIFO at priority fifo + its hop number along the path
        (where later hops have threads too, a later hop preempts an earlier
        one, so no ring between two hops overflows and the CPU's time goes
        to packets that get through); returns how many threads."""
        n = 0
        self.napi_cpu = cpu
        hops = {(ns, dev): hop for ns, dev, hop in self.threaded}
        for key, threads in self.napi.items():
            for pid, comm in threads.items():
                if not thread_alive(pid, comm):
                    raise LabError("NAPI thread %s (%d) of %s/%s is gone" % (comm, pid, *key))
                os.sched_setaffinity(pid, {cpu})
                if fifo > 0:
                    os.sched_setscheduler(pid, os.SCHED_FIFO,
                                          os.sched_param(fifo + hops.get(key, 0)))
                n += 1
        return n

    def napi_runtime_ns(self, ns_prefix):
        """Total CPU time (ns, /proc/PID/schedstat) of the NAPI threads of
        the devices in namespaces starting with ns_prefix, plus that of
        ksoftirqd on the NAPI CPU (softirq work that outran the threads'
        own bottom-half exits): what the receiving path costs, whatever
        else runs on that CPU."""
        total = 0
        if self.napi_cpu is not None:
            pid = self.ksoftirqd.get(self.napi_cpu)
            if pid is None:
                pid = self.ksoftirqd[self.napi_cpu] = kthread_pid("ksoftirqd/%d" % self.napi_cpu)
            total += task_runtime_ns(pid)
        for (ns, _), threads in self.napi.items():
            if not ns.startswith(ns_prefix):
                continue
            for pid in threads:
                total += task_runtime_ns(pid)
        return total

    # -- processes
    def spawn(self, name, ns, cmd, log_path=None):
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(ns)] + cmd,
                             stdout=out, stderr=subprocess.STDOUT if log_path else subprocess.DEVNULL,
                             start_new_session=True)
        self.procs[name] = p
        return p

    def stop(self, name, sig=signal.SIGTERM):
        p = self.procs.pop(name, None)
        if p is None:
            return
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout=5)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                p.kill()
                p.wait(timeout=5)

    def vnetd(self, ns, host, store=None, extra=()):
        pin = os.path.join(self.bpf, host)
        os.makedirs(pin, exist_ok=True)
        sock = os.path.join(self.dir, host + ".sock")
        p = self.spawn("vnetd-" + host, ns,
                       [os.path.join(self.vnet_bin, "vnetd"), "--host", host,
                        "--store", store or self.store, "--pin-dir", pin, "--socket", sock,
                        "--state-dir", os.path.join(self.dir, "state-" + host)] + list(extra),
                       log_path=os.path.join(self.dir, "vnetd-%s.log" % host))
        for _ in range(150):
            if p.poll() is not None:
                raise LabError("vnetd %s exited: %s" % (host, self.tail("vnetd-%s.log" % host)))
            if os.path.exists(sock):
                return p
            time.sleep(0.1)
        raise LabError("vnetd %s did not open its socket" % host)

    def vnetctl(self, *args, store=None, **kw):
        return run([os.path.join(self.vnet_bin, "vnetctl"), "--store", store or self.store]
                   + list(args), **kw)

    def tail(self, name, n=20):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # -- BPF program statistics
    def enable_bpf_stats(self):
        if self.bpf_stats_orig is None:
            with open("/proc/sys/kernel/bpf_stats_enabled") as f:
                self.bpf_stats_orig = f.read().strip()
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
            f.write("1")

    def restore_bpf_stats(self):
        if self.bpf_stats_orig is not None:
            try:
                with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                    f.write(self.bpf_stats_orig)
            except OSError:
                pass
            self.bpf_stats_orig = None

    def progs_on(self, ns, dev):
        """[(hook, prog id, name)] attached to dev (bpftool net, in ns)."""
        out = json.loads(self.sh(ns, "bpftool", "-j", "net", "show", "dev", dev) or "[]")
        res = []
        for entry in out:
            for x in entry.get("xdp", []):
                res.append(("xdp", x["id"], x.get("name", "")))
            for t in entry.get("tc", []):
                res.append(("tc/" + t.get("kind", "").split("/")[-1], t["id"], t.get("name", "")))
        return res

    # -- teardown
    def cleanup(self):
        if self.cleaned:
            return
        self.cleaned = True
        self.restore_bpf_stats()
        for name in list(self.procs):
            try:
                self.stop(name)
            except Exception:  # noqa: BLE001 - teardown never fails
                pass
        try:
            names = run(["ip", "netns", "list"], check=False)
        except LabError:
            names = ""
        ours = [l.split()[0] for l in names.splitlines()
                if l.split() and l.split()[0].startswith(self.prefix + "-")]
        for ns in ours:
            try:
                pids = run(["ip", "netns", "pids", ns], check=False).split()
            except LabError:
                pids = []
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        for ns in ours:
            run(["ip", "netns", "del", ns], check=False)
        if self.keep_logs and os.path.isdir(self.dir):
            try:
                dst = os.path.join(self.keep_logs, self.prefix)
                os.makedirs(dst, exist_ok=True)
                for f in os.listdir(self.dir):
                    if f.endswith((".log", ".yaml")):
                        shutil.copy(os.path.join(self.dir, f), dst)
            except OSError:
                pass
        if self.mounted:
            try:
                run(["umount", self.bpf], check=False)
            except LabError:
                pass
            with open("/proc/mounts") as f:
                if (" %s " % self.bpf) in f.read():
                    run(["umount", "-l", self.bpf], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        try:
            os.rmdir(RUN_ROOT)
        except OSError:
            pass

#!/usr/bin/env python3
"""controlplane.py: vnet's control-plane figures (issue 3) on this machine.

  tools/bench/controlplane.py [--quick] [--json FILE] [--sizes 1000,10000,100000]
                              [--hosts 20] [--rounds 3] [--bin DIR]

Builds its own lab: H network namespaces cp-<4 hex>-hv<i>, each with an
`eth0` (one end of a veth pair) (no traffic: only the control plane is measured), a bpffs mounted at
/run/vnet-cp-<pid>/bpf, a file store at /run/vnet-cp-<pid>/store and one vnetd
per namespace (`ip netns exec`, --host --store --pin-dir --socket --state-dir),
all sharing the store. Topologies come from tools/bench/gen_topology.py
(networks of ~50 endpoints over 4 hosts; endpoint interfaces do not exist, so
vnetd programs everything but the local port entries and reports them
missing, which is not an error).

For each size, >= 3 rounds (medians reported):
  converge   `vnetctl apply -f topo.yaml` started -> every host's status file
             reports the generation (state ok). The store is first reset to a
             hosts-only topology, so this is a cold apply: every map entry is
             created. Split into `apply` (vnetctl: parse, validate, commit;
             its exit) and `commit_to_all` (the store write -> the last host).
             Status files are polled every 2 ms; the end time is the newest
             status file's mtime when all of them report the generation.
  reapply    the same topology again (a new generation that changes nothing).
  one_change one endpoint (on hv2, in a network hv1 also has) gets a new MAC:
             the store write (inotify IN_MOVED_TO of `desired`) -> the new
             (vni, mac) key is in hv1's pinned vnet_fdb (bpf syscalls, polled
             every 0.2 ms). Also `one_change_all`: -> every host reports it;
             and the CPU the change cost (schedstat, ns): each vnetd's
             (median per host, sum) and vnetctl's after its store write,
             all of it on the cores the daemons share.
  memory     VmRSS of every vnetd; BPF map memory from /proc/<vnetd>/fdinfo
             (memlock: the kernel's map_mem_usage), per host and summed, and
             the marginal cost per endpoint between the smallest and the
             largest size.

Exposes run(quick: bool) -> dict for tools/bench/vnet-bench. --quick: 1k
endpoints, 5 hosts, 3 rounds. Exit 77 when not root or binaries are missing.

NETWORK SAFETY: everything lives in namespaces named cp-*; the root netns is
never touched. Namespaces, mounts and processes are removed on every exit.

Python 3 standard library only.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import secrets
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen_topology  # noqa: E402
from benchlab import task_runtime_ns  # noqa: E402

SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
SKIP = 77
TARGETS = {  # issue 3: seconds
    "converge_10000": 1.0,
    "converge_100000": 5.0,
    "one_change_100000": 0.050,
}


def log(msg):
    sys.stderr.write("%s cp: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class LabError(RuntimeError):
    pass


def sh(cmd, check=True, timeout=120):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise LabError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    return p


def find_bin(explicit=None):
    """--bin when given (or nothing: never another build's binaries), else
    VNET_BIN, else build/bin."""
    cands = [explicit] if explicit else [os.environ.get("VNET_BIN"),
                                         os.path.join(SOURCE_DIR, "build", "bin")]
    for d in cands:
        if d and all(os.access(os.path.join(d, b), os.X_OK) for b in ("vnetd", "vnetctl")):
            return d
    return None


# ---------------------------------------------------------------- bpf / inotify

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.syscall.restype = ctypes.c_long
SYS_BPF = 321  # x86_64
BPF_MAP_LOOKUP_ELEM = 1
BPF_OBJ_GET = 7
BPF_OBJ_GET_INFO_BY_FD = 15
IN_MOVED_TO = 0x80
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


def bpf_obj_get(path):
    attr = ctypes.create_string_buffer(128)
    p = ctypes.create_string_buffer(path.encode())
    struct.pack_into("<Q", attr, 0, ctypes.addressof(p))
    fd = _libc.syscall(SYS_BPF, BPF_OBJ_GET, attr, 128)
    if fd < 0:
        raise LabError("bpf_obj_get %s: %s" % (path, os.strerror(ctypes.get_errno())))
    return fd


def map_sizes(fd):
    """(key_size, value_size) of a map, from the kernel (struct bpf_map_info)."""
    info = ctypes.create_string_buffer(96)
    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQ", attr, 0, fd, len(info), ctypes.addressof(info))
    if _libc.syscall(SYS_BPF, BPF_OBJ_GET_INFO_BY_FD, attr, 128) != 0:
        raise LabError("bpf_obj_get_info_by_fd: %s" % os.strerror(ctypes.get_errno()))
    _type, _id, key_size, value_size = struct.unpack_from("<IIII", info, 0)
    return key_size, value_size


class MapReader:
    """Lookups in one pinned map, with buffers set up once (cheap to poll).
    The value buffer has the map's own value size, asked of the kernel: a
    lookup copies the whole value, whatever the caller reads of it."""

    def __init__(self, path, key_size):
        self.fd = bpf_obj_get(path)
        have_key, value_size = map_sizes(self.fd)
        if have_key != key_size:
            os.close(self.fd)
            raise LabError("%s: key size %d, expected %d" % (path, have_key, key_size))
        self.key = ctypes.create_string_buffer(key_size)
        self.value = ctypes.create_string_buffer(value_size)
        self.attr = ctypes.create_string_buffer(128)
        struct.pack_into("<IIQQQ", self.attr, 0, self.fd, 0, ctypes.addressof(self.key),
                         ctypes.addressof(self.value), 0)

    def has(self, key):
        ctypes.memmove(self.key, key, len(key))
        return _libc.syscall(SYS_BPF, BPF_MAP_LOOKUP_ELEM, self.attr, 128) == 0

    def close(self):
        os.close(self.fd)


class DirWatch:
    """inotify IN_MOVED_TO on a directory: the moment a file is renamed in."""

    def __init__(self, path):
        self.fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise LabError("inotify_init1: %s" % os.strerror(ctypes.get_errno()))
        if _libc.inotify_add_watch(self.fd, path.encode(), IN_MOVED_TO) < 0:
            raise LabError("inotify_add_watch %s" % path)

    def wait_for(self, name, timeout):
        """time.time() when `name` was renamed into the directory, or None."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            r, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.time()))
            if not r:
                continue
            now = time.time()
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            off = 0
            while off + 16 <= len(buf):
                _wd, _mask, _cookie, ln = struct.unpack_from("<iIII", buf, off)
                ev = buf[off + 16:off + 16 + ln].split(b"\0", 1)[0].decode()
                off += 16 + ln
                if ev == name:
                    return now
        return None

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------- the lab

class Lab:
    def __init__(self, hosts, bindir):
        self.hosts = ["hv%d" % (i + 1) for i in range(hosts)]
        self.bin = bindir
        self.prefix = "cp-%s" % secrets.token_hex(2)
        self.dir = "/run/vnet-cp-%d" % os.getpid()
        self.bpf = os.path.join(self.dir, "bpf")
        self.store = os.path.join(self.dir, "store")
        self.procs = {}
        self.namespaces = []
        self.mounted = False

    def ns(self, host):
        return "%s-%s" % (self.prefix, host)

    def vnetctl(self, *args, check=True, timeout=600):
        return sh([os.path.join(self.bin, "vnetctl"), "--store", "file:" + self.store] +
                  list(args), check=check, timeout=timeout)

    def build(self):
        os.makedirs(self.bpf, exist_ok=True)
        os.makedirs(self.store, exist_ok=True)
        sh(["mount", "-t", "bpf", "bpf", self.bpf])
        self.mounted = True
        for h in self.hosts:
            ns = self.ns(h)
            sh(["ip", "netns", "add", ns])
            self.namespaces.append(ns)
            sh(["ip", "-n", ns, "link", "set", "lo", "up"])
            # A veth pair inside the namespace stands in for the NIC (the dummy
            # driver is not always there); nothing is sent over it.
            sh(["ip", "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "wire0"])
            sh(["ip", "-n", ns, "link", "set", "wire0", "up"])
            sh(["ip", "-n", ns, "link", "set", "eth0", "up"])
        # A hosts-only topology first, so the daemons start with their datapath.
        self.apply_text(self.hosts_only())
        for h in self.hosts:
            logf = open(os.path.join(self.dir, "vnetd-%s.log" % h), "w")
            self.procs[h] = subprocess.Popen(
                ["ip", "netns", "exec", self.ns(h), os.path.join(self.bin, "vnetd"),
                 "--host", h, "--store", "file:" + self.store,
                 "--pin-dir", os.path.join(self.bpf, h),
                 "--socket", os.path.join(self.dir, "%s.sock" % h),
                 "--state-dir", os.path.join(self.dir, "state", h)],
                stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
            logf.close()
        deadline = time.time() + 120
        while time.time() < deadline:
            st = self.statuses()
            if all(s.get("applied_generation", 0) >= 1 and s.get("state") == "ok"
                   for s in (st.get(h, {}) for h in self.hosts)):
                return
            for h, p in self.procs.items():
                if p.poll() is not None:
                    raise LabError("vnetd %s exited %d (log %s/vnetd-%s.log)" %
                                   (h, p.returncode, self.dir, h))
            time.sleep(0.1)
        raise LabError("vnetd did not come up: %s" % self.statuses())

    def hosts_only(self):
        return gen_topology.hosts_only(len(self.hosts))

    def apply_text(self, text):
        path = os.path.join(self.dir, "hosts.yaml")
        with open(path, "w") as f:
            f.write(text)
        self.vnetctl("apply", "-f", path)

    def vnetd_pid(self, host):
        """The vnetd process itself (ip netns exec execs it, same pid)."""
        return self.procs[host].pid

    def statuses(self):
        out = {}
        d = os.path.join(self.store, "status")
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            return out
        for n in names:
            if n.startswith("."):
                continue
            try:
                # The first lines say all we need (generation, state): never
                # read a whole status file in the 2 ms poll.
                with open(os.path.join(d, n), "rb") as f:
                    mtime = os.fstat(f.fileno()).st_mtime_ns / 1e9
                    text = f.read(4096).decode(errors="replace")
            except FileNotFoundError:
                continue
            s = {"mtime": mtime}
            for line in text.splitlines():
                k, _, v = line.partition("=")
                if k == "applied_generation":
                    s[k] = int(v)
                elif k in ("state", "host"):
                    s[k] = v
                elif k == "error":
                    s.setdefault("errors", []).append(v)
            out[n] = s
        return out

    def _gen(self):
        # The desired file's generation: varint right after the 16-byte header.
        with open(os.path.join(self.store, "desired"), "rb") as f:
            b = f.read(32)
        v, shift = 0, 0
        for c in b[16:]:
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                break
        return v

    def wait_all(self, gen, timeout=120, poll=0.002):
        """time.time() when the last host's status reported `gen` (its mtime)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            st = self.statuses()
            done = [st[h] for h in self.hosts if h in st and
                    st[h].get("applied_generation", 0) >= gen]
            if len(done) == len(self.hosts):
                bad = [h for h in self.hosts if st[h].get("state") != "ok"]
                if bad:
                    raise LabError("hosts in error at generation %d: %s" % (
                        gen, "; ".join("%s: %s" % (h, st[h].get("errors", [])[:3]) for h in bad)))
                return max(s["mtime"] for s in done)
            time.sleep(poll)
        raise LabError("generation %d not reached in %ss: %s" % (
            gen, timeout, {h: st.get(h, {}).get("applied_generation") for h in self.hosts}))

    def cpu_ns(self):
        """Each vnetd's CPU time so far, in ns (schedstat; vnetd is single-threaded)."""
        out = {}
        for h in self.hosts:
            out[h] = task_runtime_ns(self.vnetd_pid(h))
        return out

    def rss_kb(self):
        out = {}
        for h in self.hosts:
            try:
                with open("/proc/%d/status" % self.vnetd_pid(h)) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            out[h] = int(line.split()[1])
            except FileNotFoundError:
                pass
        return out

    def map_memory(self):
        """{host: {map name: memlock bytes}} from the vnetd's map fds."""
        out = {}
        for h in self.hosts:
            pid = self.vnetd_pid(h)
            seen = {}
            fddir = "/proc/%d/fdinfo" % pid
            for fd in os.listdir(fddir):
                try:
                    link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                    if link != "anon_inode:bpf-map":
                        continue
                    with open(os.path.join(fddir, fd)) as f:
                        info = dict(line.split(":", 1) for line in f.read().splitlines()
                                    if ":" in line)
                except (FileNotFoundError, OSError):
                    continue
                map_id = info.get("map_id", "").strip()
                seen[map_id] = int(info.get("memlock", "0").strip())
            names = {}
            for name in os.listdir(os.path.join(self.bpf, h)):
                p = os.path.join(self.bpf, h, name)
                if os.path.isdir(p):
                    continue
                r = sh(["bpftool", "-j", "map", "show", "pinned", p], check=False)
                if r.returncode == 0:
                    j = json.loads(r.stdout)
                    names[name] = int(j.get("bytes_memlock", seen.get(str(j["id"]), 0)))
            out[h] = names if names else {"(fdinfo)": sum(seen.values())}
        return out

    def cleanup(self):
        for h, p in self.procs.items():
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for h, p in self.procs.items():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for ns in self.namespaces:
            sh(["ip", "netns", "del", ns], check=False)
        if self.mounted:
            sh(["umount", self.bpf], check=False)
        if os.path.isdir(self.dir) and not os.environ.get("VNET_CP_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- measurements

def wait_exited(pid, timeout):
    """Waits until child pid has exited, without reaping it (its /proc entry
    stays readable)."""
    deadline = time.time() + timeout
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG) is None:
        if time.time() > deadline:
            raise LabError("pid %d did not exit in %ss" % (pid, timeout))
        time.sleep(0.001)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def timed_apply(lab, path):
    """(vnetctl wall time, commit -> all hosts, total); times in seconds."""
    watch = DirWatch(lab.store)
    try:
        t0 = time.time()
        p = subprocess.Popen([os.path.join(lab.bin, "vnetctl"), "--store", "file:" + lab.store,
                              "apply", "-f", path], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        t_store = watch.wait_for("desired", 600)
        out, err = p.communicate(timeout=600)
        t_exit = time.time()
        if p.returncode != 0 or t_store is None:
            raise LabError("vnetctl apply %s: exit %s: %s" % (path, p.returncode, err.strip()))
        gen = int(out.split()[-1])
        t_end = lab.wait_all(gen)
        return {"apply": t_exit - t0, "parse_commit": t_store - t0,
                "commit_to_all": t_end - t_store, "total": t_end - t0, "generation": gen}
    finally:
        watch.close()


def pick_changed(hosts, endpoints, networks):
    """An endpoint on hv2 in a network hv1 also has (hv1 holds its fdb entry)."""
    eps, _ = gen_topology.plan(hosts, endpoints, networks)
    on_hv1 = {n for _, n, h, _ in eps if h == 0}
    for eid, n, h, _ in eps:
        if h == 1 and n in on_hv1:
            return eid
    return None


def one_change(lab, paths, eid, key_new, key_old, rounds):
    """Store write -> hv1's vnet_fdb has the new key; toggles between variants."""
    fdb = MapReader(os.path.join(lab.bpf, "hv1", "vnet_fdb"), 12)
    res = []
    # Real-time priority while measuring, so this observer notices the store
    # write and the map entry when they happen, not when 20 busy daemons on 2
    # CPUs let it run (it sleeps between polls: the cost is one syscall per
    # 0.2 ms).
    old_policy = os.sched_getscheduler(0)
    old_param = os.sched_getparam(0)
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except OSError:
        pass
    try:
        for r in range(rounds):
            changed = r % 2 == 0
            path, key, gone = (paths[1], key_new, key_old) if changed else (paths[0], key_old,
                                                                             key_new)
            if fdb.has(key) or not fdb.has(gone):
                raise LabError("one_change: hv1's fdb is not in the expected state")
            watch = DirWatch(lab.store)
            try:
                cpu0 = lab.cpu_ns()
                t0 = time.time()
                p = subprocess.Popen([os.path.join(lab.bin, "vnetctl"), "--store",
                                      "file:" + lab.store, "apply", "-f", path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                t_store = watch.wait_for("desired", 600)
                if t_store is None:
                    raise LabError("one_change: no store write")
                ctl_at_store = task_runtime_ns(p.pid)
                deadline = t_store + 60
                t_map = None
                while time.time() < deadline:
                    if fdb.has(key):
                        t_map = time.time()
                        break
                    time.sleep(0.0002)
                # What vnetctl spent after the store write, on the CPUs the
                # daemons share: read once it has exited, before it is reaped.
                wait_exited(p.pid, 600)
                ctl_after_store = task_runtime_ns(p.pid) - ctl_at_store
                out, err = p.communicate(timeout=600)
                if p.returncode != 0 or t_map is None:
                    raise LabError("one_change: apply exit %s, map %s: %s" % (
                        p.returncode, t_map, err.strip()))
                gen = int(out.split()[-1])
                t_all = lab.wait_all(gen)
                cpu1 = lab.cpu_ns()
                vnetd_cpu = {h: cpu1[h] - cpu0[h] for h in lab.hosts}
                # Cross-check: the directory's mtime is the rename, on the
                # coarse (1/HZ) clock, so it can only be earlier.
                t_dir = os.stat(lab.store).st_mtime_ns / 1e9
                res.append({"store_to_map": t_map - t_store, "store_to_all": t_all - t_store,
                            "parse_commit": t_store - t0,
                            "dir_mtime_to_map": t_map - min(t_dir, t_store),
                            "vnetd_cpu_per_host": statistics.median(vnetd_cpu.values()) / 1e9,
                            "vnetd_cpu_sum": sum(vnetd_cpu.values()) / 1e9,
                            "vnetctl_cpu_after_store": ctl_after_store / 1e9})
            finally:
                watch.close()
        # Leave the base topology applied.
        if rounds % 2 == 1:
            lab.vnetctl("apply", "-f", paths[0])
            lab.wait_all(lab._gen())
    finally:
        fdb.close()
        try:
            os.sched_setscheduler(0, old_policy, old_param)
        except OSError:
            pass
    return res


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return round(statistics.median(vals), 4) if vals else None


def measure_size(lab, n, rounds, workdir):
    hosts = len(lab.hosts)
    networks = max(1, (n + 49) // 50)
    base = os.path.join(workdir, "topo-%d.yaml" % n)
    write(base, gen_topology.generate(hosts, n, networks))
    eid = pick_changed(hosts, n, networks)
    variant = os.path.join(workdir, "topo-%d-change.yaml" % n)
    write(variant, gen_topology.generate(hosts, n, networks, changed=eid))
    res = {"endpoints": n, "hosts": hosts, "networks": networks,
           "yaml_bytes": os.path.getsize(base), "rounds": rounds}

    cold = []
    for r in range(rounds):
        lab.apply_text(lab.hosts_only())
        lab.wait_all(lab._gen())
        row = timed_apply(lab, base)
        log("%d endpoints, cold round %d: %.3fs (vnetctl %.3fs, commit->all %.3fs)" % (
            n, r + 1, row["total"], row["apply"], row["commit_to_all"]))
        cold.append(row)
    res["converge"] = {k: med(cold, k) for k in ("total", "apply", "parse_commit",
                                                  "commit_to_all")}
    res["converge_rounds"] = [round(r["total"], 4) for r in cold]

    warm = []
    for r in range(rounds):
        row = timed_apply(lab, base)
        log("%d endpoints, reapply round %d: %.3fs (commit->all %.3fs)" % (
            n, r + 1, row["total"], row["commit_to_all"]))
        warm.append(row)
    res["reapply"] = {k: med(warm, k) for k in ("total", "apply", "commit_to_all")}

    rss = lab.rss_kb()
    maps = lab.map_memory()
    res["vnetd_rss_kb"] = {"median": statistics.median(rss.values()), "max": max(rss.values()),
                           "sum": sum(rss.values())}
    per_host = {h: sum(m.values()) for h, m in maps.items()}
    res["map_memlock_bytes"] = {"per_host_median": statistics.median(per_host.values()),
                                "sum": sum(per_host.values()),
                                "hv1_by_map": maps.get("hv1", {})}

    if eid is not None:
        n_, h_, vni, old_mac, new_mac = gen_topology.endpoint(hosts, n, networks, eid)
        key = lambda m: struct.pack("<I6sH", vni, bytes(int(x, 16) for x in m.split(":")), 0)
        rows = one_change(lab, (base, variant), eid, key(new_mac), key(old_mac), rounds)
        for i, row in enumerate(rows):
            log("%d endpoints, one-endpoint change round %d: store->hv1 map %.1f ms, "
                "store->all hosts %.1f ms; CPU: vnetd %.1f ms per host (%.1f ms all), "
                "vnetctl %.1f ms after the store write" % (
                    n, i + 1, row["store_to_map"] * 1e3, row["store_to_all"] * 1e3,
                    row["vnetd_cpu_per_host"] * 1e3, row["vnetd_cpu_sum"] * 1e3,
                    row["vnetctl_cpu_after_store"] * 1e3))
        res["one_change"] = {k: med(rows, k) for k in (
            "store_to_map", "store_to_all", "parse_commit", "dir_mtime_to_map",
            "vnetd_cpu_per_host", "vnetd_cpu_sum", "vnetctl_cpu_after_store")}
        res["one_change"]["endpoint"] = "ep%d (hv2), watched on hv1" % eid
    return res


def run(quick=False, sizes=None, hosts=None, rounds=3, bindir=None):
    """The control-plane figures as a dict (see the module docstring)."""
    if os.geteuid() != 0:
        raise LabError("controlplane.py needs root")
    b = find_bin(bindir)
    if b is None:
        raise LabError("vnetd/vnetctl not built (--bin, VNET_BIN or build/bin)")
    if sizes is None:
        sizes = [1000] if quick else [1000, 10000, 100000]
    if hosts is None:
        hosts = 5 if quick else 20
    lab = Lab(hosts, b)
    doc = {"tool": "controlplane.py", "quick": quick, "bin": b, "hosts": hosts,
           "cpus": os.cpu_count(), "kernel": os.uname().release,
           "store": "file: on /run (tmpfs)", "sizes": []}
    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def on_signal(sig, _frame):
        raise SystemExit(128 + sig)
    for s in old:
        signal.signal(s, on_signal)
    try:
        log("lab %s: %d namespaces, %s" % (lab.prefix, hosts, lab.dir))
        lab.build()
        rss0 = lab.rss_kb()
        maps0 = lab.map_memory()
        doc["idle"] = {"vnetd_rss_kb_median": statistics.median(rss0.values()),
                       "map_memlock_bytes_per_host": statistics.median(
                           sum(m.values()) for m in maps0.values())}
        for n in sizes:
            doc["sizes"].append(measure_size(lab, n, rounds, lab.dir))
    finally:
        lab.cleanup()
        for s, h in old.items():
            signal.signal(s, h)
    if len(doc["sizes"]) >= 2:
        lo, hi = doc["sizes"][0], doc["sizes"][-1]
        dn = hi["endpoints"] - lo["endpoints"]
        doc["per_endpoint"] = {
            "vnetd_rss_bytes_per_host_per_endpoint":
                round((hi["vnetd_rss_kb"]["median"] - lo["vnetd_rss_kb"]["median"]) * 1024 / dn, 1),
            "map_bytes_per_host_per_endpoint": round(
                (hi["map_memlock_bytes"]["per_host_median"] -
                 lo["map_memlock_bytes"]["per_host_median"]) / dn, 1),
            "map_bytes_all_hosts_per_endpoint": round(
                (hi["map_memlock_bytes"]["sum"] - lo["map_memlock_bytes"]["sum"]) / dn, 1),
        }
    doc["targets"] = {}
    for s in doc["sizes"]:
        n = s["endpoints"]
        if "converge_%d" % n in TARGETS:
            t = TARGETS["converge_%d" % n]
            doc["targets"]["converge_%d" % n] = {"target_s": t, "got_s": s["converge"]["total"],
                                                 "met": s["converge"]["total"] < t}
        if "one_change_%d" % n in TARGETS and s.get("one_change"):
            t = TARGETS["one_change_%d" % n]
            got = s["one_change"]["store_to_map"]
            doc["targets"]["one_change_%d" % n] = {"target_s": t, "got_s": got, "met": got < t}
    return doc


def print_table(doc):
    print("control plane: %d hosts (vnetd each), %s CPUs, kernel %s" % (
        doc["hosts"], doc["cpus"], doc["kernel"]))
    hdr = ("endpoints", "yaml MB", "converge s", "vnetctl s", "commit->all s", "reapply s",
           "1-change ms", "1-chg all ms", "RSS/host MB", "maps/host MB")
    print("  ".join("%13s" % h for h in hdr))
    for s in doc["sizes"]:
        oc = s.get("one_change", {})
        row = (s["endpoints"], "%.1f" % (s["yaml_bytes"] / 1e6), s["converge"]["total"],
               s["converge"]["apply"], s["converge"]["commit_to_all"], s["reapply"]["total"],
               "%.1f" % (oc["store_to_map"] * 1e3) if oc.get("store_to_map") is not None else "-",
               "%.1f" % (oc["store_to_all"] * 1e3) if oc.get("store_to_all") is not None else "-",
               "%.1f" % (s["vnetd_rss_kb"]["median"] / 1024),
               "%.1f" % (s["map_memlock_bytes"]["per_host_median"] / 2**20))
        print("  ".join("%13s" % (v,) for v in row))
    if "per_endpoint" in doc:
        print("per endpoint (marginal, %s): %s" % (
            "smallest -> largest size", json.dumps(doc["per_endpoint"])))
    for k, v in doc.get("targets", {}).items():
        print("target %-20s < %gs: %s (%.4fs)" % (k, v["target_s"], "met" if v["met"] else
                                                  "MISSED", v["got_s"]))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--sizes", help="comma-separated endpoint counts")
    ap.add_argument("--hosts", type=int)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bin", help="directory with vnetd and vnetctl")
    a = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("SKIP: controlplane.py needs root", file=sys.stderr)
        return SKIP
    if find_bin(a.bin) is None or not shutil.which("bpftool"):
        print("SKIP: vnetd/vnetctl or bpftool missing", file=sys.stderr)
        return SKIP
    sizes = [int(x) for x in a.sizes.split(",")] if a.sizes else None
    doc = run(a.quick, sizes=sizes, hosts=a.hosts, rounds=max(1, a.rounds), bindir=a.bin)
    doc["command"] = "tools/bench/controlplane.py " + " ".join(argv)
    print_table(doc)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(doc, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

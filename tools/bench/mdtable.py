#!/usr/bin/env python3
"""mdtable.py: vnet-bench JSON -> the Markdown tables of docs/benchmarks.md.

  tools/bench/mdtable.py RESULTS.json > tables.md

Prints the figures (medians, ratios, targets, the floor and ceiling where
measured), the per-program cost of the cost rounds, the top kernel symbols
of the NAPI threads (with --perf) and the TCP details. Standard library only.
"""

import json
import sys

SIDES = ("vnet", "native", "floor")


def mpps(v):
    return "%.3f" % (v / 1e6)


def sides(e):
    """The sides measured for a case (the floor only for rx and tx, and not
    in runs before it existed or with --no-floor)."""
    return [s for s in SIDES if s in e]


def label(e):
    """A case's name in the tables (sg: with its rule count)."""
    return "sg, %d rules" % e["rules"] if e["scenario"] == "sg" else e["scenario"]


def figures(doc):
    out = ["| scenario | flows | frame | vnet | native | vnet/native | floor | floor/native (ceiling) | target | ns/pkt vnet | ns/pkt native | ns/pkt floor | delivered ratio (gen-CPU / wall) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |"]
    for e in doc["results"]:
        rate = {s: "-" for s in SIDES}
        nsp = dict(rate)
        if e["metric"] == "gbps":
            for s in sides(e):
                rate[s] = "%.2f Gbit/s" % e[s]["median"]
            dr = "-"
            flows, frame = "1 stream", "MSS 1398"
        else:
            for s in sides(e):
                rate[s] = mpps(e[s]["median"]) + " Mpps"
                nsp[s] = "%d" % e[s]["napi_ns_per_pkt"]
            dr = "%.2fx / %.2fx" % (e.get("delivered_pps_ratio") or 0, e.get("wall_pps_ratio") or 0)
            flows = str(e["flows"])
            frame = "%d B" % e["frame_size"] + (" (%d B outer)" % e["wire_size"] if "wire_size" in e else "")
        tgt = "-"
        if "target" in e:
            tgt = "≥ %gx: **%s**" % (e["target"], "met" if e["target_met"] else "missed")
        ceiling = "**%.2fx**" % e["ceiling"] if e.get("ceiling") is not None else "-"
        out.append("| %s | %s | %s | %s | %s | **%.2fx** | %s | %s | %s | %s | %s | %s | %s |" % (
            label(e), flows, frame, rate["vnet"], rate["native"], e["ratio"] or 0,
            rate["floor"], ceiling, tgt, nsp["vnet"], nsp["native"], nsp["floor"], dr))
    return "\n".join(out)


def placement_mark(r):
    """n / f / m: the round's CPUs were near, far or moved (vnet-bench's
    `placement`); empty for runs without it."""
    return {"near": " n", "far": " f", "mixed": " m"}.get(r.get("placement"), "")


def rounds(doc):
    out = ["| scenario | flows | side | rounds (Mpps per core, or Gbit/s; n/f/m: CPUs near, far, moved) |",
           "| --- | ---: | --- | --- |"]
    for e in doc["results"]:
        for side in sides(e):
            vals = e[side]["rounds"]
            marks = [placement_mark(r) for r in e[side].get("detail", [])] or [""] * len(vals)
            txt = ", ".join((("%.2f" % x) if e["metric"] == "gbps" else mpps(x)) + m
                            for x, m in zip(vals, marks))
            out.append("| %s | %s | %s | %s |" % (label(e), e.get("flows", "-"), side, txt))
    return "\n".join(out)


def placement(doc):
    out = ["| scenario | flows | near: rounds vnet / native | near: vnet/native | far: rounds vnet / native | far: vnet/native |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    rows = 0
    for e in doc["results"]:
        bp = e.get("by_placement")
        if bp is None:
            continue
        cells = []
        for where in ("near", "far"):
            v = bp.get(where)
            cells += (["%d / %d" % (v["rounds"]["vnet"], v["rounds"]["native"]),
                       "%.2fx" % v["ratio"] if v["ratio"] else "-"] if v else ["-", "-"])
        out.append("| %s | %s | %s |" % (label(e), e.get("flows", "-"), " | ".join(cells)))
        rows += 1
    return "\n".join(out) if rows else ""


def cost(doc):
    out = ["| scenario | flows | side | program (where) | type | ns/run | runs/pkt | NAPI ns/pkt (this round) |",
           "| --- | ---: | --- | --- | --- | ---: | ---: | ---: |"]
    for e in doc["results"]:
        for side in sides(e):
            c = e[side].get("cost")
            if not c:
                continue
            for p in c.get("programs", []):
                if not p["runs"]:
                    continue
                name = p["name"] or ""
                if not name and p["type"] == "xdp":
                    # (runs before names were recorded for XDP): hosts' eth0
                    # carry vnet's program, every other XDP program is a sink.
                    host_dev = p["where"].split()[0] in ("hv1", "hva", "hvb")
                    name = "vnet_xdp_underlay" if host_dev else "tg_sink_xdp"
                name = name.split(":[")[0]
                if name == "vnet_tc_endpoin":
                    name = "vnet_tc_endpoint"
                elif name == "vnet_xdp_endpoi":
                    name = "vnet_xdp_endpoint"
                if "empty_tc" in name or name == "bench_empty_tc":
                    name = "empty tc (floor)"
                elif name.startswith("tg_sink"):
                    name += " (sink, XDP floor)"
                elif name.startswith("tg_floor"):
                    name += " (minimal VXLAN program)"
                out.append("| %s | %s | %s | %s (%s) | %s | %s | %s | %s |" % (
                    label(e), e["flows"], side, name, p["where"], p["type"], p["ns_per_run"],
                    p["runs_per_pkt"], c.get("napi_ns_per_pkt")))
    return "\n".join(out)


def perf(doc, n=10):
    out = []
    for e in doc["results"]:
        if e.get("flows") not in (1, None) or e["metric"] != "pps":
            continue
        for side in sides(e):
            top = (e[side].get("cost") or {}).get("perf_top")
            if not top:
                continue
            out.append("- **%s, %s** (1 flow): %s" % (label(e), side, ", ".join(
                "%s %.1f%%" % (sym, pct) for pct, sym in top[:n])))
    return "\n".join(out)


def sg(doc):
    """Security groups: cost and rate against the rule count (sg_scaling)."""
    out = []
    for s in doc.get("sg_scaling") or []:
        out += ["| rules | vnet | native | vnet/native | sender's port program ns/run (median; rounds) | NAPI ns/pkt vnet | NAPI ns/pkt native | new connections vnet / native |",
                "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
        for r in s["by_rules"]:
            rounds_ = ", ".join(str(x) for x in r.get("vnet_tc_endpoint_ns_rounds", []))
            pct = lambda v: "%.1f%%" % (100 * v) if v is not None else "-"  # noqa: E731
            out.append("| %d | %s Mpps | %s Mpps | **%.2fx** | %s; %s | %s | %s | %s / %s |" % (
                r["rules"], mpps(r["vnet_pps"]), mpps(r["native_pps"]), r["ratio"] or 0,
                r.get("vnet_tc_endpoint_ns"), rounds_, r.get("vnet_napi_ns_per_pkt"),
                r.get("native_napi_ns_per_pkt"), pct(r.get("vnet_new_share")),
                pct(r.get("native_new_share"))))
        out.append("")
        for k, v in s.items():
            if "_ratio_" in k:
                tgt = ""
                if k.startswith("vnet_tc_endpoint"):
                    tgt = " (target ≤ %gx: **%s**)" % (s["target"],
                                                        "met" if s.get("target_met") else "missed")
                out.append("- %s: %.3fx%s" % (k, v, tgt))
    return "\n".join(out)


def tcp(doc):
    out = ["| side | Gbit/s per round | retransmits per round | avg packet at the VM (B) | avg frame on the underlay (B) |",
           "| --- | --- | --- | --- | --- |"]
    for e in doc["results"]:
        if e["metric"] != "gbps":
            continue
        for side in ("vnet", "native"):
            d = e[side]["detail"]
            out.append("| %s | %s | %s | %s | %s |" % (
                side, ", ".join("%.2f" % r["gbps"] for r in d), ", ".join(str(r["retransmits"]) for r in d),
                ", ".join(str(r["vm_rx_avg_bytes"]) for r in d),
                ", ".join(str(r["underlay_rx_avg_bytes"]) for r in d)))
    return "\n".join(out)


def controlplane(doc):
    """The control-plane results of tools/bench/controlplane.py, if its
    document has the shape this table knows (else nothing: see the JSON)."""
    cp = doc.get("controlplane")
    if not isinstance(cp, dict):
        return ""
    out = []
    try:
        out += ["| endpoints | hosts | converge (s) | re-apply (s) | one change: store->map / all hosts (s) | vnetd RSS median (KiB) |",
                "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for z in cp.get("sizes", []):
            out.append("| %s | %s | %s | %s | %s / %s | %s |" % (
                z["endpoints"], z["hosts"], z["converge"]["total"], z["reapply"]["total"],
                z["one_change"]["store_to_map"], z["one_change"]["store_to_all"],
                z["vnetd_rss_kb"]["median"]))
        out.append("")
        for k, t in cp.get("targets", {}).items():
            out.append("- %s: %s s (target %s s): **%s**" % (k, t["got_s"], t["target_s"],
                                                          "met" if t["met"] else "missed"))
    except (KeyError, TypeError):
        return "(see `controlplane` in the JSON)"
    return "\n".join(out)


def main(argv):
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        doc = json.load(f)
    m = doc["machine"]
    print("Run %s, %s s; %s CPUs (%s), kernel %s, %s GiB; load average before %s, after %s.\n"
          % (doc["started"], doc.get("elapsed_s"), m["cpus"], m["cpu_model"], m["kernel"],
             m.get("mem_gib"), doc["load_before"], doc["load_after"]))
    print("`%s`\n" % doc["command"])
    for title, fn in (("Figures", figures), ("Rounds", rounds),
                      ("Ratios by CPU placement", placement), ("Per-program cost", cost),
                      ("NAPI threads' top symbols", perf), ("TCP", tcp),
                      ("Security groups: cost against the rule count", sg),
                      ("Control plane (tools/bench/controlplane.py)", controlplane)):
        body = fn(doc)
        if body:
            print("### %s\n\n%s\n" % (title, body))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

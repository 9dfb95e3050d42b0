#!/usr/bin/env python3
"""chart.py: vnet-bench JSON -> an SVG bar chart (standard library only).

  tools/bench/chart.py RESULTS.json OUT.svg

One panel per metric (packets per second, TCP Gbit/s); per case a vnet bar,
a native bar and, where measured, a floor bar (medians), the individual
rounds as ticks on each bar, and the vnet/native ratio with its target (and
the floor/native ceiling) on the right.
"""

import json
import math
import sys
from xml.sax.saxutils import escape

COLORS = {"vnet": "#2b6cb0", "native": "#a0aec0", "floor": "#68d391"}
LEGEND = {"vnet": "vnet", "native": "native (vxlan+bridge)",
          "floor": "floor (minimal program, native lab)"}
W = 960
LABEL_W = 230
RATIO_W = 150
BAR_H = 16
GAP = 4
ROW_GAP = 14


def case_label(e):
    if e["metric"] == "gbps":
        return "tcp (iperf3, 1 stream)"
    flows = e["flows"]
    size = e["frame_size"]
    if e["scenario"] == "sg":
        return "sg · %d rules · new conns · %d B" % (e["rules"], size)
    return "%s · %d flow%s · %d B" % (e["scenario"], flows, "" if flows == 1 else "s", size)


def nice_max(v):
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


def sides(e):
    return [s for s in COLORS if s in e]


def panel(out, y, title, unit, cases, scale_div):
    vals = [e[s]["median"] / scale_div for e in cases for s in sides(e)]
    vals += [r / scale_div for e in cases for s in sides(e) for r in e[s]["rounds"]]
    vmax = nice_max(max(vals + [0.001]))
    x0, x1 = LABEL_W, W - RATIO_W
    out.append('<text x="10" y="%d" class="h">%s</text>' % (y + 14, escape(title)))
    y += 26
    top = y
    for e in cases:
        out.append('<text x="%d" y="%d" class="l" text-anchor="end">%s</text>'
                   % (LABEL_W - 8, y + BAR_H + 4, escape(case_label(e))))
        for i, side in enumerate(sides(e)):
            v = e[side]["median"] / scale_div
            by = y + i * (BAR_H + GAP)
            w = (x1 - x0) * v / vmax
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                       % (x0, by, w, BAR_H, COLORS[side]))
            for r in e[side]["rounds"]:
                rx = x0 + (x1 - x0) * (r / scale_div) / vmax
                out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="tick"/>'
                           % (rx, rx, by + 2, by + BAR_H - 2))
            out.append('<text x="%.1f" y="%d" class="v">%s %s</text>'
                       % (x0 + w + 4, by + BAR_H - 4, ("%.3f" if v < 10 else "%.2f") % v, unit))
        ratio = e.get("ratio")
        txt = "%.2fx" % ratio if ratio is not None else "-"
        cls = "r"
        if "target" in e:
            txt += " (target %gx)" % e["target"]
            cls = "ok" if e.get("target_met") else "miss"
        out.append('<text x="%d" y="%d" class="%s">%s</text>' % (x1 + 10, y + BAR_H + 4, cls, escape(txt)))
        if e.get("ceiling") is not None:
            out.append('<text x="%d" y="%d" class="r">ceiling %.2fx</text>'
                       % (x1 + 10, y + 2 * (BAR_H + GAP) + BAR_H - 4, e["ceiling"]))
        n = len(sides(e))
        y += n * BAR_H + (n - 1) * GAP + ROW_GAP
    # axis
    for k in range(5):
        v = vmax * k / 4
        ax = x0 + (x1 - x0) * k / 4
        out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>' % (ax, ax, top - 4, y - ROW_GAP + 2))
        out.append('<text x="%.1f" y="%d" class="a" text-anchor="middle">%g</text>' % (ax, y + 2, round(v, 3)))
    return y + 16


def render(doc):
    res = doc.get("results", [])
    pps = [e for e in res if e["metric"] == "pps"]
    tcp = [e for e in res if e["metric"] == "gbps"]
    out = []
    y = 10
    m = doc.get("machine", {})
    sub = "%s CPUs (%s), kernel %s, load %s -> %s, %s" % (
        m.get("cpus"), m.get("cpu_model", "")[:40], m.get("kernel"),
        doc.get("load_before"), doc.get("load_after"), doc.get("started", ""))
    out.append('<text x="10" y="%d" class="t">vnet vs Linux vxlan + bridge: medians of interleaved rounds</text>' % (y + 16))
    out.append('<text x="10" y="%d" class="s">%s</text>' % (y + 34, escape(sub)))
    # The legend gets its own row under the title (three entries do not fit
    # beside it); ~7 px per character of the 12 px labels.
    lx = 10
    for side in (s for s in COLORS if any(s in e for e in res)):
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (lx, y + 42, COLORS[side]))
        out.append('<text x="%d" y="%d" class="l">%s</text>' % (lx + 16, y + 52, LEGEND[side]))
        lx += 16 + 7 * len(LEGEND[side]) + 24
    y += 66
    if pps:
        y = panel(out, y, "Packets per second per receiving core (Mpps: sink count / CPU-seconds of the NAPI threads)", "Mpps", pps, 1e6)
    if tcp:
        y = panel(out, y, "TCP throughput (Gbit/s)", "Gbit/s", tcp, 1.0)
    h = y + 10
    style = (
        "<style>text{font-family:DejaVu Sans,Arial,sans-serif;fill:#1a202c}"
        ".t{font-size:16px;font-weight:bold}.s{font-size:11px;fill:#4a5568}.h{font-size:13px;font-weight:bold}"
        ".l{font-size:12px}.v{font-size:11px}.a{font-size:10px;fill:#4a5568}.r{font-size:12px}"
        ".ok{font-size:12px;fill:#2f855a;font-weight:bold}.miss{font-size:12px;fill:#c53030;font-weight:bold}"
        ".grid{stroke:#e2e8f0;stroke-width:1}.tick{stroke:#1a202c;stroke-width:1;opacity:.55}</style>")
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">%s'
            '<rect width="100%%" height="100%%" fill="white"/>%s</svg>\n'
            % (W, h, W, h, style, "\n".join(out)))


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        doc = json.load(f)
    svg = render(doc)
    with open(argv[1], "w") as f:
        f.write(svg)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

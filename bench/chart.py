#!/usr/bin/python3
"""Draws the side-by-side figures of `make bench` as one chart (an SVG).

    bench/chart.py build/bench-c.log build/bench-python.log build/bench-lua.log -o build/bench.svg

`make bench` tees each benchmark's output into build/bench-NAME.log and runs
this (`make bench-chart` runs it again on the logs).  It reads the lines it
knows by their labels, the ones bench/instructions.sh prints ("LABEL  N
instructions per handshake") and the "LABEL  N ns" lines of a call that makes
no progress, and skips every other line, so a benchmark may print more.  An
instruction count with a label it does not know is drawn under that label.

The chart has three panels: the instructions per handshake that each path
adds to raw OpenSSL from C, for the default handshake and for one with a
client certificate (callgrind counts: the same on every run), and the cost of
one call that makes no progress (wall clock; it varies from run to run).
Needs matplotlib (Debian: python3-matplotlib).
"""

import argparse
import os
import re
import sys
import time

INSTR = re.compile(r"^\s*(?P<label>\S.*?)\s+(?P<n>\d+) instructions per handshake\b")
NS = re.compile(r"^\s*(?P<label>\S.*?)\s+(?P<n>\d+(?:\.\d+)?) ns\b")
MUTUAL = re.compile(r"client certificate", re.I)
VERSIONS = re.compile(r"^Python (?P<py>[\d.]+), (?P<ssl>OpenSSL [\d.]+\w*)")
LUA_VERSION = re.compile(r"^bench-lua: (?P<lua>Lua [\d.]+), (?P<sec>LuaSec [\d.]+)")

BASE = "raw OpenSSL, C"

# instructions.sh labels in the make targets -> the name on the chart
INSTR_NAMES = {
    "raw OpenSSL from C": BASE,
    "tlshs from C": "tlshs, C",
    "tlshs from C, memory": "tlshs, C",
    "Python tlshs": "tlshs, Python",
    "Python ssl": "CPython ssl",
    "Python pyopenssl": "pyOpenSSL",
    "tlshs from Lua, memory": "tlshs, Lua",
    "tlshs from Lua, fd, loopback": "tlshs, Lua (fd, loopback)",
    "LuaSec, loopback": "LuaSec (loopback)",
}

# "... ns" lines of a call that makes no progress -> the name on the chart;
# others (breakdowns such as "the Lua call adds") are not drawn
NS_NAMES = {
    "raw SSL_do_handshake+SSL_get_error": BASE,
    "SSL_do_handshake() from C": BASE,
    "tlshs_step": "tlshs, C",
    "tlshs_step() from C": "tlshs, C",
    "tlshs hs.step() -> WANT_READ": "tlshs, Python",
    "CPython do_handshake() raising SSLWantReadError": "CPython ssl",
    "pyOpenSSL do_handshake() raising WantReadError": "pyOpenSSL",
    "hs:step() from Lua": "tlshs, Lua",
    "LuaSec conn:dohandshake()": "LuaSec",
}

COLOURS = [  # (what the name contains, colour): one colour a library
    ("raw OpenSSL", "#7f7f7f"),
    ("tlshs", "#1f77b4"),
    ("CPython", "#ff7f0e"),
    ("pyOpenSSL", "#2ca02c"),
    ("LuaSec", "#9467bd"),
]


def colour(name):
    for part, c in COLOURS:
        if part in name:
            return c
    return "#bcbd22"


def parse(paths):
    """Answers {"default": {name: n}, "mutual": {...}, "ns": {...}, "about": [...]}.
    The first figure read for a name wins (bench-c's C figures come before
    bench-lua's copies of them)."""
    figures = {"default": {}, "mutual": {}, "ns": {}}
    about = []
    for path in paths:
        if not os.path.exists(path):
            print(f"chart.py: no {path}; its figures are left out", file=sys.stderr)
            continue
        mutual = False
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = INSTR.match(line)
                if m:
                    name = INSTR_NAMES.get(m["label"], m["label"])
                    figures["mutual" if mutual else "default"].setdefault(name, int(m["n"]))
                    continue
                m = NS.match(line)
                if m:
                    name = NS_NAMES.get(m["label"])
                    if name:
                        figures["ns"].setdefault(name, float(m["n"]))
                    continue
                if MUTUAL.search(line):
                    mutual = True  # the instruction counts that follow are with client certificates
                m = VERSIONS.match(line)
                if m:
                    about += [f"Python {m['py']}", m["ssl"]]
                m = LUA_VERSION.match(line)
                if m:
                    about += [m["lua"], m["sec"]]
    figures["about"] = about
    return figures


def overhead_panel(ax, counts, title):
    """Bars of what each path adds to raw OpenSSL from C (thousands of instructions)."""
    if BASE not in counts:
        ax.text(0.5, 0.5, f"no figure for {BASE}", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    base = counts[BASE]
    names = sorted((n for n in counts if n != BASE), key=lambda n: counts[n])
    extra = [(counts[n] - base) / 1000 for n in names]
    ax.barh(names, extra, color=[colour(n) for n in names], height=0.6)
    ax.axvline(0, color="#333333", linewidth=0.8)
    span = max(abs(e) for e in extra) if extra else 1
    for i, (n, e) in enumerate(zip(names, extra)):
        text = f"{counts[n] / 1e6:.2f}M ({(counts[n] / base - 1) * 100:+.2f}%)"
        ax.text(e + (0.02 * span if e >= 0 else -0.02 * span), i, text, va="center",
                ha="left" if e >= 0 else "right", fontsize=8.5)
    lo = min(min(extra), 0) if extra else 0
    hi = max(max(extra), 0) if extra else 1
    ax.set_xlim(lo - 0.45 * span * (lo < 0), hi + 0.45 * span * (hi > 0) + (span * 0.05))
    ax.set_title(f"{title}\nraw OpenSSL from C: {base:,} instructions (the zero line)",
                 fontsize=10, loc="left")
    ax.set_xlabel("instructions per handshake added to raw OpenSSL from C, thousands "
                  "(client + server; callgrind)", fontsize=8.5)
    ax.tick_params(labelsize=9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def ns_panel(ax, ns):
    if not ns:
        ax.text(0.5, 0.5, "no figures", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    names = sorted(ns, key=lambda n: ns[n])
    values = [ns[n] for n in names]
    ax.barh(names, values, color=[colour(n) for n in names], height=0.6)
    for i, v in enumerate(values):
        ax.text(v + max(values) * 0.01, i, f"{v:.0f} ns", va="center", fontsize=8.5)
    ax.set_xlim(0, max(values) * 1.15)
    ax.set_title("One call that makes no progress (a client waiting for the ServerHello)",
                 fontsize=10, loc="left")
    ax.set_xlabel("ns per call (wall clock or CPU time, best or median of rounds: "
                  "varies from run to run)", fontsize=8.5)
    ax.tick_params(labelsize=9)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+", help="the outputs of bench-c, bench-python, bench-lua")
    ap.add_argument("-o", "--output", default="build/bench.svg")
    args = ap.parse_args()
    figures = parse(args.logs)
    if not (figures["default"] or figures["mutual"] or figures["ns"]):
        print("chart.py: no figures in " + " ".join(args.logs), file=sys.stderr)
        return 1

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "tlshs-bench"  # the same figures give the same file

    rows = [len(figures["default"]), len(figures["mutual"]), len(figures["ns"])]
    fig, axes = plt.subplots(3, 1, figsize=(9.5, 2.2 + 0.42 * sum(rows)),
                             gridspec_kw={"height_ratios": [max(r, 2) + 1.6 for r in rows]})
    overhead_panel(axes[0], figures["default"], "Default handshake (TLS 1.3, X25519, ECDSA P-256, "
                                                "the client verifies)")
    overhead_panel(axes[1], figures["mutual"], "With a client certificate the server requires "
                                               "and verifies")
    ns_panel(axes[2], figures["ns"])
    about = ", ".join(dict.fromkeys(figures["about"]))
    fig.suptitle("tlshs against raw OpenSSL, CPython ssl, pyOpenSSL and LuaSec", fontsize=12,
                 x=0.02, ha="left", fontweight="bold")
    fig.text(0.02, 0.005, f"make bench, {time.strftime('%Y-%m-%d')}"
             + (f"; {about}" if about else "") + "; method and tables: bench/README.md",
             fontsize=7.5, color="#555555")
    fig.tight_layout(rect=(0, 0.02, 1, 0.98))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    fig.savefig(args.output, metadata={"Date": None})
    print(f"chart.py: {args.output} ({sum(rows)} figures from {len(args.logs)} logs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

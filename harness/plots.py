"""The PNG plots of a run (matplotlib, Agg): speedup over torch, roofline, accuracy,
sweeps, and the phase breakdown of FFT/Winograd.  Every function takes the rows (dicts)
and writes one file atomically; a plot with nothing to show says so in its frame."""
from __future__ import annotations

import json
import math
import os
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from harness import files  # noqa: E402
from harness.rows import RAN  # noqa: E402
from harness.rows import hosts as row_hosts  # noqa: E402
from kernels.phases import PHASES  # noqa: E402


def write_all(rows, machine, out_dir) -> dict[str, str]:
    """Every plot; returns {name: relative path}.  With rows of several machines, the
    machines plots compare them, and the others show the first machine's rows."""
    os.makedirs(os.path.join(out_dir, "plots"), exist_ok=True)
    made = {}
    every = rows
    hosts = row_hosts(rows)
    if len(hosts) > 1:
        rows = [r for r in rows if r.get("host") in (hosts[0], None)]

    def save(name, fig):
        rel = f"plots/{name}.png"
        files.save_figure(fig, os.path.join(out_dir, rel))
        plt.close(fig)
        made[name] = rel

    fwd = [r for r in rows if r.get("direction") == "forward"]
    save("speedup", speedup_overview(rows))
    for op in sorted({r["op"] for r in rows}):
        save(f"speedup_{op}", speedup_op([r for r in rows if r["op"] == op], op))
    save("roofline", roofline(rows, machine))
    save("errors", errors(fwd))
    sweeps = sorted({r["sweep"] for r in rows if r.get("sweep")} | {"kernel_size", "input_size"})
    for name in sweeps:
        save(f"sweep_{name}", sweep(rows, name))
    save("phases", phases(rows))
    if len(hosts) > 1:
        save("machines", machines_overview(every, hosts))
        for op in sorted({r["op"] for r in every}):
            save(f"machines_{op}", machines_op([r for r in every if r["op"] == op], op, hosts))
    return made


def _timed(rows):
    return [r for r in rows if r.get("status") in RAN and positive(r.get("time_median_s"))]


def positive(v):
    """v as a positive finite float (a cell of a results row), else None."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xticks([])
    ax.set_yticks([])


def geomean(values):
    """The geometric mean of the values that are set (None if none is)."""
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def _bars(ax, groups, series, values, ylabel):
    """Grouped bars on a log axis: values[(group, series)]."""
    width = 0.8 / max(1, len(series))
    for j, s in enumerate(series):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(groups))]
        ys = [values.get((g, s)) or 0 for g in groups]
        ax.bar(xs, ys, width, label=s)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=60, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, ncol=min(4, len(series)))


def speedup_overview(rows):
    data = defaultdict(list)
    for r in _timed(rows):
        if positive(r.get("speedup_vs_torch")) and r["direction"] == "forward":
            data[(r["op"], r["algo"])].append(float(r["speedup_vs_torch"]))
    ops = sorted({o for o, _ in data})
    algos = sorted({a for _, a in data})
    fig, ax = plt.subplots(layout="constrained", figsize=(min(20, max(6, 0.25 * len(ops) * max(1, len(algos)))), 4.5))
    if not data:
        _empty(ax, "no timed rows with a torch time")
    else:
        _bars(ax, ops, algos, {k: geomean(v) for k, v in data.items()},
              "speedup over torch (geometric mean over cases, log)")
    ax.set_title("Forward speedup over torch per op and algorithm (>1: faster)", fontsize=11)
    ax.set_xlabel("op")
    return fig


def speedup_op(rows, op):
    data = {}
    for r in _timed(rows):
        if positive(r.get("speedup_vs_torch")):
            data[(f"{r['case']} {r['dtype']}" + ("" if r["direction"] == "forward" else " bwd"),
                  r["algo"])] = float(r["speedup_vs_torch"])
    cases = list(dict.fromkeys(c for c, _ in data))
    algos = sorted({a for _, a in data})
    fig, ax = plt.subplots(layout="constrained", figsize=(min(20, max(6, 0.3 * len(cases) * max(1, len(algos)))), 4.5))
    if not data:
        _empty(ax, f"no {op} row ran with a torch time")
    else:
        _bars(ax, cases, algos, data, "speedup over torch (log)")
    ax.set_title(f"{op}: speedup over torch per case and algorithm")
    ax.set_xlabel("case")
    return fig


def roofline(rows, machine):
    fig, ax = plt.subplots(layout="constrained", figsize=(7, 5))
    pts = defaultdict(list)
    for r in _timed(rows):
        ai, gf = positive(r.get("arith_intensity")), positive(r.get("gflops"))
        if ai and gf:
            pts[r["algo"]].append((ai, gf))
    peak, bw = positive(machine.get("peak_gflops")), positive(machine.get("bandwidth_gbs"))
    allx = [x for v in pts.values() for x, _ in v] or [0.1, 100]
    lo = min(allx) / 2
    if peak and bw:
        lo = min(lo, peak / bw / 10)  # show the bandwidth slope left of the ridge point
    xs = np.logspace(math.log10(lo), math.log10(max(allx) * 2), 200)
    if peak and bw:
        ax.plot(xs, np.minimum(peak, bw * xs), "k-", lw=1.5,
                label=f"roof: GEMM peak {peak:.1f} GFLOP/s, copy bandwidth {bw:.1f} GB/s")
    elif peak:
        ax.axhline(peak, color="k", lw=1.5, label=f"GEMM peak {peak:.1f} GFLOP/s")
    for algo, v in sorted(pts.items()):
        ax.scatter([x for x, _ in v], [y for _, y in v], s=14, alpha=0.7, label=algo)
    if not pts:
        ax.text(0.5, 0.5, "no timed rows", ha="center", transform=ax.transAxes, color="gray")
    ax.set_xscale("log")
    ax.set_yscale("log")
    if peak:
        ax.set_ylim(top=peak * 2)
    ax.set_xlabel("arithmetic intensity (flops / byte, least traffic)")
    ax.set_ylabel("achieved GFLOP/s")
    ax.set_title("Roofline: timed rows, measured GEMM peak and copy bandwidth", fontsize=11)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def errors(rows):
    fig, axes = plt.subplots(1, 2, layout="constrained", figsize=(11, 4.5), sharey=True)
    checked = [r for r in rows if r.get("status") in RAN]
    algos = sorted({r["algo"] for r in checked})
    dtypes = sorted({r["dtype"] for r in checked})
    markers = dict(zip(dtypes, "o^sv"))
    floor = 1e-17
    for ax, col, title in ((axes[0], "fwd_rel_err", "forward"), (axes[1], "grad_rel_err", "gradients")):
        if not checked:
            _empty(ax, "no checked rows")
            continue
        for i, algo in enumerate(algos):
            for dt in dtypes:
                ys = [max(floor, float(r[col])) for r in checked if r["algo"] == algo and r["dtype"] == dt
                      and r.get(col) is not None]
                ax.scatter([i + (0.1 if dt == "float64" else -0.1)] * len(ys), ys, s=12, alpha=0.6,
                           marker=markers[dt], color=f"C{i}")
                tols = {r.get("tolerance") for r in checked if r["algo"] == algo and r["dtype"] == dt}
                for t in tols - {None}:
                    ax.hlines(float(t), i - 0.35, i + 0.35, colors="red", lw=1.5)
        ax.set_xticks(range(len(algos)))
        ax.set_xticklabels(algos, rotation=30)
        ax.set_yscale("log")
        ax.set_xlabel("algorithm")
        ax.set_title(f"{title}: max |ours - torch64| / max |torch64|")
    axes[0].set_ylabel("relative error (log); red: tolerance")
    handles = [plt.Line2D([], [], ls="", marker=markers[dt], color="gray", label=dt) for dt in dtypes]
    if handles:
        axes[1].legend(handles=handles, fontsize=8, loc="lower right")
    return fig


def sweep(rows, name):
    fig, ax = plt.subplots(layout="constrained", figsize=(7, 5))
    lines = defaultdict(dict)
    torch_line = defaultdict(dict)
    for r in _timed(rows):
        if r.get("sweep") == name and r["direction"] == "forward":
            x = float(r["sweep_x"])
            lines[(r["op"], r["algo"], r["dtype"])][x] = float(r["time_median_s"])
            if positive(r.get("torch_time_median_s")):
                torch_line[(r["op"], r["dtype"])][x] = float(r["torch_time_median_s"])
    many = len({(o, d) for o, _, d in lines}) > 1
    for (op, algo, dt), pts in sorted(lines.items()):
        xs = sorted(pts)
        ax.plot(xs, [pts[x] for x in xs], "o-", ms=4, label=f"{op} {algo}" + (f" {dt}" if many else ""))
    for (op, dt), pts in sorted(torch_line.items()):
        xs = sorted(pts)
        ax.plot(xs, [pts[x] for x in xs], "k--", lw=1.5, label=f"{op} torch" + (f" {dt}" if many else ""))
    if not lines:
        _empty(ax, f"no rows of the {name} sweep in this run")
    else:
        ax.set_yscale("log")
        if name != "kernel_size":
            ax.set_xscale("log", base=2)
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    ax.set_xlabel(name.replace("_", " "))
    ax.set_ylabel("forward time, median (s, log)")
    ax.set_title(f"Time against {name.replace('_', ' ')}")
    return fig


def phases(rows):
    bars = []
    for r in _timed(rows):
        p = r.get("phases")
        if isinstance(p, str) and p:
            p = json.loads(p)
        if p:
            bars.append((f"{r['op']} {r['case']} {r['algo']}" + ("" if r["direction"] == "forward" else " bwd"), p))
    fig, ax = plt.subplots(layout="constrained", figsize=(min(20, max(7, 0.4 * len(bars))), 4.5))
    if not bars:
        _empty(ax, "no algorithm reported phases (FFT/Winograd) in this run")
    else:
        keys = list(PHASES) + sorted({k for _, p in bars for k in p} - set(PHASES))
        bottom = [0.0] * len(bars)
        for k in keys:
            ys = [float(p.get(k) or 0.0) * 1e3 for _, p in bars]
            ax.bar(range(len(bars)), ys, bottom=bottom, label=k)
            bottom = [b + y for b, y in zip(bottom, ys)]
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels([b for b, _ in bars], rotation=60, ha="right", fontsize=7)
        ax.legend(fontsize=8)
    ax.set_xlabel("op, case, algorithm")
    ax.set_ylabel("time of the last call (ms)")
    ax.set_title("Phase breakdown of FFT / Winograd (last call)", fontsize=11)
    return fig


def _by_host(rows):
    """{(case, algo, dtype, direction): {host: median time}} of the timed rows."""
    times = defaultdict(dict)
    for r in _timed(rows):
        if r.get("host"):
            times[(r["case"], r["algo"], r["dtype"], r["direction"])][r["host"]] = float(r["time_median_s"])
    return times


def machines_overview(rows, hosts):
    """Per op, the geometric mean over its rows of each machine's time over the first
    machine's: one line per machine."""
    fig, ax = plt.subplots(layout="constrained", figsize=(min(20, max(7, 0.35 * len({r["op"] for r in rows}))), 4.5))
    ops = sorted({r["op"] for r in rows})
    ratios = {h: [] for h in hosts}
    for op in ops:
        times = _by_host([r for r in rows if r["op"] == op])
        for h in hosts:
            ratios[h].append(geomean([t[h] / t[hosts[0]] for t in times.values() if h in t and hosts[0] in t]))
    for i, h in enumerate(hosts):
        ax.plot(range(len(ops)), [v if v else np.nan for v in ratios[h]], "o-", ms=4, label=h, color=f"C{i}")
    ax.set_xticks(range(len(ops)))
    ax.set_xticklabels(ops, rotation=60, ha="right", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel(f"time / time on {hosts[0]} (geometric mean, log)")
    ax.set_title("Machines side by side: time relative to the first machine (<1: faster)", fontsize=11)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def machines_op(rows, op, hosts):
    """One line per machine: the median time of every (case, algorithm) it ran."""
    times = _by_host(rows)
    labels = sorted(times)
    fig, ax = plt.subplots(layout="constrained", figsize=(min(20, max(7, 0.3 * len(labels))), 4.5))
    if not labels:
        _empty(ax, f"no timed {op} row")
    for i, h in enumerate(hosts):
        ax.plot(range(len(labels)), [times[k].get(h, np.nan) for k in labels], "o-", ms=4, label=h,
                color=f"C{i}")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([f"{c} {a} {d}" + ("" if di == "forward" else " bwd") for c, a, d, di in labels],
                       rotation=60, ha="right", fontsize=7)
    if labels:
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    ax.set_ylabel("median time (s, log)")
    ax.set_title(f"{op}: each machine's time per case and algorithm")
    ax.grid(True, which="both", alpha=0.3)
    return fig

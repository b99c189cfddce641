"""report.md and report.html (per op: algorithms per case, the fastest, speedups, errors,
plots; with rows from several machines, the machines side by side) and the summary table
printed at the end of a run.

A run folder's report and plots/ are drawn from its results alone (the journal, or
results.json for older runs), so they can be drawn again at any time (the repeated runs
under results/ keep only their numbers); results.json and results.csv are derived from
the journal again first::

    python -m harness.report results/goals-run2 [more run folders]
"""
from __future__ import annotations

import math
import os
import sys
from collections import Counter, defaultdict

from harness.plots import RAN, geomean, positive
from harness.rows import STATUSES
from harness.rows import hosts as row_hosts

OVERVIEW = ("speedup", "roofline", "errors", "sweep_kernel_size", "sweep_input_size", "phases")


def fmt_time(s) -> str:
    if s == 0 or s == 0.0:
        return "0"
    s = positive(s)
    if s is None:
        return ""
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt(v, spec=".2g") -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return ""
    return format(v, spec) if math.isfinite(v) else str(v)


def _cell(r) -> str:
    if r["status"] not in RAN or not positive(r.get("time_median_s")):
        return r["status"]
    text = fmt_time(r["time_median_s"])
    if positive(r.get("speedup_vs_torch")):
        text += f" ({float(r['speedup_vs_torch']):.3g}x)"
    return text + (" !" if r["status"] == "inaccurate" else "")


def write_report(out_dir, note: str | None = None) -> dict:
    """report.md, report.html and plots/ of a run folder from its results (results.json
    and results.csv derived again from a journal); ``note`` replaces the one the run
    recorded.  Returns {plot name: relative path}."""
    from harness import files, html, journal, plots
    try:
        res = journal.read(out_dir)
    except journal.ResultsError as e:
        raise FileNotFoundError(str(e)) from None
    if os.path.exists(os.path.join(out_dir, journal.JOURNAL)):
        journal.derive(out_dir, res)
    header, rows = {**res.header, "machines": res.machines}, res.rows
    made = plots.write_all(rows, header.get("machine") or {}, out_dir)
    text = render(header, rows, made, header.get("note", "") if note is None else note)
    files.write_text(os.path.join(out_dir, "report.md"), text)
    html.write(out_dir, text, title=f"convbench: {header.get('suite')} {header.get('run_id') or ''}")
    return made


def main(argv=None) -> int:
    dirs = sys.argv[1:] if argv is None else argv
    if not dirs or any(d.startswith("-") for d in dirs):
        print(__doc__, file=sys.stderr)
        return 2
    for d in dirs:
        try:
            made = write_report(d)
        except FileNotFoundError as e:
            print(f"harness.report: {e}", file=sys.stderr)
            return 1
        print(f"wrote {os.path.join(d, 'report.md')} and {len(made)} plots")
    return 0


def render(header: dict, rows: list, plots: dict, note: str = "") -> str:
    m, cfg = header.get("machine", {}), header.get("config", {})
    v = m.get("versions", {})
    out = [f"# convbench results: suite `{header.get('suite')}`", ""]
    if note:
        out += [f"> {note}", ""]
    out += [
        f"Run `{header.get('run_id') or '-'}`, started {header.get('started')}.", "",
        "| machine | |", "| --- | --- |",
        *([f"| host, fingerprint | {m['host']}, `{m.get('id')}`"
           + (f" (first of {len(header['machines'])})" if len(header.get("machines") or []) > 1 else "")
           + " |"] if m.get("host") else []),
        f"| CPU | {m.get('cpu')} ({m.get('cores')} cores) |",
        f"| threads (torch = Numba) | {m.get('threads')} |",
        *([f"| load average at the start | {fmt(m['load_average'], '.2f')} |"]
          if m.get("load_average") is not None else []),
        *([f"| GPU | {_gpu(m['gpu'])} |"] if m.get("gpu") else []),
        f"| float32 GEMM peak | {fmt(m.get('peak_gflops'), '.1f')} GFLOP/s (n={m.get('gemm_n')}) |",
        f"| copy bandwidth | {fmt(m.get('bandwidth_gbs'), '.1f')} GB/s |",
        "| versions | " + ", ".join(f"{k} {x}" for k, x in v.items()) + " |",
        *([f"| convbench commit | {m['commit']} |"] if m.get("commit") else []),
        f"| seed | {m.get('seed')} |",
        f"| dtypes, batch | {', '.join(cfg.get('dtypes', []))}; N = {cfg.get('batch')} |",
        f"| timing | {_budget(cfg.get('budget') or {})} |", "",
        "Each cell: median forward time (speedup over torch on the same arrays and threads; "
        "a GPU algorithm's over torch on the GPU where torch has one). "
        "`!` marks a result over its tolerance. Errors are max |ours - torch float64| / max "
        "|torch float64|; `compile` is the first call's time beyond a steady call.", "",
    ]
    out += _status_line(rows)
    hosts = row_hosts(rows)
    if len(hosts) > 1:
        out += machines_section(header.get("machines") or [], rows, hosts, plots)
    out += ["## Plots", ""]
    for name in OVERVIEW:
        if name in plots:
            out += [f"### {name.replace('_', ' ')}", "", f"![{name}]({plots[name]})", ""]
    out += crossover_section([r for r in rows if len(hosts) < 2 or r.get("host") in (hosts[0], None)])
    if len(hosts) > 1:
        out += [f"The sections below show the rows of {hosts[0]}; each ends with every machine's times.", ""]
    missing = header.get("missing_ops") or {}
    if missing:
        out += ["## Missing ops", "", "Declared in the suite but not registered (skipped):", ""]
        out += [f"- `{op}`: {', '.join(ids)}" for op, ids in sorted(missing.items())]
        out += [""]
    by_op = defaultdict(list)
    for r in rows:
        by_op[r["op"]].append(r)
    for op in sorted(by_op):
        first = [r for r in by_op[op] if len(hosts) < 2 or r.get("host") in (hosts[0], None)]
        out += _op_section(op, first, plots)
        if len(hosts) > 1:
            out += _machines_table(by_op[op], hosts)
    return "\n".join(out) + "\n"


def machines_section(machines, rows, hosts, plots) -> list:
    """The machines of a run from several hosts: their fingerprints, and where to look."""
    count = Counter(r.get("host") for r in rows)
    out = ["## Machines", "",
           f"The rows come from {len(hosts)} machines; each op's section ends with their times "
           "side by side (median time per machine, and each machine's time over the first's).", "",
           "| host | fingerprint | CPU | cores | threads | GPU | GEMM peak | bandwidth | versions | commit | rows |",
           "| --- " * 11 + "|"]
    for h in hosts:
        for m in [m for m in machines if m.get("host") == h] or [{"host": h}]:
            v = m.get("versions") or {}
            out.append(f"| {h} | `{m.get('id', '')}` | {m.get('cpu', '')} | {m.get('cores', '')} | "
                       f"{m.get('threads', '')} | {_gpu(m['gpu']) if m.get('gpu') else '-'} | "
                       f"{fmt(m.get('peak_gflops'), '.1f')} GFLOP/s | {fmt(m.get('bandwidth_gbs'), '.1f')} GB/s | "
                       + ", ".join(f"{k} {x}" for k, x in v.items()) + f" | {m.get('commit') or ''} | {count[h]} |")
    if "machines" in plots:
        out += ["", f"![machines]({plots['machines']})"]
    return out + [""]


def _machines_table(rows, hosts) -> list:
    times = defaultdict(dict)
    for r in rows:
        if r["status"] in RAN and positive(r.get("time_median_s")) and r.get("host"):
            times[(r["case"], r["dtype"], r["direction"], r["algo"])][r["host"]] = float(r["time_median_s"])
    if not times:
        return []
    out = ["Machines side by side (median time; in brackets, over the first machine's):", "",
           "| case | dtype | dir | algo | " + " | ".join(hosts) + " |", "| --- " * (4 + len(hosts)) + "|"]
    for (case, dt, d, algo), by_host in times.items():
        first = by_host.get(hosts[0])
        cells = [fmt_time(by_host[h]) + (f" ({by_host[h] / first:.2f}x)" if first and i else "")
                 if h in by_host else "" for i, h in enumerate(hosts)]
        out.append(f"| {case} | {dt} | {'fwd' if d == 'forward' else 'bwd'} | {algo} | " + " | ".join(cells) + " |")
    return out + [""]


def crossover(rows, fast="fft", rivals=("im2col", "numba")):
    """Per (op, dtype) of the kernel-size sweep: the smallest kernel size from which
    ``fast`` is faster than every rival (and than torch) at that size and every larger
    one measured; None where it never is.  Forward rows that ran are compared."""
    times = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r.get("sweep") == "kernel_size" and r["direction"] == "forward" and r["status"] in RAN \
                and positive(r.get("time_median_s")):
            at = times[(r["op"], r["dtype"])][float(r["sweep_x"])]
            at[r["algo"]] = float(r["time_median_s"])
            if positive(r.get("torch_time_median_s")):
                at["torch"] = float(r["torch_time_median_s"])
    result = {}
    for key, by_k in sorted(times.items()):
        for against in (rivals, (*rivals, "torch")):
            tail = None
            for k in sorted(by_k, reverse=True):
                at = by_k[k]
                if fast not in at or any(at[a] <= at[fast] for a in against if a in at):
                    break
                tail = k
            result[(*key, "torch" in against)] = tail
    return result


def crossover_section(rows) -> list:
    found = crossover(rows)
    if not found:
        return []
    out = ["## FFT crossover (kernel-size sweep)", "",
           "Smallest kernel size from which `fft` beats `im2col` and `numba` (and torch) at it "
           "and at every larger size in the sweep; see the kernel-size sweep plot.", "",
           "| op | dtype | fft beats im2col and numba from | fft also beats torch from |",
           "| --- | --- | --- | --- |"]
    for op, dt in sorted({(o, d) for o, d, _ in found}):
        cells = [found[(op, dt, t)] for t in (False, True)]
        out.append(f"| {op} | {dt} | " + " | ".join("never" if k is None else f"{k:g}" for k in cells) + " |")
    return out + [""]


def _gpu(g) -> str:
    return (f"{g.get('name')} (compute capability {g.get('capability')}, CUDA {g.get('cuda')}, "
            f"cuDNN {g.get('cudnn')})")


def _budget(b) -> str:
    warm = ("a warm-up call" if b.get("warmup_time") is None  # runs from before warmup_time
            else f"untimed warm-up calls for {b['warmup_time']:g} s (at least one)")
    if b.get("repeats"):
        return f"{b['repeats']} timed calls after a timed first call and {warm}"
    return (f"median of at least {b.get('min_repeats')} calls and {b.get('min_time')} s "
            f"(at least {b.get('floor_repeats')} calls when past {b.get('max_time')} s), "
            f"after a timed first call and {warm}")


def _status_line(rows):
    c = Counter(r["status"] for r in rows)
    return ["Rows: " + ", ".join(f"{s} {c[s]}" for s in STATUSES if c[s]) + f" (total {len(rows)}).", ""]


def _op_section(op, rows, plots):
    algos = sorted({r["algo"] for r in rows})
    out = [f"## {op}", ""]
    links = [f"[speedup per case]({plots[f'speedup_{op}']})"] if f"speedup_{op}" in plots else []
    shown = {"speedup": True, "roofline": True, "errors": True,
             "phases": any(r.get("phases") for r in rows)}
    shown.update({f"sweep_{s}": True for s in {r.get("sweep") for r in rows} if s})
    links += [f"[{n.replace('_', ' ')}]({plots[n]})" for n in plots if shown.get(n)]
    if links:
        out += ["Plots: " + " · ".join(links), ""]
    out += ["| case | dtype | dir | " + " | ".join(algos) + " | torch | fastest |",
            "| --- " * (len(algos) + 5) + "|"]
    groups = defaultdict(dict)
    for r in rows:
        groups[(r["case"], r["dtype"], r["direction"])][r["algo"]] = r
    for (case, dt, d), by_algo in groups.items():
        ran = [r for r in by_algo.values() if r["status"] in RAN and positive(r.get("time_median_s"))]
        ok = [r for r in ran if r["status"] == "ok"] or ran
        best = min(ok, key=lambda r: float(r["time_median_s"]), default=None)
        torch_t = next((r.get("torch_time_median_s") for r in by_algo.values()
                        if positive(r.get("torch_time_median_s"))), None)
        out.append(f"| {case} | {dt} | {'fwd' if d == 'forward' else 'bwd'} | "
                   + " | ".join(_cell(by_algo[a]) if a in by_algo else "" for a in algos)
                   + f" | {fmt_time(torch_t)} | {best['algo'] if best else ''} |")
    impl = next((r.get("torch_impl") for r in rows if r.get("torch_impl")), "")
    out += ["", f"torch side: `{impl or 'none'}`.", ""]
    out += ["| case | dtype | algo | status | fwd err | grad err | compile | reason |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        if r["direction"] != "forward":
            continue
        reason = (r.get("reason") or "").replace("|", "/")
        out.append(f"| {r['case']} | {r['dtype']} | {r['algo']} | {r['status']} | "
                   f"{fmt(r.get('fwd_rel_err'))} | {fmt(r.get('grad_rel_err'))} | "
                   f"{fmt_time(r.get('compile_s'))} | {reason} |")
    return out + [""]


def summary(rows: list, missing: dict) -> str:
    """A plain-text table: per op, the status counts and the best algorithm by the
    geometric mean of its forward speedups over torch."""
    head = (f"{'op':<28} {'rows':>4} {'ok':>3} {'inacc':>5} {'unsup':>5} {'err':>4} {'crash':>5} "
            f"{'tmo':>3} {'slow':>4}  best algo (geomean speedup)")
    lines = [head, "-" * len(head)]
    by_op = defaultdict(list)
    for r in rows:
        by_op[r["op"]].append(r)
    for op in sorted(by_op):
        rs = by_op[op]
        c = Counter(r["status"] for r in rs)
        sp = defaultdict(list)
        for r in rs:
            if r["status"] == "ok" and r["direction"] == "forward" and positive(r.get("speedup_vs_torch")):
                sp[r["algo"]].append(float(r["speedup_vs_torch"]))
        best = max(((a, geomean(v)) for a, v in sp.items()), key=lambda t: t[1], default=None)
        lines.append(f"{op:<28} {len(rs):>4} {c['ok']:>3} {c['inaccurate']:>5} {c['unsupported']:>5} "
                     f"{c['error']:>4} {c['crashed']:>5} {c['timeout']:>3} {c['skipped-too-slow']:>4}  "
                     + (f"{best[0]} ({best[1]:.2f}x)" if best else "-"))
    if missing:
        lines.append(f"missing ops (declared, not registered): {', '.join(sorted(missing))}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

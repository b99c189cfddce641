"""The README's table of the issues' speed targets, from several runs of the goals suite.

    python -m harness.goals_table results/goals results/goals-run*

Each target is one row of the suite (op, case, algorithm, direction), compared with torch
or with another of our algorithms in the same run.  Per run the speedup is the other
side's median time over ours; the table gives the median of those per-run speedups, each
run's value, the median times, and whether the median meets the goal.
"""
from __future__ import annotations

import statistics
import sys

from harness import runner

# (label, op, case, algo, direction, against: "torch" or an algorithm, goal or None)
TARGETS = [
    ("conv2d 3x3, 64 ch, 56x56, N=4: `numba` forward", "conv2d", "3x3-64-56-b4", "numba", "forward", "torch", 0.5),
    ("same layer: `numba` backward", "conv2d", "3x3-64-56-b4", "numba", "backward", "torch", None),
    ("conv2d 1x1, 256 -> 64, 56x56, N=4: `numba` forward", "conv2d", "1x1-256-64-56-b4", "numba", "forward", "torch", 0.5),
    ("conv2d 21x21, 32 ch, 64x64, N=1: `fft` forward", "conv2d", "21x21-32-64-b1", "fft", "forward", "torch", 3.0),
    ("same layer: `fft` backward", "conv2d", "21x21-32-64-b1", "fft", "backward", "torch", None),
    ("3x3 layer above: `winograd_f4` forward vs our `im2col`", "conv2d", "3x3-64-56-b4", "winograd_f4", "forward", "im2col", 1.5),
    ("depthwise 3x3, 96 ch, 56x56, N=4, stride 1: `numba` forward", "depthwise_conv2d", "dw96-56-s1-b4", "numba", "forward", "torch", 1.0),
    ("same, stride 2", "depthwise_conv2d", "dw96-56-s2-b4", "numba", "forward", "torch", 1.0),
    ("separable 96 -> 96 at 56x56: fused `numba` vs two-step `im2col`", "separable_conv2d", "dw96-pw96-56-b4", "numba", "forward", "im2col", 1.0),
    ("max_pool2d 3x3 s2, 64 ch, 112x112, N=8: `numba` forward", "max_pool2d", "3x3s2-64-112-b8", "numba", "forward", "torch", 1.0),
    ("batch_norm training, same tensor: `numba` forward", "batch_norm", "train-64-112-b8", "numba", "forward", "torch", 1.0),
    ("batch_norm eval: `numba` forward", "batch_norm", "eval-64-112-b8", "numba", "forward", "torch", 1.0),
]


def load(run_dir) -> dict:
    """{(op, case, algo, direction): row} of a run's float32 rows."""
    rows = runner.load_rows(run_dir)
    if not rows:
        raise FileNotFoundError(f"no results.json with rows in {run_dir}")
    return {(r["op"], r["case"], r["algo"], r["direction"]): r for r in rows if r["dtype"] == "float32"}


def times(runs, op, case, algo, direction, against):
    """Per run: (our median time, the other side's median time), for runs that have both."""
    out = []
    for rows in runs:
        ours = rows.get((op, case, algo, direction))
        if not ours or ours["status"] != "ok":
            continue
        if against == "torch":
            other = ours.get("torch_time_median_s")
        else:
            r = rows.get((op, case, against, direction))
            other = r["time_median_s"] if r and r["status"] == "ok" else None
        if other:
            out.append((ours["time_median_s"], other))
    return out


def table(run_dirs) -> str:
    runs = [load(d) for d in run_dirs]
    lines = [f"| target (float32) | ours | torch or the other algorithm | speedup ({len(runs)} runs: "
             f"median; each run) | goal |",
             "| --- | --- | --- | --- | --- |"]
    for label, op, case, algo, direction, against, goal in TARGETS:
        t = times(runs, op, case, algo, direction, against)
        if not t:
            lines.append(f"| {label} | no result | | | |")
            continue
        speedups = [other / ours for ours, other in t]
        med = statistics.median(speedups)
        verdict = "" if goal is None else (f">= {goal:g}: " + ("met" if med >= goal else "**not met**")
                                           + (f" ({sum(s < goal for s in speedups)} run(s) below)"
                                              if med >= goal and min(speedups) < goal else ""))
        other = "torch" if against == "torch" else f"`{against}`"
        lines.append(f"| {label} | {_ms(statistics.median(o for o, _ in t))} | "
                     f"{other} {_ms(statistics.median(x for _, x in t))} | "
                     f"{med:.2f} ({', '.join(f'{s:.2f}' for s in speedups)}) | {verdict} |")
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms"


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(table(sys.argv[1:]))

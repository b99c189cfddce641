"""Side-by-side timings of the fast algorithms, torch timed in the same run.

    PYTHONPATH=. python harness/bench_fast.py [--repeats 7] [--out results/fast]

1. ``fft`` vs torch on a 21x21-kernel layer: (1, 32, 64, 64), 32 -> 32 channels,
   padding 'same' (goal: fft at least 3x faster than torch).
2. ``winograd_f4`` (and f2, f6) vs the project's ``im2col`` (and torch) on a ResNet
   layer: (4, 64, 56, 56), 3x3, padding 1 (goal: winograd_f4 at least 1.5x faster).
3. Time against kernel size (3, 5, ..., 21) for fft, im2col, numba and torch on the
   layer of 1.; the crossover is the smallest kernel from which fft beats both im2col
   and numba.  With ``--out`` a CSV and a PNG plot are written there.

Every time is the median of ``--repeats`` runs after one warm-up run (which also
compiles Numba code); the FFT and Winograd phase splits of the last run are printed.
All runs are float32 forward passes.  Timings on a shared machine are not meaningful.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

import kernels

SEED = 20261123


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up: JIT compilation, FFT plans, caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def layer(x_shape, w_shape, padding):
    rng = np.random.default_rng(SEED)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    b = rng.standard_normal(w_shape[0]).astype(np.float32)
    return x, w, b, padding


def time_algos(algos, x, w, b, padding, repeats) -> dict:
    """Median seconds per algorithm name (and 'torch'), plus the phases of FFT/Winograd."""
    out, phases = {}, {}
    for a in algos:
        out[a] = median_time(lambda: kernels.conv2d(x, w, b, padding=padding, algo=a), repeats)
        ph = kernels.conv2d.registered()[a].phases
        if ph:
            phases[a] = dict(ph)
    tx, tw, tb = (torch.from_numpy(v) for v in (x, w, b))
    with torch.no_grad():
        out["torch"] = median_time(lambda: F.conv2d(tx, tw, tb, padding=padding), repeats)
    return out, phases


def report(title, times, phases, target=None):
    print(f"\n== {title}")
    for a, t in times.items():
        print(f"  {a:12s} {t * 1e3:10.3f} ms")
    for a, ph in phases.items():
        total = sum(ph.values()) or 1.0
        split = ", ".join(f"{k} {v * 1e3:.2f} ms ({100 * v / total:.0f}%)" for k, v in ph.items())
        print(f"  phases {a}: {split}")
    if target:
        fast, slow, goal = target
        ratio = times[slow] / times[fast]
        print(f"  {fast} is {ratio:.2f}x faster than {slow} (goal >= {goal}x: "
              f"{'met' if ratio >= goal else 'NOT met'})")


def fft_vs_torch(repeats):
    x, w, b, pad = layer((1, 32, 64, 64), (32, 32, 21, 21), "same")
    times, phases = time_algos(["fft"], x, w, b, pad, repeats)
    report("fft vs torch, (1, 32, 64, 64) * (32, 32, 21, 21), padding same", times, phases,
           ("fft", "torch", 3.0))
    return times


def winograd_vs_im2col(repeats):
    x, w, b, pad = layer((4, 64, 56, 56), (64, 64, 3, 3), 1)
    algos = ["winograd_f4", "winograd_f2", "winograd_f6", "im2col"]
    times, phases = time_algos(algos, x, w, b, pad, repeats)
    report("winograd vs im2col, (4, 64, 56, 56) * (64, 64, 3, 3), padding 1", times, phases,
           ("winograd_f4", "im2col", 1.5))
    return times


def kernel_sweep(repeats, sizes=range(3, 22, 2)):
    """[(kernel, {algo: seconds})] on (1, 32, 64, 64), 32 -> 32, padding same."""
    rows = []
    print("\n== time vs kernel size, (1, 32, 64, 64), 32 -> 32, padding same (ms)")
    algos = ["fft", "im2col", "numba"]
    print(f"  {'kernel':>6} " + " ".join(f"{a:>10}" for a in [*algos, "torch"]))
    for k in sizes:
        x, w, b, pad = layer((1, 32, 64, 64), (32, 32, k, k), "same")
        times, _ = time_algos(algos, x, w, b, pad, repeats)
        rows.append((k, times))
        print(f"  {k:>6} " + " ".join(f"{times[a] * 1e3:10.3f}" for a in times))
    return rows


def crossover(rows):
    """Smallest kernel size from which fft is faster than both im2col and numba."""
    for i, (k, _) in enumerate(rows):
        if all(t["fft"] < min(t["im2col"], t["numba"]) for _, t in rows[i:]):
            return k
    return None


def write(rows, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    names = list(rows[0][1])
    with open(os.path.join(out_dir, "fast_kernel_sweep.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["kernel", *(f"{a}_median_s" for a in names)])
        for k, t in rows:
            wr.writerow([k, *(t[a] for a in names)])
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for a in names:
        ax.plot([k for k, _ in rows], [t[a] * 1e3 for _, t in rows], marker="o", label=a)
    ax.set(xlabel="kernel size (k x k)", ylabel="median time (ms)", yscale="log",
           title="conv2d (1, 32, 64, 64), 32 -> 32, padding same, float32")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "fast_kernel_sweep.png"), dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--out", default=None, help="folder for the sweep's CSV and PNG")
    ap.add_argument("--skip-sweep", action="store_true")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load {load:.1f}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    if load > (os.cpu_count() or 1):
        print("warning: the machine is busy (load above the core count); BLAS threads stall "
              "on small batched GEMMs and the timings below are not meaningful")
    fft_vs_torch(args.repeats)
    winograd_vs_im2col(args.repeats)
    if not args.skip_sweep:
        rows = kernel_sweep(args.repeats)
        print(f"  crossover: fft beats im2col and numba from kernel {crossover(rows)}")
        if args.out:
            write(rows, args.out)
            print(f"  wrote {args.out}/fast_kernel_sweep.csv and .png")


if __name__ == "__main__":
    main()

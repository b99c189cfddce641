"""Side-by-side timing of depthwise and depthwise-separable layers: our algorithms and torch.

    PYTHONPATH=. python -m harness.bench_depthwise            # prints a table
    PYTHONPATH=. python -m harness.bench_depthwise --quick    # fewer repeats
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python -m harness.bench_depthwise --cpu-time   # 1 thread

``--cpu-time`` times with ``time.process_time`` (CPU seconds of this process) instead of
wall time, which other jobs on a busy machine disturb less; it is meaningful with one
thread only.  Providers run interleaved, one repeat of each in turn, so a change in load
affects all of them alike.

Layers are MobileNetV2's depthwise 3x3 layers at batch 4 (float32); torch runs with the
same number of threads as Numba.  Each timing is the median (and IQR) of ``repeats`` runs
after a warm-up.  The goals of issue 3: ``depthwise_conv2d[numba]`` at least as fast as
torch, and the fused ``separable_conv2d[numba]`` faster than the two-step ``im2col``.
Run it on a quiet machine: timings taken beside other jobs mean nothing.
"""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np
import torch
import torch.nn.functional as F

import kernels

# (name, N, C, H, W, stride, K of the pointwise step)
LAYERS = (
    ("mbv2-96x56-s1", 4, 96, 56, 56, 1, 24),
    ("mbv2-96x56-s2", 4, 96, 56, 56, 2, 24),
    ("mbv2-144x56-s1", 4, 144, 56, 56, 1, 24),
    ("mbv2-192x28-s1", 4, 192, 28, 28, 1, 32),
    ("mbv2-384x14-s1", 4, 384, 14, 14, 1, 64),
)


def timeit(fns: dict, repeats: int, warmup: int = 3, clock=time.perf_counter) -> dict:
    """{key: (median, IQR) seconds} of each fn() over ``repeats`` runs after ``warmup``
    runs, the functions interleaved."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    ts = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = clock()
            fn()
            ts[k].append(clock() - t0)
    out = {}
    for k, t in ts.items():
        q1, med, q3 = np.percentile(t, [25, 50, 75])
        out[k] = (float(med), float(q3 - q1))
    return out


def bench_layer(name, N, C, H, W, stride, K, repeats=30, dtype=np.float32, seed=0,
                clock=time.perf_counter):
    """Rows (layer, op, provider, median_s, iqr_s) for one layer."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    wd = rng.standard_normal((C, 1, 3, 3)).astype(dtype)
    wp = rng.standard_normal((K, C, 1, 1)).astype(dtype)
    b_dw, b = rng.standard_normal(C).astype(dtype), rng.standard_normal(K).astype(dtype)
    tx, twd, twp, tb_dw, tb = map(torch.from_numpy, (x, wd, wp, b_dw, b))
    kw = dict(stride=stride, padding=1)
    P = (H - 1) // stride + 1
    gy = rng.standard_normal((N, C, P, (W - 1) // stride + 1)).astype(dtype)
    tgy = torch.from_numpy(gy)
    runs = {
        ("depthwise_conv2d", "numba"): lambda: kernels.depthwise_conv2d(x, wd, b_dw, **kw, algo="numba"),
        ("depthwise_conv2d", "im2col"): lambda: kernels.depthwise_conv2d(x, wd, b_dw, **kw, algo="im2col"),
        ("depthwise_conv2d", "torch"): lambda: F.conv2d(tx, twd, tb_dw, groups=C, **kw),
        ("separable_conv2d", "numba"): lambda: kernels.separable_conv2d(x, wd, wp, b, **kw, algo="numba"),
        ("separable_conv2d", "im2col"): lambda: kernels.separable_conv2d(x, wd, wp, b, **kw, algo="im2col"),
        ("separable_conv2d", "torch"): lambda: F.conv2d(F.conv2d(tx, twd, None, groups=C, **kw), twp, tb),
        ("depthwise_conv2d backward", "numba"):
            lambda: kernels.depthwise_conv2d.backward(gy, x, wd, b_dw, **kw, algo="numba"),
        ("depthwise_conv2d backward", "torch"):  # the op autograd calls, without autograd
            lambda: torch.ops.aten.convolution_backward(
                tgy, tx, twd, [C], [stride] * 2, [1, 1], [1, 1], False, [0, 0], C, [True, True, True]),
    }
    with torch.no_grad():
        times = timeit(runs, repeats, clock=clock)
    return [(name, op, provider, *times[op, provider]) for op, provider in runs]


def run(layers=LAYERS, repeats=30, clock=time.perf_counter):
    torch.set_num_threads(numba.get_num_threads())
    rows = []
    for layer in layers:
        rows += bench_layer(*layer, repeats=repeats, clock=clock)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 repeats instead of 30")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time.process_time instead of wall time (use with NUMBA_NUM_THREADS=1)")
    args = ap.parse_args(argv)
    rows = run(repeats=5 if args.quick else 30,
               clock=time.process_time if args.cpu_time else time.perf_counter)
    torch_time = {(r[0], r[1]): r[3] for r in rows if r[2] == "torch"}
    print(f"threads: {numba.get_num_threads()} (numba and torch)")
    print(f"{'layer':18} {'op':26} {'provider':8} {'median ms':>10} {'iqr ms':>8} {'vs torch':>9}")
    for layer, op, provider, med, iqr in rows:
        print(f"{layer:18} {op:26} {provider:8} {med * 1e3:10.3f} {iqr * 1e3:8.3f} "
              f"{torch_time[(layer, op)] / med:8.2f}x")


if __name__ == "__main__":
    main()

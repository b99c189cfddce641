"""Thread pools that fight: one layer's time right after calls of other kernels.

    python -m harness.networks.pools --threads 2 --repeats 15

Times ``winograd_f4`` on the ResNet 3x3 layer (4, 64, 56, 56) right after nothing, a
``numba`` call, an ``im2col`` call, torch's convolution and a plain NumPy product, in
rounds (every predecessor once per round), and prints the median and quartiles of each.
A pool whose idle threads spin after its call (OpenBLAS's, torch's OpenMP) shows as a
slower layer after it; ``kernels._threads.gemm`` runs im2col's products in Numba's pool,
so ``after im2col`` should match ``after numba``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import kernels
from harness import timing


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--algo", default="winograd_f4", help="the timed layer's algorithm")
    args = ap.parse_args(argv)
    threads = timing.set_threads(args.threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 64, 56, 56), dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    a, b = x.reshape(256, -1)[:, :576], w.reshape(64, -1).T.copy()

    def timed():
        return kernels.conv2d(x, w, None, padding=1, algo=args.algo)

    before = {"nothing": lambda: None,
              "numba": lambda: kernels.conv2d(x, w, None, padding=1, algo="numba"),
              "im2col": lambda: kernels.conv2d(x, w, None, padding=1, algo="im2col"),
              "torch": lambda: torch.nn.functional.conv2d(tx, tw, None, padding=1),
              "np.matmul": lambda: a @ b}
    for f in before.values():
        f()
        timed()
    times = {k: [] for k in before}
    for _ in range(args.repeats):
        for name, f in before.items():
            f()
            t0 = time.perf_counter()
            timed()
            times[name].append(time.perf_counter() - t0)
    print(f"{args.algo} on (4, 64, 56, 56) 3x3, {threads} threads, {args.repeats} rounds")
    for name, t in times.items():
        q1, med, q3 = np.percentile(t, [25, 50, 75]) * 1e3
        print(f"  after {name:10s} median {med:8.2f} ms  (q1 {q1:.2f}, q3 {q3:.2f})")


if __name__ == "__main__":
    main()

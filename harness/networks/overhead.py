"""Per-call cost of kernels.torch beside torch, side by side in one process.

    python -m harness.networks.overhead [--rounds 9] [--threads 2] [--only NAME ...]

Each case is a pair (ours, torch's) of closures on the same tensors; every round times
each closure once (``calls`` calls, then the mean), in alternating order, so load on a
shared machine falls on both alike.  Prints, per case, the median time per call of each,
their ratio and the spread (fastest and slowest round), and the load average before and
after.  Cases: the tiny-tensor call (the fixed cost every layer pays), the layers whose
per-call cost matters in whole networks (batch norm, max pooling, dropout in eval mode,
global average pooling), forward under no_grad and forward + backward.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
import torch.nn.functional as F

import kernels.torch as kt
from kernels.torch import nn as knn


def _timed(fn, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def _train(f, x, gy):
    def step():
        x.grad = None
        f(x).backward(gy)
    return step


def cases():
    """name -> (ours, torch's, calls per round)."""
    tiny = torch.randn(1)
    big = torch.randn(8, 64, 56, 56)
    stem = torch.randn(8, 64, 112, 112)
    bn_k, bn_t = knn.BatchNorm2d(64), torch.nn.BatchNorm2d(64)
    bn_k.eval(), bn_t.eval()
    drop_k, drop_t = knn.Dropout(0.2).eval(), torch.nn.Dropout(0.2).eval()
    relu_k, relu_t = knn.ReLU(), torch.nn.ReLU()
    xg, gy = big.clone().requires_grad_(), torch.randn_like(big)
    sg, sgy = stem.clone().requires_grad_(), torch.randn(8, 64, 56, 56)
    w, b = torch.randn(64, requires_grad=True), torch.randn(64, requires_grad=True)
    pooled = torch.randn(8, 1280, 7, 7)
    nograd = {
        "relu (1,) module": (lambda: relu_k(tiny), lambda: relu_t(tiny), 2000),
        "relu (1,) numba": (lambda: kt.relu(tiny, algo="numba"), lambda: torch.relu(tiny), 2000),
        "dropout eval (8,64,56,56)": (lambda: drop_k(big), lambda: drop_t(big), 2000),
        "global_avg_pool2d (8,1280,7,7)": (lambda: kt.global_avg_pool2d(pooled),
                                           lambda: F.adaptive_avg_pool2d(pooled, 1), 200),
        "global_avg_pool2d numba (8,1280,7,7)": (
            lambda: kt.global_avg_pool2d(pooled, algo="numba"),
            lambda: F.adaptive_avg_pool2d(pooled, 1), 200),
        "batch_norm eval (8,64,56,56)": (lambda: bn_k(big), lambda: bn_t(big), 20),
        "max_pool2d 3x3/2 (8,64,112,112)": (lambda: kt.max_pool2d(stem, 3, 2, 1),
                                            lambda: F.max_pool2d(stem, 3, 2, 1), 10),
    }
    grad = {
        "relu (1,) fwd+bwd": (_train(kt.relu, tiny.clone().requires_grad_(), torch.ones(1)),
                              _train(torch.relu, tiny.clone().requires_grad_(), torch.ones(1)), 500),
        "batch_norm train fwd+bwd (8,64,56,56)": (
            _train(lambda t: kt.batch_norm(t, None, None, w, b, training=True), xg, gy),
            _train(lambda t: F.batch_norm(t, None, None, w, b, training=True), xg, gy), 10),
        "max_pool2d 3x3/2 fwd+bwd (8,64,112,112)": (
            _train(lambda t: kt.max_pool2d(t, 3, 2, 1), sg, sgy),
            _train(lambda t: F.max_pool2d(t, 3, 2, 1), sg, sgy), 5),
    }
    return nograd, grad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="substrings of the case names to run")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    import numba
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    print(f"load average before: {os.getloadavg()}  threads: {args.threads}  rounds: {args.rounds}")
    print(f"{'case':42s} {'ours ms':>9s} {'torch ms':>9s} {'ratio':>6s}  spread ours / torch (ms)")
    nograd, grad = cases()
    for group, no_grad in ((nograd, True), (grad, False)):
        for name, (ours, theirs, calls) in group.items():
            if args.only and not any(s in name for s in args.only):
                continue
            with torch.set_grad_enabled(not no_grad):
                ours(), theirs()  # compile, tune, warm
                a, b = [], []
                for r in range(args.rounds):
                    pair = ((ours, a), (theirs, b)) if r % 2 == 0 else ((theirs, b), (ours, a))
                    for fn, into in pair:
                        into.append(_timed(fn, calls))
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"{name:42s} {ma * 1e3:9.4f} {mb * 1e3:9.4f} {ma / mb:6.2f}  "
                  f"{min(a) * 1e3:.4f}-{max(a) * 1e3:.4f} / {min(b) * 1e3:.4f}-{max(b) * 1e3:.4f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

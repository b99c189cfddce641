"""Activations against torch, side by side in one process.

    python tools/bench_activations.py                       # the table in docs/performance.md
    python tools/bench_activations.py --ops relu gelu --rounds 9 --threads 2

Each round times, for every op, shape and direction, ours (``kernels.<op>`` and
``.backward`` with ``--algo``, output allocated per call as users get it) and torch's
(``torch.nn.functional``; the backward is ``torch.autograd.grad`` of one saved forward,
so only the backward kernel runs), alternating which goes first; a round's time is the
mean of ``--calls`` calls.  Printed: the median over rounds, the spread (smallest and
largest round) and ours / torch's medians (below 1: ours is faster).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

OPS = ("relu", "relu6", "hardswish", "gelu", "silu")
SHAPES = ((8, 64, 56, 56), (8, 96, 56, 56))


def per_call(f, calls):
    t = time.perf_counter()
    for _ in range(calls):
        f()
    return (time.perf_counter() - t) / calls


def cases(ops, shapes, algo, dtype, torch):
    import kernels
    rng = np.random.default_rng(0)
    for shape in shapes:
        x = rng.standard_normal(shape).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        xt = torch.from_numpy(x).requires_grad_()
        gt = torch.from_numpy(g)
        for name in ops:
            op, tf = getattr(kernels, name), getattr(torch.nn.functional, name)
            yt = tf(xt)
            yield (name, shape, "forward", lambda op=op, x=x: op(x, algo=algo),
                   lambda tf=tf, xt=xt: tf(xt.detach()))
            yield (name, shape, "backward", lambda op=op, x=x, g=g: op.backward(g, x, algo=algo),
                   lambda yt=yt, xt=xt, gt=gt: torch.autograd.grad(yt, xt, gt, retain_graph=True))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", nargs="+", default=OPS)
    ap.add_argument("--algo", default="numba")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=5)
    args = ap.parse_args(argv)

    import numba
    import torch
    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    rows = list(cases(args.ops, SHAPES, args.algo, np.float32, torch))
    for _, _, _, ours, theirs in rows:  # compile, warm the caches and the pools
        ours(), theirs()
    times = np.zeros((len(rows), 2, args.rounds))
    for r in range(args.rounds):
        for i, (_, _, _, ours, theirs) in enumerate(rows):
            order = (0, 1) if (r + i) % 2 == 0 else (1, 0)
            for j in order:
                times[i, j, r] = per_call((ours, theirs)[j], args.calls)
    print(f"float32, {args.threads} threads, {args.rounds} rounds of {args.calls} calls, "
          f"load average {os.getloadavg()[0]:.1f} (1 min)")
    print("| op | shape | pass | ours ms (min-max) | torch ms (min-max) | ours/torch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for (name, shape, direction, _, _), t in zip(rows, times * 1e3):
        med = np.median(t, axis=1)
        print(f"| {name} | {'x'.join(map(str, shape))} | {direction} | {med[0]:.2f} "
              f"({t[0].min():.2f}-{t[0].max():.2f}) | {med[1]:.2f} ({t[1].min():.2f}-"
              f"{t[1].max():.2f}) | {med[0] / med[1]:.2f} |")


if __name__ == "__main__":
    main()

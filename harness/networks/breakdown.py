"""Where a converted network's time goes: per op and direction, against torch's own ops.

    python -m harness.networks.breakdown resnet18 --algo numba --mode train \\
        --input 2x3x224x224 --threads 2 --repeats 5

Runs the torch model and its converted copy alternately (the order swapped every round)
and prints both medians, their range and the ratio of each round; then the time spent
inside ``kernels`` ops per (op, forward/backward) of the converted model (what is left is
per-call Python in ``kernels.torch``, copies, and the modules left in torch), and torch's
profile of its own model (self CPU time per aten op).  On a shared machine the absolute
times are inflated: compare within one run.
"""
from __future__ import annotations

import argparse
import collections
import time

import numpy as np
import torch

from harness import timing
from harness.networks.models import NETWORKS
from harness.networks.steps import eval_forward, training_step
from kernels import Op
from kernels.torch import nn as knn


class OpTimer:
    """Accumulates the wall time of every ``Op.__call__`` / ``Op.backward`` while active."""

    def __init__(self):
        self.seconds, self.calls = collections.defaultdict(float), collections.Counter()

    def __enter__(self):
        self._saved = Op.__call__, Op.backward
        call, backward = self._saved
        timer = self

        def timed(fn, direction):
            def run(op, *args, **kwargs):
                t0 = time.perf_counter()
                try:
                    return fn(op, *args, **kwargs)
                finally:
                    timer.seconds[op.name, direction] += time.perf_counter() - t0
                    timer.calls[op.name, direction] += 1
            return run
        Op.__call__, Op.backward = timed(call, "fwd"), timed(backward, "bwd")
        return self

    def __exit__(self, *exc):
        Op.__call__, Op.backward = self._saved


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network", choices=list(NETWORKS))
    ap.add_argument("--algo", default="auto")
    ap.add_argument("--mode", choices=("eval", "train"), default="eval")
    ap.add_argument("--input", default="2x3x224x224", help="NxCxHxW")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--small", action="store_true", help="the network's small variant")
    args = ap.parse_args(argv)
    threads = timing.set_threads(args.threads)
    torch.manual_seed(0)
    net = NETWORKS[args.network]
    model = (net.small if args.small else net.build)()
    x = torch.randn(tuple(int(s) for s in args.input.split("x")))
    ours = knn.convert(model, algo=args.algo)
    target = torch.randn(eval_forward(model, x).shape)
    optimizers = {id(m): torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9) for m in (model, ours)}
    if args.mode == "eval":
        def step(m):
            return eval_forward(m, x)
    else:
        def step(m):
            return training_step(m, x, target, optimizers[id(m)])
    for m in (ours, ours, model):  # compile, auto's timing, warm-up
        step(m)
    times = {"torch": [], "ours": []}
    with OpTimer() as ops:
        for r in range(args.repeats):
            for name, m in (("torch", model), ("ours", ours))[:: 1 if r % 2 == 0 else -1]:
                t0 = time.perf_counter()
                step(m)
                times[name].append(time.perf_counter() - t0)
        inside = {k: v for k, v in ops.seconds.items()}
    t, o = np.array(times["torch"]), np.array(times["ours"])
    print(f"{args.network} {args.algo} {args.mode} input {args.input}, {threads} threads: "
          f"torch {np.median(t) * 1e3:.1f} ms [{t.min() * 1e3:.0f}-{t.max() * 1e3:.0f}], "
          f"ours {np.median(o) * 1e3:.1f} ms [{o.min() * 1e3:.0f}-{o.max() * 1e3:.0f}], "
          f"speedup {np.median(t) / np.median(o):.2f}x (per round: "
          f"{', '.join(f'{a / b:.2f}' for a, b in zip(t, o))})")
    per_step = {k: v / args.repeats for k, v in inside.items()}
    total = sum(per_step.values())
    print(f"  inside kernels ops: {total * 1e3:.1f} ms per step, {total / o.mean() * 100:.0f}% of ours")
    for (op, direction), s in sorted(per_step.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"  {op:24s} {direction} {s * 1e3:9.1f} ms  x{ops.calls[op, direction] // args.repeats}")
    from torch.profiler import profile
    with profile() as prof:
        for _ in range(args.repeats):
            step(model)
    events = prof.key_averages()
    print(f"  torch's own ops (self CPU): {sum(e.self_cpu_time_total for e in events) / args.repeats / 1e3:.1f} "
          f"ms per step")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:args.top]:
        print(f"  {e.key:40s} {e.self_cpu_time_total / args.repeats / 1e3:9.1f} ms  x{e.count // args.repeats}")


if __name__ == "__main__":
    main()

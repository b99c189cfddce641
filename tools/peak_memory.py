"""Peak extra memory of one convolution call, ours against torch's, each in a fresh process.

    python tools/peak_memory.py                      # the (32, 256, 56, 56) 3x3 layer, float32
    python tools/peak_memory.py --shape 8 64 56 56 --algo im2col --threads 2

For every (implementation, pass) a new Python process creates the inputs, makes one small
call of the same function (so that code and libraries are loaded), resets the kernel's
high-water mark of its resident set (``echo 5 > /proc/self/clear_refs``), then makes two
calls on the layer and reads ``VmHWM`` from ``/proc/self/status``.  The figure is that peak
minus the resident set just before the calls: everything the calls add, their outputs and
whatever they keep between calls included.  ``tracemalloc`` would miss torch's allocations,
and ``ru_maxrss`` cannot be reset.  Linux only.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _status(field: str) -> int:
    """A ``/proc/self/status`` field in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _child(impl: str, direction: str, shape, kernel: int, algo: str, threads: int) -> dict:
    import gc

    import numpy as np
    import torch

    torch.set_num_threads(threads)
    N, C, H, W = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = rng.standard_normal((C, C, kernel, kernel), dtype=np.float32) / (C * kernel * kernel) ** 0.5
    gy = rng.standard_normal(shape, dtype=np.float32)  # stride 1, "same" padding
    pad = kernel // 2

    if impl == "torch":
        tx, tw, tgy = map(torch.from_numpy, (x, w, gy))

        def call(x, w, gy):
            with torch.no_grad():
                if direction == "forward":
                    return torch.nn.functional.conv2d(x, w, padding=pad)
                return torch.ops.aten.convolution_backward(
                    gy, x, w, None, (1, 1), (pad, pad), (1, 1), False, (0, 0), 1, (True, True, False))
        args, small = (tx, tw, tgy), (tx[:1, :8, :8, :8], tw[:8, :8], tgy[:1, :8, :8, :8])
    else:
        import kernels

        def call(x, w, gy):
            if direction == "forward":
                return kernels.conv2d(x, w, None, padding=pad, algo=algo)
            return kernels.conv2d.backward(gy, x, w, None, padding=pad, algo=algo)
        args = (x, w, gy)
        small = tuple(np.ascontiguousarray(a) for a in (x[:1, :8, :8, :8], w[:8, :8], gy[:1, :8, :8, :8]))

    call(*small)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _status("VmRSS")
    for _ in range(2):
        out = call(*args)
        del out
    return {"peak_extra_bytes": _status("VmHWM") - base}


def measure(impl: str, direction: str, shape, kernel: int, algo: str, threads: int) -> int:
    """Peak extra bytes of two calls in a fresh process."""
    cmd = [sys.executable, __file__, "--child", impl, direction, "--shape", *map(str, shape),
           "--kernel", str(kernel), "--algo", algo, "--threads", str(threads)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_extra_bytes"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", type=int, nargs=4, default=(32, 256, 56, 56), metavar=("N", "C", "H", "W"))
    ap.add_argument("--kernel", type=int, default=3)
    ap.add_argument("--algo", default="im2col")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", nargs=2, metavar=("IMPL", "PASS"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        sys.path.insert(0, ROOT)
        print(json.dumps(_child(*a.child, tuple(a.shape), a.kernel, a.algo, a.threads)))
        return
    mb = 2 ** 20
    print(f"conv2d {tuple(a.shape)} {a.kernel}x{a.kernel} float32, {a.threads} threads: "
          f"peak extra MiB (ours: algo={a.algo})")
    for direction in ("forward", "backward"):
        torch_b = measure("torch", direction, a.shape, a.kernel, a.algo, a.threads)
        ours_b = measure("ours", direction, a.shape, a.kernel, a.algo, a.threads)
        print(f"  {direction:8s}  torch {torch_b / mb:8.1f}   ours {ours_b / mb:8.1f}   "
              f"ratio {ours_b / torch_b:5.2f}")


if __name__ == "__main__":
    main()

"""Resident memory that short-lived threads leave behind after they end.

    python tools/thread_memory.py                 # fft and im2col, (8, 64, 56, 56) 3x3, float32
    python tools/thread_memory.py --algo fft --threads 4 --shape 8 64 56 56

One small call in the main thread loads the code; then ``--threads`` threads each make one
call on the layer and end.  Printed: the resident set (``VmRSS``) before and after, the
bytes ``kernels._workspace`` still keeps (the main thread's buffers), and the resident set
after ``kernels.free_workspace()``.  Linux only.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
MiB = 2 ** 20


def rss() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))


def measure(algo: str, shape, threads: int) -> str:
    import numpy as np

    import kernels
    from kernels import _workspace

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((shape[1], shape[1], 3, 3)).astype(np.float32)
    kernels.conv2d(x[:1], w, padding=1, algo=algo)
    before = rss()
    ts = [threading.Thread(target=kernels.conv2d, args=(x, w), kwargs=dict(padding=1, algo=algo))
          for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    after = rss()
    said = (f"{algo}: {threads} threads on {tuple(shape)} left {(after - before) / MiB:.0f} MiB "
            f"resident after they ended ({before / MiB:.0f} -> {after / MiB:.0f} MiB)")
    if hasattr(kernels, "free_workspace"):   # older versions have neither
        said += f"; kept scratch {_workspace.kept_bytes() / MiB:.0f} MiB"
        kernels.free_workspace()
        said += f"; after free_workspace {(rss() - before) / MiB:+.0f} MiB"
    return said


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--algo", nargs="+", default=["fft", "im2col"])
    ap.add_argument("--shape", nargs=4, type=int, default=[8, 64, 56, 56])
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(measure(a.algo[0], a.shape, a.threads))
        return
    for algo in a.algo:   # a fresh process each: what one leaves behind is not the next's
        subprocess.run([sys.executable, __file__, "--child", "--algo", algo, "--threads",
                        str(a.threads), "--shape", *map(str, a.shape)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()

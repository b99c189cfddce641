"""Float32 accuracy of the fast algorithms (FFT, Winograd F2/F4/F6) against torch float64.

    PYTHONPATH=. python harness/accuracy_fast.py [--channels 4 8 16 32 64 128 256] [--size 32]

Error = max |out - ref| / max |ref| (``rel_err``) for a 3x3, padding-1 conv2d with C
channels in and out, on zero-mean standard-normal input and weight.  The reference is
torch in float64 on the same (float32-rounded) values, so only the algorithm's own
round-off is measured.  At 64 channels each algorithm must stay within its float32
tolerance (``kernels.tolerances``, the limit the registry tests hold every case to); the
rows show how the error grows with the channel count (the sum over C*9 products in the
transformed domain).
"""
from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F

import kernels
from kernels.tolerances import SEED, rel_err, tolerance

ALGOS = ("fft", "winograd_f2", "winograd_f4", "winograd_f6")
CHANNELS = (4, 8, 16, 32, 64, 128, 256)


def relative_error(algo: str, channels: int, size: int = 32, batch: int = 1, seed: int = SEED) -> float:
    """max |algo(x, w) - torch64(x, w)| / max |torch64(x, w)| in float32, 3x3 pad 1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, channels, size, size)).astype(np.float32)
    w = rng.standard_normal((channels, channels, 3, 3)).astype(np.float32)
    ref = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), padding=1).numpy()
    out = kernels.conv2d(x, w, padding=1, algo=algo)
    return rel_err(out, ref)


def error_table(algos=ALGOS, channels=CHANNELS, size: int = 32) -> list[dict]:
    """One row per (algo, channels): {"algo", "channels", "rel_err", "limit"}."""
    return [{"algo": a, "channels": c, "rel_err": relative_error(a, c, size),
             "limit": tolerance(a, np.float32) if c == 64 else None}
            for a in algos for c in channels]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channels", type=int, nargs="+", default=list(CHANNELS))
    ap.add_argument("--size", type=int, default=32, help="input height = width")
    ap.add_argument("--algos", nargs="+", default=list(ALGOS))
    args = ap.parse_args(argv)
    rows = error_table(args.algos, args.channels, args.size)
    print(f"float32 relative error vs torch float64, conv2d 3x3 pad 1, {args.size}x{args.size}")
    print(f"{'channels':>8} " + " ".join(f"{a:>12}" for a in args.algos))
    for c in args.channels:
        errs = {r["algo"]: r["rel_err"] for r in rows if r["channels"] == c}
        print(f"{c:>8} " + " ".join(f"{errs[a]:12.3e}" for a in args.algos))
    failed = [r for r in rows if r["limit"] is not None and r["rel_err"] >= r["limit"]]
    for r in failed:
        print(f"FAIL {r['algo']} at 64 channels: {r['rel_err']:.3e} >= {r['limit']:g}")
    if 64 in args.channels:
        print("all limits at 64 channels met" if not failed else f"{len(failed)} limit(s) missed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

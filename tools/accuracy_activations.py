"""The float32 activations' error against torch float64, ours beside torch's float32.

    python tools/accuracy_activations.py [--algo numba]

Inputs: 200 000 standard normals, 20 000 scaled by 20, a grid on [-100, 100], and +-0,
+-inf, NaN, +-20, +-100, +-88.7.  Error is ``kernels.tolerances.rel_err`` (max |error| /
max |reference|; inf unless NaN and infinities match exactly), forward and backward
(grad_y standard normal).  The table is in docs/performance.md.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--algo", default="numba")
    args = ap.parse_args(argv)
    import torch
    import torch.nn.functional as F

    import kernels
    from kernels.tolerances import rel_err
    rng = np.random.default_rng(1)
    x64 = np.concatenate([rng.standard_normal(200_000), rng.standard_normal(20_000) * 20,
                          np.linspace(-100, 100, 20_001),
                          [0.0, -0.0, np.inf, -np.inf, np.nan, 88.7, -88.7, 20, -20, 100, -100]])
    g64 = rng.standard_normal(x64.size)
    ops = {"silu": (kernels.silu, F.silu, {}), "gelu": (kernels.gelu, F.gelu, {}),
           "gelu_tanh": (kernels.gelu, lambda t: F.gelu(t, approximate="tanh"),
                         {"approximate": "tanh"}),
           "sigmoid": (kernels.sigmoid, torch.sigmoid, {}), "tanh": (kernels.tanh, torch.tanh, {}),
           "hardswish": (kernels.hardswish, F.hardswish, {}), "relu6": (kernels.relu6, F.relu6, {})}
    print("| op | dtype | forward, ours | forward, torch | backward, ours | backward, torch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (op, tf, kw) in ops.items():
        for dtype in (np.float32, np.float64):
            x, g = x64.astype(dtype), g64.astype(dtype)
            errs = []
            ref_x = torch.tensor(x.astype(np.float64), requires_grad=True)
            ref = tf(ref_x)
            (ref_g,) = torch.autograd.grad(ref, ref_x, torch.tensor(g.astype(np.float64)))
            own_x = torch.tensor(x, requires_grad=True)
            own = tf(own_x)
            (own_g,) = torch.autograd.grad(own, own_x, torch.tensor(g))
            y = op(x, algo=args.algo, **kw)
            (gx,) = op.backward(g, x, algo=args.algo, **kw)
            for ours, theirs, r in ((y, own.detach().numpy(), ref.detach().numpy()),
                                    (gx, own_g.numpy(), ref_g.numpy())):
                errs += [rel_err(ours, r), rel_err(theirs, r)]
            print(f"| {name} | {np.dtype(dtype).name} | " + " | ".join(f"{e:.3g}" for e in errs) + " |")


if __name__ == "__main__":
    main()

"""Benchmark the ``cuda`` algorithm against torch (cuDNN) on a real GPU.

    CONVBENCH_REAL_GPU=1 PYTHONPATH=. python harness/bench_cuda.py [--batch 8] [--repeat 20]

Layer shapes of ResNet-50 and MobileNetV2 (224x224 input) as conv2d, plus MobileNetV2's
depthwise layers through depthwise_conv2d (suite ``mobilenetv2-depthwise``), forward and
backward, always against torch's conv2d, float32
(TF32 off for both cuDNN and matmul, so the comparison is FP32 against FP32) and float64.
Arrays stay on the GPU (torch CUDA tensors passed straight to the kernels, no copies);
each measurement is the median (and IQR) of ``--repeat`` runs after warm-up (the first
call compiles), bracketed by device synchronisation.  Writes
``results/cuda/<device>.csv`` and ``results/cuda/<device>.json`` (machine, versions, the
command).  Needs a CUDA GPU; under the simulator it refuses to run, except with
``--smoke`` (three tiny layers, torch on the CPU, arrays copied to the simulated device),
which only checks that the script works (tests/test_cuda.py runs it).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

# (name, C, H, W, K, kernel, stride, padding, groups) at 224x224 input
RESNET50 = [
    ("conv1", 3, 224, 224, 64, 7, 2, 3, 1),
    ("layer1.1x1-reduce", 256, 56, 56, 64, 1, 1, 0, 1),
    ("layer1.3x3", 64, 56, 56, 64, 3, 1, 1, 1),
    ("layer1.1x1-expand", 64, 56, 56, 256, 1, 1, 0, 1),
    ("layer2.3x3-stride2", 128, 56, 56, 128, 3, 2, 1, 1),
    ("layer2.3x3", 128, 28, 28, 128, 3, 1, 1, 1),
    ("layer2.1x1-expand", 128, 28, 28, 512, 1, 1, 0, 1),
    ("layer3.3x3", 256, 14, 14, 256, 3, 1, 1, 1),
    ("layer3.1x1-reduce", 1024, 14, 14, 256, 1, 1, 0, 1),
    ("layer4.3x3", 512, 7, 7, 512, 3, 1, 1, 1),
    ("layer4.1x1-expand", 512, 7, 7, 2048, 1, 1, 0, 1),
]
MOBILENETV2 = [
    ("conv0-stride2", 3, 224, 224, 32, 3, 2, 1, 1),
    ("block1.depthwise", 32, 112, 112, 32, 3, 1, 1, 32),
    ("block1.project", 32, 112, 112, 16, 1, 1, 0, 1),
    ("block2.expand", 16, 112, 112, 96, 1, 1, 0, 1),
    ("block2.depthwise-stride2", 96, 112, 112, 96, 3, 2, 1, 96),
    ("block3.depthwise", 144, 56, 56, 144, 3, 1, 1, 144),
    ("block3.project", 144, 56, 56, 24, 1, 1, 0, 1),
    ("block10.depthwise", 384, 14, 14, 384, 3, 1, 1, 384),
    ("block10.project", 384, 14, 14, 64, 1, 1, 0, 1),
    ("block17.depthwise", 960, 7, 7, 960, 3, 1, 1, 960),
    ("block17.project", 960, 7, 7, 320, 1, 1, 0, 1),
    ("conv-last", 320, 7, 7, 1280, 1, 1, 0, 1),
]
# MobileNetV2's depthwise layers again, through depthwise_conv2d's own kernel (the suites
# above run every layer as conv2d, depthwise ones with groups = C)
MOBILENETV2_DEPTHWISE = [layer for layer in MOBILENETV2 if layer[8] > 1]
SUITES = {"resnet50": RESNET50, "mobilenetv2": MOBILENETV2,
          "mobilenetv2-depthwise": MOBILENETV2_DEPTHWISE}
SUITE_OP = {"mobilenetv2-depthwise": "depthwise_conv2d",  # every other suite: conv2d
            "smoke-depthwise": "depthwise_conv2d"}
SMOKE = [("tiny-3x3", 2, 6, 6, 4, 3, 1, 1, 1), ("tiny-1x1", 4, 3, 3, 4, 1, 1, 0, 1)]
SMOKE_DEPTHWISE = [("tiny-depthwise", 3, 5, 5, 3, 3, 2, 1, 3)]


class Device:
    """Where torch runs and how arrays pass between torch and the kernels: on a GPU,
    torch CUDA tensors go in as they are and device results come back with no copy."""

    def __init__(self, torch, cuda, smoke: bool):
        self.torch, self.cuda, self.smoke = torch, cuda, smoke
        self.name = "simulator" if smoke else torch.cuda.get_device_name()
        self.torch_device = "cpu" if smoke else "cuda"

    def ours(self, t):
        return self.cuda.to_device(t.numpy()) if self.smoke else t

    def theirs(self, a):
        return (self.torch.from_numpy(a.copy_to_host()) if self.smoke
                else self.torch.as_tensor(a, device="cuda"))

    def sync_ours(self):
        self.cuda.synchronize()

    def sync_torch(self):
        if not self.smoke:
            self.torch.cuda.synchronize()


def timed(fn, sync, repeat: int, warmup: int):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return float(med), float(q3 - q1)


def rel_err(out, ref) -> float:
    out, ref = out.double(), ref.double()
    return float((out - ref).abs().max() / ref.abs().max().clamp_min(1e-300))


def bench_layer(layer, N, dtype, repeat, dev, F, kernels, warmup=3, op="conv2d"):
    """Forward and backward rows of one layer: ``op`` (conv2d, or depthwise_conv2d for a
    layer with groups = C) with algo="cuda" against torch's conv2d."""
    name, C, H, W, K, k, stride, padding, groups = layer
    torch = dev.torch
    tdt = getattr(torch, dtype)
    g = torch.Generator(device=dev.torch_device).manual_seed(0)

    def randn(*shape):
        return torch.randn(*shape, device=dev.torch_device, dtype=tdt, generator=g)

    x, w, b = randn(N, C, H, W), randn(K, C // groups, k, k), randn(K)
    params = dict(stride=stride, padding=padding, groups=groups)
    y_ref = F.conv2d(x, w, b, **params)
    gy = randn(*y_ref.shape)
    macs = N * K * y_ref.shape[2] * y_ref.shape[3] * (C // groups) * k * k
    ox, ow_, ob, ogy = (dev.ours(t) for t in (x, w, b, gy))
    ours_op = kernels.OPS[op]
    ours_params = {a: v for a, v in params.items() if op == "conv2d" or a != "groups"}

    def ours_fwd():
        return ours_op(ox, ow_, ob, algo="cuda", **ours_params)

    def ours_bwd():
        return ours_op.backward(ogy, ox, ow_, ob, algo="cuda", **ours_params)

    xr, wr, br = (t.detach().clone().requires_grad_() for t in (x, w, b))
    yr = F.conv2d(xr, wr, br, **params)

    def torch_fwd():
        return F.conv2d(x, w, b, **params)

    def torch_bwd():
        return torch.autograd.grad(yr, (xr, wr, br), gy, retain_graph=True)

    err_f = rel_err(dev.theirs(ours_fwd()), y_ref)
    err_b = max(rel_err(dev.theirs(o), r) for o, r in zip(ours_bwd(), torch_bwd()))
    rows = []
    for direction, ours, theirs, err, mult in (("forward", ours_fwd, torch_fwd, err_f, 1),
                                               ("backward", ours_bwd, torch_bwd, err_b, 2)):
        t_ours, iqr_ours = timed(ours, dev.sync_ours, repeat, warmup)
        t_torch, iqr_torch = timed(theirs, dev.sync_torch, repeat, warmup)
        rows.append(dict(layer=name, op=op, dtype=dtype, direction=direction, N=N, C=C, H=H, W=W, K=K,
                         kernel=k, stride=stride, padding=padding, groups=groups,
                         cuda_median_s=t_ours, cuda_iqr_s=iqr_ours,
                         torch_median_s=t_torch, torch_iqr_s=iqr_torch,
                         ratio_to_cudnn=t_ours / t_torch,
                         cuda_gflops=2 * mult * macs / t_ours / 1e9,
                         torch_gflops=2 * mult * macs / t_torch / 1e9, rel_err=err))
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--dtype", nargs="+", default=["float32", "float64"])
    ap.add_argument("--suite", nargs="+", default=list(SUITES), choices=list(SUITES))
    ap.add_argument("--out", default="results/cuda")
    ap.add_argument("--smoke", action="store_true",
                    help="three tiny layers under the simulator: checks the script, times nothing")
    args = ap.parse_args(argv)
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")
    if simulated != args.smoke:
        sys.exit("bench_cuda: needs a real GPU (NUMBA_ENABLE_CUDASIM unset); "
                 "--smoke needs the simulator (NUMBA_ENABLE_CUDASIM=1)")

    import torch
    import torch.nn.functional as F
    from numba import cuda

    import kernels
    if not args.smoke and not (torch.cuda.is_available() and cuda.is_available()):
        sys.exit("bench_cuda: no CUDA GPU visible to torch and Numba")
    torch.backends.cudnn.allow_tf32 = False        # FP32 against FP32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = True          # cuDNN's best algorithm per shape
    dev = Device(torch, cuda, args.smoke)
    device = dev.name
    suites = ({"smoke": SMOKE, "smoke-depthwise": SMOKE_DEPTHWISE} if args.smoke
              else {s: SUITES[s] for s in args.suite})
    warmup = 1 if args.smoke else 3
    rows = []
    for suite, layers in suites.items():
        for layer in layers:
            for dtype in args.dtype:
                for r in bench_layer(layer, args.batch, dtype, args.repeat, dev, F, kernels, warmup,
                                     SUITE_OP.get(suite, "conv2d")):
                    rows.append(dict(suite=suite, device=device, **r))
                    print(f"{suite:21s} {r['layer']:26s} {dtype:8s} {r['direction']:8s} "
                          f"cuda {r['cuda_median_s'] * 1e3:9.3f} ms  cuDNN {r['torch_median_s'] * 1e3:9.3f} ms"
                          f"  x{r['ratio_to_cudnn']:.2f}  err {r['rel_err']:.1e}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9]+", "_", device).strip("_")
    with open(out / f"{stem}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    import numba
    meta = dict(device=device, command=" ".join([sys.executable, *sys.argv]), args=vars(args),
                torch=torch.__version__, cudnn=torch.backends.cudnn.version(),
                numba=numba.__version__, python=platform.python_version(),
                host=platform.node(), time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    (out / f"{stem}.json").write_text(json.dumps(meta, indent=2))
    for suite in suites:
        for dtype in args.dtype:
            for direction in ("forward", "backward"):
                sel = [r["ratio_to_cudnn"] for r in rows
                       if r["suite"] == suite and r["dtype"] == dtype and r["direction"] == direction]
                if sel:
                    print(f"{suite} {dtype} {direction}: geometric-mean time ratio to cuDNN "
                          f"{float(np.exp(np.mean(np.log(sel)))):.2f}")
    print(f"wrote {out / (stem + '.csv')}")


if __name__ == "__main__":
    main()

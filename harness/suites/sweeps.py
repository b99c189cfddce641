"""Sweeps: one conv2d layer with one dimension varied, to show how time grows with it.

``kernel_size``: 32 -> 32 channels on 64x64 with k = 1, 3, ..., 21 ('same' padding):
direct methods grow like k^2, FFT barely grows, so the curves cross.  ``input_size``:
16 -> 16 channels, 3x3, H = W = 16 ... 256: every method grows like H*W."""
from harness.suites import BATCH as N
from harness.suites import conv, suite

KERNELS = range(1, 22, 2)
SIZES = (16, 32, 64, 128, 256)


def kernel_sweep(C, H, kernels=KERNELS, prefix="ksweep", batch=N):
    return [conv("conv2d", f"{prefix}-k{k:02d}", batch, C, H, C, k, padding=k // 2,
                 sweep=("kernel_size", k)) for k in kernels]


def size_sweep(C, sizes=SIZES, prefix="hsweep", batch=N):
    return [conv("conv2d", f"{prefix}-h{H:03d}", batch, C, H, C, 3, padding=1,
                 sweep=("input_size", H)) for H in sizes]


suite("sweeps", __doc__, [*kernel_sweep(32, 64), *size_sweep(16)])

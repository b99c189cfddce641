"""Transposed convolution with the conv family's parallel Numba kernels: no new kernel.

The forward is the conv's input-gradient kernel (parallel over (image, output channel), so
no two threads write one element); the input gradient is the conv's forward kernel and the
weight gradient the conv's weight-gradient kernel (see ``kernels/transposed/plan.py``).
Every case runs as 3D, so 1D/2D/3D share the conv's compiled kernels.
"""
import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv import numba_cpu as conv_numba
from kernels.conv.numba_cpu import as5d, pad3
from kernels.transposed.im2col import padded_grad
from kernels.transposed.plan import TRANSPOSED_OPS

numba_cpu = Algorithm("numba", ops=TRANSPOSED_OPS,
                      doc="the conv's Numba input-gradient kernel run forwards (parallel, 3D-generic)")


def _geometry(p):
    return pad3(p.stride, p.nd, 1), pad3(p.dilation, p.nd, 1)


@numba_cpu.forward
def forward(x, w, b, p):
    c = p.conv
    yp = np.zeros((p.N, p.K, *c.padded), p.dtype)
    conv_numba._grad_input(as5d(x, p.nd), as5d(w, p.nd), as5d(yp, p.nd), *_geometry(p), p.G)
    y = empty(p.out_shape, p.dtype)
    y[...] = yp[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for lo, n in zip(c.pad_lo, p.out))]
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


@numba_cpu.backward
def backward(gy, x, w, b, p):
    gyp = np.ascontiguousarray(padded_grad(gy, p))
    gx = empty(x.shape, p.dtype)
    conv_numba._forward(as5d(gyp, p.nd), as5d(w, p.nd), np.zeros(p.C, p.dtype), as5d(gx, p.nd),
                        *_geometry(p), p.G)
    gw = empty(w.shape, p.dtype)
    conv_numba._grad_weight(as5d(x, p.nd), as5d(gyp, p.nd), as5d(gw, p.nd), *_geometry(p), p.G)
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

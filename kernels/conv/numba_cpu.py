"""Direct convolution in parallel Numba loops, forward and both gradients.

Every case runs as a 3D convolution of 5-D arrays (N, C, D, H, W): conv1d and conv2d add
unit dimensions, which costs nothing and compiles one kernel per dtype.  The input is
padded once on the host so the inner loops need no bounds checks; the innermost loop runs
along the contiguous output row, which LLVM vectorises.

Parallel work is split so that no two threads write the same element: the forward over
(image, block of output channels, output row), the input gradient over (image, input
channel), the weight gradient over (output channel, input channel).
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.im2col import pad
from kernels.conv.plan import CONV_OPS

numba_cpu = Algorithm("numba", ops=CONV_OPS, doc="direct loops, Numba parallel JIT")

# 'contract' lets LLVM fuse a*b+c into an FMA and 'reassoc' lets it vectorise the
# reductions of the weight gradient; both are within the numba rows of the tolerance table.
FASTMATH = {"contract", "reassoc"}
KB = 4  # output channels computed together: each input row loaded once feeds KB of them


def as5d(a, nd):
    """View an (N, C, *spatial) array as (N, C, D, H, W)."""
    return a.reshape(a.shape[:2] + (1,) * (3 - nd) + a.shape[2:])


def pad3(t, nd, fill):
    return (fill,) * (3 - nd) + tuple(t)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _forward(xp, w, b, y, stride, dil, G):
    N = xp.shape[0]
    K, Cg, T, R, S = w.shape
    OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
    sd, sh, sw = stride
    dd, dh, dw = dil
    Kg = K // G
    nkb = (Kg + KB - 1) // KB
    for task in prange(N * G * nkb * OD * OH):
        oh = task % OH
        od = (task // OH) % OD
        kb = (task // (OH * OD)) % nkb
        g = (task // (OH * OD * nkb)) % G
        n = task // (OH * OD * nkb * G)
        k0 = g * Kg + kb * KB
        k1 = min(k0 + KB, (g + 1) * Kg)
        for k in range(k0, k1):
            y[n, k, od, oh, :] = b[k]
        for c in range(Cg):
            ci = g * Cg + c
            for t in range(T):
                for r in range(R):
                    xrow = xp[n, ci, od * sd + t * dd, oh * sh + r * dh]
                    for s in range(S):
                        off = s * dw
                        for k in range(k0, k1):
                            wv = w[k, c, t, r, s]
                            yrow = y[n, k, od, oh]
                            for ow in range(OW):
                                yrow[ow] += wv * xrow[ow * sw + off]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_input(gy, w, gxp, stride, dil, G):
    N, C = gxp.shape[0], gxp.shape[1]
    K, Cg, T, R, S = w.shape
    OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
    sd, sh, sw = stride
    dd, dh, dw = dil
    Kg = K // G
    for task in prange(N * C):
        n = task // C
        ci = task % C
        g = ci // Cg
        c = ci - g * Cg
        for k in range(g * Kg, (g + 1) * Kg):
            for od in range(OD):
                for oh in range(OH):
                    gyrow = gy[n, k, od, oh]
                    for t in range(T):
                        for r in range(R):
                            gxrow = gxp[n, ci, od * sd + t * dd, oh * sh + r * dh]
                            for s in range(S):
                                wv = w[k, c, t, r, s]
                                off = s * dw
                                for ow in range(OW):
                                    gxrow[ow * sw + off] += wv * gyrow[ow]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_weight(gy, xp, gw, stride, dil, G):
    N = xp.shape[0]
    K, Cg, T, R, S = gw.shape
    OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
    sd, sh, sw = stride
    dd, dh, dw = dil
    Kg = K // G
    for task in prange(K * Cg):
        k = task // Cg
        c = task % Cg
        ci = (k // Kg) * Cg + c
        for t in range(T):
            for r in range(R):
                for s in range(S):
                    acc = 0.0
                    off = s * dw
                    for n in range(N):
                        for od in range(OD):
                            for oh in range(OH):
                                xrow = xp[n, ci, od * sd + t * dd, oh * sh + r * dh]
                                gyrow = gy[n, k, od, oh]
                                for ow in range(OW):
                                    acc += gyrow[ow] * xrow[ow * sw + off]
                    gw[k, c, t, r, s] = acc


def _geometry(p):
    return pad3(p.stride, p.nd, 1), pad3(p.dilation, p.nd, 1)


@numba_cpu.forward
def forward(x, w, b, p):
    y = empty(p.out_shape, p.dtype)
    bias = b if b is not None else np.zeros(p.K, p.dtype)
    _forward(as5d(pad(x, p), p.nd), as5d(w, p.nd), bias, as5d(y, p.nd), *_geometry(p), p.G)
    return y


@numba_cpu.backward
def backward(gy, x, w, b, p):
    gy5, stride, dil = as5d(gy, p.nd), *_geometry(p)
    gxp = np.zeros((p.N, p.C, *p.padded), p.dtype)
    _grad_input(gy5, as5d(w, p.nd), as5d(gxp, p.nd), stride, dil, p.G)
    inner = tuple(slice(lo, lo + n) for lo, n in zip(p.pad_lo, p.size))
    gx = np.ascontiguousarray(gxp[(slice(None), slice(None)) + inner])
    gw = empty(w.shape, p.dtype)
    _grad_weight(gy5, as5d(pad(x, p), p.nd), as5d(gw, p.nd), stride, dil, p.G)
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

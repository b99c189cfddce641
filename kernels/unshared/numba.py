"""Unshared convolution in parallel Numba loops, forward and both gradients.

The input is padded once on the host, so the loops need no bounds checks.  Work is split
so that no two threads write the same element: the forward over (image, output row), the
input gradient over (image, input channel) -- the scatter of every position's filter lands
only in that channel -- and the weight gradient over output positions (each owns its filters).
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH
from kernels._registry import Algorithm
from kernels.conv.im2col import pad
from kernels.unshared.plan import UNSHARED_OPS

numba = Algorithm("numba", ops=UNSHARED_OPS, doc="direct loops, Numba parallel JIT")


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _forward(xp, w, b, y, sh, sw, dh, dw):
    N = xp.shape[0]
    P, Q, K, C, R, S = w.shape
    for task in prange(N * P):
        n, p = task // P, task % P
        for q in range(Q):
            for k in range(K):
                acc = b[k, p, q]
                for c in range(C):
                    for r in range(R):
                        for s in range(S):
                            acc += w[p, q, k, c, r, s] * xp[n, c, p * sh + r * dh, q * sw + s * dw]
                y[n, k, p, q] = acc


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_input(gy, w, gxp, sh, sw, dh, dw):
    N = gxp.shape[0]
    P, Q, K, C, R, S = w.shape
    for task in prange(N * C):
        n, c = task // C, task % C
        for p in range(P):
            for q in range(Q):
                for k in range(K):
                    g = gy[n, k, p, q]
                    for r in range(R):
                        for s in range(S):
                            gxp[n, c, p * sh + r * dh, q * sw + s * dw] += g * w[p, q, k, c, r, s]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_weight(gy, xp, gw, sh, sw, dh, dw):
    N = xp.shape[0]
    P, Q, K, C, R, S = gw.shape
    for task in prange(P * Q):
        p, q = task // Q, task % Q
        for k in range(K):
            for c in range(C):
                for r in range(R):
                    for s in range(S):
                        acc = 0.0
                        for n in range(N):
                            acc += gy[n, k, p, q] * xp[n, c, p * sh + r * dh, q * sw + s * dw]
                        gw[p, q, k, c, r, s] = acc


@numba.forward
def forward(x, w, b, p):
    y = empty(p.out_shape, p.dtype)
    bias = b if b is not None else np.zeros((p.K, *p.out), p.dtype)
    _forward(pad(x, p), w, bias, y, *p.stride, *p.dilation)
    return y


@numba.backward
def backward(gy, x, w, b, p):
    gxp = np.zeros((p.N, p.C, *p.padded), p.dtype)
    _grad_input(gy, w, gxp, *p.stride, *p.dilation)
    (t, l), (h, wd) = p.pad_lo, p.size
    gx = np.ascontiguousarray(gxp[:, :, t:t + h, l:l + wd])
    gw = empty(w.shape, p.dtype)
    _grad_weight(gy, pad(x, p), gw, *p.stride, *p.dilation)
    gb = gy.sum(axis=0) if b is not None else None
    return gx, gw, gb

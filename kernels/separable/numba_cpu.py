"""Depthwise-separable convolution as ONE fused Numba kernel: the depthwise output never
goes to memory.

Each parallel task owns a tile of output rows of one image.  It computes the depthwise
rows of every channel into a small task-local buffer (M x rows*Q, which stays in cache)
and at once multiplies the buffer by the pointwise matrix (K x M), writing only the
final output.  The two-step composition writes and re-reads an (N, M, P, Q) intermediate.

The backward is the two-step chain rule with the depthwise and conv Numba kernels: the
gradient of weight_pointwise needs the depthwise output, so it is computed there.
"""
import numpy as np
from numba import get_num_threads, njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv import numba_cpu as conv_numba
from kernels.conv.numba_cpu import FASTMATH
from kernels.depthwise import numba_cpu as dw_numba
from kernels.depthwise.numba_cpu import axpy, axpy_taps, col_range, geometry
from kernels.separable.plan import SEPARABLE_OPS

numba_cpu = Algorithm("numba", ops=SEPARABLE_OPS,
                      doc="one fused kernel: depthwise rows into a task-local buffer, then pointwise")
MAX_ROWS = 8  # output rows per task: longer inner loops, as long as there is parallel work


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _fused_forward(x, wd, wp, b, y, Q, rows, sh, sw, dh, dw, ph, pw):
    N, C, H, W = x.shape
    M, _, R, S = wd.shape
    K = wp.shape[0]
    P = y.shape[2] // Q
    m = M // C
    tiles = (P + rows - 1) // rows
    for task in prange(N * tiles):
        n, p0 = task // tiles, (task % tiles) * rows
        p1 = min(p0 + rows, P)
        L = (p1 - p0) * Q
        mid = np.empty((M, L), x.dtype)  # the depthwise rows p0..p1 of every channel
        for j in range(M):
            c = j // m
            mrow = mid[j]
            mrow[:] = 0.0
            for p in range(p0, p1):
                base = (p - p0) * Q
                for r in range(R):
                    h = p * sh + r * dh - ph
                    if h < 0 or h >= H:
                        continue
                    for s in range(S):
                        off = s * dw - pw
                        q0, q1 = col_range(off, sw, W, Q)
                        axpy_taps(mrow[base:base + Q], wd[j, 0, r, s], x[n, c, h], off, sw, q0, q1)
        for k in range(K):
            acc = y[n, k, p0 * Q:p1 * Q]  # rows p0..p1 of (P*Q,) are one contiguous range
            acc[:] = b[k]
            for j in range(M):
                axpy(acc, wp[k, j], mid[j])


def rows_per_task(N, P):
    """As many rows as keep >= 4 tasks per thread, between 1 and MAX_ROWS."""
    return int(max(1, min(MAX_ROWS, N * P // (4 * get_num_threads()))))


@numba_cpu.forward
def forward(x, wd, wp, b, p):
    N, K, P, Q = p.out_shape
    y = empty(p.out_shape, p.dtype)
    bias = b if b is not None else np.zeros(K, p.dtype)
    _fused_forward(x, wd, wp.reshape(K, -1), bias, y.reshape(N, K, P * Q), Q, rows_per_task(N, P),
                   *geometry(p.depthwise))
    return y


@numba_cpu.backward
def backward(gy, x, wd, wp, b, p):
    mid = dw_numba.forward(x, wd, None, p.depthwise)
    gmid, gwp, gb = conv_numba.backward(gy, mid, wp, b, p.pointwise)
    gx, gwd, _ = dw_numba.backward(gmid, x, wd, None, p.depthwise)
    return gx, gwd, gwp, gb

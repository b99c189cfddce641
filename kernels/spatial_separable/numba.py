"""Spatially separable convolution as two 1D passes in parallel Numba loops.

Correct per (k, c): conv with outer(col, row) is a column pass then a row pass, and the
sum over c is linear, so each (n, k) task sums the two-pass results over c.  Per output
row p the column filter fills a task-local row t of the Wu padded columns the row filter
reads; the row filter then adds its S taps into y:

    t[i]       = sum_r col[k, c, r] * xp[n, c, p*stride_h + r*dilation_h, i]
    y[n,k,p,q] += sum_s row[k, c, s] * t[q*stride_w + s*dilation_w]

The input is padded once on the host.  Parallel work, with no two threads writing one
element: forward over (image, output channel), input gradient over (image, input
channel), the col and row gradients over (output channel, input channel).

Non-finite inputs: a NaN reaches the outputs and gradients it reaches in torch, but the
sums are grouped by column pass, so where infinities of both signs meet, NaN and +-Inf
may fall differently than in torch's sums over the full kernel; and with a stride the
col and row gradients also read the columns no output reads (a NaN there reaches them).
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH
from kernels._registry import Algorithm
from kernels.conv.im2col import pad
from kernels.depthwise.numba import axpy, axpy_taps, dot, scatter_taps, taps
from kernels.spatial_separable.plan import SPATIAL_OPS, used_columns

numba = Algorithm("numba", ops=SPATIAL_OPS,
                  doc="column pass then row pass, parallel Numba (sums grouped by pass: "
                      "infinities of both signs may meet elsewhere than in torch's sums)")


@njit(cache=True, inline="always")
def _column_pass(t, xp, col, n, k, c, h0, dh):
    t[:] = 0.0
    for r in range(col.shape[2]):
        axpy(t, col[k, c, r], xp[n, c, h0 + r * dh, :t.shape[0]])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _forward(xp, col, row, b, y, Wu, sh, sw, dh, dw):
    N, C = xp.shape[0], xp.shape[1]
    K, S = row.shape[0], row.shape[2]
    P, Q = y.shape[2], y.shape[3]
    for task in prange(N * K):
        n, k = task // K, task % K
        t = np.empty(Wu, xp.dtype)
        y[n, k] = b[k]
        for c in range(C):
            for p in range(P):
                _column_pass(t, xp, col, n, k, c, p * sh, dh)
                for s in range(S):
                    axpy_taps(y[n, k, p], row[k, c, s], t, s * dw, sw, 0, Q)


@njit(cache=True, inline="always")
def _row_pass_transposed(gt, gy, row, n, k, c, p, sw, dw):
    """gt[i] = sum over (q, s) with q*sw + s*dw = i of row[k, c, s] * gy[n, k, p, q]."""
    gt[:] = 0.0
    for s in range(row.shape[2]):
        scatter_taps(gt, s * dw, sw, 0, gy.shape[3], row[k, c, s], gy[n, k, p])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_input(gy, col, row, gxp, Wu, sh, sw, dh, dw):
    N, C = gxp.shape[0], gxp.shape[1]
    K, R = col.shape[0], col.shape[2]
    P = gy.shape[2]
    for task in prange(N * C):
        n, c = task // C, task % C
        gt = np.empty(Wu, gxp.dtype)
        gxp[n, c] = 0.0
        for k in range(K):
            for p in range(P):
                _row_pass_transposed(gt, gy, row, n, k, c, p, sw, dw)
                for r in range(R):
                    axpy(gxp[n, c, p * sh + r * dh, :Wu], col[k, c, r], gt)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_filters(gy, xp, col, row, gcol, grow, Wu, sh, sw, dh, dw):
    N, C = xp.shape[0], xp.shape[1]
    K, R, S = col.shape[0], col.shape[2], row.shape[2]
    P, Q = gy.shape[2], gy.shape[3]
    for task in prange(K * C):
        k, c = task // C, task % C
        t = np.empty(Wu, xp.dtype)
        gt = np.empty(Wu, xp.dtype)
        acc_r = np.zeros(R)
        acc_s = np.zeros(S)
        for n in range(N):
            for p in range(P):
                _column_pass(t, xp, col, n, k, c, p * sh, dh)
                for s in range(S):
                    acc_s[s] += dot(gy[n, k, p], taps(t, s * dw, sw, 0, Q))
                _row_pass_transposed(gt, gy, row, n, k, c, p, sw, dw)
                for r in range(R):
                    acc_r[r] += dot(gt, xp[n, c, p * sh + r * dh, :Wu])
        gcol[k, c, :] = acc_r
        grow[k, c, :] = acc_s


def _geometry(p):
    return (used_columns(p), *p.stride, *p.dilation)


@numba.forward
def forward(x, col, row, b, p):
    y = empty(p.out_shape, p.dtype)
    _forward(pad(x, p), col, row, b if b is not None else np.zeros(p.K, p.dtype), y, *_geometry(p))
    return y


@numba.backward
def backward(gy, x, col, row, b, p):
    gxp = empty((p.N, p.C, *p.padded), p.dtype)
    _grad_input(gy, col, row, gxp, *_geometry(p))
    gx = np.ascontiguousarray(gxp[:, :, p.pad_lo[0]:p.pad_lo[0] + p.size[0],
                                  p.pad_lo[1]:p.pad_lo[1] + p.size[1]])
    gcol, grow = empty(col.shape, p.dtype), empty(row.shape, p.dtype)
    _grad_filters(gy, pad(x, p), col, row, gcol, grow, *_geometry(p))
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, gcol, grow, gb

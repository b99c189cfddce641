"""Depthwise-separable convolution as ONE fused Numba kernel: the depthwise output never
goes to memory.

Each parallel task owns a band of output rows of one image.  It computes the depthwise
rows of every channel into a small task-local buffer (M x rows*Q, which stays in cache)
with the depthwise kernel's register tiles, and at once multiplies the buffer by the
pointwise matrix (K x M) in register tiles of KB output channels x VW pixels
(``kernels._numba_util.fma_rows``), writing only the final output.  The two-step
composition writes and re-reads an (N, M, P, Q) intermediate.

The backward is the two-step chain rule with the depthwise and conv Numba kernels: the
gradient of weight_pointwise needs the depthwise output, so it is computed there.
"""
import numpy as np
from numba import carray, get_num_threads, njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH, fma_rows, stack_empty, store_rows
from kernels._registry import Algorithm
from kernels.conv import numba as conv_numba
from kernels.depthwise import numba as dw_numba
from kernels.depthwise.numba import RB, TILE, VW, copy, fill_planes, geometry, plane_tiles, tap_offsets, zero
from kernels.separable.plan import SEPARABLE_OPS

numba = Algorithm("numba", ops=SEPARABLE_OPS,
                      doc="one fused kernel: depthwise rows into a task-local buffer, then pointwise")


@numba.supports
def supports(p):
    return dw_numba.supports(p.depthwise) or conv_numba.supports(p.pointwise)


MAX_ROWS = 8  # output rows per task: longer inner loops, as long as there is parallel work
KB = 6  # output channels per pointwise register tile: KB x VW = 12 AVX2 float32 accumulators
GTILE = KB * VW


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _fused_forward(x, wd, wp, b, y, rows, sh, sw, dh, dw, ph, pw):
    """Tasks are (image, band of ``rows`` output rows).  Per input channel, the band's input
    rows are split into stride phases (``fill_planes``) and the depthwise rows of its
    output channels are computed into ``mid`` (M x Pp*Qp, task-local) by the depthwise
    register tiles.  Then y[band] = wp @ mid, a GEMM in KB x VW register tiles
    (``fma_rows``: one broadcast weight times a VW-wide row of mid), written straight into
    y when the band's rows are contiguous there (Q >= VW, K >= KB), else through a padded
    task buffer."""
    N, C, H, W = x.shape
    M, _, R, S = wd.shape
    K, P, Q = y.shape[1], y.shape[2], y.shape[3]
    Kp = wp.shape[0]  # K, or KB when K < KB (zero rows)
    m = M // C
    bands = (P + rows - 1) // rows
    Qp = max(Q, VW)
    V = Qp + (S - 1) * dw // sw
    direct = Q >= VW and K >= KB
    yf = y.reshape(N * K * P * Q)
    wf, wpf = wd.reshape(M, R * S), wp.reshape(Kp * M)
    for task in prange(N * bands):
        n, p0 = task // bands, (task % bands) * rows
        hb = min(p0 + rows, P) - p0
        Pp = max(hb, RB)
        Hv = Pp + (R - 1) * dh // sh
        Lm = Pp * Qp
        buf = np.empty(sh * sw * Hv * V, x.dtype)
        zero(buf)
        offs = np.empty(R * S, np.int64)
        tap_offsets(offs, R, S, sh, sw, dh, dw, Hv, V)
        mid = np.empty(M * Lm, x.dtype)
        accp = stack_empty(TILE, x.dtype)
        for c in range(C):
            fill_planes(buf, x[n, c], sh, sw, ph - p0 * sh, pw, Hv, V)
            for j in range(c * m, (c + 1) * m):
                plane_tiles(accp, buf, offs, wf[j], 0.0, mid, j * Lm, Qp, Pp, Qp, V)
        if direct:
            pointwise(wpf, mid, b, yf, n * K * P * Q + p0 * Q, P * Q, K, M, Lm, hb * Q)
        else:
            out = np.empty(Kp * Lm, x.dtype)
            pointwise(wpf, mid, b, out, 0, Lm, Kp, M, Lm, Lm)
            for k in range(K):
                for p in range(hb):
                    copy(y[n, k, p0 + p], out[k * Lm + p * Qp:k * Lm + p * Qp + Q])


@njit(cache=True, fastmath=FASTMATH, inline="always")
def pointwise(wpf, mid, b, dst, base, pitch, K, M, Lm, L):
    """dst[base + k*pitch + l] = b[k] + sum_j wp[k, j] * mid[j*Lm + l] for k < K, l < L
    (K >= KB, L >= VW): KB x VW register tiles, the last ones shifted back to the edge."""
    accp = stack_empty(GTILE, mid.dtype)
    acc = carray(accp, (KB, VW))
    for tk in range((K + KB - 1) // KB):
        k0 = min(tk * KB, K - KB)
        for tl in range((L + VW - 1) // VW):
            l0 = min(tl * VW, L - VW)
            for i in range(KB):
                for v in range(VW):
                    acc[i, v] = b[k0 + i]
            for j in range(M):
                fma_rows(accp, KB, wpf, k0 * M + j, M, mid, j * Lm + l0, VW)
            store_rows(accp, KB, dst, base + k0 * pitch + l0, pitch, VW)


def rows_per_task(N, P):
    """A multiple of RB rows, at most MAX_ROWS, keeping >= 4 tasks per thread if possible."""
    return int(RB * max(1, min(MAX_ROWS // RB, N * P // (4 * RB * get_num_threads()))))


@numba.forward
def forward(x, wd, wp, b, p):
    N, K, P, Q = p.out_shape
    y = empty(p.out_shape, p.dtype)
    bias = b if b is not None else np.zeros(K, p.dtype)
    wpm = wp.reshape(K, -1)
    if K < KB:  # zero rows so that every pointwise tile is full
        wpm = np.concatenate([wpm, np.zeros((KB - K, wpm.shape[1]), p.dtype)])
        bias = np.concatenate([bias, np.zeros(KB - K, p.dtype)])
    _fused_forward(x, wd, np.ascontiguousarray(wpm), bias, y, rows_per_task(N, P),
                   *geometry(p.depthwise))
    return y


@numba.backward
def backward(gy, x, wd, wp, b, p):
    mid = dw_numba.forward(x, wd, None, p.depthwise)
    gmid, gwp, gb = conv_numba.backward(gy, mid, wp, b, p.pointwise)
    gx, gwd, _ = dw_numba.backward(gmid, x, wd, None, p.depthwise)
    return gx, gwd, gwp, gb

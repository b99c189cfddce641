"""Depthwise convolution in parallel Numba loops, written for speed on MobileNet layers.

A depthwise layer does only R*S MACs per output, so loop overhead and memory decide its
speed.  The forward copies each padded channel, split by stride phase, into a small
task-local buffer and runs every kernel tap as one long vectorised axpy over all output
rows at once (see ``_forward``).  The backward kernels clip each tap's range of output columns instead of
testing bounds per element, so their inner loops are plain axpys and dots too.

Parallel work, with no two threads writing one element: the forward and the input
gradient over (image, channel), the weight gradient over (output channel, kernel tap).
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.numba_cpu import FASTMATH
from kernels.depthwise.plan import DEPTHWISE_OPS

numba_cpu = Algorithm("numba", ops=DEPTHWISE_OPS, doc="direct loops, parallel over (image, channel)")


@njit(cache=True, inline="always")
def col_range(off, sw, W, Q):
    """Output columns q in [q0, q1) whose tap q*sw + off lands inside 0..W-1."""
    q0 = max(0, (sw - 1 - off) // sw)
    q1 = min(Q, (W - 1 - off) // sw + 1)
    return q0, max(q0, q1)


# The inner loops index views from 0: with an index like q + off, whose sign LLVM cannot
# prove, Numba's negative-index wraparound check stays in the loop and blocks
# vectorisation (about 10x slower on MobileNet layers).
@njit(cache=True, fastmath=FASTMATH, inline="always")
def axpy(y, a, x):
    """y += a * x, elementwise."""
    for i in range(y.shape[0]):
        y[i] += a * x[i]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def dot(x, y):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i] * y[i]
    return acc


@njit(cache=True, fastmath=FASTMATH, inline="always")
def copy(dst, src):
    """dst[:] = src as a plain loop (Numba's slice assignment costs far more per call)."""
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@njit(cache=True, inline="always")
def taps(row, off, sw, q0, q1):
    """The view row[q*sw + off] for q in [q0, q1), q0 < q1 and q0*sw + off >= 0."""
    return row[q0 * sw + off:(q1 - 1) * sw + off + 1:sw]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def axpy_taps(y, a, row, off, sw, q0, q1):
    """y[q0:q1] += a * row[q*sw + off]; unit stride gets a contiguous (vectorised) loop."""
    if q1 > q0:
        if sw == 1:
            axpy(y[q0:q1], a, row[q0 + off:q1 + off])
        else:
            axpy(y[q0:q1], a, taps(row, off, sw, q0, q1))


@njit(cache=True, fastmath=FASTMATH, inline="always")
def scatter_taps(row, off, sw, q0, q1, a, y):
    """row[q*sw + off] += a * y[q] for q in [q0, q1): the transpose of axpy_taps."""
    if q1 > q0:
        if sw == 1:
            axpy(row[q0 + off:q1 + off], a, y[q0:q1])
        else:
            axpy(taps(row, off, sw, q0, q1), a, y[q0:q1])


@njit(cache=True, inline="always")
def fill_planes(buf, xc, sh, sw, ph, pw, Hv, V):
    """Split the zero-padded channel xc into sh*sw phase planes of Hv x V: plane (a, b)
    holds padded element (sh*t + a, sw*u + b) at [t, u].  With stride 1 it is one plane:
    the padded channel itself."""
    H, W = xc.shape
    buf[:] = 0.0
    for a in range(sh):
        for bb in range(sw):
            u0 = max(0, (pw - bb + sw - 1) // sw)            # first u with sw*u + bb - pw >= 0
            u1 = min(V, (W - 1 + pw - bb) // sw + 1)          # past the last one inside the input
            if u1 <= u0:
                continue
            col0 = sw * u0 + bb - pw
            for t in range(Hv):
                h = sh * t + a - ph
                if 0 <= h < H:
                    row = buf[((a * sw + bb) * Hv + t) * V:((a * sw + bb) * Hv + t + 1) * V]
                    if sw == 1:
                        copy(row[u0:u1], xc[h, col0:col0 + u1 - u0])
                    else:
                        copy(row[u0:u1], xc[h, col0:col0 + sw * (u1 - u0 - 1) + 1:sw])


@njit(cache=True, fastmath=FASTMATH, inline="always")
def planes_axpy(acc, wk, buf, sh, sw, dh, dw, Hv, V):
    """acc += the depthwise taps wk (R, S) over phase planes made by fill_planes: tap (r, s)
    of output j = p*V + q reads plane (r*dh % sh, s*dw % sw) at [p + r*dh // sh, q + s*dw // sw]."""
    L = acc.shape[0]
    for r in range(wk.shape[0]):
        for s in range(wk.shape[1]):
            plane = (r * dh % sh) * sw + s * dw % sw
            start = (plane * Hv + r * dh // sh) * V + s * dw // sw
            axpy(acc, wk[r, s], buf[start:start + L])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _forward(x, w, b, y, sh, sw, dh, dw, ph, pw):
    """One (image, channel) per task.  The padded channel is split into stride phases
    (``fill_planes``), so that kernel tap (r, s) reads, for output (p, q), element
    [p + r*dh // sh, q + s*dw // sw] of plane (r*dh % sh, s*dw % sw): with the output laid
    out flat at the planes' row pitch V (j = p*V + q), each tap is ONE contiguous axpy over
    every output row at once; the V - Q extra columns per row are discarded at the end."""
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = y.shape[2], y.shape[3]
    m = K // C
    Hv = P + (R - 1) * dh // sh
    V = Q + (S - 1) * dw // sw
    L = (P - 1) * V + Q
    for task in prange(N * C):
        n, c = task // C, task % C
        buf = np.empty(sh * sw * Hv * V, x.dtype)
        fill_planes(buf, x[n, c], sh, sw, ph, pw, Hv, V)
        acc = np.empty(L, x.dtype)
        for k in range(c * m, (c + 1) * m):
            acc[:] = b[k]
            planes_axpy(acc, w[k, 0], buf, sh, sw, dh, dw, Hv, V)
            for p in range(P):
                copy(y[n, k, p], acc[p * V:p * V + Q])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_input(gy, w, gx, sh, sw, dh, dw, ph, pw):
    N, C, H, W = gx.shape
    K, _, R, S = w.shape
    P, Q = gy.shape[2], gy.shape[3]
    m = K // C
    for task in prange(N * C):
        n, c = task // C, task % C
        gx[n, c] = 0.0
        for k in range(c * m, (c + 1) * m):
            for p in range(P):
                for r in range(R):
                    h = p * sh + r * dh - ph
                    if h < 0 or h >= H:
                        continue
                    for s in range(S):
                        off = s * dw - pw
                        q0, q1 = col_range(off, sw, W, Q)
                        scatter_taps(gx[n, c, h], off, sw, q0, q1, w[k, 0, r, s], gy[n, k, p])


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_weight(gy, x, gw, sh, sw, dh, dw, ph, pw):
    N, C, H, W = x.shape
    K, _, R, S = gw.shape
    P, Q = gy.shape[2], gy.shape[3]
    m = K // C
    for task in prange(K * R * S):
        k, r, s = task // (R * S), (task // S) % R, task % S
        c = k // m
        off = s * dw - pw
        q0, q1 = col_range(off, sw, W, Q)
        acc = 0.0
        if q1 > q0:
            for n in range(N):
                for p in range(P):
                    h = p * sh + r * dh - ph
                    if 0 <= h < H:
                        acc += dot(gy[n, k, p, q0:q1], taps(x[n, c, h], off, sw, q0, q1))
        gw[k, 0, r, s] = acc


def geometry(p):
    """(sh, sw, dh, dw, ph, pw): strides, dilations and the low padding of a ConvPlan."""
    return (*p.stride, *p.dilation, *p.pad_lo)


@numba_cpu.forward
def forward(x, w, b, p):
    y = empty(p.out_shape, p.dtype)
    _forward(x, w, b if b is not None else np.zeros(p.K, p.dtype), y, *geometry(p))
    return y


@numba_cpu.backward
def backward(gy, x, w, b, p):
    gx, gw = empty(x.shape, p.dtype), empty(w.shape, p.dtype)
    _grad_input(gy, w, gx, *geometry(p))
    _grad_weight(gy, x, gw, *geometry(p))
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, gw, gb

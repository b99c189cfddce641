"""Depthwise convolution in parallel Numba loops, written for speed on MobileNet layers.

A depthwise layer does only R*S MACs per output, so loop overhead and memory decide its
speed.  Each padded input channel is copied, split by stride phase (``fill_planes``), into a
small task-local buffer in which every kernel tap reads contiguous input along an output
row, even at stride 2.  The forward then accumulates tiles of RB output rows x VW columns
in registers, one broadcast weight times RB*VW contiguous inputs per tap, with explicit
vector FMAs (``kernels._numba_util.fma_scalar_rows``: LLVM alone spills such tiles or
keeps negative-index checks that block vectorisation).  The input gradient runs the same
tiles per stride phase of grad_input (a transposed convolution as a sum of small
correlations); the weight gradient is one contiguous dot per tap over the phase planes.
The phase correlations multiply grad_out's zero padding by every weight, so a weight holding
NaN or an infinity takes the conv's gather of the products that exist instead
(``kernels.conv.numba.grad_input_taps``), which gives torch's NaN and infinities.

Parallel work, with no two threads writing one element: the forward and the input
gradient over (image, block of channels), the weight gradient over output channels.
"""
import numpy as np
from numba import carray, get_num_threads, njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH, deinterleave_vec, fma_scalar_rows, stack_empty, store_rows
from kernels._params import workspace
from kernels._registry import Algorithm
from kernels.conv.numba import all_finite, grad_input_taps
from kernels.depthwise.plan import DEPTHWISE_OPS

RB, VW = 4, 16  # output rows x columns per register tile: 8 AVX2 float32 accumulators
TILE = RB * VW
DW = 8  # pairs per deinterleaving shuffle

numba = Algorithm("numba", ops=DEPTHWISE_OPS,
                      doc="register-tiled direct loops over stride-phase planes, "
                          "parallel over (image, channels)")


def buffer_elements(p) -> int:
    """Elements of the stride-phase buffers every thread holds (``_forward``, ``_grad_input``)."""
    (sh, sw), (dh, dw), (R, S) = p.stride, p.dilation, p.kernel
    Pp, Qp = max(p.out[0], RB), max(p.out[1], VW)
    planes = sh * sw * (Pp + (R - 1) * dh // sh) * (Qp + (S - 1) * dw // sw)
    grads = (p.K // p.C) * (Pp + p.padded[0]) * (Qp + p.padded[1])
    return get_num_threads() * max(planes, grads)


@numba.supports
def supports(p):
    return workspace("the stride-phase buffers of all threads", buffer_elements(p))


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
def dot3(g, x0, x1, x2):
    """(g . x0, g . x1, g . x2) in one pass over g, accumulated in g's dtype (full-width
    vectors; callers sum the partial results in float64)."""
    a0 = a1 = a2 = g.dtype.type(0)
    for i in range(g.shape[0]):
        a0 += g[i] * x0[i]
        a1 += g[i] * x1[i]
        a2 += g[i] * x2[i]
    return a0, a1, a2


@njit(cache=True, fastmath=FASTMATH, inline="always")
def row_dots(g, x, P, Q, V):
    """sum over p < P of g[p*V : p*V + Q] . x[p*V : p*V + Q]: the dot of two planes of row
    pitch V over their Q real columns only, accumulated in float64."""
    acc = 0.0
    for p in range(P):
        acc += dot(g[p * V:p * V + Q], x[p * V:p * V + Q])
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


@njit(cache=True, fastmath=FASTMATH, inline="always")
def zero(dst):
    for i in range(dst.shape[0]):
        dst[i] = 0.0


@njit(cache=True, fastmath=FASTMATH, inline="always")
def gather_row(dst, src, sw):
    """dst[u] = src[sw*u]; unit stride gets a contiguous (vectorised) loop."""
    if sw == 1:
        copy(dst, src)
    else:
        for u in range(dst.shape[0]):
            dst[u] = src[sw * u]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def fill_planes(buf, xc, sh, sw, ph, pw, Hv, V):
    """Split the zero-padded channel xc into sh*sw phase planes of Hv x V: plane (a, b)
    holds padded element (sh*t + a, sw*u + b) at [t, u].  With stride 1 it is one plane:
    the padded channel itself.  Only the elements from xc are written: the caller zeroes
    buf once, and later channels of the same geometry overwrite the same elements."""
    H, W = xc.shape
    for a in range(sh):
        t0 = max(0, (ph - a + sh - 1) // sh)  # first t with sh*t + a - ph >= 0
        t1 = max(t0, min(Hv, (H - 1 + ph - a) // sh + 1))
        if sw == 2:  # input column 2i goes to plane pw % 2 at u = i + pw // 2, 2i+1 to the other
            e0 = (a * 2 + pw % 2) * Hv * V + pw // 2
            e1 = (a * 2 + (pw + 1) % 2) * Hv * V + (pw + 1) // 2
            n0, n1 = max(0, min((W + 1) // 2, V - pw // 2)), max(0, min(W // 2, V - (pw + 1) // 2))
            for t in range(t0, t1):
                deinterleave(buf[e0 + t * V:e0 + t * V + n0], buf[e1 + t * V:e1 + t * V + n1],
                             xc[sh * t + a - ph])
            continue
        for bb in range(sw):
            u0 = min(V, max(0, (pw - bb + sw - 1) // sw))  # first u with sw*u + bb - pw >= 0
            u1 = max(u0, min(V, (W - 1 + pw - bb) // sw + 1))  # past the last one inside the input
            col0 = sw * u0 + bb - pw
            d0 = (a * sw + bb) * Hv * V
            for t in range(t0, t1):
                gather_row(buf[d0 + t * V + u0:d0 + t * V + u1], xc[sh * t + a - ph, col0:], sw)


@njit(cache=True, fastmath=FASTMATH, inline="always")
def deinterleave(even, odd, src):
    """even[i] = src[2i], odd[i] = src[2i + 1]: DW-wide vector shuffles, the last one
    shifted back to end at the edge (it rewrites a few elements) when n >= DW."""
    n = min(even.shape[0], odd.shape[0])
    if n >= DW:
        for i0 in range(0, n, DW):
            i = min(i0, n - DW)
            deinterleave_vec(src, 2 * i, even, i, odd, i, DW)
    else:
        for i in range(n):
            even[i] = src[2 * i]
            odd[i] = src[2 * i + 1]
    for i in range(n, even.shape[0]):
        even[i] = src[2 * i]
    for i in range(n, odd.shape[0]):
        odd[i] = src[2 * i + 1]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def tap_offsets(offs, R, S, sh, sw, dh, dw, Hv, V):
    """offs[r*S + s]: where tap (r, s) of output (0, 0) lies in the phase planes."""
    for r in range(R):
        for s in range(S):
            plane = (r * dh % sh) * sw + s * dw % sw
            offs[r * S + s] = (plane * Hv + r * dh // sh) * V + s * dw // sw


@njit(cache=True, fastmath=FASTMATH, inline="always")
def plane_tiles(accp, buf, offs, wk, bias, dst, base, pitch, Pp, Qp, V):
    """dst[base + p*pitch + q] = bias + sum of taps, for p < Pp, q < Qp (Pp >= RB, Qp >= VW),
    in RB x VW register tiles; the last tile of a row or column is shifted back to end at
    the edge (it recomputes a few outputs) so that every tile is full."""
    acc = carray(accp, TILE)
    T = wk.shape[0]
    for ti in range((Pp + RB - 1) // RB):
        p0 = min(ti * RB, Pp - RB)
        for tj in range((Qp + VW - 1) // VW):
            q0 = min(tj * VW, Qp - VW)
            for i in range(TILE):
                acc[i] = bias
            at = p0 * V + q0
            for t in range(T):
                fma_scalar_rows(accp, RB, wk[t], buf, offs[t] + at, V, VW)
            store_rows(accp, RB, dst, base + p0 * pitch + q0, pitch, VW)


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _forward(x, w, b, y, CB, sh, sw, dh, dw, ph, pw):
    """One (image, block of CB channels) per task.  The padded channel is split into stride
    phases (``fill_planes``), so that kernel tap (r, s) reads, for output (p, q), element
    [p + r*dh // sh, q + s*dw // sw] of plane (r*dh % sh, s*dw % sw): along an output row
    every tap reads contiguous input, and a tile of RB output rows x VW columns is
    RB*VW/vector-width vector FMAs per tap, accumulated in registers (``plane_tiles``).
    Planes smaller than a tile are computed into a padded task buffer and copied."""
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = y.shape[2], y.shape[3]
    m = K // C
    Pp, Qp = max(P, RB), max(Q, VW)
    Hv = Pp + (R - 1) * dh // sh
    V = Qp + (S - 1) * dw // sw
    direct = P >= RB and Q >= VW
    yf = y.reshape(N * K * P * Q)
    wf = w.reshape(K, R * S)
    nb = (C + CB - 1) // CB
    for task in prange(N * nb):  # (image, block of CB channels): buffers allocated once per task
        n, c0 = task // nb, (task % nb) * CB
        buf = np.empty(sh * sw * Hv * V, x.dtype)
        zero(buf)
        offs = np.empty(R * S, np.int64)
        tap_offsets(offs, R, S, sh, sw, dh, dw, Hv, V)
        out = np.empty(0 if direct else Pp * Qp, x.dtype)
        accp = stack_empty(TILE, x.dtype)
        for c in range(c0, min(c0 + CB, C)):
            fill_planes(buf, x[n, c], sh, sw, ph, pw, Hv, V)
            for k in range(c * m, (c + 1) * m):
                dst, base, pitch = (yf, (n * K + k) * P * Q, Q) if direct else (out, 0, Qp)
                plane_tiles(accp, buf, offs, wf[k], b[k], dst, base, pitch, Pp, Qp, V)
                if not direct:
                    for p in range(P):
                        copy(y[n, k, p], out[p * Qp:p * Qp + Q])


def channel_block(N, C):
    """Channels per task: up to 8, keeping >= 8 tasks per thread where there are enough."""
    return max(1, min(8, N * C // (8 * get_num_threads())))


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_input(gy, w, gx, CB, sh, sw, dh, dw, ph, pw):
    """The transposed depthwise convolution, gathered per stride phase of grad_input so it
    runs on the forward's register tiles.  Element (h, w) = (sh*t + a, sw*u + b) of
    input channel c sums w[k, r, s] * gy[k, t + e, u + f] over the m output channels k of c
    and the taps with e = (a + ph - r*dh) / sh and f = (b + pw - s*dw) / sw whole numbers:
    for each phase (a, b) a correlation of grad_out (zero-padded into ``gyb``) with that
    subset of taps, computed by ``plane_tiles`` and interleaved into grad_input (written
    straight into it at stride 1)."""
    N, C, H, W = gx.shape
    K, _, R, S = w.shape
    P, Q = gy.shape[2], gy.shape[3]
    m = K // C
    Tp, Up = max((H + sh - 1) // sh, RB), max((W + sw - 1) // sw, VW)
    PL = max(0, -((ph - (R - 1) * dh) // sh))  # low zero padding of grad_out: e >= -PL
    QL = max(0, -((pw - (S - 1) * dw) // sw))
    HB = PL + max(P, Tp + max(0, (sh - 1 + ph) // sh))
    VB = QL + max(Q, Up + max(0, (sw - 1 + pw) // sw))
    direct = sh == 1 and sw == 1 and H >= RB and W >= VW
    gxf = gx.reshape(N * C * H * W)
    wf = w.reshape(K, R * S)
    nb = (C + CB - 1) // CB
    for task in prange(N * nb):
        n, c0 = task // nb, (task % nb) * CB
        gyb = np.empty(m * HB * VB, gx.dtype)
        offs = np.empty(m * R * S, np.int64)
        wts = np.empty(m * R * S, gx.dtype)
        phase = np.empty(0 if direct else sw * Tp * Up, gx.dtype)  # the sw phases of one a
        accp = stack_empty(TILE, gx.dtype)
        zero(gyb)  # its padding stays zero: every channel overwrites the same elements
        for c in range(c0, min(c0 + CB, C)):
            for j in range(m):
                for p in range(P):
                    d0 = (j * HB + PL + p) * VB + QL
                    copy(gyb[d0:d0 + Q], gy[n, c * m + j, p])
            for a in range(sh):
                for bb in range(sw):
                    T = 0
                    for j in range(m):
                        for r in range(R):
                            if (a + ph - r * dh) % sh != 0:
                                continue
                            for s in range(S):
                                if (bb + pw - s * dw) % sw != 0:
                                    continue
                                e, f = (a + ph - r * dh) // sh, (bb + pw - s * dw) // sw
                                offs[T] = (j * HB + PL + e) * VB + QL + f
                                wts[T] = wf[c * m + j, r * S + s]
                                T += 1
                    if direct:
                        dst, base, pitch = gxf, (n * C + c) * H * W, W
                    else:
                        dst, base, pitch = phase, bb * Tp * Up, Up
                    plane_tiles(accp, gyb, offs[:T], wts[:T], 0.0, dst, base, pitch, Tp, Up, VB)
                if not direct:
                    for t in range((H - a + sh - 1) // sh):
                        row = gx[n, c, sh * t + a]
                        if sw == 2:
                            interleave(row, phase[t * Up:], phase[(Tp + t) * Up:])
                        else:
                            for bb in range(sw):
                                d0 = (bb * Tp + t) * Up
                                scatter_row(row[bb:], phase[d0:d0 + (W - bb + sw - 1) // sw], sw)


@njit(cache=True, fastmath=FASTMATH, inline="always")
def interleave(dst, even, odd):
    """dst[2i] = even[i], dst[2i + 1] = odd[i]: the inverse of deinterleave."""
    n = dst.shape[0] // 2
    for i in range(n):
        dst[2 * i] = even[i]
        dst[2 * i + 1] = odd[i]
    if dst.shape[0] % 2:
        dst[2 * n] = even[n]


@njit(cache=True, fastmath=FASTMATH, inline="always")
def scatter_row(dst, src, sw):
    """dst[sw*u] = src[u], the inverse of gather_row."""
    if sw == 1:
        copy(dst[:src.shape[0]], src)
    else:
        for u in range(src.shape[0]):
            dst[sw * u] = src[u]


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _grad_weight(gy, x, gw, sh, sw, dh, dw, ph, pw):
    """One output channel k per task, summing over images: grad_w[k, r, s] is the dot of
    grad_out's plane with tap (r, s)'s window of the phase planes (as in ``_forward``).
    grad_out is copied at the planes' row pitch V with zeros in columns Q..V-1, so each
    tap is ONE contiguous dot over every row at once.  Those zeros meet input values no
    output reads: where one is a NaN or an infinity the dot is not finite, and it is
    taken again over the Q real columns of each row (``row_dots``), which gives torch's
    NaN or infinity, or its finite value."""
    N, C, H, W = x.shape
    K, _, R, S = gw.shape
    P, Q = gy.shape[2], gy.shape[3]
    m = K // C
    Hv = P + (R - 1) * dh // sh
    V = Q + (S - 1) * dw // sw
    L = (P - 1) * V + Q
    for k in prange(K):
        c = k // m
        buf = np.empty(sh * sw * Hv * V, x.dtype)
        zero(buf)
        gyb = np.empty(L, x.dtype)
        zero(gyb)
        offs = np.empty(R * S, np.int64)
        tap_offsets(offs, R, S, sh, sw, dh, dw, Hv, V)
        acc = np.zeros(R * S, np.float64)
        for n in range(N):
            fill_planes(buf, x[n, c], sh, sw, ph, pw, Hv, V)
            for p in range(P):
                copy(gyb[p * V:p * V + Q], gy[n, k, p])
            for t in range(0, R * S, 3):  # three taps per pass: one load of grad_out, three FMAs
                t1, t2 = min(t + 1, R * S - 1), min(t + 2, R * S - 1)  # past the end: unused
                d0, d1, d2 = dot3(gyb, buf[offs[t]:offs[t] + L], buf[offs[t1]:offs[t1] + L],
                                  buf[offs[t2]:offs[t2] + L])
                if not (np.isfinite(d0) and np.isfinite(d1) and np.isfinite(d2)):
                    d0 = row_dots(gyb, buf[offs[t]:], P, Q, V)
                    d1 = row_dots(gyb, buf[offs[t1]:], P, Q, V)
                    d2 = row_dots(gyb, buf[offs[t2]:], P, Q, V)
                acc[t] += d0
                if t + 1 < R * S:
                    acc[t + 1] += d1
                if t + 2 < R * S:
                    acc[t + 2] += d2
        for t in range(R * S):
            gw[k, 0, t // S, t % S] = acc[t]


def geometry(p):
    """(sh, sw, dh, dw, ph, pw): strides, dilations and the low padding of a ConvPlan."""
    return (*p.stride, *p.dilation, *p.pad_lo)


@numba.forward
def forward(x, w, b, p):
    y = empty(p.out_shape, p.dtype)
    _forward(x, w, b if b is not None else np.zeros(p.K, p.dtype), y, channel_block(p.N, p.C),
             *geometry(p))
    return y


@numba.backward
def backward(gy, x, w, b, p):
    gw = empty(w.shape, p.dtype)
    if all_finite(w):
        gx = empty(x.shape, p.dtype)
        _grad_input(gy, w, gx, channel_block(p.N, p.C), *geometry(p))
    else:  # the phase tiles would multiply grad_out's zero padding by a NaN or infinity
        gx = grad_input_taps(gy, w, p)
    _grad_weight(gy, x, gw, *geometry(p))
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, gw, gb

"""Pooling in parallel Numba loops.

Every pool runs on 5-D arrays (N, C, D, H, W) (1D/2D pools add unit dimensions), parallel
over the N*C planes, so no two threads ever write the same element (forward or backward).

- ``_max_rows``: sliding-window max (the hot path: max_pool2d 3x3/2 of a ResNet stem).
  For one output row it walks the valid kernel rows and, per kernel column, sweeps the
  whole output row: ``y[ow] = max(y[ow], x[row, ow*stride + offset])`` over the range of
  ow whose tap lies inside the input, a branch-free strided loop LLVM vectorises.  With
  indices it keeps the first strictly greater value per output (torch's scan order).
- ``_window_max`` / ``_window_sum``: any separable windows (adaptive pools, the levels of a
  pyramid, and average/sum/lp pooling), one output element at a time, taps from the plan.
- ``_max_backward``: the gradient goes to the recorded index; ``_sum_backward``: every tap
  receives grad / divisor.  ``_unpool`` / ``_unpool_backward``: scatter and gather by index.

Window ops only compare and add, so no fastmath flags are needed.
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm
from kernels.pool import _common
from kernels.pool.plan import POOL_OPS, validate_indices

numba_cpu = Algorithm("numba", ops=POOL_OPS, doc="parallel over planes, Numba JIT")
numba_unpool = Algorithm("numba", ops=("max_unpool2d",), doc="scatter/gather, Numba JIT")


@njit(parallel=True, cache=True)
def _max_rows(x, y, idx, lo0, cnt0, lo1, cnt1, lo2, step, kw, sw, pw, want_idx):
    N, C, D, H, W = x.shape
    OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
    sd, sh, dw = step
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        for od in range(OD):
            for oh in range(OH):
                yrow = y[n, c, od, oh]
                irow = idx[n, c, od, oh]
                yrow[:] = -np.inf
                if want_idx:
                    for ow in range(OW):
                        irow[ow] = (lo0[od] * H + lo1[oh]) * W + lo2[ow]
                for td in range(cnt0[od]):
                    id_ = lo0[od] + td * sd
                    for th in range(cnt1[oh]):
                        ih = lo1[oh] + th * sh
                        xrow = x[n, c, id_, ih]
                        base = (id_ * H + ih) * W
                        for tw in range(kw):
                            off = tw * dw - pw
                            ow0 = 0 if off >= 0 else (sw - 1 - off) // sw
                            ow1 = 0 if W - 1 - off < 0 else min(OW, (W - 1 - off) // sw + 1)
                            if want_idx:
                                for ow in range(ow0, ow1):
                                    v = xrow[ow * sw + off]
                                    if v > yrow[ow]:
                                        yrow[ow] = v
                                        irow[ow] = base + ow * sw + off
                            else:
                                for ow in range(ow0, ow1):
                                    yrow[ow] = max(yrow[ow], xrow[ow * sw + off])


@njit(parallel=True, cache=True)
def _window_max(x, y, idx, lo0, cnt0, lo1, cnt1, lo2, cnt2, step, want_idx):
    N, C, D, H, W = x.shape
    OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
    sd, sh, sw = step
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    best = -np.inf
                    where = (lo0[od] * H + lo1[oh]) * W + lo2[ow]
                    for td in range(cnt0[od]):
                        id_ = lo0[od] + td * sd
                        for th in range(cnt1[oh]):
                            ih = lo1[oh] + th * sh
                            for tw in range(cnt2[ow]):
                                iw = lo2[ow] + tw * sw
                                v = x[n, c, id_, ih, iw]
                                if v > best:
                                    best = v
                                    where = (id_ * H + ih) * W + iw
                    y[n, c, od, oh, ow] = best
                    if want_idx:
                        idx[n, c, od, oh, ow] = where


@njit(parallel=True, cache=True)
def _window_sum(x, y, lo0, cnt0, lo1, cnt1, lo2, cnt2, step, div):
    N, C = x.shape[0], x.shape[1]
    OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
    sd, sh, sw = step
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    acc = 0.0
                    for td in range(cnt0[od]):
                        id_ = lo0[od] + td * sd
                        for th in range(cnt1[oh]):
                            ih = lo1[oh] + th * sh
                            for tw in range(cnt2[ow]):
                                acc += x[n, c, id_, ih, lo2[ow] + tw * sw]
                    y[n, c, od, oh, ow] = acc / div[od, oh, ow]


@njit(parallel=True, cache=True)
def _sum_backward(g, gx, lo0, cnt0, lo1, cnt1, lo2, cnt2, step, div):
    N, C = gx.shape[0], gx.shape[1]
    OD, OH, OW = g.shape[2], g.shape[3], g.shape[4]
    sd, sh, sw = step
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        gx[n, c] = 0.0
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    v = g[n, c, od, oh, ow] / div[od, oh, ow]
                    for td in range(cnt0[od]):
                        id_ = lo0[od] + td * sd
                        for th in range(cnt1[oh]):
                            ih = lo1[oh] + th * sh
                            for tw in range(cnt2[ow]):
                                gx[n, c, id_, ih, lo2[ow] + tw * sw] += v


@njit(parallel=True, cache=True)
def _max_backward(g, idx, gx):
    """g, idx: (planes, outputs); gx: (planes, inputs).  Also max_unpool2d's forward."""
    P, L = g.shape
    for plane in prange(P):
        gx[plane] = 0.0
        for o in range(L):
            gx[plane, idx[plane, o]] += g[plane, o]


@njit(parallel=True, cache=True)
def _gather(g, idx, gx):
    """gx[plane, i] = g[plane, idx[plane, i]]: max_unpool2d's backward."""
    P, L = idx.shape
    for plane in prange(P):
        for i in range(L):
            gx[plane, i] = g[plane, idx[plane, i]]


def _windows(p):
    """lo/cnt per dimension as int64 arrays, and the dilation."""
    lo = [np.asarray(t, np.int64) for t in p.lo]
    cnt = [np.asarray(t, np.int64) for t in p.cnt]
    return lo[0], cnt[0], lo[1], cnt[1], lo[2], cnt[2], p.step


def avg(x5, p):
    y = empty((p.N, p.C, *p.out3), p.dtype)
    _window_sum(x5, y, *_windows(p), _common.divisor(p))
    return y


def avg_backward(g5, p):
    gx = empty((p.N, p.C, *p.size3), p.dtype)
    _sum_backward(g5, gx, *_windows(p), _common.divisor(p))
    return gx


def max_(x5, p, want_idx):
    y = empty((p.N, p.C, *p.out3), p.dtype)
    # without indices the kernels get an empty stand-in they never write
    idx = empty(y.shape, np.int64) if want_idx else np.empty(y.shape[:4] + (0,), np.int64)
    lo0, cnt0, lo1, cnt1, lo2, cnt2, step = _windows(p)
    if p.kernel is None:
        _window_max(x5, y, idx, lo0, cnt0, lo1, cnt1, lo2, cnt2, step, want_idx)
    else:
        _max_rows(x5, y, idx, lo0, cnt0, lo1, cnt1, lo2, step,
                  p.kernel[2], p.stride[2], p.pad[2], want_idx)
    return y, (idx if want_idx else None)


def max_backward(g5, idx5, p):
    NC = p.N * p.C
    gx = empty((NC, prod(p.size3)), p.dtype)
    _max_backward(g5.reshape(NC, -1), idx5.reshape(NC, -1), gx)
    return gx.reshape(p.N, p.C, *p.size3)


PRIMS = _common.primitives(avg, avg_backward, max_, max_backward)


@numba_cpu.forward
def forward(x, p):
    return _common.forward(PRIMS, x, p)


@numba_cpu.backward
def backward(gy, x, p):
    return _common.backward(PRIMS, gy, x, p)


@numba_unpool.forward
def unpool_forward(x, indices, p):
    validate_indices("max_unpool2d", indices, p)
    NC = p.N * p.C
    y = empty((NC, prod(p.out)), p.dtype)
    # repeated indices carry equal values when they come from max_pool2d; sums would not
    _unpool(x.reshape(NC, -1), indices.reshape(NC, -1), y)
    return y.reshape(p.out_shape)


@njit(parallel=True, cache=True)
def _unpool(x, idx, y):
    P, L = x.shape
    for plane in prange(P):
        y[plane] = 0.0
        for i in range(L):
            y[plane, idx[plane, i]] = x[plane, i]


@numba_unpool.backward
def unpool_backward(gy, x, indices, p):
    validate_indices("max_unpool2d", indices, p)
    NC = p.N * p.C
    gx = empty((NC, prod(p.size)), p.dtype)
    _gather(gy.reshape(NC, -1), indices.reshape(NC, -1), gx)
    return gx.reshape(x.shape), None

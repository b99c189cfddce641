"""Pooling in parallel Numba loops.

Every pool runs on 5-D arrays (N, C, D, H, W) (1D/2D pools add unit dimensions), parallel
over the N*C planes, so no two threads ever write the same element (forward or backward).

- ``_window_max``: window maxima.  For sliding windows (the hot path: max_pool2d 3x3/2 of
  a ResNet stem) one output row at a time: walk the valid kernel rows and, per kernel
  column, sweep the whole output row, ``y[ow] = v if v > y[ow] or v is NaN else y[ow]``
  with ``v = x[row, ow*stride + offset]``, over the ow whose tap lies inside the input: a
  branch-free strided loop LLVM vectorises.
  With indices it keeps, per output, a value that is greater or NaN (torch's rule in scan
  order).  Adaptive windows (and pyramid levels, and kernels that mostly miss the input)
  take each output's own taps along W.
- ``_window_sum``: average/sum/lp window sums over any separable windows, one output at a
  time, taps from the plan; with ``backward`` it scatters grad / divisor to every tap.
- ``_max_grad``: max pooling's backward, each window's argmax found and its gradient
  added in one pass.
- ``_by_index``: scatter (max_unpool1d/2d/3d) and gather (their backward) by index.

Four kernels (each compiled per dtype) serve every pooling op: compile time counts in CI.

Window ops only compare and add, so no fastmath flags (which would drop the NaN tests).
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm
from kernels.pool import _common
from kernels.pool.plan import POOL_OPS, UNPOOL_OPS, validate_indices

numba = Algorithm("numba", ops=POOL_OPS, doc="parallel over planes, Numba JIT")
numba_unpool = Algorithm("numba", ops=UNPOOL_OPS, doc="scatter/gather, Numba JIT")


@njit(parallel=True, cache=True)
def _window_max(x, y, idx, lo0, cnt0, lo1, cnt1, lo2, cnt2, step, taps_w, sw, pw, want_idx):
    """Window maxima (and their flat indices when want_idx), parallel over planes.

    taps_w = (tw0, tw1) with tw1 > tw0 (sliding windows: the kernel columns tw0..tw1-1
    reach the input; sw, pw the stride and padding along W): each kernel column sweeps the
    output row.  Otherwise (adaptive windows, or kernels mostly outside the input) each
    output reads its own taps lo2[ow] + t*step.  Either way each output visits its taps in
    scan order and keeps a tap that is greater or NaN, as torch does."""
    N, C, D, H, W = x.shape
    OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
    sd, sh, dw = step
    tw0, tw1 = taps_w
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
                        if tw1 <= tw0:
                            for ow in range(OW):
                                for tw in range(cnt2[ow]):
                                    iw = lo2[ow] + tw * dw
                                    v = xrow[iw]
                                    if v > yrow[ow] or v != v:
                                        yrow[ow] = v
                                        if want_idx:
                                            irow[ow] = base + iw
                            continue
                        for tw in range(tw0, tw1):
                            off = tw * dw - pw
                            ow0 = 0 if off >= 0 else (sw - 1 - off) // sw
                            ow1 = 0 if W - 1 - off < 0 else min(OW, (W - 1 - off) // sw + 1)
                            if want_idx:
                                for ow in range(ow0, ow1):
                                    v = xrow[ow * sw + off]
                                    if v > yrow[ow] or v != v:
                                        yrow[ow] = v
                                        irow[ow] = base + ow * sw + off
                            else:  # branch-free selects: LLVM vectorises the strided max
                                for ow in range(ow0, ow1):
                                    v, m = xrow[ow * sw + off], yrow[ow]
                                    yrow[ow] = v if (v > m) | (v != v) else m


@njit(parallel=True, cache=True)
def _window_sum(x, y, lo0, cnt0, lo1, cnt1, lo2, cnt2, step, div, backward):
    """Forward: y = window sum of x / div.  Backward (x, y the input and output gradients):
    x = sum over the windows containing each element of y / div.  Parallel over planes."""
    N, C = x.shape[0], x.shape[1]
    OD, OH, OW = y.shape[2], y.shape[3], y.shape[4]
    sd, sh, sw = step
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        if backward:
            x[n, c] = 0.0
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    acc = 0.0
                    g = y[n, c, od, oh, ow] / div[od, oh, ow] if backward else 0.0
                    for td in range(cnt0[od]):
                        id_ = lo0[od] + td * sd
                        for th in range(cnt1[oh]):
                            ih = lo1[oh] + th * sh
                            for tw in range(cnt2[ow]):
                                if backward:
                                    x[n, c, id_, ih, lo2[ow] + tw * sw] += g
                                else:
                                    acc += x[n, c, id_, ih, lo2[ow] + tw * sw]
                    if not backward:
                        y[n, c, od, oh, ow] = acc / div[od, oh, ow]


@njit(parallel=True, cache=True, fastmath={"reassoc"}, error_model="numpy")
def _plane_sum(x2, y, div, backward):
    """One window covering each whole plane (global average pooling): forward y[i] = sum of
    the contiguous row x2[i] / div, summed in float64 (reassociated: vectorised); backward
    (x2, y the input and output gradients) x2[i, :] = y[i] / div."""
    P, M = x2.shape
    for i in prange(P):
        row = x2[i]
        if backward:
            g = y[i] / div
            for m in range(M):
                row[m] = g
        else:
            acc = 0.0
            for m in range(M):
                acc += row[m]
            y[i] = acc / div


@njit(parallel=True, cache=True)
def _max_grad(x, gy, gx, lo0, cnt0, lo1, cnt1, lo2, cnt2, step):
    """Max pooling's input gradient from x, parallel over planes: per output, torch's choice
    of tap (the last greater-or-NaN one in scan order, as ``_window_max``) held in
    registers, then grad_out added at it.  Nothing is written per tap, unlike computing
    the indices first (3.5x faster on a ResNet stem's 3x3/2 pool)."""
    N, C, D, H, W = x.shape
    OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
    sd, sh, sw = step
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        xp, gp, gxp = x[n, c].ravel(), gy[n, c].ravel(), gx[n, c].ravel()
        gxp[:] = 0.0
        for od in range(OD):
            for oh in range(OH):
                for ow in range(OW):
                    bi = (lo0[od] * H + lo1[oh]) * W + lo2[ow]
                    best = -np.inf
                    for td in range(cnt0[od]):
                        for th in range(cnt1[oh]):
                            row = ((lo0[od] + td * sd) * H + lo1[oh] + th * sh) * W + lo2[ow]
                            for tw in range(cnt2[ow]):
                                v = xp[row + tw * sw]
                                better = (v > best) | (v != v)  # selects, not branches: random
                                bi = row + tw * sw if better else bi  # data mispredicts
                                best = v if better else best
                    gxp[bi] += gp[(od * OH + oh) * OW + ow]


SCATTER, GATHER = 0, 1


@njit(parallel=True, cache=True)
def _by_index(a, idx, b, mode):
    """a, idx: (planes, L); b: (planes, M).  Per plane, SCATTER: b = 0, b[idx] = a
    (max_unpool); GATHER: a = b[idx] (its backward)."""
    P, L = idx.shape
    for plane in prange(P):
        if mode == SCATTER:
            b[plane] = 0.0
        for i in range(L):
            if mode == SCATTER:
                b[plane, idx[plane, i]] = a[plane, i]
            else:
                a[plane, i] = b[plane, idx[plane, i]]


def _windows(p):
    """lo/cnt per dimension as int64 arrays, and the dilation."""
    lo = [np.asarray(t, np.int64) for t in p.lo]
    cnt = [np.asarray(t, np.int64) for t in p.cnt]
    return lo[0], cnt[0], lo[1], cnt[1], lo[2], cnt[2], p.step


def _whole_plane(p) -> bool:
    """Whether the plan's one window covers every element of a plane exactly once."""
    return (p.out3 == (1, 1, 1) and p.step == (1, 1, 1) and prod(p.size3) > 0
            and all(tuple(lo) == (0,) and tuple(c) == (n,) for lo, c, n in zip(p.lo, p.cnt, p.size3)))


def avg(x5, p):
    y = empty((p.N, p.C, *p.out3), p.dtype)
    if _whole_plane(p):  # global average pooling: a contiguous sum per plane
        _plane_sum(x5.reshape(p.N * p.C, -1), y.reshape(-1), _common.divisor(p)[0, 0, 0], False)
        return y
    _window_sum(x5, y, *_windows(p), _common.divisor(p), False)
    return y


def avg_backward(g5, p):
    gx = empty((p.N, p.C, *p.size3), p.dtype)
    if _whole_plane(p):
        _plane_sum(gx.reshape(p.N * p.C, -1), np.ascontiguousarray(g5).reshape(-1),
                   _common.divisor(p)[0, 0, 0], True)
        return gx
    _window_sum(gx, g5, *_windows(p), _common.divisor(p), True)
    return gx


def max_(x5, p, want_idx):
    y = empty((p.N, p.C, *p.out3), p.dtype)
    # without indices the kernel gets an empty stand-in it never writes
    idx = empty(y.shape, np.int64) if want_idx else np.empty(y.shape[:4] + (0,), np.int64)
    taps_w = (0, 0)  # each output reads its own taps
    if p.kernel is not None:
        cols = _common.tap_range(p.size3[2], p.kernel[2], p.stride[2], p.pad[2], p.step[2], p.out3[2])
        if len(cols) <= sum(p.cnt[2]):  # the sweep visits no more columns than outputs' taps
            taps_w = (cols.start, cols.stop)
    sliding = (p.stride[2], p.pad[2]) if p.kernel is not None else (1, 0)
    _window_max(x5, y, idx, *_windows(p), taps_w, *sliding, want_idx)
    return y, (idx if want_idx else None)


def max_grad(g5, x5, p):
    gx = empty((p.N, p.C, *p.size3), p.dtype)
    _max_grad(x5, np.ascontiguousarray(g5), gx, *_windows(p))
    return gx


PRIMS = _common.primitives(avg, avg_backward, max_, max_grad=max_grad)


@numba.forward
def forward(x, p):
    return _common.forward(PRIMS, x, p)


@numba.backward
def backward(gy, x, p):
    return _common.backward(PRIMS, gy, x, p)


@numba_unpool.forward
def unpool_forward(x, indices, p):
    validate_indices(f"max_unpool{p.nd}d", indices, p)
    NC = p.N * p.C
    y = empty((NC, prod(p.out)), p.dtype)
    # repeated indices carry equal values when they come from a max pool; the last one wins
    _by_index(x.reshape(NC, -1), indices.reshape(NC, -1), y, SCATTER)
    return y.reshape(p.out_shape)


@numba_unpool.backward
def unpool_backward(gy, x, indices, p):
    validate_indices(f"max_unpool{p.nd}d", indices, p)
    NC = p.N * p.C
    gx = empty((NC, prod(p.size)), p.dtype)
    _by_index(gx, indices.reshape(NC, -1), gy.reshape(NC, -1), GATHER)
    return gx.reshape(x.shape), None

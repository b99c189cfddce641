"""Pooling in vectorised NumPy.

Sliding windows: the input is padded once (with -inf for max, zeros for sums, plus enough
at the high end for ceil_mode's last window); then one loop over the prod(kernel) taps
reads, for every output at once, the strided slice that tap sees:

    y = reduce over taps t of xp[..., t*dilation : t*dilation + stride*(out-1) + 1 : stride]

Max keeps, per output, the first tap that is strictly greater (scan order, as torch), and
its flat index.  The backward adds each tap's slice of grad / divisor back into the padded
gradient.  Adaptive windows (variable sizes) loop over the output bins instead, each a
vectorised reduction over (N, C).  Max gradients are one ``bincount`` over the indices.
"""
from itertools import product

import numpy as np

from kernels._params import prod
from kernels._registry import Algorithm
from kernels.pool import _common
from kernels.pool.plan import POOL_OPS, validate_indices

numpy = Algorithm("numpy", ops=POOL_OPS, doc="strided slices per kernel tap (NumPy)")
numpy_unpool = Algorithm("numpy", ops=("max_unpool2d",), doc="fancy indexing (NumPy)")

_ALL = (slice(None), slice(None))


def _pad_hi(p):
    return [max(0, (o - 1) * s + d * (k - 1) + 1 - n - lo)
            for o, s, d, k, n, lo in zip(p.out3, p.stride, p.step, p.kernel, p.size3, p.pad)]


def _padded(x5, p, fill):
    widths = [(0, 0), (0, 0), *zip(p.pad, _pad_hi(p))]
    return np.pad(x5, widths, constant_values=fill) if any(map(any, widths)) else x5


def _tap_slices(p):
    """(tap, slices into the padded input that the tap reads for every output)."""
    for t in product(*map(range, p.kernel)):
        yield t, _ALL + tuple(slice(ti * d, ti * d + s * (o - 1) + 1, s)
                              for ti, d, s, o in zip(t, p.step, p.stride, p.out3))


def _tap_index(p, t):
    """Flat input index (d*H + h)*W + w of tap t for every output position."""
    pos = [np.arange(o) * s - lo + ti * d
           for o, s, lo, ti, d in zip(p.out3, p.stride, p.pad, t, p.step)]
    return _common.flat_index(p, pos[0][:, None, None], pos[1][None, :, None], pos[2][None, None, :])


def _bins(p):
    """(output position, slices of its window) for adaptive windows (step 1)."""
    for o in product(*map(range, p.out3)):
        yield o, _ALL + tuple(slice(p.lo[k][o[k]], p.lo[k][o[k]] + p.cnt[k][o[k]]) for k in range(3))


def avg(x5, p):
    div = _common.divisor(p)
    if p.kernel is None:
        y = np.empty((p.N, p.C, *p.out3), np.float64)
        for o, sl in _bins(p):
            y[_ALL + o] = x5[sl].sum(axis=(2, 3, 4), dtype=np.float64) / div[o]
        return y.astype(p.dtype)
    xp = _padded(x5, p, 0)
    acc = np.zeros((p.N, p.C, *p.out3), p.dtype)
    for _, sl in _tap_slices(p):
        acc += xp[sl]
    return (acc / div).astype(p.dtype)


def avg_backward(g5, p):
    g = g5 / _common.divisor(p)
    if p.kernel is None:
        gx = np.zeros((p.N, p.C, *p.size3), np.float64)
        for o, sl in _bins(p):
            gx[sl] += g[_ALL + o][..., None, None, None]
        return gx.astype(p.dtype)
    gxp = np.zeros((p.N, p.C, *(n + lo + hi for n, lo, hi in zip(p.size3, p.pad, _pad_hi(p)))),
                   np.float64)
    for _, sl in _tap_slices(p):
        gxp[sl] += g
    inner = _ALL + tuple(slice(lo, lo + n) for lo, n in zip(p.pad, p.size3))
    return gxp[inner].astype(p.dtype)


def max_(x5, p, want_idx):
    if p.kernel is None:
        return _adaptive_max(x5, p, want_idx)
    xp = _padded(x5, p, -np.inf)
    y = np.full((p.N, p.C, *p.out3), -np.inf, p.dtype)
    idx = np.zeros(y.shape, np.int64) if want_idx else None
    for t, sl in _tap_slices(p):
        v = xp[sl]
        if want_idx:
            better = v > y
            np.copyto(idx, _tap_index(p, t), where=better)
            np.copyto(y, v, where=better)
        else:
            np.maximum(y, v, out=y)
    return y, idx


def _adaptive_max(x5, p, want_idx):
    y = np.empty((p.N, p.C, *p.out3), p.dtype)
    idx = np.empty(y.shape, np.int64) if want_idx else None
    for o, sl in _bins(p):
        win = x5[sl]
        a = win.reshape(p.N, p.C, -1).argmax(axis=2)  # the first maximum, as torch
        y[_ALL + o] = np.take_along_axis(win.reshape(p.N, p.C, -1), a[..., None], 2)[..., 0]
        if want_idx:
            dd, hh, ww = np.unravel_index(a, win.shape[2:])
            idx[_ALL + o] = _common.flat_index(p, dd + sl[2].start, hh + sl[3].start, ww + sl[4].start)
    return y, idx


def max_backward(g5, idx5, p):
    NC, S = p.N * p.C, prod(p.size3)
    flat = (np.arange(NC)[:, None] * S + idx5.reshape(NC, -1)).ravel()
    gx = np.bincount(flat, weights=g5.reshape(-1), minlength=NC * S)
    return gx.astype(p.dtype).reshape(p.N, p.C, *p.size3)


PRIMS = _common.primitives(avg, avg_backward, max_, max_backward)


@numpy.forward
def forward(x, p):
    return _common.forward(PRIMS, x, p)


@numpy.backward
def backward(gy, x, p):
    return _common.backward(PRIMS, gy, x, p)


@numpy_unpool.forward
def unpool_forward(x, indices, p):
    validate_indices("max_unpool2d", indices, p)
    NC = p.N * p.C
    y = np.zeros((NC, p.out[0] * p.out[1]), p.dtype)
    y[np.arange(NC)[:, None], indices.reshape(NC, -1)] = x.reshape(NC, -1)
    return y.reshape(p.out_shape)


@numpy_unpool.backward
def unpool_backward(gy, x, indices, p):
    validate_indices("max_unpool2d", indices, p)
    NC = p.N * p.C
    gx = np.take_along_axis(gy.reshape(NC, -1), indices.reshape(NC, -1), axis=1)
    return gx.reshape(x.shape), None

"""Pooling in vectorised NumPy.

Two loops serve every window, whichever is shorter for the case:

- over the kernel taps (sliding windows): tap t is read, for every output whose window
  holds it inside the input at once, as one strided slice of the input

      y[..., j0:j1] = reduce(y[..., j0:j1], x[..., j0*stride + t*dilation - pad : ... : stride])

  (no padded copy: the outputs j0..j1 are those whose tap t lands inside the input, and
  taps that reach no input element are never visited);
- over the output positions (adaptive windows, and sliding windows whose kernel reaches
  far more positions than there are outputs): each window is one strided slice,
  reduced over (N, C) at once.

Max keeps, per output, a tap that is greater or NaN (scan order, as torch), and its flat
index.  The backward adds each tap's slice of grad / divisor back into the gradient.  Max
gradients are one ``bincount`` over the indices.
"""
from itertools import product

import numpy as np

from kernels._params import prod
from kernels._registry import Algorithm
from kernels.pool import _common
from kernels.pool.plan import POOL_OPS, UNPOOL_OPS, validate_indices

numpy = Algorithm("numpy", ops=POOL_OPS, doc="strided slices per kernel tap or per window (NumPy)")
numpy_unpool = Algorithm("numpy", ops=UNPOOL_OPS, doc="fancy indexing (NumPy)")

_ALL = (slice(None), slice(None))


def _tap_ranges(p):
    """Per dimension, the kernel taps that reach the input for some output."""
    return [_common.tap_range(*a) for a in zip(p.size3, p.kernel, p.stride, p.pad, p.step, p.out3)]


def _by_taps(p) -> bool:
    """Whether one pass per kernel tap is shorter than one per output window."""
    return p.kernel is not None and prod(map(len, _tap_ranges(p))) <= prod(p.out3)


def _tap_views(p):
    """(positions, output slices, input slices) of each kernel tap that reaches the input:
    the outputs whose window holds the tap inside the input, the input elements they read
    there, and those elements' positions along each dimension."""
    for t in product(*_tap_ranges(p)):
        pos, out_sl, in_sl = [], [], []
        for ti, n, s, q, d, o in zip(t, p.size3, p.stride, p.pad, p.step, p.out3):
            off = ti * d - q                      # the tap's input position for output 0
            j0, j1 = max(0, -(off // s)), min(o - 1, (n - 1 - off) // s)
            if j1 < j0:
                break
            out_sl.append(slice(j0, j1 + 1))
            in_sl.append(slice(off + j0 * s, off + j1 * s + 1, s))
            pos.append(np.arange(j0, j1 + 1) * s + off)
        else:
            yield pos, _ALL + tuple(out_sl), _ALL + tuple(in_sl)


def _windows(p):
    """(output position, slices of its window) for every output, in scan order."""
    for o in product(*map(range, p.out3)):
        yield o, _ALL + tuple(slice(p.lo[k][o[k]], p.lo[k][o[k]] + (p.cnt[k][o[k]] - 1) * p.step[k] + 1,
                                    p.step[k]) for k in range(3))


def _flat(p, pos):
    return _common.flat_index(p, pos[0][:, None, None], pos[1][None, :, None], pos[2][None, None, :])


def avg(x5, p):
    acc = np.zeros((p.N, p.C, *p.out3), np.float64)
    if _by_taps(p):
        for _, osl, isl in _tap_views(p):
            acc[osl] += x5[isl]
    else:
        for o, sl in _windows(p):
            acc[_ALL + o] = x5[sl].sum(axis=(2, 3, 4), dtype=np.float64)
    return (acc / _common.divisor(p)).astype(p.dtype)


def avg_backward(g5, p):
    g = g5 / _common.divisor(p)
    gx = np.zeros((p.N, p.C, *p.size3), np.float64)
    if _by_taps(p):
        for _, osl, isl in _tap_views(p):
            gx[isl] += g[osl]
    else:
        for o, sl in _windows(p):
            gx[sl] += g[_ALL + o][..., None, None, None]
    return gx.astype(p.dtype)


def max_(x5, p, want_idx):
    if not _by_taps(p):
        return _max_by_window(x5, p, want_idx)
    y = np.full((p.N, p.C, *p.out3), -np.inf, p.dtype)
    idx = None
    if want_idx:  # torch starts each window's index at its first tap inside the input
        idx = np.broadcast_to(_flat(p, [np.asarray(lo) for lo in p.lo]), y.shape).copy()
    for pos, osl, isl in _tap_views(p):
        v, cur = x5[isl], y[osl]
        if want_idx:
            better = (v > cur) | np.isnan(v)
            np.copyto(idx[osl], np.broadcast_to(_flat(p, pos), v.shape), where=better)
            np.copyto(cur, v, where=better)
        else:
            np.maximum(cur, v, out=cur)  # propagates NaN, as torch
    return y, idx


def _max_by_window(x5, p, want_idx):
    y = np.empty((p.N, p.C, *p.out3), p.dtype)
    idx = np.empty(y.shape, np.int64) if want_idx else None
    for o, sl in _windows(p):
        win = x5[sl]
        flat = win.reshape(p.N, p.C, -1)
        nan = np.isnan(flat)
        # torch's choice: the last NaN if there is one, else the first maximum
        last_nan = flat.shape[2] - 1 - nan[..., ::-1].argmax(axis=2)
        a = np.where(nan.any(axis=2), last_nan, flat.argmax(axis=2))
        y[_ALL + o] = np.take_along_axis(flat, a[..., None], 2)[..., 0]
        if want_idx:
            dd, hh, ww = np.unravel_index(a, win.shape[2:])
            idx[_ALL + o] = _common.flat_index(p, sl[2].start + dd * p.step[0],
                                               sl[3].start + hh * p.step[1], sl[4].start + ww * p.step[2])
    return y, idx


def max_backward(g5, idx5, p):
    NC, S = p.N * p.C, prod(p.size3)
    flat = (np.arange(NC)[:, None] * S + idx5.reshape(NC, -1)).ravel()
    gx = np.bincount(flat, weights=g5.reshape(-1), minlength=NC * S)
    return gx.astype(p.dtype).reshape(p.N, p.C, *p.size3)


_common.declare(numpy, avg, avg_backward, max_, max_backward)


@numpy_unpool.forward
def unpool_forward(x, indices, p):
    validate_indices(f"max_unpool{p.nd}d", indices, p)
    NC = p.N * p.C
    y = np.zeros((NC, prod(p.out)), p.dtype)
    y[np.arange(NC)[:, None], indices.reshape(NC, -1)] = x.reshape(NC, -1)
    return y.reshape(p.out_shape)


@numpy_unpool.backward
def unpool_backward(gy, x, indices, p):
    validate_indices(f"max_unpool{p.nd}d", indices, p)
    NC = p.N * p.C
    gx = np.take_along_axis(gy.reshape(NC, -1), indices.reshape(NC, -1), axis=1)
    return gx.reshape(x.shape), None

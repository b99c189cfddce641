"""Resampling in vectorised NumPy.

pixel_shuffle is a reshape and a transpose: (B, C, r, r, H, W) -> (B, C, H, r, W, r).
interpolate resamples one spatial axis at a time (the last first): along an axis, output o
is ``sum_k weight[o, k] * x[..., index[o, k], ...]`` over its ``count[o]`` taps, one
gather and multiply-add per tap slot for all outputs at once.  Only the taps a table holds
are read (a dense interpolation matrix would multiply every 0 by every input, and one
infinite input would make a whole row NaN).  The backward is the same resampling through
the transposed tables.
"""
import numpy as np

from kernels._registry import Algorithm
from kernels.resample.plan import INTERP_OPS, SHUFFLE_OPS, declare

numpy = Algorithm("numpy", ops=SHUFFLE_OPS + INTERP_OPS,
                  doc="reshape/transpose; one gather per tap and axis")


def shuffle(src, p, to_big):
    r = p.r
    if to_big:
        t = src.reshape(-1, p.C, r, r, p.H, p.W).transpose(0, 1, 4, 2, 5, 3)
        return np.ascontiguousarray(t).reshape(p.big_shape)
    t = src.reshape(-1, p.C, p.H, r, p.W, r).transpose(0, 1, 3, 5, 2, 4)
    return np.ascontiguousarray(t).reshape(p.small_shape)


def along(x, axis, t):
    """Resample axis ``axis`` of x through the table t."""
    xs = np.moveaxis(x, axis, 0)
    rest = xs.shape[1:]
    xs = xs.reshape(xs.shape[0], -1)
    y = np.zeros((len(t.count), xs.shape[1]), x.dtype)
    for k in range(t.index.shape[1]):
        live = np.flatnonzero(t.count > k)
        y[live] += t.weight[live, k, None] * xs[t.index[live, k]]
    return np.ascontiguousarray(np.moveaxis(y.reshape(len(t.count), *rest), 0, axis))


def resample(x, tables):
    with np.errstate(invalid="ignore", over="ignore"):   # 0 * inf is NaN, as in torch
        for axis in reversed(range(len(tables))):
            x = along(x, axis + 2, tables[axis])
    return x


declare(numpy, shuffle, resample)

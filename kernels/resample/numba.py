"""Resampling in parallel Numba loops.

``_shuffle`` copies between the channel-packed layout (B, C*r*r, H, W) and the spatial one
(B, C, H*r, W*r), parallel over (b, c); one kernel serves pixel_shuffle, pixel_unshuffle
and both backwards (each is the other's inverse).  ``_interp`` computes each output row from
its two source rows (nearest uses weights (1, 0)) or, backward, scatters the gradient
back; parallel over planes, so no two threads add into the same plane.
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.resample.plan import INTERP_OPS, SHUFFLE_OPS, ShufflePlan

numba = Algorithm("numba", ops=SHUFFLE_OPS + INTERP_OPS,
                      doc="parallel copy/interpolation loops, Numba JIT")


@njit(parallel=True, cache=True)
def _shuffle(small, big, r, to_big):
    B, C, H, W = big.shape[0], big.shape[1], small.shape[2], small.shape[3]
    for task in prange(B * C):
        b, c = task // C, task % C
        for i in range(r):
            for j in range(r):
                ch = c * r * r + i * r + j
                for h in range(H):
                    if to_big:
                        for w in range(W):
                            big[b, c, h * r + i, w * r + j] = small[b, ch, h, w]
                    else:
                        for w in range(W):
                            small[b, ch, h, w] = big[b, c, h * r + i, w * r + j]


@njit(parallel=True, cache=True)
def _interp(x, y, h0, h1, lh0, lh1, w0, w1, lw0, lw1, backward):
    """Forward: each output row from its two source rows.  Backward (x, y the input and
    output gradients): the same taps, the gradient scattered back.  Parallel over planes."""
    N, C = x.shape[0], x.shape[1]
    OH, OW = y.shape[2], y.shape[3]
    for plane in prange(N * C):
        n, c = plane // C, plane % C
        if backward:
            x[n, c] = 0.0
        for oh in range(OH):
            r0, r1 = x[n, c, h0[oh]], x[n, c, h1[oh]]
            a, b = lh0[oh], lh1[oh]
            yrow = y[n, c, oh]
            if backward:
                for ow in range(OW):
                    i, j, g = w0[ow], w1[ow], yrow[ow]
                    r0[i] += a * lw0[ow] * g
                    r0[j] += a * lw1[ow] * g
                    r1[i] += b * lw0[ow] * g
                    r1[j] += b * lw1[ow] * g
            else:
                for ow in range(OW):
                    i, j = w0[ow], w1[ow]
                    yrow[ow] = (a * (lw0[ow] * r0[i] + lw1[ow] * r0[j])
                                + b * (lw0[ow] * r1[i] + lw1[ow] * r1[j]))


def _tables(p):
    """Source indices (int64) and weights (the input's dtype): rows, then columns."""
    return tuple(a for k in range(2) for a in (
        np.asarray(p.i0[k], np.int64), np.asarray(p.i1[k], np.int64),
        np.asarray(p.l0[k], p.dtype), np.asarray(p.l1[k], p.dtype)))


def _run_shuffle(src, p, to_big):
    small_shape, big_shape = (-1, *p.small_shape[-3:]), (-1, *p.big_shape[-3:])
    if to_big:
        out = empty(p.big_shape, p.dtype)
        _shuffle(src.reshape(small_shape), out.reshape(big_shape), p.r, True)
    else:
        out = empty(p.small_shape, p.dtype)
        _shuffle(out.reshape(small_shape), src.reshape(big_shape), p.r, False)
    return out


@numba.forward
def forward(x, p):
    if isinstance(p, ShufflePlan):
        return _run_shuffle(x, p, p.up)
    y = empty(p.out_shape, p.dtype)
    _interp(x, y, *_tables(p), False)
    return y


@numba.backward
def backward(gy, x, p):
    if isinstance(p, ShufflePlan):
        return (_run_shuffle(gy, p, not p.up),)
    gx = empty(x.shape, p.dtype)
    _interp(gx, gy, *_tables(p), True)
    return (gx,)

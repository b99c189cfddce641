"""Resampling in parallel Numba loops.

``_shuffle`` copies between the channel-packed layout (B, C*r*r, H, W) and the spatial one
(B, C, H*r, W*r), parallel over (b, c); one kernel serves pixel_shuffle, pixel_unshuffle
and both backwards (each is the other's inverse).

``_along`` resamples one axis of x, viewed as (A, n, B) with the axis in the middle, into
y (A, m, B): row o of y is the weighted sum of the rows its taps name, a multiply-add over
B contiguous elements per tap.  interpolate runs it once per spatial axis (the last
first), parallel over the (a, o) rows, so no two threads write one element; the backward
runs it through the transposed tables, a gather again (no scatter, no atomics).
"""
from numba import njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH
from kernels._params import prod
from kernels._registry import Algorithm
from kernels.resample.plan import INTERP_OPS, SHUFFLE_OPS, declare

numba = Algorithm("numba", ops=SHUFFLE_OPS + INTERP_OPS,
                  doc="parallel copy loops; per-axis tap sums over contiguous rows, Numba JIT")


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


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _along(x, y, index, weight, count):
    """y[a, o, :] = sum over k < count[o] of weight[o, k] * x[a, index[o, k], :]."""
    A, m, B = y.shape
    if B == 1:   # the last axis: one sum per output, kept in a register
        zero = weight[0, 0] - weight[0, 0]   # a 0 of the data's type (weights are finite)
        for task in prange(A * m):
            a, o = task // m, task % m
            acc = zero
            for k in range(count[o]):
                acc += weight[o, k] * x[a, index[o, k], 0]
            y[a, o, 0] = acc
        return
    for task in prange(A * m):
        a, o = task // m, task % m
        for b in range(B):
            y[a, o, b] = 0
        for k in range(count[o]):
            w, i = weight[o, k], index[o, k]
            for b in range(B):
                y[a, o, b] += w * x[a, i, b]


def _run_shuffle(src, p, to_big):
    small_shape, big_shape = (-1, *p.small_shape[-3:]), (-1, *p.big_shape[-3:])
    if to_big:
        out = empty(p.big_shape, p.dtype)
        _shuffle(src.reshape(small_shape), out.reshape(big_shape), p.r, True)
    else:
        out = empty(p.small_shape, p.dtype)
        _shuffle(out.reshape(small_shape), src.reshape(big_shape), p.r, False)
    return out


def resample(x, tables):
    for axis in reversed(range(len(tables))):
        t, dim = tables[axis], axis + 2
        shape = x.shape[:dim] + (len(t.count),) + x.shape[dim + 1:]
        y = empty(shape, x.dtype)
        A, B = prod(x.shape[:dim]), prod(x.shape[dim + 1:])
        _along(x.reshape(A, x.shape[dim], B), y.reshape(A, len(t.count), B),
               t.index, t.weight, t.count)
        x = y
    return x


declare(numba, _run_shuffle, resample)

"""Resampling as written on the blackboard, one output element at a time.

pixel_shuffle: y[.., c, h*r + i, w*r + j] = x[.., c*r*r + i*r + j, h, w] (unshuffle reads
the other way); each is the other's backward.  interpolate: each output is the weighted
sum of its (up to) four source pixels; the backward adds grad * weight to each of them.
"""
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.resample.plan import INTERP_OPS, SHUFFLE_OPS, ShufflePlan

naive = Algorithm("naive", ops=SHUFFLE_OPS + INTERP_OPS, slow=True, doc="plain loops; tiny shapes only")


def _shuffle(src, p, to_big):
    """Copy between the channel-packed (small) and the spatial (big) layout."""
    r = p.r
    small = (-1, p.C * r * r, p.H, p.W)
    big = (-1, p.C, p.H * r, p.W * r)
    s = src.reshape(small if to_big else big)
    out = empty(p.big_shape if to_big else p.small_shape, p.dtype)
    o = out.reshape(big if to_big else small)
    for b, c, i, j, h, w in product(range(s.shape[0]), range(p.C), range(r), range(r),
                                    range(p.H), range(p.W)):
        ch = c * r * r + i * r + j
        if to_big:
            o[b, c, h * r + i, w * r + j] = s[b, ch, h, w]
        else:
            o[b, ch, h, w] = s[b, c, h * r + i, w * r + j]
    return out


def _taps(p, oh, ow):
    """(weight, source row, source column) of output pixel (oh, ow)."""
    for ih, lh in ((p.i0[0][oh], p.l0[0][oh]), (p.i1[0][oh], p.l1[0][oh])):
        for iw, lw in ((p.i0[1][ow], p.l0[1][ow]), (p.i1[1][ow], p.l1[1][ow])):
            yield lh * lw, ih, iw


@naive.forward
def forward(x, p):
    if isinstance(p, ShufflePlan):
        return _shuffle(x, p, p.up)
    y = empty(p.out_shape, p.dtype)
    for n, c, oh, ow in product(range(p.N), range(p.C), *map(range, p.out)):
        y[n, c, oh, ow] = sum(wt * x[n, c, ih, iw] for wt, ih, iw in _taps(p, oh, ow))
    return y


@naive.backward
def backward(gy, x, p):
    if isinstance(p, ShufflePlan):
        return (_shuffle(gy, p, not p.up),)
    gx = np.zeros(x.shape, p.dtype)
    for n, c, oh, ow in product(range(p.N), range(p.C), *map(range, p.out)):
        for wt, ih, iw in _taps(p, oh, ow):
            gx[n, c, ih, iw] += wt * gy[n, c, oh, ow]
    return (gx,)

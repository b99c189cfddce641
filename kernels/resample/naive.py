"""Resampling as written on the blackboard, one output element at a time.

pixel_shuffle: y[.., c, h*r + i, w*r + j] = x[.., c*r*r + i*r + j, h, w] (unshuffle reads
the other way); each is the other's backward.  interpolate: each output is the sum, over
every combination of one tap per spatial axis, of the product of the taps' weights times
the input sample they name; the backward adds grad * weight to each such sample.
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


def _taps(tables, out):
    """(weight, source index) of every tap combination of output position ``out``."""
    per_axis = [[(t.weight[o, k], t.index[o, k]) for k in range(t.count[o])]
                for t, o in zip(tables, out)]
    for combo in product(*per_axis):
        weight = combo[0][0]
        for w, _ in combo[1:]:
            weight = weight * w
        yield weight, tuple(int(i) for _, i in combo)


@naive.forward
def forward(x, p):
    if isinstance(p, ShufflePlan):
        return _shuffle(x, p, p.up)
    tables, y = p.taps(), empty(p.out_shape, p.dtype)
    with np.errstate(invalid="ignore", over="ignore"):   # 0 * inf is NaN, as in torch
        for n, c, *out in product(range(p.N), range(p.C), *map(range, p.out)):
            total = p.dtype.type(0)
            for w, src in _taps(tables, out):
                total += w * x[(n, c) + src]
            y[(n, c, *out)] = total
    return y


@naive.backward
def backward(gy, x, p):
    if isinstance(p, ShufflePlan):
        return (_shuffle(gy, p, not p.up),)
    tables, gx = p.backward_taps(), np.zeros(x.shape, p.dtype)
    for n, c, *out in product(range(p.N), range(p.C), *map(range, p.out)):
        for w, src in _taps(tables, out):
            gx[(n, c) + src] += w * gy[(n, c, *out)]
    return (gx,)

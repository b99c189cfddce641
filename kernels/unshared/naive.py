"""Unshared convolution as plain loops: conv2d's loops (over the zero-padded input xp) with
the weight indexed by position.

    y[n, k, p, q] = b[k, p, q] + sum_{c, r, s} w[p, q, k, c, r, s] * xp[n, c, p*sh + r*dh, q*sw + s*dw]
"""
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.plan import padded, taps, unpadded
from kernels.unshared.plan import UNSHARED_OPS

naive = Algorithm("naive", ops=UNSHARED_OPS, slow=True, doc="plain loops; tiny shapes only")


@naive.forward
def forward(x, w, b, p):
    x, y = padded(x, p), empty(p.out_shape, p.dtype)
    for n, k, o in product(range(p.N), range(p.K), product(*map(range, p.out))):
        acc = b[(k,) + o] if b is not None else 0.0
        for c in range(p.C):
            for r, i in taps(p, o):
                acc += x[(n, c) + i] * w[o + (k, c) + r]
        y[(n, k) + o] = acc
    return y


@naive.backward
def backward(gy, x, w, b, p):
    x = padded(x, p)
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for n, k, o in product(range(p.N), range(p.K), product(*map(range, p.out))):
        g = gy[(n, k) + o]
        for c in range(p.C):
            for r, i in taps(p, o):
                gx[(n, c) + i] += g * w[o + (k, c) + r]
                gw[o + (k, c) + r] += g * x[(n, c) + i]
    gb = gy.sum(axis=0) if b is not None else None
    return unpadded(gx, p), gw, gb

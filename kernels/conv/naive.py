"""Convolution as written on the blackboard: one output element at a time.

    y[n, k, o] = b[k] + sum_{c, r} x[n, g*C/G + c, o*stride + r*dilation - pad] * w[k, c, r]

where g = k // (K/G) is the group of output channel k, o runs over output positions and r
over kernel positions; taps that land in the padding read zero.  The backward pass runs
the same loops and sends each product's gradient back to both of its factors.
"""
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.plan import CONV_OPS, taps

naive = Algorithm("naive", ops=CONV_OPS, slow=True, doc="plain loops; tiny shapes only")


@naive.forward
def forward(x, w, b, p):
    y = empty(p.out_shape, p.dtype)
    for n, k in product(range(p.N), range(p.K)):
        c0 = (k // p.Kg) * p.Cg
        for o in product(*map(range, p.out)):
            acc = b[k] if b is not None else 0.0
            for c in range(p.Cg):
                for r, i in taps(p, o):
                    acc += x[(n, c0 + c) + i] * w[(k, c) + r]
            y[(n, k) + o] = acc
    return y


@naive.backward
def backward(gy, x, w, b, p):
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for n, k in product(range(p.N), range(p.K)):
        c0 = (k // p.Kg) * p.Cg
        for o in product(*map(range, p.out)):
            g = gy[(n, k) + o]
            for c in range(p.Cg):
                for r, i in taps(p, o):
                    gx[(n, c0 + c) + i] += g * w[(k, c) + r]
                    gw[(k, c) + r] += g * x[(n, c0 + c) + i]
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

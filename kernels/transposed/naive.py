"""Transposed convolution as written on the blackboard: every input element scatters.

    yp[n, k, i*stride + r*dilation] += x[n, c, i] * w[c, k - g*K/G, r]

for every input position i, kernel position r and output channel k of c's group g, into
the output with its padding (yp, as long as the strided convolution this op transposes
reads, ``p.conv``); the padding is then cut off.  The backward runs the same loops over
grad_out with zero padding and sends each product's gradient back to both of its
factors: the padding's zeros take part in the products, as in torch's loops (im2col), so
that an infinite input gives a NaN weight gradient as torch's does.
"""
from itertools import product

import numpy as np

from kernels._registry import Algorithm
from kernels.conv.plan import padded, taps, unpadded
from kernels.transposed.plan import TRANSPOSED_OPS

naive = Algorithm("naive", ops=TRANSPOSED_OPS, slow=True, doc="plain scatter loops; tiny shapes only")


def _loops(p):
    """(n, c, k, kw) for every input channel c and output channel k = g*K/G + kw of its group."""
    Cg, Kg = p.C // p.G, p.K // p.G
    for n, c, kw in product(range(p.N), range(p.C), range(Kg)):
        yield n, c, (c // Cg) * Kg + kw, kw


@naive.forward
def forward(x, w, b, p):
    yp = np.zeros((p.N, p.K, *p.conv.padded), p.dtype)
    for n, c, k, kw in _loops(p):
        for i in product(*map(range, p.size)):
            for r, o in taps(p.conv, i):
                yp[(n, k) + o] += x[(n, c) + i] * w[(c, kw) + r]
    y = unpadded(yp, p.conv)
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


@naive.backward
def backward(gy, x, w, b, p):
    gyp = padded(gy, p.conv)
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for n, c, k, kw in _loops(p):
        for i in product(*map(range, p.size)):
            for r, o in taps(p.conv, i):
                gx[(n, c) + i] += gyp[(n, k) + o] * w[(c, kw) + r]
                gw[(c, kw) + r] += gyp[(n, k) + o] * x[(n, c) + i]
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

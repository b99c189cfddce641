"""Transposed convolution as written on the blackboard: every input element scatters.

    y[n, k, i*stride + r*dilation - pad] += x[n, c, i] * w[c, k - g*K/G, r]

for every input position i, kernel position r and output channel k of c's group g; taps
that land outside the output are dropped.  The backward runs the same loops and sends
each product's gradient back to both of its factors.
"""
from itertools import product

import numpy as np

from kernels._registry import Algorithm
from kernels.transposed.plan import TRANSPOSED_OPS

naive = Algorithm("naive", ops=TRANSPOSED_OPS, slow=True, doc="plain scatter loops; tiny shapes only")


def _taps(p, i):
    """(kernel position, output position) for every tap of input position i inside the output."""
    for r in product(*map(range, p.kernel)):
        o = tuple(ii * s + ri * d - pd for ii, ri, s, d, pd in zip(i, r, p.stride, p.dilation, p.padding))
        if all(0 <= oi < n for oi, n in zip(o, p.out)):
            yield r, o


def _loops(p):
    """(n, c, k, kw) for every input channel c and output channel k = g*K/G + kw of its group."""
    Cg, Kg = p.C // p.G, p.K // p.G
    for n, c, kw in product(range(p.N), range(p.C), range(Kg)):
        yield n, c, (c // Cg) * Kg + kw, kw


@naive.forward
def forward(x, w, b, p):
    y = np.zeros(p.out_shape, p.dtype)
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    for n, c, k, kw in _loops(p):
        for i in product(*map(range, p.size)):
            for r, o in _taps(p, i):
                y[(n, k) + o] += x[(n, c) + i] * w[(c, kw) + r]
    return y


@naive.backward
def backward(gy, x, w, b, p):
    gx, gw = np.zeros_like(x), np.zeros_like(w)
    for n, c, k, kw in _loops(p):
        for i in product(*map(range, p.size)):
            for r, o in _taps(p, i):
                gx[(n, c) + i] += gy[(n, k) + o] * w[(c, kw) + r]
                gw[(c, kw) + r] += gy[(n, k) + o] * x[(n, c) + i]
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

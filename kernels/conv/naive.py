"""Convolution as written on the blackboard: one output element at a time.

    y[n, k, o] = b[k] + sum_{c, r} xp[n, g*C/G + c, o*stride + r*dilation] * w[k, c, r]

where xp is the input with its zero padding, g = k // (K/G) is the group of output channel
k, o runs over output positions and r over kernel positions.  The padding's zeros take
part in the products, as in torch's own loops (im2col): a NaN or infinite weight gives NaN
over the padding too.  The backward runs the same loops and sends each product's gradient
back to both of its factors, then drops the padding's part of the input gradient.
"""
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.plan import CONV_OPS, padded, taps, unpadded

naive = Algorithm("naive", ops=CONV_OPS, slow=True, doc="plain loops; tiny shapes only")


@naive.forward
def forward(x, w, b, p):
    xp, y = padded(x, p), empty(p.out_shape, p.dtype)
    for n, k in product(range(p.N), range(p.K)):
        c0 = (k // p.Kg) * p.Cg
        for o in product(*map(range, p.out)):
            acc = b[k] if b is not None else 0.0
            for c in range(p.Cg):
                for r, i in taps(p, o):
                    acc += xp[(n, c0 + c) + i] * w[(k, c) + r]
            y[(n, k) + o] = acc
    return y


@naive.backward
def backward(gy, x, w, b, p):
    xp = padded(x, p)
    gxp, gw = np.zeros_like(xp), np.zeros_like(w)
    for n, k in product(range(p.N), range(p.K)):
        c0 = (k // p.Kg) * p.Cg
        for o in product(*map(range, p.out)):
            g = gy[(n, k) + o]
            for c in range(p.Cg):
                for r, i in taps(p, o):
                    gxp[(n, c0 + c) + i] += g * w[(k, c) + r]
                    gw[(k, c) + r] += g * xp[(n, c0 + c) + i]
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return unpadded(gxp, p), gw, gb

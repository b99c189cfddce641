"""Spatially separable convolution as plain loops: conv2d's loops (over the zero-padded
input) with the kernel tap weight[k, c, r, s] written out as col[k, c, r] * row[k, c, s]."""
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.plan import padded, taps, unpadded
from kernels.spatial_separable.plan import SPATIAL_OPS

naive = Algorithm("naive", ops=SPATIAL_OPS, slow=True, doc="plain loops; tiny shapes only")


@naive.forward
def forward(x, col, row, b, p):
    x, y = padded(x, p), empty(p.out_shape, p.dtype)
    for n, k in product(range(p.N), range(p.K)):
        for o in product(*map(range, p.out)):
            acc = b[k] if b is not None else 0.0
            for c in range(p.C):
                for (r, s), i in taps(p, o):
                    acc += x[(n, c) + i] * (col[k, c, r] * row[k, c, s])
            y[(n, k) + o] = acc
    return y


@naive.backward
def backward(gy, x, col, row, b, p):
    """conv2d's gradients for the kernel tap w = col * row, then the chain rule through the
    outer product: grad_col[r] = sum_s grad_w[r, s] row[s], grad_row[s] = sum_r grad_w[r, s]
    col[r].  Summing grad_w first, as torch's autograd does, keeps an infinite col or row
    from meeting each product g * x separately (a padding zero gives NaN, products of both
    signs inf - inf) where torch's grad_w is finite and its gradient an infinity."""
    x = padded(x, p)
    gx, gw = np.zeros_like(x), np.zeros((p.K, p.C) + tuple(p.kernel), p.dtype)
    for n, k in product(range(p.N), range(p.K)):
        for o in product(*map(range, p.out)):
            g = gy[(n, k) + o]
            for c in range(p.C):
                for (r, s), i in taps(p, o):
                    gx[(n, c) + i] += g * (col[k, c, r] * row[k, c, s])
                    gw[k, c, r, s] += g * x[(n, c) + i]
    gcol, grow = np.zeros_like(col), np.zeros_like(row)
    for k, c in product(range(p.K), range(p.C)):
        for r, s in product(*map(range, p.kernel)):
            gcol[k, c, r] += gw[k, c, r, s] * row[k, c, s]
            grow[k, c, s] += gw[k, c, r, s] * col[k, c, r]
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return unpadded(gx, p), gcol, grow, gb

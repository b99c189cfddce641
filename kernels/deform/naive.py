"""Deformable convolution as plain loops, following torchvision's CPU kernel term by term.

For output (n, k, p, q): every input channel c of k's group and every kernel point (i, j)
adds w[k, c, i, j] * m * bilinear(x[n, c], y, x) at the offset point

    y = p*sh - ph + i*dh + dy,   x = q*sw - pw + j*dw + dx.

The backward runs the same loops: the bilinear weights send the gradient back to the four
pixels, and their derivatives in y and x give the gradient of the offset.
"""
import math
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.deform.plan import DEFORM_OPS

naive = Algorithm("naive", ops=DEFORM_OPS, slow=True, doc="plain loops; tiny shapes only")


def taps(H, W, y, x):
    """The pixels a bilinear sample at (y, x) reads: (row, col, weight, d weight/dy,
    d weight/dx) for each of the four corners inside the image (outside ones read zero)."""
    if not (-1 < y < H and -1 < x < W):
        return
    y0, x0 = math.floor(y), math.floor(x)
    ly, lx = y - y0, x - x0
    for r, ay, dy in ((y0, 1 - ly, -1.0), (y0 + 1, ly, 1.0)):
        for s, ax, dx in ((x0, 1 - lx, -1.0), (x0 + 1, lx, 1.0)):
            if 0 <= r < H and 0 <= s < W:
                yield r, s, ay * ax, dy * ax, ay * dx


def points(p, off, n, g, o):
    """(i, j, t, y, x) of every kernel point of offset group g at output position o."""
    R, S = p.kernel
    for i, j in product(range(R), range(S)):
        t = (g * R + i) * S + j
        y = o[0] * p.stride[0] - p.pad_lo[0] + i * p.dilation[0] + off[n, 2 * t, o[0], o[1]]
        x = o[1] * p.stride[1] - p.pad_lo[1] + j * p.dilation[1] + off[n, 2 * t + 1, o[0], o[1]]
        yield i, j, t, y, x


def _mask(m, n, t, o):
    return 1.0 if m is None else m[n, t, o[0], o[1]]


@naive.forward
def forward(x, off, w, b, m, p):
    y = empty(p.out_shape, p.dtype)
    H, W = p.size
    for n, k, o in product(range(p.N), range(p.K), product(*map(range, p.out))):
        acc = b[k] if b is not None else 0.0
        g = k // p.Kg
        for c in range(g * p.Cg, (g + 1) * p.Cg):
            for i, j, t, yy, xx in points(p, off, n, c // p.C_off, o):
                v = sum(a * x[n, c, r, s] for r, s, a, _, _ in taps(H, W, yy, xx))
                acc += w[k, c - g * p.Cg, i, j] * _mask(m, n, t, o) * v
        y[(n, k) + o] = acc
    return y


@naive.backward
def backward(gy, x, off, w, b, m, p):
    """torchvision's order of operations: first the gradient of each patch-matrix entry
    (``col``, a sum over the output channels of its group), then its share of the input,
    offset and mask gradients; the weight gradient from the patch entries themselves."""
    gx, goff, gw = np.zeros_like(x), np.zeros_like(off), np.zeros_like(w)
    gm = np.zeros_like(m) if m is not None else None
    H, W = p.size
    for n, o in product(range(p.N), product(*map(range, p.out))):
        for c in range(p.C):
            g, cc = c // p.Cg, c % p.Cg
            ks = range(g * p.Kg, (g + 1) * p.Kg)
            for i, j, t, yy, xx in points(p, off, n, c // p.C_off, o):
                mv = _mask(m, n, t, o)
                col = sum(w[k, cc, i, j] * gy[(n, k) + o] for k in ks)
                val = d_y = d_x = 0.0  # the sample and its derivatives in y and x
                for r, s, a, ay, ax in taps(H, W, yy, xx):
                    val += a * x[n, c, r, s]
                    d_y += ay * x[n, c, r, s]
                    d_x += ax * x[n, c, r, s]
                    gx[n, c, r, s] += mv * a * col
                goff[n, 2 * t, o[0], o[1]] += mv * d_y * col
                goff[n, 2 * t + 1, o[0], o[1]] += mv * d_x * col
                if gm is not None:
                    gm[n, t, o[0], o[1]] += col * val
                for k in ks:
                    gw[k, cc, i, j] += gy[(n, k) + o] * mv * val
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, goff, gw, gb, gm

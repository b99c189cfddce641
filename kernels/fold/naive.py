"""unfold and fold as written on the blackboard: one loop per index.

unfold: cols[n, (c, i, j), (bh, bw)] = x[n, c, bh*sh - ph + i*dh, bw*sw - pw + j*dw], 0
outside the image.  fold adds each column entry back onto that image position.  Each is
the other's gradient, so the backward of one is the forward of the other.
"""
from itertools import product

import numpy as np

from kernels._registry import Algorithm
from kernels.fold.plan import FOLD_OPS, declare

naive = Algorithm("naive", ops=FOLD_OPS, slow=True, doc="plain loops; tiny shapes only")


def _positions(p):
    """(n, c, i, j, bh, bw, h, w) of every column entry whose image position (h, w) exists."""
    (kh, kw), (bh_count, bw_count) = p.kernel, p.blocks
    B, C, H, W = p.image4
    for n, c, i, j, bh, bw in product(range(B), range(C), range(kh), range(kw),
                                      range(bh_count), range(bw_count)):
        h = bh * p.stride[0] - p.padding[0] + i * p.dilation[0]
        w = bw * p.stride[1] - p.padding[1] + j * p.dilation[1]
        if 0 <= h < H and 0 <= w < W:
            yield n, c, i, j, bh, bw, h, w


def im2col(image, p):
    x, cols = image.reshape(p.image4), np.zeros(p.cols6, p.dtype)
    for n, c, i, j, bh, bw, h, w in _positions(p):
        cols[n, c, i, j, bh, bw] = x[n, c, h, w]
    return cols.reshape(p.cols_shape)


def col2im(columns, p):
    cols, image = columns.reshape(p.cols6), np.zeros(p.image4, p.dtype)
    for n, c, i, j, bh, bw, h, w in _positions(p):
        image[n, c, h, w] += cols[n, c, i, j, bh, bw]
    return image.reshape(p.image_shape)


declare(naive, im2col, col2im)

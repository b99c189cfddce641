"""unfold and fold in parallel Numba loops, one (n, c) plane per task.

unfold writes every column entry of its plane once (the padding's as 0); fold accumulates
the plane's columns onto its own image plane, so no two threads ever write one element.
The gradient of unfold is fold of the output gradient and vice versa: each direction of
one op runs the other op's kernel.
"""
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.fold.plan import FOLD_OPS, declare

numba = Algorithm("numba", ops=FOLD_OPS, doc="parallel over (n, c) planes, Numba JIT")


@njit(parallel=True, cache=True)
def _im2col(x, cols, dh, dw, ph, pw, sh, sw):
    B, C, H, W = x.shape
    kh, kw, bh_count, bw_count = cols.shape[2], cols.shape[3], cols.shape[4], cols.shape[5]
    for task in prange(B * C):
        n, c = task // C, task % C
        for i in range(kh):
            for j in range(kw):
                for bh in range(bh_count):
                    h = bh * sh - ph + i * dh
                    row = cols[n, c, i, j, bh]
                    if h < 0 or h >= H:
                        row[:] = 0
                        continue
                    for bw in range(bw_count):
                        w = bw * sw - pw + j * dw
                        row[bw] = x[n, c, h, w] if 0 <= w < W else 0


@njit(parallel=True, cache=True)
def _col2im(cols, x, dh, dw, ph, pw, sh, sw):
    B, C, H, W = x.shape
    kh, kw, bh_count, bw_count = cols.shape[2], cols.shape[3], cols.shape[4], cols.shape[5]
    for task in prange(B * C):
        n, c = task // C, task % C
        x[n, c] = 0
        for i in range(kh):
            for j in range(kw):
                for bh in range(bh_count):
                    h = bh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    for bw in range(bw_count):
                        w = bw * sw - pw + j * dw
                        if 0 <= w < W:
                            x[n, c, h, w] += cols[n, c, i, j, bh, bw]


def _geometry(p):
    return (*p.dilation, *p.padding, *p.stride)


def im2col(image, p):
    cols = empty(p.cols_shape, p.dtype)
    _im2col(image.reshape(p.image4), cols.reshape(p.cols6), *_geometry(p))
    return cols


def col2im(cols, p):
    image = empty(p.image_shape, p.dtype)
    _col2im(cols.reshape(p.cols6), image.reshape(p.image4), *_geometry(p))
    return image


declare(numba, im2col, col2im)

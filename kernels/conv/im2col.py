"""Convolution as one matrix product per group: im2col, GEMM, and col2im for the backward.

The patch matrix ``cols`` holds, for every output position (columns), the C/G * prod(kernel)
input values the kernel sees there (rows).  Then per image n and group g

    y[n, g] = w[g] (K/G, C/G*prod(kernel))  @  cols[n, g] (C/G*prod(kernel), prod(out))

The backward is two more GEMMs: grad_w = sum_n gy @ cols^T, and grad_cols = w^T @ gy,
which col2im scatters back onto the input (overlapping patches add up).
"""
from itertools import product

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kernels._arrays import empty
from kernels._params import prod, workspace
from kernels._registry import Algorithm
from kernels._threads import gemm
from kernels._workspace import scratch
from kernels.conv.plan import CONV_OPS, padded as pad

im2col = Algorithm("im2col", ops=CONV_OPS, doc="patch matrix + one GEMM per group (BLAS)")


def patch_elements(p) -> int:
    """Elements of the patch matrix of plan p: C/G*prod(kernel) rows per group, one column
    per output position, per image."""
    return p.N * p.C * prod(p.kernel) * prod(p.out)


@im2col.supports
def supports(p):
    return workspace("the patch matrix", patch_elements(p))


def is_plain_1x1(p) -> bool:
    return set(p.kernel) == {1} and set(p.stride) == {1} and not any(p.pad_lo + p.pad_hi)


def columns(xp, p):
    """The patch matrix (N, G, C/G * prod(kernel), prod(out)) of the padded input, valid
    until the next call."""
    N, C = xp.shape[:2]
    L, CRS = prod(p.out), p.Cg * prod(p.kernel)
    if is_plain_1x1(p):
        return xp.reshape(N, p.G, CRS, L)
    sn, sc, *ss = xp.strides
    windows = as_strided(  # (N, C, *kernel, *out): a view, no copy yet
        xp, (N, C, *p.kernel, *p.out),
        (sn, sc, *(s * d for s, d in zip(ss, p.dilation)), *(s * t for s, t in zip(ss, p.stride))),
        writeable=False)
    cols = scratch("im2col_cols", (N, p.G, CRS, L), xp.dtype)  # kept: see kernels._workspace
    cols.reshape(windows.shape)[...] = windows                   # the copy: im2col proper
    return cols


def col2im(dcols, p):
    """Scatter-add the patch-matrix gradient onto the padded input; return the unpadded part."""
    gxp = np.zeros((p.N, p.C, *p.padded), p.dtype)
    dcols = dcols.reshape(p.N, p.C, *p.kernel, *p.out)
    for r in product(*map(range, p.kernel)):
        window = tuple(slice(ri * d, ri * d + s * (o - 1) + 1, s)
                       for ri, d, s, o in zip(r, p.dilation, p.stride, p.out))
        gxp[(slice(None), slice(None)) + window] += dcols[(slice(None), slice(None)) + r]
    inner = tuple(slice(lo, lo + n) for lo, n in zip(p.pad_lo, p.size))
    return gxp[(slice(None), slice(None)) + inner]


def _wmat(w, p):
    return w.reshape(p.G, p.Kg, p.Cg * prod(p.kernel))


@im2col.forward
def forward(x, w, b, p):
    cols = columns(pad(x, p), p)
    y = empty((p.N, p.G, p.Kg, prod(p.out)), p.dtype)
    gemm(_wmat(w, p), cols, out=y)
    y = y.reshape(p.out_shape)
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


@im2col.backward
def backward(gy, x, w, b, p):
    gy_mat = gy.reshape(p.N, p.G, p.Kg, prod(p.out))
    cols = columns(pad(x, p), p)
    gw = gemm(gy_mat, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(w.shape)
    dcols = gemm(_wmat(w, p).transpose(0, 2, 1), gy_mat,
                      out=scratch("im2col_dcols", (p.N, p.G, p.Cg * prod(p.kernel), prod(p.out)), p.dtype))
    gx = np.ascontiguousarray(col2im(dcols, p))
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

"""Convolution as one matrix product per group: im2col, GEMM, and col2im for the backward.

The patch matrix ``cols`` holds, for every output position (columns), the C/G * prod(kernel)
input values the kernel sees there (rows).  Then per image n and group g

    y[n, g] = w[g] (K/G, C/G*prod(kernel))  @  cols[n, g] (C/G*prod(kernel), prod(out))

The backward is two more GEMMs: grad_w = sum_n gy @ cols^T, and grad_cols = w^T @ gy,
which col2im scatters back onto the input (overlapping patches add up).

The whole patch matrix is prod(kernel)/prod(stride) times the input (925 MB for a
(32, 256, 56, 56) 3x3 layer in float32), so it is built in chunks of at most
``CHUNK_BYTES``: whole images while one image's matrix fits, else runs of one image's
outermost output rows (``chunks``).  A small layer is one chunk.
"""
from __future__ import annotations

from itertools import product

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kernels._arrays import empty
from kernels._params import prod, workspace
from kernels._registry import Algorithm
from kernels._threads import gemm
from kernels._workspace import scratch
from kernels.conv.plan import CONV_OPS
from kernels.conv.plan import padded as pad

im2col = Algorithm("im2col", ops=CONV_OPS, doc="patch matrix in chunks + one GEMM per group (BLAS)")

CHUNK_BYTES = 32 * 2 ** 20  # the patch matrix (and its gradient) of one chunk


def patch_elements(p) -> int:
    """Elements of the whole patch matrix of plan p: C/G*prod(kernel) rows per group, one
    column per output position, per image."""
    return p.N * p.C * prod(p.kernel) * prod(p.out)


def chunk_shape(p, itemsize: int) -> tuple[int, int]:
    """(images, outermost output rows) per chunk: as many whole images as fit
    ``CHUNK_BYTES``, else runs of one image's rows (at least one row per chunk)."""
    rows = p.out[0]
    per_row = p.C * prod(p.kernel) * prod(p.out[1:]) * itemsize
    if per_row * rows <= CHUNK_BYTES:
        return (p.N if per_row * rows == 0 else max(1, CHUNK_BYTES // (per_row * rows))), rows
    return 1, max(1, CHUNK_BYTES // per_row)


def chunks(p, itemsize: int):
    """Yield (n0, n1, o0, o1) for every chunk, in order: images n0:n1, output rows o0:o1."""
    images, rows = chunk_shape(p, itemsize)
    for n0 in range(0, p.N, images):
        for o0 in range(0, p.out[0], rows):
            yield n0, min(n0 + images, p.N), o0, min(o0 + rows, p.out[0])


def chunk_elements(p) -> int:
    """Elements of the largest chunk of the patch matrix."""
    images, rows = chunk_shape(p, p.dtype.itemsize)
    return min(images, p.N) * p.C * prod(p.kernel) * min(rows, p.out[0]) * prod(p.out[1:])


@im2col.supports
def supports(p):
    return workspace("a chunk of the patch matrix", chunk_elements(p))


def is_plain_1x1(p) -> bool:
    return set(p.kernel) == {1} and set(p.stride) == {1} and not any(p.pad_lo + p.pad_hi)


def windows(xp, p):
    """The (N, C, *kernel, *out) view of the padded input that im2col copies: element
    [n, c, *r, *o] is the input under tap r of output position o.  No copy."""
    sn, sc, *ss = xp.strides
    return as_strided(xp, (xp.shape[0], xp.shape[1], *p.kernel, *p.out),
                      (sn, sc, *(s * d for s, d in zip(ss, p.dilation)),
                       *(s * t for s, t in zip(ss, p.stride))), writeable=False)


def patches(x, p, prepare=pad):
    """Yield (n0, n1, l0, l1, cols) for every chunk: cols (n1 - n0, G, C/G*prod(kernel),
    l1 - l0) is the patch matrix of images n0:n1 and output positions l0:l1 (flat over
    out), valid until the next chunk.  ``prepare`` pads a run of images (x[n0:n1]) as the
    kernel reads it; it runs once per run."""
    G, CRS, inner = p.G, p.Cg * prod(p.kernel), prod(p.out[1:])
    if is_plain_1x1(p) and prepare is pad:  # the input is its own patch matrix
        yield 0, p.N, 0, prod(p.out), x.reshape(p.N, G, CRS, prod(p.out))
        return
    view, at = None, None
    for n0, n1, o0, o1 in chunks(p, p.dtype.itemsize):
        if at != n0:
            view, at = windows(prepare(x[n0:n1], p), p), n0
        cols = scratch("im2col_cols", (n1 - n0, G, CRS, (o1 - o0) * inner), p.dtype)
        part = view[(slice(None),) * (2 + p.nd) + (slice(o0, o1),)]
        cols.reshape(part.shape)[...] = part  # the copy: im2col proper
        yield n0, n1, o0 * inner, o1 * inner, cols


def col2im_chunks(p, out, grad_cols) -> None:
    """out (N, C, *size) = col2im of a patch-matrix gradient made chunk by chunk, so that
    only one chunk of it exists at a time: ``grad_cols(n0, n1, o0, o1)`` gives the chunk's
    part, (n1 - n0, C*prod(kernel), (o1 - o0) * prod(out[1:])) in any view of that order.
    Each run of images is scattered onto its own zero-padded gradient, then cropped."""
    gxp, at = None, None
    for n0, n1, o0, o1 in chunks(p, p.dtype.itemsize):
        if at != n0:
            if gxp is not None:
                out[at:n0] = gxp[(slice(None), slice(None)) + _inner(p)]
            gxp, at = np.zeros((n1 - n0, p.C, *p.padded), p.dtype), n0
        dcols = grad_cols(n0, n1, o0, o1)
        scatter(gxp, dcols.reshape(n1 - n0, p.C, *p.kernel, o1 - o0, *p.out[1:]), p, o0)
    if gxp is not None:
        out[at:] = gxp[(slice(None), slice(None)) + _inner(p)]


def gemm_col2im(wt, g, p, out) -> None:
    """out (N, C, *size) = col2im(wt @ g) with wt (G, C/G*prod(kernel), M) and
    g (N, G, M, prod(out)), chunk by chunk: the convolution's input gradient, and the
    transposed convolution's forward."""
    inner = prod(p.out[1:])

    def grad_cols(n0, n1, o0, o1):
        dcols = scratch("im2col_dcols", (n1 - n0, p.G, wt.shape[1], (o1 - o0) * inner), p.dtype)
        return gemm(wt, g[n0:n1, :, :, o0 * inner:o1 * inner], out=dcols)
    col2im_chunks(p, out, grad_cols)


def scatter(gxp, dcols, p, o0: int) -> None:
    """gxp (n, C, *padded) += col2im of dcols (n, C, *kernel, rows, *out[1:]), the patch
    gradients of output rows o0:o0 + rows (overlapping patches add up)."""
    rows = dcols.shape[2 + p.nd]
    out = (rows, *p.out[1:])
    start = (o0,) + (0,) * (p.nd - 1)
    for r in product(*map(range, p.kernel)):
        window = tuple(slice(ri * d + a * s, ri * d + s * (a + o - 1) + 1, s)
                       for ri, d, s, o, a in zip(r, p.dilation, p.stride, out, start))
        gxp[(slice(None), slice(None)) + window] += dcols[(slice(None), slice(None)) + r]


def _inner(p) -> tuple:
    return tuple(slice(lo, lo + n) for lo, n in zip(p.pad_lo, p.size))


def _wmat(w, p):
    return w.reshape(p.G, p.Kg, p.Cg * prod(p.kernel))


@im2col.forward
def forward(x, w, b, p):
    y = empty((p.N, p.G, p.Kg, prod(p.out)), p.dtype)
    wm = _wmat(w, p)
    for n0, n1, l0, l1, cols in patches(x, p):
        gemm(wm, cols, out=y[n0:n1, :, :, l0:l1])
    y = y.reshape(p.out_shape)
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


def accumulate(total, part):
    """total + part, summed in float64 from the second part on (a single chunk, the common
    case, costs nothing extra)."""
    if total is None:
        return part
    return (total if total.dtype == np.float64 else total.astype(np.float64)) + part


def grad_weight(gy, x, p):
    """grad_w = sum over images of gy[n] (K/G, prod(out)) @ cols[n]^T, per group, chunk by
    chunk."""
    gy_mat = gy.reshape(p.N, p.G, p.Kg, prod(p.out))
    gw = None
    for n0, n1, l0, l1, cols in patches(x, p):
        part = gemm(gy_mat[n0:n1, :, :, l0:l1], cols.transpose(0, 1, 3, 2))
        gw = accumulate(gw, part.sum(axis=0))
    return gw.astype(p.dtype, copy=False).reshape(p.w_shape)


@im2col.backward
def backward(gy, x, w, b, p):
    gx = empty(p.in_shape, p.dtype)
    gemm_col2im(_wmat(w, p).transpose(0, 2, 1), gy.reshape(p.N, p.G, p.Kg, prod(p.out)), p, gx)
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, grad_weight(gy, x, p), gb

"""Transposed convolution by GEMM then col2im: the conv's input-gradient path run forwards.

Per image n and group g the weight, read as a (C/G, K/G * prod(kernel)) matrix, turns
every input pixel into the patch it paints:

    cols[n, g] = w[g]^T (K/G*prod(kernel), C/G)  @  x[n, g] (C/G, prod(size))

and ``col2im`` (from the conv family) scatter-adds the patches onto the output.  The
backward is the conv's forward: the patch matrix of grad_out, then
grad_input = w @ cols and grad_weight = sum_n x @ cols^T.  Both patch matrices are built
in the conv family's chunks (``kernels.conv.im2col.chunks``).
"""

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm
from kernels._threads import gemm
from kernels.conv import im2col as conv_im2col
from kernels.conv.im2col import accumulate, gemm_col2im, pad, patches
from kernels.transposed.plan import TRANSPOSED_OPS

im2col = Algorithm("im2col", ops=TRANSPOSED_OPS, doc="GEMM + col2im per group (BLAS)")


@im2col.supports
def supports(p):
    return conv_im2col.supports(p.conv)  # its patch matrix is the equivalent conv's


def _wmat(w, p):
    return w.reshape(p.G, p.C // p.G, (p.K // p.G) * prod(p.kernel))


def _xmat(x, p):
    return x.reshape(p.N, p.G, p.C // p.G, prod(p.size))


def padded_grad(gy, p):
    """grad_out zero-padded as the conv reads it, cut to the positions the kernel reaches."""
    gyp = pad(gy, p.conv)
    return gyp[(slice(None), slice(None)) + tuple(slice(0, n) for n in p.reach)]


@im2col.forward
def forward(x, w, b, p):
    y = empty(p.out_shape, p.dtype)
    gemm_col2im(_wmat(w, p).transpose(0, 2, 1), _xmat(x, p), p.conv, y)
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


@im2col.backward
def backward(gy, x, w, b, p):
    xm = _xmat(x, p)
    gx = empty((p.N, p.G, p.C // p.G, prod(p.size)), p.dtype)
    gw = None
    wm = _wmat(w, p)
    for n0, n1, l0, l1, cols in patches(gy, p.conv, lambda g, _: padded_grad(g, p)):
        gemm(wm, cols, out=gx[n0:n1, :, :, l0:l1])
        part = gemm(xm[n0:n1, :, :, l0:l1], cols.transpose(0, 1, 3, 2))
        gw = accumulate(gw, part.sum(axis=0))
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx.reshape(x.shape), gw.astype(p.dtype, copy=False).reshape(w.shape), gb

"""Unshared convolution as im2col then one batched matrix product over output positions.

The patch matrix is conv2d's (C*R*S rows, one column per output position l = p*Q + q).
With the weight as L matrices (K, C*R*S), position l is its own small GEMM over the batch:

    y[:, :, l] = w[l] (K, CRS)  @  cols[:, :, l]^T (CRS, N)        for every l at once

The backward is the same batched product twice: grad_w[l] = gy[l] @ cols[l]^T and
grad_cols[l] = w[l]^T @ gy[l], which col2im scatters back onto the input.  The patch
matrix and its gradient are built in the conv family's chunks of images and output rows
(``kernels.conv.im2col.chunks``).
"""
import numpy as np

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm
from kernels._threads import gemm
from kernels.conv import im2col as conv_im2col
from kernels.conv.im2col import col2im_chunks, patches
from kernels.unshared.plan import UNSHARED_OPS

im2col = Algorithm("im2col", ops=UNSHARED_OPS, doc="patch matrix + one GEMM per output position")
im2col.supports(conv_im2col.supports)


def _wmat(w, p):
    return w.reshape(prod(p.out), p.K, p.C * prod(p.kernel))


@im2col.forward
def forward(x, w, b, p):
    y_l = empty((prod(p.out), p.K, p.N), p.dtype)
    wm = _wmat(w, p)
    for n0, n1, l0, l1, cols in patches(x, p):  # cols (n, 1, CRS, l) read as (l, CRS, n)
        gemm(wm[l0:l1], cols[:, 0].transpose(2, 1, 0), out=y_l[l0:l1, :, n0:n1])
    y = np.ascontiguousarray(y_l.transpose(2, 1, 0)).reshape(p.out_shape)
    if b is not None:
        y += b
    return y


@im2col.backward
def backward(gy, x, w, b, p):
    gy_l = gy.reshape(p.N, p.K, prod(p.out)).transpose(2, 1, 0)  # (L, K, N)
    gw = np.zeros((prod(p.out), p.K, p.C * prod(p.kernel)), p.dtype)
    for n0, n1, l0, l1, cols in patches(x, p):
        gw[l0:l1] += gemm(gy_l[l0:l1, :, n0:n1], cols[:, 0].transpose(2, 0, 1))
    wt, inner = _wmat(w, p).transpose(0, 2, 1), prod(p.out[1:])  # (L, CRS, K)

    def grad_cols(n0, n1, o0, o1):  # (l, CRS, n) read as (n, CRS, l)
        l0, l1 = o0 * inner, o1 * inner
        return gemm(wt[l0:l1], gy_l[l0:l1, :, n0:n1]).transpose(2, 1, 0)
    gx = empty(p.in_shape, p.dtype)
    col2im_chunks(p, gx, grad_cols)
    gb = gy.sum(axis=0) if b is not None else None
    return gx, gw.reshape(w.shape), gb

"""Unshared convolution as im2col then one batched matrix product over output positions.

The patch matrix is conv2d's (C*R*S rows, one column per output position l = p*Q + q).
With the weight as L matrices (K, C*R*S), position l is its own small GEMM over the batch:

    y[:, :, l] = w[l] (K, CRS)  @  cols[:, :, l]^T (CRS, N)        for every l at once

The backward is the same batched product twice: grad_w[l] = gy[l] @ cols[l]^T and
grad_cols[l] = w[l]^T @ gy[l], which col2im scatters back onto the input.
"""
import numpy as np

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm
from kernels._threads import gemm
from kernels.conv import im2col as conv_im2col
from kernels.conv.im2col import col2im, columns, pad
from kernels.unshared.plan import UNSHARED_OPS

im2col = Algorithm("im2col", ops=UNSHARED_OPS, doc="patch matrix + one GEMM per output position")
im2col.supports(conv_im2col.supports)


def _by_position(x, p):
    """Patch matrix as (L, C*R*S, N): one (CRS, N) matrix per output position."""
    cols = columns(pad(x, p), p).reshape(p.N, p.C * prod(p.kernel), prod(p.out))
    return cols.transpose(2, 1, 0)


def _wmat(w, p):
    return w.reshape(prod(p.out), p.K, p.C * prod(p.kernel))


@im2col.forward
def forward(x, w, b, p):
    L = prod(p.out)
    y_l = empty((L, p.K, p.N), p.dtype)
    gemm(_wmat(w, p), _by_position(x, p), out=y_l)  # (L, K, N)
    y = np.ascontiguousarray(y_l.transpose(2, 1, 0)).reshape(p.out_shape)
    if b is not None:
        y += b
    return y


@im2col.backward
def backward(gy, x, w, b, p):
    L = prod(p.out)
    gy_l = gy.reshape(p.N, p.K, L).transpose(2, 1, 0)  # (L, K, N)
    gw = gemm(gy_l, _by_position(x, p).transpose(0, 2, 1)).reshape(w.shape)
    dcols = gemm(_wmat(w, p).transpose(0, 2, 1), gy_l)  # (L, CRS, N)
    gx = np.ascontiguousarray(col2im(dcols.transpose(2, 1, 0), p))
    gb = gy.sum(axis=0) if b is not None else None
    return gx, gw, gb

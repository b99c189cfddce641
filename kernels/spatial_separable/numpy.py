"""Spatially separable convolution as two vectorised 1D passes in NumPy, one output channel
at a time (so the column pass's result stays (N, C, P, Wu), never K times that).

Per output channel k (see ``numba.py`` for why two passes per (k, c) are exact):

    t[n, c, p, i]  = sum_r col[k, c, r] * xp[n, c, p*stride_h + r*dilation_h, i]     (i < Wu)
    y[n, k, p, q]  = sum_s sum_c row[k, c, s] * t[n, c, p, q*stride_w + s*dilation_w]

The sum over c in the row pass is a tensordot.  The backward runs the passes transposed:
grad_t scatters row * grad_out back onto the Wu columns, and grad_t times col lands on the
input rows the column pass read.  Non-finite inputs meet the grouping of ``numba.py``'s
passes (see there): infinities of both signs may give NaN elsewhere than torch.
"""
import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.im2col import pad
from kernels.spatial_separable.plan import SPATIAL_OPS, used_columns

numpy = Algorithm("numpy", ops=SPATIAL_OPS,
                  doc="column pass then row pass, vectorised NumPy (sums grouped by pass: "
                      "infinities of both signs may meet elsewhere than in torch's sums)")


def _rows(p, r):
    """The input rows the column filter's tap r reads, for every output row."""
    start = r * p.dilation[0]
    return slice(start, start + p.stride[0] * (p.out[0] - 1) + 1, p.stride[0])


def _cols(p, s):
    """The column-pass columns the row filter's tap s reads, for every output column."""
    start = s * p.dilation[1]
    return slice(start, start + p.stride[1] * (p.out[1] - 1) + 1, p.stride[1])


def _column_pass(xp, col, k, p):
    Wu = used_columns(p)
    return sum(col[k, :, r, None, None] * xp[:, :, _rows(p, r), :Wu] for r in range(p.kernel[0]))


@numpy.forward
def forward(x, col, row, b, p):
    xp = pad(x, p)
    y = empty(p.out_shape, p.dtype)
    for k in range(p.K):
        t = _column_pass(xp, col, k, p)
        y[:, k] = sum(np.tensordot(row[k, :, s], t[..., _cols(p, s)], axes=(0, 1))
                      for s in range(p.kernel[1]))
        if b is not None:
            y[:, k] += b[k]
    return y


@numpy.backward
def backward(gy, x, col, row, b, p):
    xp, Wu = pad(x, p), used_columns(p)
    gxp = np.zeros(xp.shape, p.dtype)
    gcol, grow = empty(col.shape, p.dtype), empty(row.shape, p.dtype)
    for k in range(p.K):
        t, g = _column_pass(xp, col, k, p), gy[:, k]
        gt = np.zeros(t.shape, p.dtype)
        for s in range(p.kernel[1]):
            grow[k, :, s] = np.tensordot(t[..., _cols(p, s)], g, axes=([0, 2, 3], [0, 1, 2]))
            gt[..., _cols(p, s)] += row[k, :, s, None, None] * g[:, None]
        for r in range(p.kernel[0]):
            gcol[k, :, r] = np.einsum("ncpi,ncpi->c", gt, xp[:, :, _rows(p, r), :Wu])
            gxp[:, :, _rows(p, r), :Wu] += col[k, :, r, None, None] * gt
    gx = np.ascontiguousarray(gxp[:, :, p.pad_lo[0]:p.pad_lo[0] + p.size[0],
                                  p.pad_lo[1]:p.pad_lo[1] + p.size[1]])
    gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
    return gx, gcol, grow, gb

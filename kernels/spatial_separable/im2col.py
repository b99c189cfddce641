"""Spatially separable convolution by im2col on the full kernel: form the outer-product
kernel weight = col (x) row, then conv2d's im2col + GEMM.  It does the full kernel's
R*S MACs per output (the GEMM is fast enough to beat the two passes on small kernels);
the backward maps grad_weight back by the product rule:
grad_col[r] = sum_s grad_weight[r, s] * row[s],  grad_row[s] = sum_r grad_weight[r, s] * col[r]."""
import numpy as np

from kernels._registry import Algorithm
from kernels.conv import im2col as conv_im2col
from kernels.spatial_separable.plan import SPATIAL_OPS

im2col = Algorithm("im2col", ops=SPATIAL_OPS, doc="outer-product kernel, then conv2d's im2col + GEMM")
im2col.supports(conv_im2col.supports)


def outer_kernel(col, row):
    return col[:, :, :, None] * row[:, :, None, :]


@im2col.forward
def forward(x, col, row, b, p):
    return conv_im2col.forward(x, outer_kernel(col, row), b, p)


@im2col.backward
def backward(gy, x, col, row, b, p):
    gx, gw, gb = conv_im2col.backward(gy, x, outer_kernel(col, row), b, p)
    gcol = np.einsum("kcrs,kcs->kcr", gw, row)
    grow = np.einsum("kcrs,kcr->kcs", gw, col)
    return gx, gcol, grow, gb

"""Depthwise-separable convolution as the plain two-step composition: the depthwise
im2col (one small GEMM per channel), its output written to memory, then the pointwise
step as one (K, C*m) @ (C*m, P*Q) GEMM per image (a 1x1 patch matrix is the input
itself).  The fused ``numba`` kernel is measured against this."""
from kernels._registry import Algorithm
from kernels.conv import im2col as conv_im2col
from kernels.separable import compose
from kernels.separable.plan import SEPARABLE_OPS

im2col = Algorithm("im2col", ops=SEPARABLE_OPS,
                   doc="composition: depthwise im2col, intermediate in memory, pointwise GEMM")


@im2col.supports
def supports(p):
    return conv_im2col.supports(p.depthwise) or conv_im2col.supports(p.pointwise)


compose.declare(im2col, conv_im2col)

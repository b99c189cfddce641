"""Depthwise convolution as im2col + GEMM: the conv family's grouped im2col with groups = C,
i.e. one (m, R*S) @ (R*S, P*Q) product per image and channel, batched by np.matmul."""
from kernels._registry import Algorithm
from kernels.conv import im2col as conv_im2col
from kernels.depthwise.plan import DEPTHWISE_OPS

im2col = Algorithm("im2col", ops=DEPTHWISE_OPS, doc="patch matrix per channel + batched GEMM")
im2col.supports(conv_im2col.supports)
im2col.forward(conv_im2col.forward)
im2col.backward(conv_im2col.backward)

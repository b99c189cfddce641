"""Depthwise convolution as plain loops: the conv family's blackboard loops with groups = C
(each output channel's group holds one input channel), so the same code serves."""
from kernels._registry import Algorithm
from kernels.conv import naive as conv_naive
from kernels.depthwise.plan import DEPTHWISE_OPS

naive = Algorithm("naive", ops=DEPTHWISE_OPS, slow=True, doc="plain loops (conv2d's, groups=C)")
naive.forward(conv_naive.forward)
naive.backward(conv_naive.backward)

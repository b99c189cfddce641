"""Depthwise-separable convolution as two plain-loop convolutions: the conv family's
blackboard loops, depthwise (groups = C) then pointwise (1x1)."""
from kernels._registry import Algorithm
from kernels.conv import naive as conv_naive
from kernels.separable import compose
from kernels.separable.plan import SEPARABLE_OPS

naive = Algorithm("naive", ops=SEPARABLE_OPS, slow=True, doc="plain loops, depthwise then pointwise")


compose.declare(naive, conv_naive)

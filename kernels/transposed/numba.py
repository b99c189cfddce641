"""Transposed convolution with the conv family's Numba kernels: no new kernel.

With ``p.conv`` the strided convolution whose input gradient this op is (see
``kernels/transposed/plan.py``), the three passes are the conv's three passes read the
other way round.  Every case runs as 3D, so 1D/2D/3D share the conv's compiled kernels.
"""
from kernels._registry import Algorithm
from kernels.conv import numba as conv
from kernels.transposed.plan import TRANSPOSED_OPS

numba = Algorithm("numba", ops=TRANSPOSED_OPS,
                      doc="the conv's Numba kernels: forward = conv input gradient")


@numba.supports
def supports(p):
    return conv.supports(p.conv)


@numba.forward
def forward(x, w, b, p):
    y = conv.grad_input(x, w, p.conv)
    if b is not None:
        y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


@numba.backward
def backward(gy, x, w, b, p):
    gx = conv.forward(gy, w, None, p.conv)
    gw = conv.grad_weight(x, gy, p.conv)  # the conv's grad_out is x, its input gy
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb

"""Transposed convolution with the conv family's CUDA kernels: no new kernel.

With ``p.conv`` the strided convolution whose input gradient this op is (see
``kernels/transposed/plan.py``), the three passes are the conv's three CUDA passes
(``kernels/conv/cuda.py``) read the other way round, as in ``numba.py``:

    forward     = the conv's grad_input (gather form, one thread per output element;
                  the GEMM W^T @ X[n] for 1x1), with the bias added in the same kernel
    grad_input  = the conv's forward of grad_out (shared-memory tiled direct kernel)
    grad_weight = the conv's two-pass weight gradient with (grad_out = x, input = grad_out)

Every case runs as 3D, so conv_transpose1d/2d/3d share the conv's compiled kernels.
"""
from kernels import _cuda
from kernels._registry import Algorithm
from kernels.conv import cuda as conv
from kernels.transposed.plan import TRANSPOSED_OPS

cuda = Algorithm("cuda", ops=TRANSPOSED_OPS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="the conv's Numba CUDA kernels: forward = conv input gradient")


@cuda.supports
def supports(p):
    return conv.supports(p.conv)


@cuda.forward
def forward(x, w, b, p):
    (x, w, b), host = _cuda.device_arrays(x, w, b)
    return _cuda.result(conv.grad_input(x, w, p.conv, b), host)


@cuda.backward
def backward(gy, x, w, b, p):
    (gy, x, w, b), host = _cuda.device_arrays(gy, x, w, b)
    gb = conv.grad_bias(gy, p.K) if b is not None else None
    grads = conv.conv(gy, w, None, p.conv), conv.grad_weight(x, gy, p.conv), gb
    return tuple(_cuda.result(g, host) for g in grads)

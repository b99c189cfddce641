"""The fully connected layer as NumPy matmuls: one BLAS GEMM per product (the forward and
both gradients of ``kernels.linear.plan``), float32 accumulated in BLAS's blocked order as
torch's own GEMM does."""

from kernels._registry import Algorithm
from kernels.linear.plan import bias_grad, finish, matrices

numpy = Algorithm("numpy", ops=("linear",), doc="one GEMM (numpy.matmul, BLAS) per product")


@numpy.forward
def forward(x, w, b, p):
    X, W = matrices(x, w, p)
    return finish(X @ W.T, b, p, bias_added=False)


@numpy.backward
def backward(gy, x, w, b, p):
    X, W = matrices(x, w, p)
    G = gy.reshape(p.M, p.K)
    return (G @ W).reshape(p.in_shape), (G.T @ X).reshape(p.w_shape), bias_grad(gy, p)

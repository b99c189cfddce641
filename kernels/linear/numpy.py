"""The fully connected layer as BLAS matrix products: one GEMM per product (the forward and
both gradients of ``kernels.linear.plan``), float32 accumulated in BLAS's blocked order as
torch's own GEMM does.  The products run through ``kernels._threads.gemm``, in Numba's
thread pool, so that OpenBLAS's own threads do not spin against the Numba kernels of the
layers around it."""

from kernels._registry import Algorithm
from kernels._threads import gemm
from kernels.linear.plan import bias_grad, finish, matrices

numpy = Algorithm("numpy", ops=("linear",), doc="one BLAS GEMM per product, in Numba's pool")


@numpy.forward
def forward(x, w, b, p):
    X, W = matrices(x, w, p)
    return finish(gemm(X, W.T), b, p, bias_added=False)


@numpy.backward
def backward(gy, x, w, b, p):
    X, W = matrices(x, w, p)
    G = gy.reshape(p.M, p.K)
    return gemm(G, W).reshape(p.in_shape), gemm(G.T, X).reshape(p.w_shape), bias_grad(gy, p)

"""The fully connected layer as plain loops: every output element a dot product, summed in
Python floats (float64), as written on the blackboard (GEMMs in ``kernels.linear.plan``)."""

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.linear.plan import bias_grad, finish, matrices

naive = Algorithm("naive", ops=("linear",), slow=True, doc="plain loops; tiny shapes only")


def _matmul_nt(A, B, rows, cols, depth, dtype):
    """A (rows, depth) @ B (cols, depth)^T, each element a float64 sum."""
    out = empty((rows, cols), dtype)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = sum(float(A[i, k]) * float(B[j, k]) for k in range(depth))
    return out


@naive.forward
def forward(x, w, b, p):
    X, W = matrices(x, w, p)
    return finish(_matmul_nt(X, W, p.M, p.K, p.C, p.dtype), b, p, bias_added=False)


@naive.backward
def backward(gy, x, w, b, p):
    X, W = matrices(x, w, p)
    G = gy.reshape(p.M, p.K)
    gx = _matmul_nt(G, W.T, p.M, p.C, p.K, p.dtype)       # grad_Y @ W
    gw = _matmul_nt(G.T, X.T, p.K, p.C, p.M, p.dtype)     # grad_Y^T @ X
    return gx.reshape(p.in_shape), gw.reshape(p.w_shape), bias_grad(gy, p)

"""The fully connected layer as a register-blocked GEMM in parallel Numba loops.

One kernel computes out (rows, cols) = A (rows, D) @ B (cols, D)^T, the three GEMMs of
``kernels.linear.plan`` differing only in how A is read and B packed:

    forward   A = X (M, C)            B = W (K, C)
    grad_X    A = grad_Y (M, K)       B = W^T (C, K)
    grad_W    A = grad_Y^T (K, M)     B = X^T (C, M)   (A read in place, transposed by strides)

B is packed once into blocks of VW columns, (cols/VW, D, VW), so the micro-kernel reads one
contiguous vector of VW values per reduction step; a tile of OB rows x VW columns
accumulates in registers (``kernels._numba_util.fma_rows``: OB broadcasts and OB vector
FMAs per step), as the convolutions' direct kernel does.  Parallel tasks are (row tile,
column block): no two write the same element.

Accuracy: the register tile accumulates at most KC = 256 steps in the data's dtype, then
is added into a float64 tile, so a float32 sum over a long reduction (grad_W sums over
every row of the batch) carries the rounding of 256 terms, not of all of them -- no worse
than BLAS's blocked float32 GEMM that torch uses.
"""
import numpy as np
from numba import carray, njit, prange

from kernels._arrays import empty
from kernels._numba_util import FASTMATH, fma_rows, stack_empty
from kernels._registry import Algorithm
from kernels.linear.plan import bias_grad, column_bias, finish, matrices

numba = Algorithm("numba", ops=("linear",), doc="register-blocked GEMM, Numba parallel JIT")

VW = 16    # columns per packed block: two AVX2 vectors of float32
OB = 6     # rows per micro-tile
TILE = OB * VW
KC = 256   # reduction steps accumulated in the data's dtype before the float64 flush


@njit(parallel=True, cache=True, fastmath=FASTMATH)
def _gemm(a, row_step, k_step, rows, depth, bp, bias, has_bias, out):
    """out[i, j] = sum_k A[i, k] * B[j, k] (+ bias[j]), A[i, k] = a[i*row_step + k*k_step],
    bp[jb, k, v] = B[jb*VW + v, k] (zero past the last column)."""
    cols = out.shape[1]
    JB = bp.shape[0]
    tiles = (rows + OB - 1) // OB
    bf = bp.ravel()
    for task in prange(tiles * JB):
        i0, jb = (task // JB) * OB, task % JB
        nr = min(OB, rows - i0)
        accp = stack_empty(TILE, a.dtype)
        acc = carray(accp, (OB, VW))
        totp = stack_empty(TILE, np.float64)
        tot = carray(totp, (OB, VW))
        for r in range(OB):
            for v in range(VW):
                tot[r, v] = 0.0
        for k0 in range(0, depth, KC):
            for r in range(OB):
                for v in range(VW):
                    acc[r, v] = 0.0
            k1 = min(k0 + KC, depth)
            if nr == OB:
                for k in range(k0, k1):
                    fma_rows(accp, OB, a, i0 * row_step + k * k_step, row_step, bf,
                             (jb * depth + k) * VW, VW)
            else:  # the last, partial row tile
                for r in range(nr):
                    for k in range(k0, k1):
                        av = a[(i0 + r) * row_step + k * k_step]
                        base = (jb * depth + k) * VW
                        for v in range(VW):
                            acc[r, v] += av * bf[base + v]
            for r in range(OB):
                for v in range(VW):
                    tot[r, v] += acc[r, v]
        for r in range(nr):
            for v in range(min(VW, cols - jb * VW)):
                j = jb * VW + v
                out[i0 + r, j] = tot[r, v] + (bias[j] if has_bias else 0.0)


def pack(B):
    """B (cols, depth), any strides, as (cols/VW blocks, depth, VW), zero-padded columns."""
    cols, depth = B.shape
    JB = -(-cols // VW)
    padded = np.zeros((JB * VW, depth), B.dtype)
    padded[:cols] = B
    return np.ascontiguousarray(padded.reshape(JB, VW, depth).transpose(0, 2, 1))


def gemm_nt(a, row_step, k_step, rows, depth, B, bias=None):
    """A (rows, depth) @ B^T plus an optional (cols,) bias; A read from the flat array a."""
    out = empty((rows, B.shape[0]), a.dtype)
    _gemm(a.reshape(-1), row_step, k_step, rows, depth, pack(B),
          np.zeros(1, a.dtype) if bias is None else bias, bias is not None, out)
    return out


@numba.forward
def forward(x, w, b, p):
    X, W = matrices(x, w, p)
    cb = column_bias(b, p)
    y2 = gemm_nt(X, p.C, 1, p.M, p.C, W, cb)
    return finish(y2, b, p, bias_added=cb is not None)


@numba.backward
def backward(gy, x, w, b, p):
    X, W = matrices(x, w, p)
    gx = gemm_nt(gy, p.K, 1, p.M, p.K, W.T)       # grad_Y (M, K) @ W
    gw = gemm_nt(gy, 1, p.K, p.K, p.M, X.T)       # grad_Y^T (K, M) @ X
    return gx.reshape(p.in_shape), gw.reshape(p.w_shape), bias_grad(gy, p)

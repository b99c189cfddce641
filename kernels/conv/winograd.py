"""Winograd minimal filtering F(m x m, 3 x 3) for conv2d and F(m, 3) for conv1d.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016): the output is
cut into m x m tiles; each needs an n x n input tile (n = m + 2) and

    Y = A^T [ U * V ] A,   U = G g G^T (kernel transform),  V = B^T d B (input transform).

The channel sum is taken in the transformed domain, so per tile position (n^2 of them)
it is one matrix product: M[t] = U[t] (K, C) @ V[t] (C, tiles), a single batched GEMM
(T, K, C) @ (T, C, tiles) (per group: (T, G, K/G, C/G) @ (T, G, C/G, tiles)).  The
matrices A^T, G, B^T are generated from interpolation points in ``winograd_transforms``.

conv1d runs through the same code as a 2D convolution of height 1 with a 1 x 3 kernel
(the height transform is the 1 x 1 identity).  The nested 2D transforms are single
GEMMs with Kronecker products, vec(B^T d B) = (B^T (x) B^T) vec(d) (row-major vec), over
all tiles at once: V = (B^T (x) B^T) (n^2, n^2) @ tiles (n^2, C * tiles), and likewise
Y = (A^T (x) A^T) @ M.  That spends more multiplications than the separable form but
runs them in BLAS instead of short scalar loops; small parallel Numba loops only gather
the overlapping tiles and scatter the output tiles (plus bias) into place.

Supported: 3-tap (1D) or 3x3 (2D) kernels, stride 1, dilation 1, any padding, any
groups.  Strided or dilated kernels, and other kernel sizes, are declared unsupported.

Backward: the input gradient is again a stride-1 3x3 convolution (of grad_out with the
flipped kernel, channels transposed per group, padding 2 - pad per side, cropping where
the padding exceeds 2), computed by Winograd with the same tile size.  The weight
gradient is computed by im2col (patch matrix and one GEMM), not Winograd.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.fft import PHASES, _Clock
from kernels.conv.im2col import columns, pad
from kernels.conv.winograd_transforms import matrices

R = 3  # kernel taps per dimension


@njit(parallel=True, cache=True)
def _gather_tiles(xp, mh, mw, d):
    """d[i, j, c, n, ty, tx] = xp[n, c, ty*mh + i, tx*mw + j]: every (overlapping) tile."""
    nh, nw, C, N, th, tw = d.shape
    for task in prange(C * N):
        c = task // N
        n = task % N
        for i in range(nh):
            for j in range(nw):
                for ty in range(th):
                    for tx in range(tw):
                        d[i, j, c, n, ty, tx] = xp[n, c, ty * mh + i, tx * mw + j]


@njit(parallel=True, cache=True)
def _scatter_tiles(Y, bias, y):
    """y[n, k, ty*mh + i, tx*mw + j] = Y[i, j, k, n, ty, tx] + bias[k], cropped to (P, Q)."""
    mh, mw = Y.shape[0], Y.shape[1]
    N, K, P, Q = y.shape
    th, tw = Y.shape[4], Y.shape[5]
    for task in prange(N * K):
        n = task // K
        k = task % K
        for ty in range(th):
            for i in range(min(mh, P - ty * mh)):
                row = ty * mh + i
                for j in range(mw):
                    full = (Q - j + mw - 1) // mw  # tiles whose column j is inside Q
                    for tx in range(full):
                        y[n, k, row, tx * mw + j] = Y[i, j, k, n, ty, tx] + bias[k]


def _transforms(m, taps, dtype):
    """(A^T, G, B^T) along one dimension: F(m, 3), or the identity for a dimension of 1 tap."""
    if taps == 1:
        return tuple(np.ones((1, 1), dtype) for _ in range(3))
    return matrices(m, R, dtype)


def winograd_conv(x, w, b, pad_lo, pad_hi, G, m, clock):
    """Stride-1 grouped correlation of x (N, C, H, W) with w (K, C/G, 1 or 3, 3), padded by
    pad_lo/pad_hi (any amount), with F(m x m, 3 x 3) (or F(1 x m, 1 x 3) for height 1)."""
    N, C, H, W = x.shape
    K, Cg, Rh, Rw = w.shape
    mh, mw = (m if Rh == R else 1), m
    ATh, Gh, BTh = _transforms(m, Rh, x.dtype)
    ATw, Gw, BTw = _transforms(m, Rw, x.dtype)
    nh, nw = BTh.shape[0], BTw.shape[0]
    P = H + pad_lo[0] + pad_hi[0] - Rh + 1
    Q = W + pad_lo[1] + pad_hi[1] - Rw + 1
    th, tw = -(-P // mh), -(-Q // mw)
    tiles = N * th * tw

    with clock("kernel_transform"):
        U = np.einsum("ai,kcij,bj->abkc", Gh, w, Gw, optimize=True)
        U = np.ascontiguousarray(U.reshape(nh * nw, G, K // G, Cg))
    with clock("input_transform"):
        # One workspace for the padded input, the tiles, V, M and the output tiles: a
        # single large allocation per call (the allocator keeps it for the next call,
        # where separate temporaries were returned to the OS and page-faulted back).
        Hp, Wp = th * mh + Rh - 1, tw * mw + Rw - 1   # whole tiles at the bottom/right
        T, Tm = nh * nw, mh * mw
        sizes = [N * C * Hp * Wp, T * C * tiles, T * C * tiles, T * K * tiles, Tm * K * tiles]
        ws = np.empty(sum(sizes), x.dtype)
        xp, d, V, Mt, Y = (ws[a:a + n] for a, n in zip(np.cumsum([0] + sizes[:-1]), sizes))
        xp = xp.reshape(N, C, Hp, Wp)
        xp.fill(0)
        xp[:, :, pad_lo[0]:pad_lo[0] + H, pad_lo[1]:pad_lo[1] + W] = x
        _gather_tiles(xp, mh, mw, d.reshape(nh, nw, C, N, th, tw))
        d = d.reshape(T, C * tiles)
        np.matmul(np.kron(BTh, BTw), d, out=V.reshape(T, C * tiles))
    with clock("multiply"):
        Mt = Mt.reshape(T, K * tiles)                                  # (T, K * tiles)
        np.matmul(U, V.reshape(T, G, Cg, tiles), out=Mt.reshape(T, G, K // G, tiles))
    with clock("output_transform"):
        Y = Y.reshape(Tm, K * tiles)
        np.matmul(np.kron(ATh, ATw), Mt, out=Y)
        bias = b if b is not None else np.zeros(K, x.dtype)
        y = empty((N, K, P, Q), x.dtype)
        _scatter_tiles(Y.reshape(mh, mw, K, N, th, tw), bias, y)
    return y


def as2d(a, nd):
    """conv1d arrays (N, C, L) as 2D arrays of height 1."""
    return a if nd == 2 else a[:, :, None, :]


def _pads(p):
    lo, hi = tuple(p.pad_lo), tuple(p.pad_hi)
    return ((0,) + lo, (0,) + hi) if p.nd == 1 else (lo, hi)


def grad_input(gy, w, p, m, clock):
    """A stride-1 correlation of grad_out with the flipped, per-group channel-transposed
    kernel, padded by (taps - 1 - pad) per side; a negative padding crops grad_out."""
    w4 = as2d(w, p.nd)
    Rh, Rw = w4.shape[2:]
    wt = w4.reshape(p.G, p.Kg, p.Cg, Rh, Rw).swapaxes(1, 2)[:, :, :, ::-1, ::-1]
    wt = np.ascontiguousarray(wt.reshape(p.C, p.Kg, Rh, Rw))
    lo, hi = _pads(p)
    new_lo = [r - 1 - q for r, q in zip((Rh, Rw), lo)]
    new_hi = [r - 1 - q for r, q in zip((Rh, Rw), hi)]
    gy4 = as2d(gy, p.nd)
    crop = tuple(slice(max(0, -a), n - max(0, -c)) for a, c, n in zip(new_lo, new_hi, gy4.shape[2:]))
    gy4 = gy4[(slice(None), slice(None)) + crop]
    gx = winograd_conv(gy4, wt, None, [max(0, a) for a in new_lo], [max(0, c) for c in new_hi],
                       p.G, m, clock)
    return gx.reshape(p.in_shape)


def grad_weight(gy, x, p):
    """im2col: gw = sum_n gy[n] (K/G, P*Q) @ cols[n]^T (P*Q, C/G*R*S), per group."""
    cols = columns(pad(x, p), p)
    gy_mat = gy.reshape(p.N, p.G, p.Kg, -1)
    return np.matmul(gy_mat, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(p.w_shape)


def why_not(p) -> str | None:
    if p.kernel != (R,) * p.nd:
        return f"Winograd F(m, 3) needs a {'x'.join(['3'] * p.nd)} kernel, got {p.kernel}"
    if any(s != 1 for s in p.stride):
        return f"stride {p.stride}: Winograd here computes stride 1 only"
    if any(d != 1 for d in p.dilation):
        return f"dilation {p.dilation}: Winograd here computes dilation 1 only"
    return None


def declare(name: str, m: int, note: str = "") -> Algorithm:
    """Register Winograd F(m, 3) under ``name`` for conv1d and conv2d."""
    algo = Algorithm(name, ops=("conv1d", "conv2d"),
                     doc=f"Winograd F({m}x{m},3x3) / F({m},3){note}: stride-1, dilation-1, 3x3 "
                         f"(3-tap) kernels; one batched GEMM over the {(m + 2) ** 2} tile "
                         f"positions; grad_input by Winograd, grad_weight by im2col")

    @algo.supports
    def supports(p):
        return why_not(p)

    @algo.forward
    def forward(x, w, b, p):
        if why_not(p):  # reached only by calling the function directly
            raise ValueError(f"{name}: {why_not(p)}")
        algo.phases = dict.fromkeys(PHASES, 0.0)
        lo, hi = _pads(p)
        y = winograd_conv(as2d(x, p.nd), as2d(w, p.nd), b, lo, hi, p.G, m, _Clock(algo.phases))
        return y.reshape(p.out_shape)

    @algo.backward
    def backward(gy, x, w, b, p):
        if why_not(p):
            raise ValueError(f"{name}: {why_not(p)}")
        algo.phases = dict.fromkeys(PHASES, 0.0)
        gx = grad_input(gy, w, p, m, _Clock(algo.phases))
        clock = _Clock(algo.phases)
        with clock("weight_gradient_im2col"):
            gw = grad_weight(gy, x, p)
        gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
        return gx, gw, gb

    return algo


winograd_f2 = declare("winograd_f2", 2)
winograd_f4 = declare("winograd_f4", 4)
winograd_f6 = declare("winograd_f6", 6)
winograd = declare("winograd", 4, " (the default tile size)")

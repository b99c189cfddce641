"""Winograd minimal filtering F(m x m, 3 x 3) for conv2d and F(m, 3) for conv1d.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016): the output is
cut into m x m tiles; each needs an n x n input tile (n = m + 2) and

    Y = A^T [ U * V ] A,   U = G g G^T (kernel transform),  V = B^T d B (input transform).

The channel sum is taken in the transformed domain, so per tile position (n^2 of them)
it is one matrix product: M[t] = U[t] (K, C) @ V[t] (C, tiles), a single batched GEMM
(T, K, C) @ (T, C, tiles) (per group: (T, G, K/G, C/G) @ (T, G, C/G, tiles)).  The
matrices A^T, G, B^T are generated from interpolation points in ``winograd_transforms``.

conv1d runs through the same code as a 2D convolution of height 1 with a 1 x 3 kernel
(the height transform is the 1 x 1 identity).  The transforms are separable and run in
two parallel Numba kernels, one task per (image, channel) plane, writing and reading the
GEMM's layout directly:

* input: the zero-padded plane is split into its polyphase components (one strided
  pass over the input; overlapping tiles are never gathered), then B^T d and (B^T d) B
  row by row, each row one contiguous loop over all the plane's tiles;
* output: A^T M and (A^T M) A the same way, plus bias, scattered into the output and
  cropped where tiles overhang;
* kernel: U = (G (x) G) vec(g), one small GEMM (9 columns) for all K * C/G kernels.

Zero entries of B^T and A^T are skipped.  V and M live in a buffer kept between calls
(``_workspace``).

Supported: 3-tap (1D) or 3x3 (2D) kernels, stride 1, dilation 1, any padding, any
groups.  Strided or dilated kernels, and other kernel sizes, are declared unsupported.

Backward: the input gradient is again a stride-1 3x3 convolution (of grad_out with the
flipped kernel, channels transposed per group, padding 2 - pad per side, cropping where
the padding exceeds 2), computed by Winograd with the same tile size.  The weight
gradient is computed by im2col (patch matrix and one GEMM), not Winograd.
"""
from __future__ import annotations

import threading

import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.conv.fft import PHASES, _Clock
from kernels.conv.im2col import columns, pad
from kernels.conv.winograd_transforms import matrices

R = 3  # kernel taps per dimension
WORKSPACE_KEEP = 256 * 2 ** 20  # bytes of V and M kept between calls (per thread and dtype)
_kept = threading.local()


def _workspace(n: int, dtype) -> np.ndarray:
    """A flat scratch array of n elements for V and M.  Fresh large arrays are mapped
    from the OS and page-faulted in on every call (about as costly as the transforms
    here), so one buffer per thread and dtype is kept and reused, up to WORKSPACE_KEEP."""
    dtype = np.dtype(dtype)
    if n * dtype.itemsize > WORKSPACE_KEEP:
        return np.empty(n, dtype)
    bufs = _kept.__dict__.setdefault("bufs", {})
    buf = bufs.get(dtype.str)
    if buf is None or buf.size < n:
        buf = bufs[dtype.str] = np.empty(n, dtype)
    return buf[:n]


@njit(cache=True, fastmath={"contract"})
def _input_plane(xc, BTh, BTw, pad_top, pad_left, th, tw, poly, tmp, V, c, base, unroll):
    """The input transform of one (image, channel) plane xc (H, W), written to
    V[k*nw + l, c, base + ty*(tw+1) + tx] = (B^T d B)[k, l] of the tile d at (ty, tx).

    Tiles overlap, so they are not gathered: the zero-padded plane is split once into
    its mh*mw polyphase components poly[qh*mw + qw][gy*(tw+1) + gx] = xpad[gy*mh + qh,
    gx*mw + qw].  Element (i, j) of every tile is then the same component shifted by
    (i // mh, j // mw) grid steps, so each row of B^T d and of (B^T d) B is one long
    contiguous loop over the whole tile grid (vectorised; zero entries of B^T skipped).
    The grid has one spare column (tx = tw), computed and ignored: no short loops.
    ``unroll`` is a tuple of mw zeros: its length is a compile-time constant (one compiled
    variant per tile width), so the per-phase copy loops are unrolled."""
    H, W = xc.shape
    nh = BTh.shape[0]
    mw, nw = len(unroll), len(unroll) + 2         # n = m + 2 for 3 taps
    mh = 1 if nh == 1 else nh - 2
    G1 = tw + 1
    S = th * G1                                   # tile grid of the plane, spare column
    poly[:] = 0
    g_lo = min(G1, (pad_left + mw - 1) // mw)       # grid columns whose mw phases all lie
    g_hi = max(g_lo, min(G1, (W - mw + pad_left) // mw + 1))  # inside the image
    for r in range(H):
        gy, qh = (r + pad_top) // mh, (r + pad_top) % mh
        if gy > th:
            break
        xrow = xc[r]
        comp = poly[qh * mw:(qh + 1) * mw, gy * G1:(gy + 1) * G1]
        for gx in range(g_lo, g_hi):
            col = gx * mw - pad_left
            for qw in range(len(unroll)):           # a compile-time count: unrolled
                comp[qw, gx] = xrow[col + qw]
        for gx in range(G1):                        # the border columns, checked
            if g_lo <= gx < g_hi:
                continue
            for qw in range(mw):
                col = gx * mw + qw - pad_left
                if 0 <= col < W:
                    comp[qw, gx] = xrow[col]
    for k in range(nh):
        for j in range(nw):
            acc = tmp[k * nw + j]
            first = True                          # the first term assigns: no zeroing pass
            for i in range(nh):
                coef = BTh[k, i]
                if coef != 0:
                    src = poly[(i % mh) * mw + j % mw, (i // mh) * G1:]
                    if first:
                        for s in range(S + 1):
                            acc[s] = coef * src[s]
                        first = False
                    else:
                        for s in range(S + 1):
                            acc[s] += coef * src[s]
            if first:
                acc[:] = 0
    for k in range(nh):
        for l in range(nw):
            out = V[k * nw + l, c, base:base + S]
            first = True                          # the first term assigns: no zeroing pass
            for j in range(nw):
                coef = BTw[l, j]
                if coef != 0:
                    src = tmp[k * nw + j, j // mw:]
                    if first:
                        for s in range(S):
                            out[s] = coef * src[s]
                        first = False
                    else:
                        for s in range(S):
                            out[s] += coef * src[s]
            if first:
                out[:] = 0


@njit(parallel=True, cache=True)
def _input_transform(x, BTh, BTw, pad_top, pad_left, th, tw, V, unroll):
    """V (T, C, N*th*(tw+1)): the transformed tiles of x zero-padded by pad_top/pad_left,
    in the GEMM's layout (tiles of one plane on a grid with a spare column); one task
    per plane."""
    N, C = x.shape[0], x.shape[1]
    nh, nw = BTh.shape[0], BTw.shape[0]
    mh, mw = (1 if nh == 1 else nh - 2), nw - 2
    S = th * (tw + 1)
    for task in prange(C * N):
        c, n = task // N, task % N
        poly = np.empty((mh * mw, (th + 2) * (tw + 1)), x.dtype)
        tmp = np.empty((nh * nw, S + 1), x.dtype)
        _input_plane(x[n, c], BTh, BTw, pad_top, pad_left, th, tw, poly, tmp, V, c, n * S,
                     unroll)


@njit(cache=True, fastmath={"contract"})
def _output_plane(M, k, base, ATh, ATw, bias, th, tw, tmp, Yt, yc, unroll):
    """The output transform of one (image, output channel) plane: Yt = A^T M A + bias for
    its tile grid (M[t, k, base + ty*(tw+1) + tx]), scattered into yc (P, Q), cropped
    (``unroll``: as in ``_input_plane``)."""
    P, Q = yc.shape
    mh, nh = ATh.shape
    mw, nw = ATw.shape
    S = th * (tw + 1)
    for a in range(mh):
        for j in range(nw):
            acc = tmp[a * nw + j]
            first = True                          # the first term assigns: no zeroing pass
            for i in range(nh):
                coef = ATh[a, i]
                if coef != 0:
                    src = M[i * nw + j, k, base:base + S]
                    if first:
                        for s in range(S):
                            acc[s] = coef * src[s]
                        first = False
                    else:
                        for s in range(S):
                            acc[s] += coef * src[s]
            if first:
                acc[:] = 0
    for a in range(mh):
        for b in range(mw):
            out = Yt[a * mw + b]
            first = True                          # the first term assigns: no zeroing pass
            for j in range(nw):
                coef = ATw[b, j]
                if coef != 0:
                    src = tmp[a * nw + j]
                    if first:
                        for s in range(S):
                            out[s] = bias + coef * src[s]
                        first = False
                    else:
                        for s in range(S):
                            out[s] += coef * src[s]
            if first:
                out[:] = bias
    full = Q // mw                                # tiles whose mw columns are all inside Q
    for ty in range(th):
        for a in range(min(mh, P - ty * mh)):
            yrow, src = yc[ty * mh + a], Yt[a * mw:(a + 1) * mw, ty * (tw + 1):]
            for tx in range(full):
                for b in range(len(unroll)):          # a compile-time count: unrolled
                    yrow[tx * mw + b] = src[b, tx]
            for b in range(Q - full * mw):
                yrow[full * mw + b] = src[b, full]


@njit(parallel=True, cache=True)
def _output_transform(M, ATh, ATw, bias, th, tw, y, unroll):
    """y (N, K, P, Q) = A^T M A + bias per tile, from M (T, K, N*th*(tw+1)) (tiles on the
    input transform's grid, spare column ignored); one task per plane."""
    N, K = y.shape[0], y.shape[1]
    mh, nw, mw = ATh.shape[0], ATw.shape[1], ATw.shape[0]
    S = th * (tw + 1)
    for task in prange(N * K):
        k, n = task // N, task % N           # consecutive tasks read adjacent M
        tmp = np.empty((mh * nw, S), y.dtype)
        Yt = np.empty((mh * mw, S), y.dtype)
        _output_plane(M, k, n * S, ATh, ATw, bias[k], th, tw, tmp, Yt, y[n, k], unroll)


def _transforms(m, taps, dtype):
    """(A^T, G, B^T) along one dimension: F(m, 3), or the identity for a dimension of 1 tap."""
    if taps == 1:
        return tuple(np.ones((1, 1), dtype) for _ in range(3))
    return matrices(m, R, dtype)


def winograd_conv(x, w, b, pad_lo, pad_hi, G, m, clock):
    """Stride-1 grouped correlation of x (N, C, H, W) with w (K, C/G, 1 or 3, 3), padded by
    pad_lo/pad_hi (any amount), with F(m x m, 3 x 3) (or F(1 x m, 1 x 3) for height 1)."""
    x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
    N, C, H, W = x.shape
    K, Cg, Rh, Rw = w.shape
    mh, mw = (m if Rh == R else 1), m
    ATh, Gh, BTh = _transforms(m, Rh, x.dtype)
    ATw, Gw, BTw = _transforms(m, Rw, x.dtype)
    nh, nw = BTh.shape[0], BTw.shape[0]
    P = H + pad_lo[0] + pad_hi[0] - Rh + 1
    Q = W + pad_lo[1] + pad_hi[1] - Rw + 1
    th, tw = -(-P // mh), -(-Q // mw)
    T, tiles = nh * nw, N * th * (tw + 1)                           # grid: a spare column

    with clock("kernel_transform"):
        # U[(a, b), k, c] = (G g G^T)[a, b] = sum_ij Gh[a, i] Gw[b, j] g[k, c, i, j]
        U = np.kron(Gh, Gw) @ w.reshape(K * Cg, Rh * Rw).T             # (T, K * C/G)
        U = U.reshape(T, G, K // G, Cg)
    with clock("input_transform"):
        ws = _workspace(T * (C + K) * tiles, x.dtype)
        V, M = ws[:T * C * tiles].reshape(T, C, tiles), ws[T * C * tiles:]
        _input_transform(x, BTh, BTw, pad_lo[0], pad_lo[1], th, tw, V, (0,) * mw)
    with clock("multiply"):
        M = np.matmul(U, V.reshape(T, G, Cg, tiles), out=M.reshape(T, G, K // G, tiles))
    with clock("output_transform"):
        bias = b if b is not None else np.zeros(K, x.dtype)
        y = empty((N, K, P, Q), x.dtype)
        _output_transform(M.reshape(T, K, tiles), ATh, ATw, bias, th, tw, y, (0,) * mw)
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

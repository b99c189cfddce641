"""Winograd minimal filtering F(m x m, 3 x 3) for conv2d and F(m, 3) for conv1d.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016): the output is
cut into m x m tiles; each needs an n x n input tile (n = m + 2) and

    Y = A^T [ U * V ] A,   U = G g G^T (kernel transform),  V = B^T d B (input transform).

The channel sum is taken in the transformed domain, so per tile position (n^2 of them)
it is one matrix product: M[t] = U[t] (K, C) @ V[t] (C, tiles), a batched GEMM over
the T positions (per group: (T, G, K/G, C/G) @ (T, G, C/G, tiles)).  The matrices A^T, G,
B^T are generated from interpolation points in ``winograd_transforms``.

conv1d runs through the same code as a 2D convolution of height 1 with a 1 x 3 kernel
(the height transform is the 1 x 1 identity).  The kernel transform U = G g G^T runs in
a parallel Numba kernel; the input transform, the batched GEMM (register-blocked, block
of tiles by block of tiles) and the output transform run fused in another, which also
splits its time between them (both in ``winograd_kernel``).

Supported: 3-tap (1D) or 3x3 (2D) kernels, stride 1, any dilation, any padding, any
groups.  A dilated kernel is decimated into d_h * d_w stride-1 convolutions of the
input's phases (``winograd_conv``).  Strided kernels and other kernel sizes are declared
unsupported.

Backward: the input gradient is again a stride-1 3x3 convolution (of grad_out with the
flipped kernel, channels transposed per group, padding 2 - pad per side, cropping where
the padding exceeds 2), computed by Winograd with the same tile size.  The weight
gradient is computed by im2col (patch matrix and one GEMM), not Winograd.

Non-finite inputs: the input transform mixes the n x n values of a tile, so a NaN or an
infinity reaches every output of the tiles that hold it (and an infinity minus itself is
NaN), not only the outputs whose 3x3 window reads it as torch's are.
"""
from __future__ import annotations

import time
from itertools import product
from math import prod

import numba
import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels._workspace import scratch
from kernels.conv.im2col import grad_weight  # grad_weight by im2col
from kernels.conv.im2col import supports as im2col_supports
from kernels.conv.winograd_kernel import VW, fused, pack_bias, transform_kernel
from kernels.phases import phase_clock

R = 3  # kernel taps per dimension
FUSED_PHASES = ("input_transform", "multiply", "output_transform")


def winograd_conv(x, w, b, pad_lo, pad_hi, G, m, clock, dilation=(1, 1)):
    """Stride-1 grouped correlation of x (N, C, H, W) with w (K, C/G, 1 or 3, 3), padded by
    pad_lo/pad_hi (any amount), with F(m x m, 3 x 3) (or F(1 x m, 1 x 3) for height 1).

    A kernel dilated by d is decimated: outputs o = a (mod d) per axis read only inputs of
    the same residue (o + d r = a + d (o' + r)), so phase (a, c) of the output is a
    stride-1, undilated 3x3 correlation of phase (a, c) of the padded input: d_h * d_w
    Winograd convolutions, each 1/(d_h d_w) of the work, sharing one kernel transform."""
    K = w.shape[0]
    with clock("kernel_transform"):
        n = m + R - 1                                   # input tile size
        Ub = scratch("winograd_U", ((n if w.shape[2] == R else 1) * n, *_packed(w, G)), x.dtype)
        transform(w, G, m, Ub)
        bias = pack_bias(b, G, K, x.dtype)
    if tuple(dilation) == (1, 1):
        return apply(np.ascontiguousarray(x), Ub, bias, K, pad_lo, pad_hi, m, w.shape[2], clock)
    with clock("input_transform"):
        xp = np.pad(x, [(0, 0), (0, 0), *zip(pad_lo, pad_hi)])
    (dh, dw), Rh = dilation, w.shape[2]
    P, Q = xp.shape[2] - dh * (Rh - 1), xp.shape[3] - dw * (R - 1)
    y = empty((x.shape[0], K, P, Q), x.dtype)
    for a, c in product(range(min(dh, P)), range(min(dw, Q))):
        phase = np.ascontiguousarray(xp[:, :, a::dh, c::dw])
        y[:, :, a::dh, c::dw] = apply(phase, Ub, bias, K, (0, 0), (0, 0), m, Rh, clock)
    return y


def _packed(w, G):
    """U's shape after the tile position: (G, K/G blocks of VW, C/G, VW)."""
    K, Cg = w.shape[:2]
    return G, -(-(K // G) // VW), Cg, VW


def transform(w, G, m, Ub):
    """U = G g G^T for every kernel, packed for the fused kernel, into Ub."""
    mh = m if w.shape[2] == R else 1
    transform_kernel(np.ascontiguousarray(w), G, Ub, (0,) * mh, (0,) * m, numba.get_num_threads())


def apply(x, Ub, bias, K, pad_lo, pad_hi, m, Rh, clock):
    """The fused input transform, multiply and output transform on C-contiguous x."""
    N, C, H, W = x.shape
    mh = m if Rh == R else 1
    P = H + pad_lo[0] + pad_hi[0] - Rh + 1
    Q = W + pad_lo[1] + pad_hi[1] - R + 1
    y = empty((N, K, P, Q), x.dtype)
    cyc = np.zeros(3, np.int64)
    start = time.perf_counter()
    fused(x, Ub, bias, (0,) * mh, (0,) * m, pad_lo[0], pad_lo[1], -(-P // mh), -(-Q // m), y, cyc,
          numba.get_num_threads())
    clock.share(time.perf_counter() - start, zip(FUSED_PHASES, cyc / max(1, cyc.sum())))
    return y


def as2d(a, nd):
    """conv1d arrays (N, C, L) as 2D arrays of height 1."""
    return a if nd == 2 else a[:, :, None, :]


def _pads(p):
    lo, hi = tuple(p.pad_lo), tuple(p.pad_hi)
    return ((0,) + lo, (0,) + hi) if p.nd == 1 else (lo, hi)


def _dilation(p):
    return (1,) + tuple(p.dilation) if p.nd == 1 else tuple(p.dilation)


def grad_input(gy, w, p, m, clock):
    """A stride-1 correlation of grad_out with the flipped, per-group channel-transposed
    kernel, padded by (taps - 1 - pad) per side; a negative padding crops grad_out."""
    w4 = as2d(w, p.nd)
    Rh, Rw = w4.shape[2:]
    wt = w4.reshape(p.G, p.Kg, p.Cg, Rh, Rw).swapaxes(1, 2)[:, :, :, ::-1, ::-1]
    wt = np.ascontiguousarray(wt.reshape(p.C, p.Kg, Rh, Rw))
    lo, hi, d = *_pads(p), _dilation(p)
    new_lo = [e * (r - 1) - q for r, q, e in zip((Rh, Rw), lo, d)]
    new_hi = [e * (r - 1) - q for r, q, e in zip((Rh, Rw), hi, d)]
    gy4 = as2d(gy, p.nd)
    crop = tuple(slice(max(0, -a), n - max(0, -c)) for a, c, n in zip(new_lo, new_hi, gy4.shape[2:]))
    gy4 = gy4[(slice(None), slice(None)) + crop]
    gx = winograd_conv(gy4, wt, None, [max(0, a) for a in new_lo], [max(0, c) for c in new_hi],
                       p.G, m, clock, d)
    return gx.reshape(p.in_shape)


def why_not(p) -> str | None:
    if p.kernel != (R,) * p.nd:
        return f"Winograd F(m, 3) needs a {'x'.join(['3'] * p.nd)} kernel, got {p.kernel}"
    if any(s != 1 for s in p.stride):
        return (f"stride {p.stride}: decimating a strided 3x3 kernel leaves 2- and 1-tap "
                f"sub-kernels, which F(m, 3) does not fit (padded back to 3 taps they would "
                f"cost more multiplies than the stride-1 convolution)")
    return im2col_supports(p)  # the weight gradient's patch matrix


def work(p, m: int) -> float:
    """The multiply-adds of F(m x m, 3 x 3) on plan p (Lavin & Gray 2016, section 4): per
    tile of m x m outputs (of each dilation phase), n x n products for every (K, C/G) pair
    of a group, the input transform B^T d B (n n (n + n) / 2 per channel: half its terms
    are zeros or +-1) and the output transform A^T M A (about m n (n + m) / 2 per output
    channel).  F(1 x m) for conv1d."""
    mh, n = (m if p.nd == 2 else 1), m + R - 1
    nh = n if p.nd == 2 else 1
    out, d = ((1,) + tuple(p.out) if p.nd == 1 else tuple(p.out)), _dilation(p)
    per_phase = (-(-o // e) for o, e in zip(out, d))            # outputs of a phase, rounded up
    tiles = p.N * prod(e * -(-q // t) for q, e, t in zip(per_phase, d, (mh, m)))
    return tiles * (nh * n * p.K * p.Cg + p.C * nh * n * (nh + n) / 2
                    + p.K * mh * n * (nh + m) / 2)


def declare(name: str, m: int, trust: int, tolerance: dict, note: str = "") -> Algorithm:
    """Register Winograd F(m, 3) under ``name`` for conv1d and conv2d."""
    algo = Algorithm(name, ops=("conv1d", "conv2d"), trust=trust, tolerance=tolerance,
                     variant_of="winograd",
                     doc=f"Winograd F({m}x{m},3x3) / F({m},3){note}: stride-1 3x3 "
                         f"(3-tap) kernels, dilation by decimation; one batched GEMM over the {(m + 2) ** 2} tile "
                         f"positions; grad_input by Winograd, grad_weight by im2col.  A NaN or "
                         f"infinity in the input spreads over every output of its tile")

    @algo.supports
    def supports(p):
        return why_not(p)

    @algo.estimate
    def estimate(p):
        return work(p, m)

    @algo.forward
    def forward(x, w, b, p):
        if why_not(p):  # reached only by calling the function directly
            raise ValueError(f"{name}: {why_not(p)}")
        lo, hi = _pads(p)
        y = winograd_conv(as2d(x, p.nd), as2d(w, p.nd), b, lo, hi, p.G, m, phase_clock(algo),
                          _dilation(p))
        return y.reshape(p.out_shape)

    @algo.backward
    def backward(gy, x, w, b, p):
        if why_not(p):
            raise ValueError(f"{name}: {why_not(p)}")
        clock = phase_clock(algo)
        gx = grad_input(gy, w, p, m, clock)
        with clock("weight_gradient_im2col"):
            gw = grad_weight(gy, x, p)
        gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
        return gx, gw, gb

    return algo


# The larger the tile, the larger the interpolation points of the transforms and the more
# they amplify round-off (Lavin & Gray 2016): F(2) is trusted most, F(6) least.  The limits
# hold for finite inputs: a NaN or infinity spreads over every output of its tile.
_SPREAD = "; finite inputs only: a NaN or infinity spreads over its whole tile"
F2 = {"float32": (1e-5, "F(2x2,3x3): transforms with entries 0, +-1, +-1/2 keep the error "
                        "near im2col's (a few 1e-7 up to 256 channels)" + _SPREAD),
      "float64": (1e-9, "float64 rounding" + _SPREAD)}
F4 = {"float32": (1e-4, "F(4x4,3x3): points 0, +-1, +-2 amplify error ~10x" + _SPREAD),
      "float64": (1e-9, "float64 rounding, amplified ~10x by the transforms" + _SPREAD)}
F6 = {"float32": (1e-3, "F(6x6,3x3): points up to +-1/2, +-2, +-3 amplify error ~100x "
                        "(Lavin & Gray 2016; NNPACK uses 1e-3)" + _SPREAD),
      "float64": (1e-9, "float64 rounding, amplified ~100x by the transforms" + _SPREAD)}
winograd_f2 = declare("winograd_f2", 2, trust=60, tolerance=F2)
winograd_f4 = declare("winograd_f4", 4, trust=70, tolerance=F4)
winograd_f6 = declare("winograd_f6", 6, trust=80, tolerance=F6)
winograd = declare("winograd", 4, trust=70, tolerance=F4, note=" (the default tile size)")

"""Convolution by real FFTs (convolution theorem), forward and both gradients.

Every pass is one grouped *valid cross-correlation* (``correlate``):

    Y[g, b, k] = sum_c  X[g, b, c]  (star)  W[g, k, c]      (star: valid cross-correlation)

computed as  irfftn( sum_c rfftn(X[g, b, c]) * conj(rfftn(W[g, k, c])) ).  With an FFT
length L >= len(X) per dimension the circular wrap-around only touches outputs beyond
the valid ones, so nothing but a crop is needed (overlap-save with a single tile).  The
channel sum is one batched complex matrix product per frequency f:
(F, G, K, C) @ (F, G, C, B) -> (F, G, K, B).

* forward:     X = padded input, W = weight with zeros inserted between taps (dilation);
               the stride keeps every stride-th output of the full-resolution result.
* grad_input:  a full correlation of grad_out (zeros inserted for the stride) with the
               flipped, channel-transposed kernel (the transposed convolution), cropped
               to the unpadded input.
* grad_weight: a correlation of the padded input with grad_out, summed over the batch
               (the batch plays the channels' role), then every dilation-th tap kept.
* grad_bias:   a sum.

Large inputs are tiled (overlap-save): when the spectra of the whole input would exceed
``MEMORY_BUDGET`` bytes, the output is cut into tiles whose FFT length is
``next_fast_len(max(TILE_FACTOR * kernel, TILE_MIN))`` per dimension, and tiles are
transformed in chunks that fit the budget.  The weight gradient's "kernel" is grad_out
itself (as large as the input); that pass is bounded by summing partial correlations
over blocks of grad_out instead.
"""
from __future__ import annotations

import time
from itertools import product

import numpy as np
import scipy.fft as sfft
from numpy.lib.stride_tricks import as_strided

from kernels._arrays import empty
from kernels._params import prod
from kernels._registry import Algorithm

fft = Algorithm("fft", ops=("conv1d", "conv2d", "conv3d"),
                doc="real FFTs (scipy.fft, next_fast_len), channel sum as a batched complex "
                    "GEMM per frequency, overlap-save tiles for large inputs; stride by "
                    "subsampling, dilation by a dilated kernel; backward by FFT as well")

MEMORY_BUDGET = 256 * 2 ** 20  # bytes of spectra held at once before tiling
TILE_FACTOR = 4                # FFT tile length ~ TILE_FACTOR * kernel length ...
TILE_MIN = 32                  # ... but at least this (tiles of small kernels amortise)
PHASES = ("input_transform", "kernel_transform", "multiply", "output_transform")


class _Clock:
    """Adds the seconds spent in each ``with clock("phase"):`` block to a dict."""

    def __init__(self, phases: dict):
        self.phases = phases

    def __call__(self, name):
        self._name = name
        return self

    def __enter__(self):
        self._t = time.perf_counter()

    def __exit__(self, *exc):
        self.phases[self._name] = self.phases.get(self._name, 0.0) + time.perf_counter() - self._t


def _spectrum_bytes(n_signals: int, lengths, itemsize: int) -> int:
    f = prod(lengths[:-1]) * (lengths[-1] // 2 + 1)
    return 2 * n_signals * f * 2 * itemsize  # complex; x2 for the transposed copy


def fft_lengths(S, R, n_signals: int, itemsize: int) -> tuple:
    """FFT length per dimension: the whole (padded) signal if its spectra fit the budget,
    else a tile length chosen from the kernel size."""
    full = tuple(sfft.next_fast_len(s, real=True) for s in S)
    if _spectrum_bytes(n_signals, full, itemsize) <= MEMORY_BUDGET:
        return full
    return tuple(min(f, sfft.next_fast_len(max(TILE_FACTOR * r, TILE_MIN, r), real=True))
                 for f, r in zip(full, R))


def correlate(x, w, pad_lo, pad_hi, clock, lengths=None):
    """Grouped valid cross-correlation of x (G, B, C, *S) zero-padded by pad_lo/pad_hi
    with w (G, K, C, *R): returns (G, B, K, *(S + pad_lo + pad_hi - R + 1))."""
    G, B, C, *S = x.shape
    K, R = w.shape[1], w.shape[3:]
    nd = len(R)
    Sp = [s + lo + hi for s, lo, hi in zip(S, pad_lo, pad_hi)]
    O = [s - r + 1 for s, r in zip(Sp, R)]
    itemsize = np.dtype(x.dtype).itemsize
    L = lengths or fft_lengths(Sp, R, G * (B * C + K * C + B * K), itemsize)
    To = [l - r + 1 for l, r in zip(L, R)]          # outputs per tile (overlap-save)
    nt = [-(-o // t) for o, t in zip(O, To)]        # tiles per dimension
    axes = tuple(range(-nd, 0))

    with clock("kernel_transform"):
        F = prod(L[:-1]) * (L[-1] // 2 + 1)
        Wf = np.conj(sfft.rfftn(w, s=L, axes=axes, workers=-1)).reshape(G, K, C, F)
        Wf = np.ascontiguousarray(Wf.transpose(3, 0, 1, 2))           # (F, G, K, C)

    with clock("input_transform"):
        extra = [n * t + r - 1 - s for n, t, r, s in zip(nt, To, R, Sp)]
        xp = np.pad(x, [(0, 0)] * 3 + [(lo, hi + e) for lo, hi, e in zip(pad_lo, pad_hi, extra)])
        st = xp.strides
        tiles = as_strided(xp, (G, B, C, *nt, *L),
                           (*st[:3], *(s * t for s, t in zip(st[3:], To)), *st[3:]), writeable=False)

    n_tiles = prod(nt)
    per_tile = _spectrum_bytes(G * (B * C + B * K), L, itemsize)
    chunk = max(1, min(n_tiles, MEMORY_BUDGET // max(per_tile, 1)))
    Yt = np.empty((G, B, K, n_tiles, *To), x.dtype)
    for start in range(0, n_tiles, chunk):
        ids = np.unravel_index(np.arange(start, min(start + chunk, n_tiles)), nt)
        cs = len(ids[0])
        with clock("input_transform"):
            Xf = sfft.rfftn(tiles[(slice(None),) * 3 + ids], s=L, axes=axes, workers=-1)
            Xf = np.ascontiguousarray(Xf.reshape(G, B, C, cs, F).transpose(4, 0, 2, 1, 3))
            Xf = Xf.reshape(F, G, C, B * cs)                           # (F, G, C, B*tiles)
        with clock("multiply"):
            Yf = np.matmul(Wf, Xf)                                     # (F, G, K, B*tiles)
        with clock("output_transform"):
            Yf = Yf.reshape(F, G, K, B, cs).transpose(1, 3, 2, 4, 0).reshape(G, B, K, cs, *_half(L))
            y = sfft.irfftn(Yf, s=L, axes=axes, workers=-1)
            Yt[:, :, :, start:start + cs] = y[(Ellipsis, *(slice(0, t) for t in To))]

    with clock("output_transform"):
        Yt = Yt.reshape(G, B, K, *nt, *To)
        order = [0, 1, 2] + [a for i in range(nd) for a in (3 + i, 3 + nd + i)]
        Yt = Yt.transpose(order).reshape(G, B, K, *(n * t for n, t in zip(nt, To)))
        return Yt[(Ellipsis, *(slice(0, o) for o in O))]


def _half(L):
    return (*L[:-1], L[-1] // 2 + 1)


def dilate(w, dilation):
    """The kernel with dilation-1 zeros between taps: a dilated conv is a plain one with it."""
    if all(d == 1 for d in dilation):
        return w
    nd = len(dilation)
    Rd = [d * (r - 1) + 1 for r, d in zip(w.shape[2:], dilation)]
    wd = np.zeros((*w.shape[:2], *Rd), w.dtype)
    wd[(slice(None), slice(None), *(slice(None, None, d) for d in dilation))] = w
    return wd


def _spatial(p, fn):
    return (slice(None), slice(None), *(fn(i) for i in range(p.nd)))


@fft.forward
def forward(x, w, b, p):
    fft.phases = phases = dict.fromkeys(PHASES, 0.0)
    clock = _Clock(phases)
    with clock("kernel_transform"):
        wd = dilate(w, p.dilation).reshape(p.G, p.Kg, p.Cg, *_kernel_d(p))
    xg = x.reshape(p.N, p.G, p.Cg, *p.size).swapaxes(0, 1)             # (G, N, C/G, *size)
    yf = correlate(xg, wd, p.pad_lo, p.pad_hi, clock)                  # (G, N, K/G, *full)
    with clock("output_transform"):
        y = empty(p.out_shape, p.dtype)
        strided = yf[(slice(None),) * 3 + tuple(slice(None, None, s) for s in p.stride)]
        y.reshape(p.N, p.G, p.Kg, *p.out)[...] = strided.swapaxes(0, 1)
        if b is not None:
            y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


def _kernel_d(p):
    return tuple(d * (r - 1) + 1 for r, d in zip(p.kernel, p.dilation))


def _full_out(p):
    """Output length at stride 1 (every position the dilated kernel fits in)."""
    return tuple(s - r + 1 for s, r in zip(p.padded, _kernel_d(p)))


def upsample(gy, p):
    """grad_out at full resolution: stride-1 zeros between its values (and at the end)."""
    if all(s == 1 for s in p.stride):
        return gy
    up = np.zeros((p.N, p.K, *_full_out(p)), gy.dtype)
    up[(slice(None), slice(None), *(slice(None, None, s) for s in p.stride))] = gy
    return up


@fft.backward
def backward(gy, x, w, b, p):
    fft.phases = phases = dict.fromkeys(PHASES, 0.0)
    clock = _Clock(phases)
    Rd = _kernel_d(p)
    gyu = upsample(gy, p).reshape(p.N, p.G, p.Kg, *_full_out(p))
    gx = grad_input(gyu, w, p, Rd, clock)
    gw = grad_weight(gyu, x, p, Rd, clock)
    gb = gy.sum(axis=(0, *range(2, gy.ndim))) if b is not None else None
    return gx, gw, gb


def grad_input(gyu, w, p, Rd, clock):
    """Full correlation of grad_out with the flipped kernel, channels transposed per group."""
    with clock("kernel_transform"):
        wd = dilate(w, p.dilation).reshape(p.G, p.Kg, p.Cg, *Rd).swapaxes(1, 2)
        wt = wd[(slice(None),) * 3 + (slice(None, None, -1),) * p.nd]   # (G, C/G, K/G, *Rd)
    full = [r - 1 for r in Rd]
    gxp = correlate(gyu.swapaxes(0, 1), wt, full, full, clock)         # (G, N, C/G, *padded)
    with clock("output_transform"):
        gx = empty(p.in_shape, p.dtype)
        inner = tuple(slice(lo, lo + n) for lo, n in zip(p.pad_lo, p.size))
        gx.reshape(p.N, p.G, p.Cg, *p.size)[...] = gxp[(slice(None),) * 3 + inner].swapaxes(0, 1)
    return gx


def grad_weight(gyu, x, p, Rd, clock):
    """gw[k, c, r] = sum_n sum_o gy_up[n, k, o] x_pad[n, c, o + r]: the batch is the
    contracted "channel" axis.  grad_out is the kernel here, as large as the input, so the
    correlation is summed over blocks of grad_out that keep the spectra in the budget."""
    with clock("input_transform"):
        xp = np.pad(x, [(0, 0), (0, 0), *zip(p.pad_lo, p.pad_hi)])
    xg = xp.reshape(p.N, p.G, p.Cg, *p.padded).transpose(1, 2, 0, *range(3, 3 + p.nd))
    gk = gyu.transpose(1, 2, 0, *range(3, 3 + p.nd))                  # (G, K/G, N, *full)
    O = gk.shape[3:]
    blocks = _blocks(O, Rd, p.N * p.G * (p.Cg + p.Kg), p.dtype.itemsize)
    gwd = np.zeros((p.G, p.Cg, p.Kg, *Rd), p.dtype)
    for start in product(*(range(0, o, t) for o, t in zip(O, blocks))):
        part = tuple(slice(s, min(s + t, o)) for s, t, o in zip(start, blocks, O))
        window = tuple(slice(s.start, s.stop + r - 1) for s, r in zip(part, Rd))
        gwd += correlate(xg[(slice(None),) * 3 + window], gk[(slice(None),) * 3 + part],
                         (0,) * p.nd, (0,) * p.nd, clock)
    with clock("output_transform"):
        gw = empty(p.w_shape, p.dtype)
        gw.reshape(p.G, p.Kg, p.Cg, *p.kernel)[...] = \
            gwd.swapaxes(1, 2)[(slice(None),) * 3 + tuple(slice(None, None, d) for d in p.dilation)]
    return gw


def _blocks(O, Rd, n_signals, itemsize):
    """Block of grad_out per dimension for the weight gradient (the whole of it if it fits)."""
    if _spectrum_bytes(n_signals, [o + r - 1 for o, r in zip(O, Rd)], itemsize) <= MEMORY_BUDGET:
        return tuple(O)
    return tuple(max(1, min(o, sfft.next_fast_len(max(TILE_FACTOR * r, TILE_MIN, r), real=True) - r + 1))
                 for o, r in zip(O, Rd))

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

Tiles (overlap-save): the output is cut into tiles of L - R + 1 values per dimension,
each computed from an input tile of FFT length L.  ``fft_lengths`` picks L from the
kernel and input sizes with a small cost model (kernel FFTs + tile FFTs + the channel
GEMM; L = the whole padded input means a single tile), among lengths whose spectra fit
``MEMORY_BUDGET`` bytes, and the tiles are transformed in chunks that fit it too, so
memory stays bounded for any input.  The weight gradient's "kernel" is grad_out itself
(as large as the input); that pass is bounded by summing partial correlations over
blocks of grad_out instead.

Non-finite inputs: every output of a tile is a sum over the whole tile's spectrum, so a
NaN or an infinity in the input makes every output of its tile NaN, not only those whose
window reads it as torch's are.  ``supports`` refuses cases whose workspace (dilated
kernel, spectra at the shortest tile, upsampled grad_out) would pass
``kernels._params.MAX_ELEMENTS``.
"""
from __future__ import annotations

from itertools import product

import numba
import numpy as np
from numpy.lib.stride_tricks import as_strided

from kernels._arrays import empty
from kernels._params import prod, workspace
from kernels._registry import Algorithm
from kernels._workspace import scratch
from kernels.conv._pocketfft import c2c, c2r, next_fast_len, r2c
from kernels.phases import phase_clock

fft = Algorithm("fft", ops=("conv1d", "conv2d", "conv3d"),
                doc="real FFTs (pocketfft, scipy.fft's engine, into kept scratch arrays; "
                    "next_fast_len), channel sum as a batched complex "
                    "GEMM per frequency, overlap-save tiles for large inputs; stride by "
                    "subsampling, dilation by a dilated kernel; backward by FFT as well. "
                    "A NaN or infinity in the input spreads over its whole tile (every "
                    "output the transform of that tile holds), not only the outputs that "
                    "read it")

MEMORY_BUDGET = 256 * 2 ** 20  # bytes of spectra held at once before tiling
FFT_WEIGHT = 12.0              # cost of one n log n unit of FFT relative to one GEMM flop
TILE_FACTOR = 4                # weight-gradient blocks: FFT length ~ TILE_FACTOR * kernel,
TILE_MIN = 32                  # but at least TILE_MIN


def workspace_elements(p) -> int:
    """The largest array the FFT passes of the ConvPlan p hold at once, at the shortest
    tiles (tiling bounds the rest): the dilated kernel, the spectra of the kernel (of the
    weight, or of grad_out's blocks with the batch as channels for the weight gradient),
    grad_out upsampled to full resolution, and the padded input."""
    Rd = p.dilated_kernel
    spectra = 2 * p.G * p.Kg * max(p.Cg, p.N) * _n_freq([next_fast_len(r + 1) for r in Rd])
    return max(p.K * p.Cg * prod(Rd), spectra, p.N * p.K * prod(p.full_out), p.N * p.C * prod(p.padded))


@fft.supports
def supports(p):
    return workspace("the FFT workspace", workspace_elements(p))


@fft.estimate
def estimate(p):
    """The forward's work by the model that picks its FFT length, in multiply-adds."""
    R = p.dilated_kernel
    L = fft_lengths(p.padded, R, p.G, p.N, p.Cg, p.Kg, np.dtype(p.dtype).itemsize)
    return fft_cost(L, R, p.full_out, p.G, p.N, p.Cg, p.Kg) / 2


def _spectrum_bytes(n_signals: int, lengths, itemsize: int) -> int:
    return 2 * n_signals * _n_freq(lengths) * 2 * itemsize  # complex; x2 for a working copy


def _n_freq(lengths) -> int:
    return prod(lengths[:-1]) * (lengths[-1] // 2 + 1)


def _candidates(r: int, full: int, most: int = 12) -> list:
    """Fast FFT lengths from r + 1 up to ``full``, at most ``most`` of them: the fast length
    at or above each of ``most`` geometrically spaced points (so the work does not grow
    with the signal's length)."""
    if full <= r + 1:
        return [full]
    points = np.unique(np.geomspace(r + 1, full, most).round().astype(np.int64))
    lengths = {next_fast_len(int(v)) for v in points} | {full}
    return sorted(v for v in lengths if v <= full)


def fft_cost(L, R, O, G, B, C, K) -> float:
    """Model of the work with FFT length L: real FFTs (n log n, weighted by FFT_WEIGHT to
    account for their lower efficiency than a GEMM) of the kernel, of every input tile and
    of every output tile, plus 8 flops per complex multiply-add of the channel product."""
    n = prod(L)
    tiles = prod(-(-o // (l - r + 1)) for o, l, r in zip(O, L, R))
    ffts = G * (K * C + B * C * tiles + B * K * tiles)
    return FFT_WEIGHT * n * np.log2(max(n, 2)) * ffts + 8 * _n_freq(L) * G * K * C * B * tiles


def fft_lengths(Sp, R, G, B, C, K, itemsize) -> tuple:
    """The FFT (tile) length per dimension: the cheapest by ``fft_cost`` among fast lengths
    between kernel + 1 and the whole padded signal whose one-tile spectra fit
    ``MEMORY_BUDGET`` (the shortest if none does).  L >= Sp means a single tile; for a
    batch of one, the kernel's FFTs dominate and shorter tiles are cheaper."""
    O = [s - r + 1 for s, r in zip(Sp, R)]
    full = [next_fast_len(s) for s in Sp]
    options = list(product(*(_candidates(r, f) for r, f in zip(R, full))))
    fits = [L for L in options  # the kernel's spectra and those of one tile
            if _spectrum_bytes(G * (K * C + B * C + B * K), L, itemsize) <= MEMORY_BUDGET]
    if not fits:
        return min(options, key=prod)
    return min(fits, key=lambda L: fft_cost(L, R, O, G, B, C, K))


def correlate(x, w, pad_lo, pad_hi, clock, lengths=None):
    """Grouped valid cross-correlation of x (G, B, C, *S) zero-padded by pad_lo/pad_hi
    with w (G, K, C, *R): returns (G, B, K, *(S + pad_lo + pad_hi - R + 1)).

    It is computed as a convolution with the flipped kernel (so no conjugate is needed):
    the valid outputs of a tile of length L sit at R - 1 .. L - 1.  The FFTs run over the
    leading axes of arrays laid out (*spatial, G, C, batch), so that their spectra are
    already (F, G, C, batch) for the batched GEMM, with no transposed copy of a spectrum.
    Every intermediate is a kept scratch array (``kernels._workspace``).
    """
    G, B, C, *S = x.shape
    K, R = w.shape[1], tuple(w.shape[3:])
    nd = len(R)
    Sp = [s + lo + hi for s, lo, hi in zip(S, pad_lo, pad_hi)]
    O = [s - r + 1 for s, r in zip(Sp, R)]
    itemsize = np.dtype(x.dtype).itemsize
    L = tuple(lengths or fft_lengths(Sp, R, G, B, C, K, itemsize))
    To = [l - r + 1 for l, r in zip(L, R)]          # outputs per tile (overlap-save)
    nt = [-(-o // t) for o, t in zip(O, To)]        # tiles per dimension
    F, cdt = _n_freq(L), np.result_type(x.dtype, np.complex64)
    threads = numba.get_num_threads()

    with clock("kernel_transform"):
        Wf = kernel_spectra(w, L, threads).reshape(F, G, K, C)
    with clock("input_transform"):
        tiles = input_tiles(x, pad_lo, pad_hi, L, To, nt)           # (*L, G, C, B, *nt)

    per_tile = _spectrum_bytes(G * (B * C + B * K), L, itemsize)
    room = MEMORY_BUDGET - _spectrum_bytes(G * K * C, L, itemsize)
    Yt = np.empty((*To, G, K, B, *nt), x.dtype)
    for box in tile_boxes(nt, max(1, room // per_tile)):
        part = tuple(s.stop - s.start for s in box)
        cs = prod(part)
        with clock("input_transform"):
            Xf = scratch("fft_x", (*_half(L), G, C, B, *part), cdt)
            r2c(tiles[(slice(None),) * (nd + 3) + box], range(nd), Xf, threads)
        with clock("multiply"):
            Yf = scratch("fft_y", (F, G, K, B * cs), cdt)
            np.matmul(Wf, Xf.reshape(F, G, C, B * cs), out=Yf)      # (F, G, K, B*tiles)
        with clock("output_transform"):
            Yt[(slice(None),) * (nd + 3) + box] = \
                valid_inverse(Yf.reshape(*_half(L), G, K, B, *part), L, R, threads)

    with clock("output_transform"):
        order = [nd, nd + 2, nd + 1] + [a for i in range(nd) for a in (nd + 3 + i, i)]
        Yt = Yt.transpose(order).reshape(G, B, K, *(n * t for n, t in zip(nt, To)))
        return Yt[(Ellipsis, *(slice(0, o) for o in O))]


def kernel_spectra(w, L, threads):
    """rfftn of the flipped kernels w (G, K, C, *R), padded to L: (*half(L), G, K, C).

    The padding's zeros are skipped: the real FFT runs along the last axis on the
    kernel's own rows only, and each further axis is transformed only where the axes
    before it hold data (21 of 36 rows for the 21x21 layer)."""
    G, K, C, *R = w.shape
    nd = len(R)
    flipped = np.moveaxis(w[(Ellipsis, *(slice(None, None, -1),) * nd)], (0, 1, 2), (nd, nd + 1, nd + 2))
    real = scratch("fft_wpad", (*R[:-1], L[-1], G, K, C), w.dtype)
    real[(slice(None),) * (nd - 1) + (slice(R[-1], None),)] = 0
    real[(slice(None),) * (nd - 1) + (slice(0, R[-1]),)] = flipped
    Wf = scratch("fft_w", (*_half(L), G, K, C), np.result_type(w.dtype, np.complex64))
    r2c(real, (nd - 1,), Wf[tuple(slice(0, r) for r in R[:-1])], threads)
    for i in range(nd - 2, -1, -1):
        rows = tuple(slice(0, r) for r in R[:i])
        Wf[rows + (slice(R[i], None),)] = 0
        c2c(Wf[rows], (i,), Wf[rows], threads)
    return Wf


def input_tiles(x, pad_lo, pad_hi, L, To, nt):
    """The overlap-save input tiles of x (G, B, C, *S) as a view (*L, G, C, B, *nt) of a
    zero-padded scratch copy that covers every tile."""
    G, B, C, *S = x.shape
    size = [n * t + l - t for n, t, l in zip(nt, To, L)]                # >= the padded input
    xp = scratch("fft_xpad", (G, B, C, *size), x.dtype)
    xp.fill(0)
    xp[(Ellipsis, *(slice(lo, lo + s) for lo, s in zip(pad_lo, S)))] = x
    sg, sb, sc, *ss = xp.strides
    return as_strided(xp, (*L, G, C, B, *nt), (*ss, sg, sc, sb, *(s * t for s, t in zip(ss, To))),
                      writeable=False)


def tile_boxes(nt, limit):
    """The tile grid nt cut into boxes of at most ``limit`` tiles (at least one), each a
    tuple of slices, so that a chunk of tiles is a view: trailing axes whole, one axis
    stepped, the leading ones one index at a time."""
    j, inner = len(nt), 1
    while j > 0 and inner * nt[j - 1] <= limit:
        j, inner = j - 1, inner * nt[j - 1]
    if j == 0:
        yield tuple(slice(0, n) for n in nt)
        return
    step = max(1, limit // inner)
    for lead in product(*(range(n) for n in nt[:j - 1])):
        for s in range(0, nt[j - 1], step):
            yield (*(slice(i, i + 1) for i in lead), slice(s, min(s + step, nt[j - 1])),
                   *(slice(0, n) for n in nt[j:]))


def valid_inverse(Yf, L, R, threads):
    """irfftn of the spectra Yf (*half(L), ...) kept at the valid positions R - 1 .. L - 1
    only; each axis after the first is inverted only at the earlier axes' valid rows."""
    nd = len(L)
    view = Yf
    for i in range(nd - 1):
        c2c(view, (i,), view, threads, forward=False, inorm=2)
        view = view[(slice(None),) * i + (slice(R[i] - 1, None),)]
    out = scratch("fft_out", (*view.shape[:nd - 1], L[-1], *Yf.shape[nd:]), np.finfo(Yf.dtype).dtype)
    c2r(view, nd - 1, L[-1], out, threads, inorm=2)
    return out[(slice(None),) * (nd - 1) + (slice(R[-1] - 1, None),)]


def _half(L):
    return (*L[:-1], L[-1] // 2 + 1)


def dilate(w, dilation):
    """The kernel with dilation-1 zeros between taps: a dilated conv is a plain one with it."""
    if all(d == 1 for d in dilation):
        return w
    Rd = [d * (r - 1) + 1 for r, d in zip(w.shape[2:], dilation)]
    wd = np.zeros((*w.shape[:2], *Rd), w.dtype)
    wd[(slice(None), slice(None), *(slice(None, None, d) for d in dilation))] = w
    return wd


@fft.forward
def forward(x, w, b, p):
    return conv_forward(x, w, b, p, phase_clock(fft))


def conv_forward(x, w, b, p, clock):
    """The convolution of plan p (a ConvPlan) by FFT, phases timed on ``clock``."""
    with clock("kernel_transform"):
        wd = dilate(w, p.dilation).reshape(p.G, p.Kg, p.Cg, *p.dilated_kernel)
    xg = x.reshape(p.N, p.G, p.Cg, *p.size).swapaxes(0, 1)             # (G, N, C/G, *size)
    yf = correlate(xg, wd, p.pad_lo, p.pad_hi, clock)                  # (G, N, K/G, *full)
    with clock("output_transform"):
        y = empty(p.out_shape, p.dtype)
        strided = yf[(slice(None),) * 3 + tuple(slice(0, o * s, s) for o, s in zip(p.out, p.stride))]
        y.reshape(p.N, p.G, p.Kg, *p.out)[...] = strided.swapaxes(0, 1)
        if b is not None:
            y += b.reshape((1, p.K) + (1,) * p.nd)
    return y


def upsample(gy, p):
    """grad_out at full resolution: stride-1 zeros between its values (and at the end)."""
    full = p.full_out
    if all(s == 1 for s in p.stride) and tuple(gy.shape[2:]) == full:
        return gy
    up = np.zeros((p.N, p.K, *full), gy.dtype)  # (transposed convs: full may exceed out*stride)
    up[(slice(None), slice(None), *(slice(0, o * s, s) for o, s in zip(p.out, p.stride)))] = gy
    return up


@fft.backward
def backward(gy, x, w, b, p):
    return conv_backward(gy, x, w, b, p, phase_clock(fft))


def conv_backward(gy, x, w, b, p, clock):
    """(grad_input, grad_weight, grad_bias) of the convolution of plan p by FFT."""
    Rd = p.dilated_kernel
    gyu = upsample(gy, p).reshape(p.N, p.G, p.Kg, *p.full_out)
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
    blocks = _blocks(O, Rd, p.G * (p.N * p.Cg + p.N * p.Kg + p.Cg * p.Kg), p.dtype.itemsize)
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
    return tuple(max(1, min(o, next_fast_len(max(TILE_FACTOR * r, TILE_MIN, r)) - r + 1))
                 for o, r in zip(O, Rd))

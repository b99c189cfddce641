"""Where each output sample of ``interpolate`` reads, and with what weight: torch's rules.

Every mode of torch.nn.functional.interpolate is separable.  Along one spatial axis,
output index o reads input indices ``index[o, :count[o]]`` with ``weight[o, :count[o]]``
(a ``Taps`` table), and the output is the nested sum over the axes:

    y[n, c, o1, o2] = sum_k1 w1[o1, k1] * sum_k2 w2[o2, k2] * x[n, c, i1[o1, k1], i2[o2, k2]]

The tables repeat torch's CPU arithmetic (aten/src/ATen/native/UpSample.h and
native/cpu/UpSampleKernel.cpp) step for step, in the precision torch uses for each step:
its opmath type (float for float32 input, double for float64), with the float rounding
of ``floorf`` for both.  They keep every tap torch keeps, weight 0 included: torch's
bilinear computes ``1 * x[i] + 0 * x[i]`` where an axis keeps its size, so an infinite
input becomes NaN there, and an algorithm that dropped or added zero-weight taps would
not give torch's values for NaN and infinite inputs.
Which weights are exactly 0 also depends on whether torch's compiled kernels fuse
multiply-adds (``FMA``), so the tables fuse them where torch does.

Modes:

- nearest (OpenCV's INTER_NEAREST): ``floor(o * scale)``.  torch computes it on two
  paths: 2-D outputs with ``OH + OW <= 128`` take its channels-last kernel
  (``nearest_idx``: float scale, exact copies for equal and doubled sizes), the others
  the generic kernel (opmath scale, no shortcut).  Both are reproduced.
- nearest-exact (Pillow, scipy.ndimage.zoom): ``floor((o + 0.5) * scale)``, same paths.
- linear/bilinear/trilinear: two taps, ``src = scale * (o + 0.5) - 0.5`` clamped at 0
  (align_corners: ``scale * o``), equal sizes copy with weights (1, 0).
- bicubic: four taps at ``floor(src) - 1 + j`` clamped to the input, Keys' cubic
  convolution with A = -0.75 (Keys 1981, "Cubic convolution interpolation for digital
  image processing"; OpenCV's constant), src not clamped.
- antialias (bilinear, bicubic with Keys' A = -0.5, lanczos-3): Pillow's resampling
  filters, stretched by the scale when downsampling and normalised to sum 1; an axis that
  keeps its size is not resampled.
- area: adaptive average pooling, output o averaging ``[floor(o*n/m), ceil((o+1)*n/m))``.
"""
from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

SMALL_2D = 128   # torch's channels-last nearest kernel serves 2-D outputs with OH + OW <= this


def _torch_contracts() -> bool:
    """Whether torch's upsampling kernels fuse ``a * b + c`` into one rounding (FMA).
    ATen compiles them per CPU capability and runs the best one the CPU has (overridable
    with ATEN_CPU_CAPABILITY); its AVX2 and AVX512 builds are compiled with FMA enabled,
    and GCC contracts.  Which taps get a weight of exactly 0 (and so turn an infinite input
    into NaN) depends on it: at scale 3, ``(1/3) * 1.5 - 0.5`` is 0 rounded twice and
    about 1.5e-8 rounded once."""
    if os.environ.get("ATEN_CPU_CAPABILITY", "").lower() == "default":
        return False
    if platform.machine().lower() in ("aarch64", "arm64"):   # FMA is ARMv8 baseline (untested here)
        return True
    try:
        from llvmlite import binding
        features = binding.get_host_cpu_features()
    except Exception:   # no way to tell: the common x86-64 build
        return True
    return bool(features.get("fma")) and bool(features.get("avx2"))


FMA = _torch_contracts()


def _muladd(ft, a, b, c, fused=True):
    """``a * b + c`` in type ft as torch's compiled code computes it: rounded once where
    the compiler fused it (``fused`` and the CPU has FMA), else twice."""
    a, b, c = np.broadcast_arrays(np.asarray(a, ft), np.asarray(b, ft), np.asarray(c, ft))
    if not (FMA and fused):
        return (a * b + c).astype(ft)
    if ft is np.float32:   # exact product of floats, and for operands of like size exact sum
        return (a.astype(np.float64) * b + c).astype(np.float32)
    return _fma64(a, b, c)


def _two_sum(a, b):
    """s + err == a + b exactly, s = fl(a + b) (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    """hi + lo == a, each with at most 26 significant bits (Veltkamp)."""
    t = 134217729.0 * a
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c):
    """The correctly rounded a * b + c of float64 arrays (no FMA in NumPy).  The exact value
    is r + w + v (Dekker's product, Knuth's sums) with r its rounding to nearest unless
    w + v reaches half an ulp of r: there (a tie or nearly) the value is computed exactly."""
    p = a * b
    (ah, al), (bh, bl) = _split(a), _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl         # a * b == p + e
    s1, t1 = _two_sum(p, c)
    u, v = _two_sum(t1, e)
    r, w = _two_sum(s1, u)                                   # a * b + c == r + w + v
    spacing = np.spacing(np.abs(r))
    toward_zero = (np.sign(w) * np.sign(r)) < 0
    power_of_two = np.frexp(np.abs(r))[0] == 0.5
    half_ulp = np.where(toward_zero & power_of_two, spacing / 4, spacing / 2)
    out = np.where(r == 0, v, r)
    for i in np.flatnonzero((np.abs(w) + np.abs(v) >= half_ulp) & (r != 0)):
        x, y, z = (float(t.flat[i]) for t in (a, b, c))
        out.flat[i] = float(Fraction(x) * Fraction(y) + Fraction(z))
    return out


@dataclass(frozen=True, eq=False)
class Taps:
    """One axis of a resampling: output o reads ``index[o, :count[o]]`` with
    ``weight[o, :count[o]]`` (entries beyond ``count`` are unused)."""
    index: np.ndarray    # (m, T) int64
    weight: np.ndarray   # (m, T), the input's dtype
    count: np.ndarray    # (m,) int64

    def reads(self) -> int:
        return int(self.count.sum())

    def transpose(self, n: int) -> Taps:
        """The adjoint table (input index -> the outputs that read it, in output order): the
        backward of a resampling is the same kind of resampling with this table."""
        T = self.index.shape[1]
        o, k = np.nonzero(np.arange(T)[None, :] < self.count[:, None])
        src, w = self.index[o, k], self.weight[o, k]
        order = np.argsort(src, kind="stable")
        src, o, w = src[order], o[order], w[order]
        count = np.bincount(src, minlength=n).astype(np.int64)
        slot = np.arange(len(src)) - np.repeat(np.cumsum(count) - count, count)
        index = np.zeros((n, max(int(count.max(initial=0)), 1)), np.int64)
        weight = np.zeros(index.shape, self.weight.dtype)
        index[src, slot], weight[src, slot] = o, w
        return Taps(index, weight, count)


def taps(kind: str, n: int, m: int, scale, align_corners: bool, dtype, small: bool) -> Taps:
    """The table of one axis resized from n to m samples.  ``kind`` is the mode, prefixed
    with ``aa-`` when antialiased; ``scale`` the scale factor torch's kernel receives (None:
    it uses n/m); ``small`` whether torch takes its channels-last path (2-D nearest)."""
    return _cached(kind, n, m, None if scale is None else float(scale), bool(align_corners),
                   np.dtype(dtype).name, bool(small))


def transposed(kind, n, m, scale, align_corners, dtype, small) -> Taps:
    """``taps(...).transpose(n)``, cached too."""
    return _cached_transpose(kind, n, m, None if scale is None else float(scale),
                             bool(align_corners), np.dtype(dtype).name, bool(small))


@lru_cache(maxsize=256)
def _cached(kind, n, m, scale, align_corners, dtype, small) -> Taps:
    dtype = np.dtype(dtype)
    if kind == "nearest":
        return _single(_nearest(n, m, scale, dtype, small), dtype)
    if kind == "nearest-exact":
        return _single(_nearest_exact(n, m, scale, dtype, small), dtype)
    if kind in ("linear", "bilinear", "trilinear"):
        return _linear(n, m, scale, align_corners, dtype)
    if kind == "bicubic":
        return _cubic(n, m, scale, align_corners, dtype)
    if kind == "area":
        return _area(n, m, dtype)
    if kind in ("aa-bilinear", "aa-bicubic", "aa-lanczos"):
        return _antialiased(kind[3:], n, m, scale, align_corners, dtype)
    raise ValueError(f"no resampling table for mode {kind!r}")


@lru_cache(maxsize=256)
def _cached_transpose(kind, n, m, scale, align_corners, dtype, small) -> Taps:
    return _cached(kind, n, m, scale, align_corners, dtype, small).transpose(n)


# ---- torch's scalar rules (UpSample.h), with its C++ types ---------------------------
def _floorf(v) -> np.ndarray:
    """``static_cast<int64_t>(floorf(v))``: floorf rounds a double argument to float first."""
    return np.floor(np.asarray(v).astype(np.float32)).astype(np.int64)


def _scales_value(ft, scale, n, m):
    """compute_scales_value: 1/scale (divided in double) for a given scale, else n/m."""
    if scale is not None and scale > 0:
        return ft(1.0 / scale)
    return ft(n) / ft(m)


def _area_scale(ft, n, m, align_corners, scale):
    """area_pixel_compute_scale."""
    if align_corners:
        return ft(n - 1) / ft(m - 1) if m > 1 else ft(0)
    return _scales_value(ft, scale, n, m)


def _source(ft, scale, m, align_corners, cubic):
    """area_pixel_compute_source_index for o = 0..m-1, in type ft."""
    o = np.arange(m, dtype=ft)
    if align_corners:
        return scale * o
    src = _muladd(ft, scale, o + ft(0.5), ft(-0.5))
    return src if cubic else np.where(src < 0, ft(0), src)


def _guard(ft, real, n):
    """guard_index_and_lambda: the left tap and the fraction past it, clamped to [0, 1]."""
    i0 = np.minimum(_floorf(real), n - 1)
    return i0, np.minimum(np.maximum(real - i0.astype(ft), ft(0)), ft(1))


def _single(index, dtype) -> Taps:
    m = len(index)
    return Taps(np.asarray(index, np.int64).reshape(m, 1), np.ones((m, 1), dtype),
                np.ones(m, np.int64))


def _table(index_columns, weight_columns, dtype) -> Taps:
    index = np.stack(index_columns, axis=1).astype(np.int64)
    weight = np.stack(weight_columns, axis=1).astype(dtype)
    return Taps(index, weight, np.full(len(index), index.shape[1], np.int64))


# ---- the modes -----------------------------------------------------------------------
def _nearest(n, m, scale, dtype, small):
    if small:   # nearest_idx
        if m == n:
            return np.arange(m)
        if m == 2 * n:
            return np.arange(m) >> 1
        s = _scales_value(np.float32, scale, n, m)
        return np.minimum(_floorf(np.arange(m, dtype=np.float32) * s), n - 1)
    ft = dtype.type   # HelperInterpNearest
    s = _scales_value(ft, scale, n, m)
    return np.minimum(_floorf(np.arange(m, dtype=ft) * s), n - 1)


def _nearest_exact(n, m, scale, dtype, small):
    if small:   # nearest_exact_idx: (o + 0.5) * scale in double, floorf
        s = np.float64(_scales_value(np.float32, scale, n, m))
        return np.minimum(_floorf((np.arange(m) + 0.5) * s), n - 1)
    ft = dtype.type   # HelperInterpNearestExact
    real = _source(ft, _scales_value(ft, scale, n, m), m, False, cubic=False)
    return np.minimum(_floorf(real.astype(np.float64) + 0.5), n - 1)


def _linear(n, m, scale, align_corners, dtype):
    ft = dtype.type   # compute_source_index_and_lambda
    if m == n:
        i = np.arange(m)
        return _table([i, i], [np.ones(m), np.zeros(m)], dtype)
    real = _source(ft, _area_scale(ft, n, m, align_corners, scale), m, align_corners, cubic=False)
    i0, l1 = _guard(ft, real, n)
    return _table([i0, i0 + (i0 < n - 1)], [ft(1) - l1, l1], dtype)


# Keys' cubic convolution kernel (UpSample.h, cubic_convolution1/2).  Where GCC fuses its
# multiply-adds differs between its two call sites (found by comparing with torch, tap for
# tap): ``fused`` lists, innermost first, the steps it rounds once.
CUBIC_FUSED = {"near": (True, False), "far": (True, True, False)}      # bicubic
FILTER_FUSED = {"near": (True, True), "far": (True, True, True)}       # antialias filter


def _keys_near(ft, x, a, fused):
    """((a + 2) x - (a + 3)) x x + 1, for |x| <= 1."""
    inner = _muladd(ft, a + ft(2), x, -(a + ft(3)), fused[0])
    return _muladd(ft, inner * x, x, ft(1), fused[1])


def _keys_far(ft, x, a, fused):
    """((a x - 5 a) x + 8 a) x - 4 a, for 1 < |x| < 2."""
    inner = _muladd(ft, _muladd(ft, a, x, -(ft(5) * a), fused[0]), x, ft(8) * a, fused[1])
    return _muladd(ft, inner, x, -(ft(4) * a), fused[2])


def _cubic(n, m, scale, align_corners, dtype):
    ft = dtype.type   # HelperInterpCubic, get_cubic_upsample_coefficients
    real = _source(ft, _area_scale(ft, n, m, align_corners, scale), m, align_corners, cubic=True)
    i0, t = _guard(ft, real, n)
    a, one = ft(-0.75), ft(1)
    u = one - t
    near, far = CUBIC_FUSED["near"], CUBIC_FUSED["far"]
    weights = [_keys_far(ft, t + one, a, far), _keys_near(ft, t, a, near),
               _keys_near(ft, u, a, near), _keys_far(ft, u + one, a, far)]
    return _table([np.clip(i0 - 1 + j, 0, n - 1) for j in range(4)], weights, dtype)


def _area(n, m, dtype):
    o = np.arange(m)
    start, stop = (o * n) // m, ((o + 1) * n + m - 1) // m   # adaptive pooling's bins
    count = stop - start
    k = np.arange(int(count.max()))
    index = np.minimum(start[:, None] + k, n - 1)
    ft = dtype.type
    weight = np.where(k < count[:, None], ft(1) / count.astype(dtype)[:, None], ft(0))
    return Taps(index.astype(np.int64), weight.astype(dtype), count.astype(np.int64))


# Pillow's filters (libImaging/Resample.c), as torch's HelperInterp*::aa_filter
def _triangle(ft, x):
    x = np.abs(x)
    return np.where(x < 1, ft(1) - x, ft(0))


def _keys_half(ft, x):
    x, a = np.abs(x), ft(-0.5)
    near, far = _keys_near(ft, x, a, FILTER_FUSED["near"]), _keys_far(ft, x, a, FILTER_FUSED["far"])
    return np.where(x < 1, near, np.where(x < 2, far, ft(0)))


def _sinc(ft, x):
    """sinc_filter<ft>: sin(pi x) / (pi x), 1 at 0, in type ft."""
    with np.errstate(invalid="ignore", divide="ignore"):
        px = x * ft(math.pi)
        sin = np.sin(px.astype(np.float64)).astype(ft)   # correctly rounded, as glibc's sinf
        return np.where(x == 0, ft(1), sin / px)


def _lanczos3(ft, x):
    """sinc(x) * sinc(x / 3) for |x| < 3.  torch's ``sinc_filter(x / 3.0)`` deduces double
    from its argument, so the second factor and the product are double for both dtypes."""
    x = np.abs(x)
    third = _sinc(np.float64, x.astype(np.float64) / 3.0)
    return np.where(x < 3, (_sinc(ft, x).astype(np.float64) * third).astype(ft), ft(0))


FILTERS = {"bilinear": (2, _triangle), "bicubic": (4, _keys_half), "lanczos": (6, _lanczos3)}


def _antialiased(kind, n, m, scale, align_corners, dtype):
    """_compute_indices_min_size_weights_aa, in the input's type (torch's scalar_t)."""
    if m == n:
        return _single(np.arange(m), dtype)
    ft = dtype.type
    interp, filt = FILTERS[kind]
    s = _area_scale(ft, n, m, align_corners, scale)
    support = ft(interp * 0.5 * float(s)) if s >= 1 else ft(interp * 0.5)
    width = int(math.ceil(support)) * 2 + 1
    invscale = ft(1.0 / float(s)) if s >= 1 else ft(1)
    center = ((np.arange(m) + 0.5) * float(s)).astype(ft)
    lo = np.maximum(np.trunc((center - support).astype(np.float64) + 0.5), 0).astype(np.int64)
    hi = np.trunc((center + support).astype(np.float64) + 0.5).astype(np.int64)
    count = np.clip(np.minimum(hi, n) - lo, 0, width)
    j = lo[:, None] + np.arange(width)
    arg = (((j.astype(ft) - center[:, None]).astype(np.float64) + 0.5) * float(invscale)).astype(ft)
    live = np.arange(width) < count[:, None]
    w = np.where(live, filt(ft, arg), ft(0)).astype(dtype)
    total = np.cumsum(w, axis=1, dtype=dtype)[:, -1]   # summed in order, as torch
    w = np.where(total[:, None] != 0, w / np.where(total == 0, ft(1), total)[:, None], w)
    # torch reads the first tap even when the window is empty (its weight is then 0)
    return Taps(np.clip(j, 0, n - 1), w.astype(dtype), np.maximum(count, 1).astype(np.int64))

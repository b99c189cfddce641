"""Resampling plans: pixel_shuffle / pixel_unshuffle and interpolate (nearest, bilinear).

pixel_shuffle (Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an
Efficient Sub-Pixel Convolutional Neural Network") moves channel c*r*r + i*r + j of
(*, C*r*r, H, W) to pixel (h*r + i, w*r + j) of channel c of (*, C, H*r, W*r);
pixel_unshuffle is its inverse, and each is the other's backward.

interpolate is separable: output row oh reads input rows i0[oh] and i1[oh] with weights
l0[oh] and l1[oh] (and the same along the width), so

    y[n, c, oh, ow] = sum_{a, b} lh_a[oh] * lw_b[ow] * x[n, c, ih_a[oh], iw_b[ow]]

with torch's rules for the source coordinate (aten/src/ATen/native/UpSample.h):

- scale: with align_corners, (in - 1) / (out - 1) (0 if out == 1); otherwise 1/scale_factor
  when a scale factor is used and not recomputed, else in / out;
- bilinear: src = scale * (dst + 0.5) - 0.5 clamped at 0 (align_corners: scale * dst),
  i0 = min(floor(src), in - 1), i1 = i0 + (i0 < in - 1), l1 = clamp(src - i0, 0, 1); equal
  sizes copy.  Coordinates are computed in the input's precision (float or double), as
  torch's opmath type does;
- nearest: i0 = min(floor(dst * scale), in - 1) with weights (1, 0) ("legacy" nearest,
  OpenCV's INTER_NEAREST), in float32 arithmetic for both dtypes, as torch; equal sizes
  copy and doubled sizes take dst // 2 exactly.

The output size is size, or floor(in * scale_factor).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from kernels._params import check_flag, check_ndim, prod
from kernels._registry import REQUIRED, Input, Op


# ---- pixel shuffle ------------------------------------------------------------------

@dataclass(frozen=True)
class ShufflePlan:
    lead: tuple          # leading (batch) dimensions
    C: int               # channels of the large (shuffled) side
    H: int               # height and width of the small (channel-packed) side
    W: int
    r: int
    up: bool             # pixel_shuffle (True) or pixel_unshuffle (False)
    dtype: np.dtype

    @property
    def small_shape(self) -> tuple:
        return (*self.lead, self.C * self.r * self.r, self.H, self.W)

    @property
    def big_shape(self) -> tuple:
        return (*self.lead, self.C, self.H * self.r, self.W * self.r)

    @property
    def out_shape(self) -> tuple:
        return self.big_shape if self.up else self.small_shape


def _factor(op, name, r):
    if isinstance(r, bool) or not isinstance(r, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {r!r}")
    if r < 1:
        raise ValueError(f"{op}: {name} must be positive, got {r!r}")
    return int(r)


class ShuffleOp(Op):
    inputs = (Input("input"),)

    def __init__(self, name, up, doc=""):
        self.up = up
        self.factor = "upscale_factor" if up else "downscale_factor"
        self.defaults = {self.factor: REQUIRED}
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        op, x = self.name, shapes[0]
        r = _factor(op, self.factor, params[self.factor])
        check_ndim(op, "input", x, range(3, 9), "(*, C, H, W)")
        if min(x) < 1:
            raise ValueError(f"{op}: input must have no empty dimension, got {tuple(x)}")
        *lead, C, H, W = x
        if self.up:
            if C % (r * r):
                raise ValueError(f"{op}: input channels ({C}) must be divisible by "
                                 f"upscale_factor**2 ({r * r})")
            return ShufflePlan(tuple(lead), C // (r * r), H, W, r, True, dtype)
        if H % r or W % r:
            raise ValueError(f"{op}: input height and width ({H}, {W}) must be divisible by "
                             f"downscale_factor ({r})")
        return ShufflePlan(tuple(lead), C, H // r, W // r, r, False, dtype)

    def cost_of(self, p):
        n = prod(p.big_shape)
        return {"params": 0, "macs": 0, "flops": 0, "bytes": 2 * n * p.dtype.itemsize}


pixel_shuffle = ShuffleOp("pixel_shuffle", True, """pixel_shuffle(input, upscale_factor, algo="auto")

(*, C*r*r, H, W) -> (*, C, H*r, W*r) as torch.nn.functional.pixel_shuffle (Shi et al. 2016).""")
pixel_unshuffle = ShuffleOp("pixel_unshuffle", False, """pixel_unshuffle(input, downscale_factor, algo="auto")

(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of pixel_shuffle.""")
SHUFFLE_OPS = ("pixel_shuffle", "pixel_unshuffle")


# ---- interpolate --------------------------------------------------------------------

@dataclass(frozen=True)
class InterpPlan:
    N: int
    C: int
    size: tuple          # (H, W)
    out: tuple           # (OH, OW)
    mode: str
    align_corners: bool
    i0: tuple            # per dimension: first and second source index per output index
    i1: tuple
    l0: tuple            # per dimension: their weights
    l1: tuple
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C, *self.out)


def _pair_of(op, name, value, kind):
    vals = list(value) if isinstance(value, (tuple, list)) else [value, value]
    if len(vals) != 2:
        raise ValueError(f"{op}: {name} must be one value or 2 values for a 4-D input, got {value!r}")
    for v in vals:
        ok = isinstance(v, numbers.Integral) if kind is int else isinstance(v, numbers.Real)
        if isinstance(v, bool) or not ok:
            raise TypeError(f"{op}: {name} must hold {kind.__name__}s, got {value!r}")
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return [kind(v) for v in vals]


def _nearest(n, m, scale):
    """torch's legacy nearest source index, in float32 arithmetic (torch's nearest_idx,
    whose exact shortcuts for equal and doubled sizes avoid float error)."""
    if m == n or m == 2 * n:
        i0 = np.arange(m) // (m // n)
        return i0, i0, np.ones(m), np.zeros(m)
    s = np.float32(1.0 / scale) if scale is not None else np.float32(n) / np.float32(m)
    src = np.floor(np.arange(m, dtype=np.float32) * s).astype(np.int64)
    i0 = np.minimum(src, n - 1)
    return i0, i0, np.ones(m), np.zeros(m)


def _linear(n, m, scale, align_corners, dtype):
    """torch's bilinear source indices and weights along one dimension, in the input's precision."""
    ft = np.dtype(dtype).type
    if m == n:
        i = np.arange(m)
        return i, i, np.ones(m), np.zeros(m)
    if align_corners:
        s = ft(n - 1) / ft(m - 1) if m > 1 else ft(0)
        src = s * np.arange(m, dtype=dtype)
    else:
        s = ft(1.0 / scale) if scale is not None else ft(n) / ft(m)
        src = np.maximum(s * (np.arange(m, dtype=dtype) + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    l1 = np.clip(src - i0.astype(dtype), ft(0), ft(1))
    i1 = i0 + (i0 < n - 1)
    return i0, i1, (ft(1) - l1).astype(np.float64), l1.astype(np.float64)


class InterpolateOp(Op):
    """interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
    recompute_scale_factor=None, antialias=False, algo="auto")

    Resize (N, C, H, W) as torch.nn.functional.interpolate does, for mode "nearest" (torch's
    legacy nearest) and "bilinear" (both align_corners settings).  size or scale_factor
    (not both); with a scale factor the output is floor(in * scale_factor) and, unless
    recompute_scale_factor, the coordinates use 1/scale_factor as torch does."""

    inputs = (Input("input"),)
    defaults = {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None,
                "recompute_scale_factor": None, "antialias": False}

    def plan(self, shapes, dtype, params):
        op, x = self.name, shapes[0]
        size, scale, mode = params["size"], params["scale_factor"], params["mode"]
        ac, recompute = params["align_corners"], params["recompute_scale_factor"]
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"{op}: mode must be 'nearest' or 'bilinear' (the modes implemented), "
                             f"got {mode!r}")
        check_ndim(op, "input", x, 4, "(N, C, H, W)")
        if min(x) < 1:
            raise ValueError(f"{op}: input must have no empty dimension, got {tuple(x)}")
        if check_flag(op, "antialias", params["antialias"]):
            raise ValueError(f"{op}: antialias=True is not implemented")
        if mode == "nearest" and ac is not None:
            raise ValueError(f"{op}: align_corners can only be set with mode='bilinear'")
        if ac is not None and not isinstance(ac, (bool, np.bool_)):
            raise TypeError(f"{op}: align_corners must be True, False or None, got {ac!r}")
        if recompute is not None and not isinstance(recompute, (bool, np.bool_)):
            raise TypeError(f"{op}: recompute_scale_factor must be True, False or None, got {recompute!r}")
        if (size is None) == (scale is None):
            raise ValueError(f"{op}: exactly one of size or scale_factor must be given")
        N, C, *insize = x
        scales = [None, None]
        if size is not None:
            if recompute:
                raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
            out = _pair_of(op, "size", size, int)
        else:
            factors = _pair_of(op, "scale_factor", scale, float)
            out = [math.floor(float(n) * f) for n, f in zip(insize, factors)]
            if min(out) < 1:
                raise ValueError(f"{op}: scale_factor {scale!r} gives an empty output {tuple(out)} "
                                 f"for input size {tuple(insize)}")
            scales = [None, None] if recompute else factors
        ac = bool(ac)
        if mode == "nearest":
            dims = [_nearest(n, m, s) for n, m, s in zip(insize, out, scales)]
        else:
            dims = [_linear(n, m, s, ac, dtype) for n, m, s in zip(insize, out, scales)]
        i0, i1, l0, l1 = (tuple(tuple(d[k].tolist()) for d in dims) for k in range(4))
        return InterpPlan(N, C, tuple(insize), tuple(out), mode, ac, i0, i1, l0, l1, dtype)

    def cost_of(self, p):
        taps = 1 if p.mode == "nearest" else 4
        macs = p.N * p.C * prod(p.out) * (taps if p.mode == "bilinear" else 0)
        elems = p.N * p.C * (prod(p.size) + prod(p.out))
        return {"params": 0, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


interpolate = InterpolateOp("interpolate")
INTERP_OPS = ("interpolate",)

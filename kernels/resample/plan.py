"""Resampling plans: pixel_shuffle / pixel_unshuffle and interpolate.

pixel_shuffle (Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an
Efficient Sub-Pixel Convolutional Neural Network") moves channel c*r*r + i*r + j of
(*, C*r*r, H, W) to pixel (h*r + i, w*r + j) of channel c of (*, C, H*r, W*r);
pixel_unshuffle is its inverse, and each is the other's backward.

interpolate resizes (N, C, *spatial) with 1 to 3 spatial axes in every mode of
torch.nn.functional.interpolate.  Each mode is separable: the plan holds the geometry and
``InterpPlan.taps()`` one ``kernels.resample.taps.Taps`` table per axis (where output index
o reads, with what weights), computed by torch's rules; the algorithms only differ in how
they evaluate the sums.  The output size is ``size``, or ``trunc(in * scale_factor)``; a
scale factor not recomputed also sets the coordinate scale (1 / scale_factor).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from kernels._params import check_flag, check_ndim, check_output_size, prod
from kernels._registry import REQUIRED, Input, Op
from kernels.resample.taps import SMALL_2D, Taps, taps, transposed

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
        if len(x) < 3 or min(x) < 0:
            raise ValueError(f"{op}: input must be (*, C, H, W) (at least 3-D), got shape {tuple(x)}")
        *lead, C, H, W = x
        if self.up:
            if C % (r * r):
                raise ValueError(f"{op}: input channels ({C}) must be divisible by "
                                 f"upscale_factor**2 ({r * r})")
            p = ShufflePlan(tuple(lead), C // (r * r), H, W, r, True, dtype)
        else:
            if H % r or W % r:
                raise ValueError(f"{op}: input height and width ({H}, {W}) must be divisible "
                                 f"by downscale_factor ({r})")
            p = ShufflePlan(tuple(lead), C, H // r, W // r, r, False, dtype)
        check_output_size(op, self.factor, p.out_shape, dtype)
        return p

    def cost_of(self, p):
        n = prod(p.big_shape)
        return {"params": 0, "macs": 0, "flops": 0, "bytes": 2 * n * p.dtype.itemsize}


pixel_shuffle = ShuffleOp("pixel_shuffle", True, """pixel_shuffle(input, upscale_factor, algo="auto")

(*, C*r*r, H, W) -> (*, C, H*r, W*r) as torch.nn.functional.pixel_shuffle (Shi et al. 2016).""")
pixel_unshuffle = ShuffleOp("pixel_unshuffle", False, """pixel_unshuffle(input, downscale_factor, algo="auto")

(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of pixel_shuffle.""")
SHUFFLE_OPS = ("pixel_shuffle", "pixel_unshuffle")


# ---- interpolate --------------------------------------------------------------------

MODES = {  # mode -> the spatial ranks it takes (torch dispatches on input.dim() and mode)
    "nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3), "linear": (1,),
    "bilinear": (2,), "bicubic": (2,), "trilinear": (3,), "lanczos": (2,)}
NEAREST = ("nearest", "nearest-exact")
ANTIALIAS = ("bilinear", "bicubic", "lanczos")   # the modes antialias=True takes (2-D)


@dataclass(frozen=True)
class InterpPlan:
    N: int
    C: int
    size: tuple              # input spatial sizes
    out: tuple               # output spatial sizes
    mode: str
    align_corners: bool
    antialias: bool
    scales: tuple            # per axis, the scale factor torch's kernel uses (None: in/out)
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C, *self.out)

    @property
    def kind(self) -> str:
        return f"aa-{self.mode}" if self.antialias else self.mode

    def _args(self, axis, backward=False):
        """taps()'s arguments for one axis.  torch's nearest backward always indexes as its
        channels-last forward does (nearest_idx / nearest_exact_idx), whatever the size."""
        small = self.mode in NEAREST and (backward or len(self.out) == 2 and sum(self.out) <= SMALL_2D)
        return (self.kind, self.size[axis], self.out[axis], self.scales[axis],
                self.align_corners, self.dtype, small)

    def taps(self) -> tuple[Taps, ...]:
        """One table per spatial axis: the forward reads through them."""
        return tuple(taps(*self._args(a)) for a in range(len(self.out)))

    def backward_taps(self) -> tuple[Taps, ...]:
        """The tables torch's backward scatters the gradient through (the forward's, but for
        the nearest modes' index rule)."""
        return tuple(taps(*self._args(a, backward=True)) for a in range(len(self.out)))

    def adjoint_taps(self) -> tuple[Taps, ...]:
        """backward_taps() transposed: the backward as a resampling (a gather) through them."""
        return tuple(transposed(*self._args(a, backward=True)) for a in range(len(self.out)))


def _spatial(op, name, value, dims, kind):
    """size or scale_factor as a list of ``dims`` values (one value stands for all)."""
    if isinstance(value, (tuple, list)):
        if len(value) != dims:
            raise ValueError(f"{op}: {name} must have one value per spatial dimension "
                             f"({dims}), got {value!r}")
        values = list(value)
    else:
        values = [value] * dims
    for v in values:
        if kind is int:   # torch takes ints (NumPy's too), not bools or floats
            ok = isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
        else:             # a number (torch takes True as 1.0)
            ok = isinstance(v, numbers.Real)
        if not ok:
            raise TypeError(f"{op}: {name} must be {'an int' if kind is int else 'a number'} "
                            f"or a sequence of them, got {value!r}")
    return values


class InterpolateOp(Op):
    """interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
    recompute_scale_factor=None, antialias=False, algo="auto")

    Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) as torch.nn.functional.interpolate,
    in every mode torch has: nearest, nearest-exact, linear (3-D input), bilinear and
    bicubic (4-D), trilinear (5-D), area (adaptive average pooling) and lanczos (4-D, with
    antialias); align_corners for the interpolating modes; antialias for bilinear, bicubic
    and lanczos.  size or scale_factor (exactly one); with a scale factor the output is
    trunc(in * scale_factor) and, unless recompute_scale_factor, the coordinates use
    1 / scale_factor as torch does."""

    inputs = (Input("input"),)
    defaults = {"size": None, "scale_factor": None, "mode": "nearest", "align_corners": None,
                "recompute_scale_factor": None, "antialias": False}

    def plan(self, shapes, dtype, params):
        op, x = self.name, shapes[0]
        mode, ac = params["mode"], params["align_corners"]
        if not isinstance(mode, str) or mode not in MODES:
            raise ValueError(f"{op}: mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        check_ndim(op, "input", x, (3, 4, 5), "(N, C, *spatial)")
        dims = len(x) - 2
        if dims not in MODES[mode]:
            raise ValueError(f"{op}: mode {mode!r} takes {'/'.join(str(d + 2) for d in MODES[mode])}-D "
                             f"input, got input of shape {tuple(x)}")
        ac = self._align_corners(mode, ac)
        antialias = check_flag(op, "antialias", params["antialias"])
        if antialias and not (mode in ANTIALIAS and dims == 2):
            raise ValueError(f"{op}: antialias=True takes mode 'bilinear', 'bicubic' or 'lanczos' "
                             f"and 4-D input, got mode {mode!r}")
        if mode == "lanczos" and not antialias:
            raise ValueError(f"{op}: mode 'lanczos' needs antialias=True")
        out, scales, names = self._out_size(x, params, mode)
        check_output_size(op, names, (*x[:2], *out), dtype)
        N, C, *size = x
        if min(size) < 1:
            raise ValueError(f"{op}: input must have non-empty spatial dimensions, got shape {tuple(x)}")
        if C == 0 and not (mode == "area" and dims < 3):   # as torch: adaptive pooling takes C = 0
            raise ValueError(f"{op}: input must have channels (only the batch may be empty), "
                             f"got shape {tuple(x)}")
        return InterpPlan(N, C, tuple(size), tuple(out), mode, ac, antialias, tuple(scales), dtype)

    def _align_corners(self, mode, ac):
        op = self.name
        if mode in NEAREST + ("area",):
            if ac is not None:
                raise ValueError(f"{op}: align_corners can only be set with the interpolating "
                                 f"modes (linear, bilinear, bicubic, trilinear), not {mode!r}")
            return False
        if ac is None:
            return False
        if not isinstance(ac, bool):   # torch takes a Python bool only
            raise TypeError(f"{op}: align_corners must be True, False or None, got {ac!r}")
        if mode == "lanczos" and ac:
            raise ValueError(f"{op}: mode 'lanczos' does not take align_corners=True")
        return ac

    def _out_size(self, x, params, mode):
        """(output sizes, the scale factors the kernel uses, the argument that set them), as
        torch's interpolate."""
        op, size, scale = self.name, params["size"], params["scale_factor"]
        recompute = params["recompute_scale_factor"]
        if recompute is not None:
            recompute = check_flag(op, "recompute_scale_factor", recompute)
        if size is not None and scale is not None:
            raise ValueError(f"{op}: only one of size or scale_factor should be given")
        if size is None and scale is None:
            raise ValueError(f"{op}: either size or scale_factor should be given")
        insize, dims = x[2:], len(x) - 2
        if size is not None:
            if recompute:
                raise ValueError(f"{op}: recompute_scale_factor is not meaningful with an explicit size")
            out, names = [int(v) for v in _spatial(op, "size", size, dims, int)], "size"
            scales = [None] * dims
        else:
            factors = _spatial(op, "scale_factor", scale, dims, float)
            if not all(math.isfinite(f) for f in factors):
                raise ValueError(f"{op}: scale_factor must be finite, got {scale!r}")
            if recompute or mode == "area":   # torch computes the size in Python, then drops the scale
                out, scales = [int(n * f) for n, f in zip(insize, factors)], [None] * dims
            else:                             # ... or in C++, in double, and keeps the scale
                out, scales = [int(float(n) * float(f)) for n, f in zip(insize, factors)], \
                    [float(f) for f in factors]
            names = "scale_factor"
        if min(out) < 1:
            raise ValueError(f"{op}: {names} gives an empty output {tuple(out)} for input size "
                             f"{tuple(insize)}; output sizes must be positive")
        return out, scales, names

    def cost_of(self, p):
        """Nearest modes move data (0 macs); the others read count taps per output along
        each axis, so the direct method does N*C*prod(sum of counts) multiply-adds."""
        macs = 0 if p.mode in NEAREST else p.N * p.C * prod(t.reads() for t in p.taps())
        elems = p.N * p.C * (prod(p.size) + prod(p.out))
        return {"params": 0, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


interpolate = InterpolateOp("interpolate")
INTERP_OPS = ("interpolate",)


def declare(algorithm, shuffle, resample):
    """Declare an algorithm from its shuffle(x, p, to_big) and resample(x, tables): pixel
    shuffle and unshuffle are each other's backward, and interpolate's backward is a
    resampling (a gather) through the adjoint tables."""
    @algorithm.forward
    def forward(x, p):
        if isinstance(p, ShufflePlan):
            return shuffle(x, p, p.up)
        return resample(x, p.taps())

    @algorithm.backward
    def backward(gy, x, p):
        if isinstance(p, ShufflePlan):
            return (shuffle(gy, p, not p.up),)
        return (resample(gy, p.adjoint_taps()),)


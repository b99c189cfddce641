"""The pooling plan: every pooling op reduced to the same description of its windows.

A pooling op maps the input (N, C, *size) to (N, C, *out); each output element reduces
(max, sum, or sum of powers) one window of input elements.  Every window here is
separable: along each spatial dimension, output index o sees the ``cnt[o]`` input
positions ``lo[o], lo[o] + step, ...`` (taps in the padding are already dropped).  This
one description serves

- sliding windows (max/avg/sum/lp pooling): the taps o*stride - pad + t*dilation that land
  inside the input, with torch's output length

      out = (size + 2*pad - dilation*(kernel - 1) - 1 + (stride - 1 if ceil_mode)) // stride + 1

  minus one if ceil_mode made the last window start beyond the input and left padding;
- adaptive windows (adaptive pools, global average, each level of a spatial pyramid):
  bin o covers [floor(o*size/out), ceil((o+1)*size/out)).

Averages divide by a separable divisor ``div`` (per dimension, multiplied together), as
torch does: the window's extent clipped to the padded input (count_include_pad), its count
of real elements (not count_include_pad), or divisor_override.  Every algorithm works on
5-D views (N, C, D, H, W): 1D and 2D pools add unit dimensions in front.

Indices (return_indices) are flat over the spatial dimensions of one (n, c) plane,
d*H*W + h*W + w, exactly as torch's; ties go to the first maximum in scan order.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from kernels import _arrays
from kernels._params import as_tuple, check_flag, check_ndim, prod
from kernels._registry import REQUIRED, Input, Op


@dataclass(frozen=True)
class PoolPlan:
    kind: str            # "max", "avg", "sum" or "lp"
    nd: int
    N: int
    C: int
    size: tuple          # spatial input size (nd values)
    out: tuple           # spatial output size (nd values)
    lo: tuple            # 3 tuples (D, H, W order, unit dims in front): first tap per output index
    cnt: tuple           # 3 tuples: number of taps per output index
    step: tuple          # 3 ints: distance between taps (the dilation)
    div: tuple           # 3 tuples: divisor factors per output index (1 for max and sum)
    window: int          # taps of the nominal window (prod(kernel)); lp multiplies by it
    kernel: tuple | None  # sliding windows only (3 values each): kernel, stride, padding
    stride: tuple | None
    pad: tuple | None
    return_indices: bool
    norm_type: float     # lp only (0.0 otherwise)
    dtype: np.dtype
    batched: bool = True  # False: torch's unbatched input (C, *size), run as N = 1

    @property
    def in_shape(self) -> tuple:
        return (self.N, self.C, *self.size)[0 if self.batched else 1:]

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C, *self.out)[0 if self.batched else 1:]

    @property
    def size3(self) -> tuple:
        return (1,) * (3 - self.nd) + tuple(self.size)

    @property
    def out3(self) -> tuple:
        return (1,) * (3 - self.nd) + tuple(self.out)

    @property
    def taps(self) -> int:
        """Input elements read over all windows (the window ops of one forward pass)."""
        return self.N * self.C * prod(sum(c) for c in self.cnt)


def _stride(op, stride, kernel, nd):
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return kernel
    return as_tuple(op, "stride", stride, nd)


def out_length(size, pad, k, d, s, ceil_mode) -> int:
    """torch's pooling_output_shape: the window count along one dimension."""
    n = (size + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + pad:
        n -= 1  # the last window must start inside the input or the left padding
    return n


def check_input(op, shape, nd, unbatched=False):
    """The input's shape as (N, C, *size) and whether it had a batch dimension; torch's
    pools also take an unbatched (C, *size)."""
    dims = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[nd]
    if unbatched:
        dims += " or " + dims.replace("N, ", "")
    check_ndim(op, "input", shape, (nd + 1, nd + 2) if unbatched else nd + 2, dims)
    if min(shape) < 1:
        raise ValueError(f"{op}: input must have no empty dimension, got {tuple(shape)}")
    batched = len(shape) == nd + 2
    return (tuple(shape) if batched else (1, *shape)), batched


def sliding(op, kind, nd, shape, dtype, kernel_size, stride, padding, dilation, ceil_mode,
            count_include_pad=True, divisor_override=None, return_indices=False,
            norm_type=0.0) -> PoolPlan:
    """The plan of a sliding-window pool (torch's checks, in torch's order)."""
    shape, batched = check_input(op, shape, nd, unbatched=True)
    N, C, *size = shape
    kernel = as_tuple(op, "kernel_size", kernel_size, nd)
    stride = _stride(op, stride, kernel, nd)
    pad = as_tuple(op, "padding", padding, nd, minimum=0)
    dil = as_tuple(op, "dilation", dilation, nd)
    ceil_mode = check_flag(op, "ceil_mode", ceil_mode)
    for k, p in zip(kernel, pad):
        if p > k // 2:
            raise ValueError(f"{op}: padding must be at most half of kernel_size, got "
                             f"padding={padding!r} and kernel_size={kernel_size!r}")
    out = tuple(out_length(*a, ceil_mode) for a in zip(size, pad, kernel, dil, stride))
    if min(out) < 1:  # torch's check; with ceil_mode a window may overhang the padded input
        raise ValueError(f"{op}: the window (kernel_size={kernel_size!r}, dilation={dilation!r}) "
                         f"is larger than the padded input {tuple(size)} + 2*padding {pad}")
    axes = [_axis(op, kind, count_include_pad, *a) for a in zip(size, kernel, pad, dil, stride, out)]
    if any(not all(c) for _, c, _ in axes):
        raise ValueError(f"{op}: with dilation={dilation!r} and padding={padding!r} a "
                         f"window lies entirely in the padding")
    lo, cnt, div = (list(t) for t in zip(*axes))
    if divisor_override is not None:
        div = [(divisor_override,) * out[0]] + [(1,) * o for o in out[1:]]
    unit = 3 - nd
    return PoolPlan(kind, nd, N, C, tuple(size), out,
                    ((0,),) * unit + tuple(lo), ((1,),) * unit + tuple(cnt),
                    (1,) * unit + dil, ((1,),) * unit + tuple(div), prod(kernel),
                    (1,) * unit + kernel, (1,) * unit + stride, (0,) * unit + pad,
                    check_flag(op, "return_indices", return_indices), float(norm_type), dtype, batched)


def _axis(op, kind, count_include_pad, n, k, p, d, s, o):
    """Along one dimension: the first in-input tap, the tap count and the divisor factor
    of every output index."""
    first = [i * s - p for i in range(o)]
    taps = [[f + t * d for t in range(k) if 0 <= f + t * d < n] for f in first]
    lo = tuple(t[0] if t else 0 for t in taps)
    cnt = tuple(len(t) for t in taps)
    if kind in ("avg", "lp") and count_include_pad:
        div = tuple(min(f + k, n + p) - f for f in first)  # clipped to the padded input
    else:
        div = cnt if kind == "avg" else (1,) * o
    return lo, cnt, div


def adaptive(op, kind, shape, dtype, output_size, return_indices=False) -> PoolPlan:
    """Adaptive pooling (2D): bin o of out covers [floor(o*n/out), ceil((o+1)*n/out))."""
    shape, batched = check_input(op, shape, 2, unbatched=True)
    N, C, *size = shape
    out = adaptive_size(op, output_size, size)
    lo = tuple(tuple(o * n // m for o in range(m)) for n, m in zip(size, out))
    hi = tuple(tuple(-(-(o + 1) * n // m) for o in range(m)) for n, m in zip(size, out))
    cnt = tuple(tuple(h - l for l, h in zip(ls, hs)) for ls, hs in zip(lo, hi))
    div = cnt if kind == "avg" else tuple((1,) * m for m in out)
    return PoolPlan(kind, 2, N, C, tuple(size), out, ((0,),) + lo, ((1,),) + cnt, (1, 1, 1),
                    ((1,),) + div, 0, None, None, None,
                    check_flag(op, "return_indices", return_indices), 0.0, dtype, batched)


def adaptive_size(op, output_size, size) -> tuple:
    """output_size as torch takes it: an int, or a pair whose None entries keep the input's size."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
        vals = [n if v is None else v for v, n in zip(output_size, size)]
    else:
        vals = [output_size, output_size]
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{op}: output_size must hold ints (or None), got {output_size!r}")
        if v < 1:
            raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return tuple(int(v) for v in vals)


def pool_cost(p: PoolPlan, extra_in: int = 0) -> dict:
    """macs = input elements read over all windows (one compare or add each); bytes = input
    read once plus output written once (plus indices when returned)."""
    elems = prod(p.in_shape) + prod(p.out_shape) + extra_in
    nbytes = elems * p.dtype.itemsize + (8 * prod(p.out_shape) if p.return_indices else 0)
    return {"params": 0, "macs": p.taps, "flops": 2 * p.taps, "bytes": nbytes}


# ---- the ops ----------------------------------------------------------------------------

class MaxPoolOp(Op):
    inputs = (Input("input"),)
    defaults = {"kernel_size": REQUIRED, "stride": None, "padding": 0, "dilation": 1,
                "ceil_mode": False, "return_indices": False}

    def __init__(self, name, nd, doc=""):
        self.nd = nd
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        return sliding(self.name, "max", self.nd, shapes[0], dtype, **params)

    def cost_of(self, plan):
        return pool_cost(plan)


class AvgPoolOp(Op):
    inputs = (Input("input"),)
    defaults = {"kernel_size": REQUIRED, "stride": None, "padding": 0, "ceil_mode": False,
                "count_include_pad": True, "divisor_override": None}

    def __init__(self, name, nd, doc=""):
        self.nd = nd
        if nd == 1:  # torch's avg_pool1d has no divisor_override
            self.defaults = {k: v for k, v in self.defaults.items() if k != "divisor_override"}
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        d = params.get("divisor_override")
        if d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral)):
            raise TypeError(f"{self.name}: divisor_override must be an int or None, got {d!r}")
        if d is not None and d == 0:
            raise ValueError(f"{self.name}: divisor_override must not be zero")
        cip = check_flag(self.name, "count_include_pad", params.pop("count_include_pad"))
        if self.nd == 3 and len(shapes[0]) in (4, 5):  # torch's avg_pool3d checks the unpadded input
            k = as_tuple(self.name, "kernel_size", params["kernel_size"], 3)
            if any(n < kk for n, kk in zip(shapes[0][-3:], k)):
                raise ValueError(f"{self.name}: input {tuple(shapes[0])} is smaller than "
                                 f"kernel_size {k} (torch requires it even with padding)")
        return sliding(self.name, "avg", self.nd, shapes[0], dtype, dilation=1,
                       count_include_pad=cip, **params)

    def cost_of(self, plan):
        return pool_cost(plan)


class SumPoolOp(Op):
    inputs = (Input("input"),)
    defaults = {"kernel_size": REQUIRED, "stride": None, "padding": 0, "ceil_mode": False}

    def plan(self, shapes, dtype, params):
        return sliding(self.name, "sum", 2, shapes[0], dtype, dilation=1, **params)

    def cost_of(self, plan):
        return pool_cost(plan)


class LpPoolOp(Op):
    inputs = (Input("input"),)
    defaults = {"norm_type": REQUIRED, "kernel_size": REQUIRED, "stride": None, "ceil_mode": False}

    def __init__(self, name, nd, doc=""):
        self.nd = nd
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        p = params["norm_type"]
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"{self.name}: norm_type must be a number, got {p!r}")
        if p == 0 or math.isnan(p):
            raise ValueError(f"{self.name}: norm_type must be non-zero (inf allowed), got {p!r}")
        return sliding(self.name, "lp", self.nd, shapes[0], dtype, params["kernel_size"],
                       params["stride"], 0, 1, params["ceil_mode"], norm_type=p)

    def cost_of(self, plan):
        return pool_cost(plan)


class AdaptivePoolOp(Op):
    inputs = (Input("input"),)

    def __init__(self, name, kind, doc=""):
        self.kind = kind
        self.defaults = ({"output_size": REQUIRED, "return_indices": False} if kind == "max"
                         else {"output_size": REQUIRED})
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        return adaptive(self.name, self.kind, shapes[0], dtype, **params)

    def cost_of(self, plan):
        return pool_cost(plan)


class GlobalAvgPoolOp(Op):
    inputs = (Input("input"),)
    defaults = {}

    def plan(self, shapes, dtype, params):
        return adaptive(self.name, "avg", shapes[0], dtype, 1)

    def cost_of(self, plan):
        return pool_cost(plan)


@dataclass(frozen=True)
class SPPPlan:
    levels: tuple        # one adaptive PoolPlan per pyramid level
    mode: str
    N: int
    C: int
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C * sum(prod(lv.out) for lv in self.levels))


class SPPOp(Op):
    """Spatial pyramid pooling (He, Zhang, Ren, Sun 2014, "Spatial Pyramid Pooling in Deep
    Convolutional Networks for Visual Recognition"): for each level l, adaptive pooling to
    l x l bins; each level's (N, C, l, l) result is flattened to (N, C*l*l) (channel-major,
    bins row-major) and the levels are concatenated in the order given."""

    inputs = (Input("input"),)
    defaults = {"levels": (1, 2, 4), "mode": "max"}

    def plan(self, shapes, dtype, params):
        levels, mode = params["levels"], params["mode"]
        if mode not in ("max", "avg"):
            raise ValueError(f"{self.name}: mode must be 'max' or 'avg', got {mode!r}")
        if (not isinstance(levels, (tuple, list)) or not levels
                or any(isinstance(l, bool) or not isinstance(l, numbers.Integral) for l in levels)):
            raise TypeError(f"{self.name}: levels must be a non-empty tuple of ints, got {levels!r}")
        if any(l < 1 for l in levels):
            raise ValueError(f"{self.name}: levels must be positive, got {levels!r}")
        check_input(self.name, shapes[0], 2)
        plans = tuple(adaptive(self.name, mode, shapes[0], dtype, int(l)) for l in levels)
        return SPPPlan(plans, mode, shapes[0][0], shapes[0][1], dtype)

    def cost_of(self, plan):
        taps = sum(lv.taps for lv in plan.levels)
        elems = prod(plan.levels[0].in_shape) + prod(plan.out_shape)
        return {"params": 0, "macs": taps, "flops": 2 * taps, "bytes": elems * plan.dtype.itemsize}


@dataclass(frozen=True)
class UnpoolPlan:
    N: int
    C: int
    size: tuple          # (H, W) of the pooled input
    out: tuple           # (OH, OW) of the unpooled output
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C, *self.out)


class MaxUnpoolOp(Op):
    """Partial inverse of max_pool2d: each input value goes to the flat position its index
    names in its (n, c) plane of the output; every other output element is zero."""

    inputs = (Input("input"), Input("indices", differentiable=False, index=True))
    defaults = {"kernel_size": REQUIRED, "stride": None, "padding": 0, "output_size": None}

    def __call__(self, *args, algo: str = "auto", **kwargs):
        self._check_indices(args, kwargs, algo)
        return super().__call__(*args, algo=algo, **kwargs)

    def backward(self, grad_out, *args, algo: str = "auto", **kwargs):
        self._check_indices(args, kwargs, algo)
        return super().backward(grad_out, *args, algo=algo, **kwargs)

    def _check_indices(self, args, kwargs, algo):
        """The indices' values, which no plan sees, checked before any algorithm runs (and
        before algo="auto" times the algorithms)."""
        arrays, params = self._bind(args, kwargs)
        (x, indices), dtype = _arrays.check_inputs(self.name, self.inputs, arrays, self._device(algo))
        if not _arrays.is_device(indices):
            plan = self._cached_plan((tuple(x.shape), tuple(indices.shape)), dtype, params)
            validate_indices(self.name, indices, plan)

    def plan(self, shapes, dtype, params):
        op = self.name
        x, idx = shapes
        check_input(op, x, 2)
        if tuple(idx) != tuple(x):
            raise ValueError(f"{op}: indices must have the input's shape {tuple(x)}, got {tuple(idx)}")
        kernel = as_tuple(op, "kernel_size", params["kernel_size"], 2)
        stride = _stride(op, params["stride"], kernel, 2)
        pad = as_tuple(op, "padding", params["padding"], 2, minimum=0)
        default = tuple((n - 1) * s + k - 2 * p for n, s, k, p in zip(x[2:], stride, kernel, pad))
        out = params["output_size"]
        if out is None:
            out = default
        else:
            if not isinstance(out, (tuple, list)) or len(out) not in (2, 4) or any(
                    isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in out):
                raise ValueError(f"{op}: output_size must be 2 or 4 ints, got {out!r}")
            out = tuple(int(v) for v in out[-2:])
            for o, d, s in zip(out, default, stride):
                if not d - s < o < d + s:
                    raise ValueError(f"{op}: output_size {tuple(out)} must lie strictly between "
                                     f"{tuple(a - b for a, b in zip(default, stride))} and "
                                     f"{tuple(a + b for a, b in zip(default, stride))}")
        if min(out) < 1:
            raise ValueError(f"{op}: the output size {tuple(out)} must be positive "
                             f"(kernel_size, stride, padding or output_size)")
        return UnpoolPlan(x[0], x[1], tuple(x[2:]), tuple(out), dtype)

    def cost_of(self, plan):
        n_in = plan.N * plan.C * prod(plan.size)
        elems = n_in + prod(plan.out_shape)
        return {"params": 0, "macs": 0, "flops": 0,
                "bytes": elems * plan.dtype.itemsize + 8 * n_in}

    def make_inputs(self, shapes, params, rng):
        """Indices as a max pool gives them: for each window of the input's shape, one random
        position of the window that lies inside the output plane; as input, the values of a
        random plane of the output's size at those positions (so repeated indices carry
        equal values, as in a network)."""
        p = self._plan_from_shapes(tuple(shapes), np.float64, dict(params))
        _, bound = self._bind(tuple(shapes), dict(params))
        window = {**bound, "stride": bound["stride"] or bound["kernel_size"]}
        (kh, kw), (sh, sw), (ph, pw) = (as_tuple(self.name, k, window[k], 2, 0)
                                        for k in ("kernel_size", "stride", "padding"))
        N, C, Hi, Wi = shapes[0]
        H, W = p.out
        h0 = np.arange(Hi)[:, None] * sh - ph
        w0 = np.arange(Wi)[None, :] * sw - pw
        size = (N, C, Hi, Wi)
        # the window's taps clipped to the plane; a random one in each window
        lo_h, hi_h = np.maximum(h0, 0), np.minimum(h0 + kh, H)
        lo_w, hi_w = np.maximum(w0, 0), np.minimum(w0 + kw, W)
        if (hi_h <= lo_h).any() or (hi_w <= lo_w).any():
            raise ValueError(f"{self.name}: a pooling window of this case lies outside the "
                             f"output plane {p.out}; choose a consistent case")
        h = lo_h + (rng.random(size) * (hi_h - lo_h)).astype(np.int64)
        w = lo_w + (rng.random(size) * (hi_w - lo_w)).astype(np.int64)
        indices = h * W + w
        plane = rng.standard_normal((N, C, H * W))
        return [np.take_along_axis(plane, indices.reshape(N, C, -1), 2).reshape(size), indices]


def validate_indices(op, indices, plan: UnpoolPlan):
    """Indices are data, not shape: check them before any kernel scatters with them."""
    n = prod(plan.out)
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(f"{op}: indices must lie in [0, {n}) (the flat output plane "
                         f"{plan.out}), got values in [{indices.min()}, {indices.max()}]")


_MAX_DOC = """{name}(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
return_indices=False, algo="auto")

{nd}D max pooling of input {dims}, as torch.nn.functional.{name}.  With return_indices,
returns (output, indices): int64 positions of each maximum, flat over the spatial
dimensions of its (n, c) plane (the switches the backward routes the gradient through).
Ties go to the first maximum in scan order; NaN inputs are not treated specially."""

_AVG_DOC = """{name}(input, kernel_size, stride=None, padding=0, ceil_mode=False,
count_include_pad=True{extra}, algo="auto")

{nd}D average pooling of input {dims}, as torch.nn.functional.{name}: the divisor is the
window clipped to the padded input (count_include_pad), the count of real elements
(otherwise), or divisor_override."""

_LP_DOC = """{name}(input, norm_type, kernel_size, stride=None, ceil_mode=False, algo="auto")

Power-average pooling as torch.nn.functional.{name} computes it:
(sign(a) * relu(|a|) * prod(kernel_size)) ** (1 / norm_type) with
a = avg_pool(input ** norm_type) (no padding, count_include_pad).  Negative window sums
with fractional 1/norm_type give NaN, as in torch; the gradient needs a non-zero sum.
norm_type=inf is max pooling of |input|, -inf minus max pooling of -|input| (torch's rule)."""

_DIMS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}

max_pool1d = MaxPoolOp("max_pool1d", 1, _MAX_DOC.format(name="max_pool1d", nd=1, dims=_DIMS[1]))
max_pool2d = MaxPoolOp("max_pool2d", 2, _MAX_DOC.format(name="max_pool2d", nd=2, dims=_DIMS[2]))
max_pool3d = MaxPoolOp("max_pool3d", 3, _MAX_DOC.format(name="max_pool3d", nd=3, dims=_DIMS[3]))
avg_pool1d = AvgPoolOp("avg_pool1d", 1, _AVG_DOC.format(name="avg_pool1d", nd=1, dims=_DIMS[1],
                                                        extra=""))
avg_pool2d = AvgPoolOp("avg_pool2d", 2, _AVG_DOC.format(name="avg_pool2d", nd=2, dims=_DIMS[2],
                                                        extra=", divisor_override=None"))
avg_pool3d = AvgPoolOp("avg_pool3d", 3, _AVG_DOC.format(name="avg_pool3d", nd=3, dims=_DIMS[3],
                                                        extra=", divisor_override=None"))
sum_pool2d = SumPoolOp(
    "sum_pool2d", """sum_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, algo="auto")

Sum of each window (avg_pool2d without the division; padding adds zeros).  torch has no
such op: its reference is avg_pool2d with divisor_override=1.""")
lp_pool1d = LpPoolOp("lp_pool1d", 1, _LP_DOC.format(name="lp_pool1d"))
lp_pool2d = LpPoolOp("lp_pool2d", 2, _LP_DOC.format(name="lp_pool2d"))
adaptive_avg_pool2d = AdaptivePoolOp(
    "adaptive_avg_pool2d", "avg", """adaptive_avg_pool2d(input, output_size, algo="auto")

Average over bins [floor(o*H/OH), ceil((o+1)*H/OH)) x (the same along W); output_size is an
int or a pair whose None entries keep the input's size.""")
adaptive_max_pool2d = AdaptivePoolOp(
    "adaptive_max_pool2d", "max", """adaptive_max_pool2d(input, output_size, return_indices=False, algo="auto")

Maximum over the bins of adaptive_avg_pool2d; indices flat over each (n, c) plane.""")
global_avg_pool2d = GlobalAvgPoolOp(
    "global_avg_pool2d", """global_avg_pool2d(input, algo="auto")

Mean over H and W: output (N, C, 1, 1) (adaptive_avg_pool2d(input, 1)).""")
spatial_pyramid_pool2d = SPPOp(
    "spatial_pyramid_pool2d", """spatial_pyramid_pool2d(input, levels=(1, 2, 4), mode="max", algo="auto")

Spatial pyramid pooling (He et al. 2014): adaptive max (or "avg") pooling of (N, C, H, W)
to l x l bins for each level l, each level flattened to (N, C*l*l) (channel-major, bins
row-major), concatenated in the order of levels: output (N, C * sum(l*l)).""")
max_unpool2d = MaxUnpoolOp(
    "max_unpool2d", """max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None, algo="auto")

Partial inverse of max_pool2d (as torch.nn.functional.max_unpool2d): input (N, C, H, W) and
the indices max_pool2d returned; output (N, C, (H-1)*stride - 2*padding + kernel_size, ...)
or output_size (2 or 4 values within one stride of that), zero except at the indices.""")

SLIDING_OPS = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
               "avg_pool3d", "sum_pool2d", "lp_pool1d", "lp_pool2d")
WINDOW_OPS = SLIDING_OPS + ("adaptive_avg_pool2d", "adaptive_max_pool2d", "global_avg_pool2d")
POOL_OPS = WINDOW_OPS + ("spatial_pyramid_pool2d",)

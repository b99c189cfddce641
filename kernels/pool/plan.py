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

A plan holds the geometry (kernel, stride, padding, dilation or the adaptive sizes); the
per-index tables ``lo``, ``cnt`` and ``div`` are computed in closed form on first use, so
validating a call (``supports``, ``output_shape``, an empty batch) costs the same whatever
the sizes.

Indices (return_indices) are flat over the spatial dimensions of one (n, c) plane,
d*H*W + h*W + w, exactly as torch's.  The maximum is torch's: scanning the window in
order, a tap replaces the running maximum (started at -inf, index at the first tap) when
it is greater or NaN, so ties go to the first maximum and a window holding NaN gives NaN
with the index of its last NaN.

Sizes follow torch's limits: kernel_size, stride, padding and dilation of the sliding pools
are C ints (at most 2**31 - 1); an output that cannot exist (more bytes than 2**63, or than
this machine's memory) is refused, naming the argument that made it so.
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from kernels import _arrays
from kernels._params import as_tuple, check_ndim, prod
from kernels._registry import REQUIRED, Input, Op

INT_MAX = 2**31 - 1        # torch's pools take kernel_size, stride, padding, dilation as C ints
INT64_MAX = 2**63 - 1


def _machine_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return INT64_MAX


MEMORY = _machine_memory()   # bytes of RAM: no output larger than this can be allocated


@dataclass(frozen=True)
class PoolPlan:
    kind: str            # "max", "avg", "sum" or "lp"
    nd: int
    N: int
    C: int
    size: tuple          # spatial input size (nd values)
    out: tuple           # spatial output size (nd values)
    dtype: np.dtype
    kernel: tuple | None = None  # sliding windows only (3 values each, unit dims in front);
    stride: tuple | None = None  # None for adaptive windows
    pad: tuple | None = None
    dilation: tuple = (1, 1, 1)
    count_include_pad: bool = True
    divisor_override: int | None = None
    return_indices: bool = False
    norm_type: float = 0.0  # lp only
    batched: bool = True    # False: torch's unbatched input (C, *size), run as N = 1

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
    def step(self) -> tuple:
        """Distance between the taps of a window along each of the 3 dimensions."""
        return self.dilation

    @property
    def window(self) -> int:
        """Taps of the nominal window, prod(kernel) (lp pooling multiplies by it)."""
        return prod(self.kernel) if self.kernel is not None else 0

    @cached_property
    def _tables(self):
        if self.kernel is None:
            axes = [_adaptive_axis(n, m) for n, m in zip(self.size3, self.out3)]
            lo, cnt = zip(*axes)
            div = cnt if self.kind == "avg" else tuple((1,) * m for m in self.out3)
            return lo, cnt, div
        axes = [_sliding_axis(self, *a) for a in zip(self.size3, self.kernel, self.pad,
                                                     self.dilation, self.stride, self.out3)]
        lo, cnt, div = (tuple(t) for t in zip(*axes))
        if self.divisor_override is not None:
            div = ((self.divisor_override,) * self.out3[0],) + tuple((1,) * o for o in self.out3[1:])
        return lo, cnt, div

    @property
    def lo(self) -> tuple:
        """3 tuples (D, H, W): the first in-input tap of each output index."""
        return self._tables[0]

    @property
    def cnt(self) -> tuple:
        """3 tuples: the number of in-input taps of each output index."""
        return self._tables[1]

    @property
    def div(self) -> tuple:
        """3 tuples: divisor factors per output index (1 for max and sum)."""
        return self._tables[2]

    @property
    def taps(self) -> int:
        """Input elements read over all windows (the window ops of one forward pass)."""
        if self.N * self.C == 0 or 0 in self.out:
            return 0
        return self.N * self.C * prod(sum(c) for c in self.cnt)


def _sliding_axis(p: PoolPlan, n, k, pad, d, s, o):
    """Along one dimension, in closed form: the first in-input tap, the tap count and the
    divisor factor of every output index."""
    first = np.arange(o, dtype=np.int64) * s - pad
    t0 = np.where(first < 0, (d - 1 - first) // d, 0)          # first tap at or after 0
    t1 = np.minimum(k - 1, np.floor_divide(n - 1 - first, d))  # last tap before n
    cnt = np.maximum(t1 - t0 + 1, 0)
    lo = np.where(cnt > 0, first + t0 * d, 0)
    if p.kind in ("avg", "lp") and p.count_include_pad:
        div = np.minimum(first + k, n + pad) - first   # clipped to the padded input
    elif p.kind == "avg":
        div = cnt
    else:
        div = np.ones(o, np.int64)
    return tuple(lo.tolist()), tuple(cnt.tolist()), tuple(div.tolist())


def _adaptive_axis(n, m):
    """Bins [floor(o*n/m), ceil((o+1)*n/m)) as (first index, count) per output index."""
    if m * (n + 1) < 2**62:
        o = np.arange(m, dtype=np.int64)
        lo, hi = o * n // m, -((-(o + 1) * n) // m)
        return tuple(lo.tolist()), tuple((hi - lo).tolist())
    lo = tuple(o * n // m for o in range(m))
    return lo, tuple(-(-(o + 1) * n // m) - a for o, a in enumerate(lo))


# ---- checks shared by the ops ---------------------------------------------------------------
def check_input(op, shape, nd, unbatched=False, empty="batch"):
    """The input's shape as (N, C, *size) and whether it had a batch dimension; torch's
    pools also take an unbatched (C, *size).

    ``empty`` names the dimensions that may have size 0, as torch's rule for the op says:
    "batch" the batch dimension of a batched input (sliding windows), "first" the first
    dimension (N, or C of an unbatched input: adaptive max pooling, unpooling), "leading"
    every dimension in front of the spatial ones (adaptive average pooling 1D and 2D)."""
    dims = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[nd]
    if unbatched:
        dims += " or " + dims.replace("N, ", "")
    check_ndim(op, "input", shape, (nd + 1, nd + 2) if unbatched else nd + 2, dims)
    shape = tuple(shape)
    batched = len(shape) == nd + 2
    free = {"batch": 1 if batched else 0, "first": 1, "leading": len(shape) - nd, "any": len(shape)}[empty]
    if 0 in shape[free:]:
        which = {"batch": "the batch dimension", "first": "the first dimension",
                 "leading": "the dimensions in front of the spatial ones"}[empty]
        raise ValueError(f"{op}: input {shape} has an empty dimension; only {which} may "
                         f"be empty (as in torch)")
    return (shape if batched else (1, *shape)), batched


def check_exists(op, names, shape, itemsize):
    """Refuse an output that cannot exist: more than 2**63 bytes even with its empty
    dimensions counted as 1 (torch's overflow error), or more bytes than this machine's
    memory.  ``names`` says which arguments made it so."""
    if prod(max(d, 1) for d in shape) * itemsize > INT64_MAX:
        raise ValueError(f"{op}: an output of shape {tuple(shape)} cannot be addressed (more "
                         f"than 2**63 bytes); check {names}")
    nbytes = prod(shape) * itemsize
    if nbytes > MEMORY:
        raise ValueError(f"{op}: an output of shape {tuple(shape)} would take {nbytes} bytes, "
                         f"more than this machine's memory ({MEMORY} bytes); check {names}")


def _ints(op, name, value, nd, minimum=1):
    """A sliding pool's kernel_size, stride, padding or dilation as an nd-tuple of C ints."""
    t = as_tuple(op, name, value, nd, minimum)
    if max(t) > INT_MAX:
        raise ValueError(f"{op}: {name} must be at most {INT_MAX} (torch takes it as a C int), "
                         f"got {value!r}")
    return t


def _stride(op, stride, kernel, nd):
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return kernel
    return _ints(op, "stride", stride, nd)


def flag(op, name, value) -> bool:
    """ceil_mode, count_include_pad: a Python bool (torch refuses ints and NumPy bools)."""
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")
    return value


def truthy(op, name, value) -> bool:
    """A flag torch reads by its truth value (return_indices: torch.nn.functional dispatches
    on ``if return_indices``)."""
    try:
        return bool(value)
    except Exception:
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}") from None


def out_length(size, pad, k, d, s, ceil_mode) -> int:
    """torch's pooling_output_shape: the window count along one dimension."""
    n = (size + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + pad:
        n -= 1  # the last window must start inside the input or the left padding
    return n


def _window_in_padding(n, pad, d, s, o) -> bool:
    """Whether some window holds no input element.  Only a window starting in the left
    padding can (others start inside the input), and only when the dilation exceeds the
    input: its first tap at or after 0 is first mod dilation."""
    if d <= n or pad == 0:
        return False
    first = np.arange(min(o, -(-pad // s)), dtype=np.int64) * s - pad
    return bool((first % d >= n).any())


def sliding(op, kind, nd, shape, dtype, kernel_size, stride, padding, dilation, ceil_mode,
            count_include_pad=True, divisor_override=None, return_indices=False,
            norm_type=0.0) -> PoolPlan:
    """The plan of a sliding-window pool (torch's checks, in torch's order)."""
    shape, batched = check_input(op, shape, nd, unbatched=True)
    N, C, *size = shape
    kernel = _ints(op, "kernel_size", kernel_size, nd)
    stride = _stride(op, stride, kernel, nd)
    pad = _ints(op, "padding", padding, nd, minimum=0)
    dil = _ints(op, "dilation", dilation, nd)
    ceil_mode = flag(op, "ceil_mode", ceil_mode)
    for k, p in zip(kernel, pad):
        if p > k // 2:
            raise ValueError(f"{op}: padding must be at most half of kernel_size, got "
                             f"padding={padding!r} and kernel_size={kernel_size!r}")
    out = tuple(out_length(*a, ceil_mode) for a in zip(size, pad, kernel, dil, stride))
    if min(out) < 1:  # torch's check; with ceil_mode a window may overhang the padded input
        raise ValueError(f"{op}: the window (kernel_size={kernel_size!r}, dilation={dilation!r}) "
                         f"is larger than the padded input {tuple(size)} + 2*padding {pad}")
    if any(_window_in_padding(*a) for a in zip(size, pad, dil, stride, out)):
        # torch returns -inf there, with an index outside the plane that its backward
        # writes through (out of bounds)
        raise ValueError(f"{op}: with dilation={dilation!r} and padding={padding!r} a "
                         f"window lies entirely in the padding")
    unit = 3 - nd
    plan = PoolPlan(kind, nd, N, C, tuple(size), out, dtype, (1,) * unit + kernel,
                    (1,) * unit + stride, (0,) * unit + pad, (1,) * unit + dil,
                    count_include_pad, divisor_override, return_indices, float(norm_type), batched)
    check_exists(op, "input", plan.out_shape, dtype.itemsize)
    return plan


def adaptive(op, kind, nd, shape, dtype, output_size, return_indices=False) -> PoolPlan:
    """Adaptive pooling: bin o of out covers [floor(o*n/out), ceil((o+1)*n/out)).  Which
    input dimensions may be empty follows torch: only the spatial ones must be non-empty
    for average pooling in 1D and 2D, every one but the first otherwise."""
    empty = "leading" if kind == "avg" and nd < 3 else "first"
    if kind == "avg" and _ones(output_size, nd):
        empty = "any"       # torch takes the mean, of any input (NaN where it is empty)
    shape, batched = check_input(op, shape, nd, unbatched=True, empty=empty)
    N, C, *size = shape
    out = adaptive_size(op, output_size, size)
    plan = PoolPlan(kind, nd, N, C, tuple(size), out, dtype, return_indices=return_indices,
                    batched=batched)
    check_exists(op, "output_size", plan.out_shape, dtype.itemsize)
    return plan


def _ones(output_size, nd) -> bool:
    """Whether output_size asks for one bin along every spatial dimension."""
    if isinstance(output_size, (tuple, list)):
        return len(output_size) == nd and all(_one(v) for v in output_size)
    return _one(output_size)


def _one(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v == 1


def adaptive_size(op, output_size, size) -> tuple:
    """output_size as torch takes it: in 1D an int or one int; in 2D and 3D a Python int or
    nd values, None keeping the input's size."""
    nd = len(size)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise ValueError(f"{op}: output_size must be an int or {nd} values, got {output_size!r}")
        vals = [n if v is None and nd > 1 else v for v, n in zip(output_size, size)]
    elif nd > 1 and not isinstance(output_size, int):  # torch: "object of type ... has no len()"
        raise TypeError(f"{op}: output_size must be an int or a tuple of {nd} ints, "
                        f"got {output_size!r}")
    else:
        vals = [output_size] * nd
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{op}: output_size must hold ints{' (or None)' if nd > 1 else ''}, "
                            f"got {output_size!r}")
        if not 0 <= v <= INT64_MAX:
            raise ValueError(f"{op}: output_size must be non-negative ints, got {output_size!r}")
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
        params = dict(params)
        ret = truthy(self.name, "return_indices", params.pop("return_indices"))
        return sliding(self.name, "max", self.nd, shapes[0], dtype, return_indices=ret, **params)

    def cost_of(self, plan):
        return pool_cost(plan)


def _small_input_3d(op, shape, kernel_size):
    """torch's avg_pool3d also wants the unpadded input at least as large as the kernel."""
    if len(shape) in (4, 5):
        k = _ints(op, "kernel_size", kernel_size, 3)
        if any(n < kk for n, kk in zip(shape[-3:], k)):
            raise ValueError(f"{op}: input {tuple(shape)} is smaller than kernel_size {k} "
                             f"(torch requires it even with padding)")


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
        params = dict(params)
        d = params.get("divisor_override")
        if d is not None and (isinstance(d, bool) or not isinstance(d, numbers.Integral)):
            raise TypeError(f"{self.name}: divisor_override must be an int or None, got {d!r}")
        if d is not None and not -INT64_MAX <= d <= INT64_MAX:
            raise ValueError(f"{self.name}: divisor_override must fit in int64, got {d!r}")
        if d is not None and d == 0:
            raise ValueError(f"{self.name}: divisor_override must not be zero")
        if d is not None:
            params["divisor_override"] = int(d)
        cip = flag(self.name, "count_include_pad", params.pop("count_include_pad"))
        if self.nd == 3:
            _small_input_3d(self.name, shapes[0], params["kernel_size"])
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
        op, p, k = self.name, params["norm_type"], params["kernel_size"]
        if not isinstance(p, numbers.Real):
            raise TypeError(f"{op}: norm_type must be a number, got {p!r}")
        if p == 0:
            raise ValueError(f"{op}: norm_type must be non-zero (torch divides by it), got {p!r}")
        # torch multiplies by kernel_size (1D) or unpacks nd values from it (2D, 3D)
        if self.nd == 1 and isinstance(k, (tuple, list)):
            raise TypeError(f"{op}: kernel_size must be an int, got {k!r}")
        if self.nd > 1 and isinstance(k, (tuple, list)) and len(k) != self.nd:
            raise ValueError(f"{op}: kernel_size must be an int or {self.nd} ints, got {k!r}")
        if self.nd == 3 and not math.isinf(p):  # inf norms run max_pool3d, which has no such check
            _small_input_3d(op, shapes[0], k)
        return sliding(op, "lp", self.nd, shapes[0], dtype, k, params["stride"], 0, 1,
                       params["ceil_mode"], norm_type=p)

    def cost_of(self, plan):
        return pool_cost(plan)


class AdaptivePoolOp(Op):
    inputs = (Input("input"),)

    def __init__(self, name, kind, nd, doc=""):
        self.kind, self.nd = kind, nd
        self.defaults = ({"output_size": REQUIRED, "return_indices": False} if kind == "max"
                         else {"output_size": REQUIRED})
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        params = dict(params)
        if "return_indices" in params:
            params["return_indices"] = truthy(self.name, "return_indices", params["return_indices"])
        return adaptive(self.name, self.kind, self.nd, shapes[0], dtype, **params)

    def cost_of(self, plan):
        return pool_cost(plan)


class GlobalAvgPoolOp(Op):
    inputs = (Input("input"),)
    defaults = {}

    def plan(self, shapes, dtype, params):
        return adaptive(self.name, "avg", 2, shapes[0], dtype, 1)

    def cost_of(self, plan):
        return pool_cost(plan)


@dataclass(frozen=True)
class SPPPlan:
    levels: tuple        # one adaptive PoolPlan per pyramid level
    mode: str
    N: int
    C: int
    dtype: np.dtype
    batched: bool = True

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C * sum(prod(lv.out) for lv in self.levels))[0 if self.batched else 1:]


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
        if any(not 0 <= l <= INT64_MAX for l in levels):
            raise ValueError(f"{self.name}: levels must be non-negative ints, got {levels!r}")
        # an input (C, H, W) is a batch of one: its levels check and pool (1, C, H, W)
        x, batched = check_input(self.name, shapes[0], 2, unbatched=True, empty="any")
        N, C = x[:2]
        check_exists(self.name, "levels", (N, C * sum(int(l) ** 2 for l in levels)), dtype.itemsize)
        plans = tuple(adaptive(self.name, mode, 2, x, dtype, int(l)) for l in levels)
        return SPPPlan(plans, mode, N, C, dtype, batched)

    def cost_of(self, plan):
        taps = sum(lv.taps for lv in plan.levels)
        elems = prod(plan.levels[0].in_shape) + prod(plan.out_shape)
        return {"params": 0, "macs": taps, "flops": 2 * taps, "bytes": elems * plan.dtype.itemsize}


@dataclass(frozen=True)
class UnpoolPlan:
    nd: int
    N: int
    C: int
    size: tuple          # spatial size of the pooled input
    out: tuple           # spatial size of the unpooled output
    dtype: np.dtype
    batched: bool = True

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.C, *self.out)[0 if self.batched else 1:]


def _unpool_ints(op, name, value, nd, numpy_ok, strict) -> tuple:
    """kernel_size, stride or padding of max_unpool as torch's Python code takes them: it
    only computes the default output size from them, so any ints go (bools too); kernel_size
    has nd values, stride and padding at least nd (the first nd are used).  NumPy integers
    make that size a NumPy int, which torch's check of it refuses (``numpy_ok`` False: no
    output_size is given).  ``strict`` (what max_unpool3d also hands to its kernel): exactly
    nd ints, no bools."""
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(vals) != nd and (name == "kernel_size" or strict or len(vals) < nd):
        raise ValueError(f"{op}: {name} must be an int or {nd} ints, got {value!r}")
    vals = vals[:nd]
    if any(not isinstance(v, numbers.Integral) or (strict and isinstance(v, bool)) for v in vals):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    if not numpy_ok and any(isinstance(v, np.integer) for v in vals):
        raise TypeError(f"{op}: {name} must hold Python ints when output_size is None (torch "
                        f"refuses the NumPy output size they make), got {value!r}")
    if any(abs(v) > INT64_MAX for v in vals):
        raise ValueError(f"{op}: {name} must fit in int64, got {value!r}")
    return tuple(int(v) for v in vals)


class MaxUnpoolOp(Op):
    """Partial inverse of max pooling: each input value goes to the flat position its index
    names in its (n, c) plane of the output; every other output element is zero."""

    inputs = (Input("input"), Input("indices", differentiable=False, index=True))
    defaults = {"kernel_size": REQUIRED, "stride": None, "padding": 0, "output_size": None}

    def __init__(self, name, nd, doc=""):
        self.nd = nd
        super().__init__(name, doc)

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

    def geometry(self, params) -> tuple:
        """(kernel, stride, padding) as nd-tuples."""
        op, nd, given = self.name, self.nd, params["output_size"] is not None
        strict = nd == 3   # max_unpool3d hands stride and padding to its kernel too
        kernel = _unpool_ints(op, "kernel_size", params["kernel_size"], nd, given,
                              strict and params["stride"] is None)
        stride = kernel if params["stride"] is None else _unpool_ints(op, "stride", params["stride"],
                                                                      nd, given, strict)
        pad = _unpool_ints(op, "padding", params["padding"], nd, given, strict)
        if nd == 3 and min(stride) < 1:
            raise ValueError(f"{op}: stride must be positive, got {params['stride']!r} "
                             f"(kernel_size {params['kernel_size']!r})")
        return kernel, stride, pad

    def plan(self, shapes, dtype, params):
        op, nd = self.name, self.nd
        x, idx = shapes
        (N, C, *size), batched = check_input(op, x, nd, unbatched=True, empty="first")
        if tuple(idx) != tuple(x):
            raise ValueError(f"{op}: indices must have the input's shape {tuple(x)}, got {tuple(idx)}")
        kernel, stride, pad = self.geometry(params)
        default = tuple((n - 1) * s + k - 2 * p for n, s, k, p in zip(size, stride, kernel, pad))
        out = params["output_size"]
        if out is None:
            out = default
        else:
            if not isinstance(out, (tuple, list)):
                raise TypeError(f"{op}: output_size must be a tuple of {nd} or {nd + 2} ints, "
                                f"got {out!r}")
            if len(out) not in (nd, nd + 2):
                raise ValueError(f"{op}: output_size must have {nd} or {nd + 2} values, got {out!r}")
            if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in out):
                raise TypeError(f"{op}: output_size must hold ints, got {out!r}")
            out = tuple(int(v) for v in out[-nd:])
            for o, d, s in zip(out, default, stride):
                if not d - s < o < d + s:
                    raise ValueError(f"{op}: output_size {tuple(out)} must lie strictly between "
                                     f"{tuple(a - b for a, b in zip(default, stride))} and "
                                     f"{tuple(a + b for a, b in zip(default, stride))}")
        names = "kernel_size, stride, padding or output_size"
        if min(out) < 0:
            raise ValueError(f"{op}: the output size {tuple(out)} must be non-negative; check {names}")
        plan = UnpoolPlan(nd, N, C, tuple(size), tuple(out), dtype, batched)
        check_exists(op, names, plan.out_shape, dtype.itemsize)
        return plan

    def cost_of(self, plan):
        n_in = plan.N * plan.C * prod(plan.size)
        elems = n_in + prod(plan.out_shape)
        return {"params": 0, "macs": 0, "flops": 0,
                "bytes": elems * plan.dtype.itemsize + 8 * n_in}

    def make_inputs(self, shapes, params, rng):
        """Indices as a max pool gives them: for each input position, a random position of
        its window (kernel_size, stride, padding) clipped to the output plane, or of the whole
        plane where the geometry names no window inside it; as input, the values of a random
        plane of the output's size at those positions (so repeated indices carry equal values,
        as in a network)."""
        p = self._plan_from_shapes(tuple(shapes), np.float64, dict(params))
        _, bound = self._bind(tuple(shapes), dict(params))
        kernel, stride, pad = self.geometry(bound)
        size = (p.N, p.C, *p.size)
        flat = np.zeros(size, np.int64)
        if prod(p.out):
            for axis, (n, o, k, s, q) in enumerate(zip(p.size, p.out, kernel, stride, pad)):
                first = np.arange(n) * s - q if s > 0 and k > 0 else np.zeros(n, np.int64)
                lo = np.clip(first, 0, o - 1)
                hi = np.maximum(np.minimum(first + k, o), lo + 1) if s > 0 and k > 0 else np.full(n, o)
                shape = [1] * len(size)
                shape[2 + axis] = n
                pos = lo.reshape(shape) + (rng.random(size) * (hi - lo).reshape(shape)).astype(np.int64)
                flat = flat * o + pos
        plane = rng.standard_normal((p.N, p.C, max(prod(p.out), 1)))
        values = np.take_along_axis(plane, flat.reshape(p.N, p.C, prod(p.size)), 2).reshape(size)
        if not p.batched:
            values, flat = values[0], flat[0]
        return [values, flat]


def validate_indices(op, indices, plan: UnpoolPlan):
    """Indices are data, not shape: check them before any kernel scatters with them (torch
    checks none when the output is empty)."""
    n = prod(plan.out)
    if n and indices.size and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(f"{op}: indices must lie in [0, {n}) (the flat output plane "
                         f"{plan.out}), got values in [{indices.min()}, {indices.max()}]")


_MAX_DOC = """{name}(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
return_indices=False, algo="auto")

{nd}D max pooling of input {dims}, as torch.nn.functional.{name}.  With return_indices,
returns (output, indices): int64 positions of each maximum, flat over the spatial
dimensions of its (n, c) plane (the switches the backward routes the gradient through).
Ties go to the first maximum in scan order; a window holding NaN gives NaN, its index that
of the last NaN (torch's rule)."""

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

_ADAPTIVE_DOC = {
    "avg": """{name}(input, output_size, algo="auto")

Average over bins [floor(o*n/out), ceil((o+1)*n/out)) along each of the {nd} spatial
dimensions (as torch.nn.functional.{name}); output_size is {sizes}.""",
    "max": """{name}(input, output_size, return_indices=False, algo="auto")

Maximum over the bins of adaptive_avg_pool{nd}d (as torch.nn.functional.{name}); indices
flat over each (n, c) plane; a bin holding NaN gives NaN (the index of its last NaN).
output_size is {sizes}."""}

_UNPOOL_DOC = """{name}(input, indices, kernel_size, stride=None, padding=0, output_size=None, algo="auto")

Partial inverse of max_pool{nd}d (as torch.nn.functional.{name}): input {dims} and the
indices max_pool{nd}d returned; output (N, C, (L-1)*stride - 2*padding + kernel_size, ...)
per spatial dimension, or output_size ({nd} or {nd2} values, each strictly within one stride
of that), zero except at the indices (the last of repeated indices wins)."""

_DIMS = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}
_SIZES = {1: "an int", 2: "an int or a pair whose None entries keep the input's size",
          3: "an int or a triple whose None entries keep the input's size"}

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
lp_pool3d = LpPoolOp("lp_pool3d", 3, _LP_DOC.format(name="lp_pool3d"))
adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, \
    adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = (
        AdaptivePoolOp(f"adaptive_{kind}_pool{nd}d", kind, nd, _ADAPTIVE_DOC[kind].format(
            name=f"adaptive_{kind}_pool{nd}d", nd=nd, sizes=_SIZES[nd]))
        for kind in ("avg", "max") for nd in (1, 2, 3))
global_avg_pool2d = GlobalAvgPoolOp(
    "global_avg_pool2d", """global_avg_pool2d(input, algo="auto")

Mean over H and W: output (N, C, 1, 1) (adaptive_avg_pool2d(input, 1)).""")
spatial_pyramid_pool2d = SPPOp(
    "spatial_pyramid_pool2d", """spatial_pyramid_pool2d(input, levels=(1, 2, 4), mode="max", algo="auto")

Spatial pyramid pooling (He et al. 2014): adaptive max (or "avg") pooling of (N, C, H, W)
to l x l bins for each level l, each level flattened to (N, C*l*l) (channel-major, bins
row-major), concatenated in the order of levels: output (N, C * sum(l*l)); an input
(C, H, W) gives (C * sum(l*l),).  A level 0 adds no bins (as its torch reference).""")
max_unpool1d, max_unpool2d, max_unpool3d = (
    MaxUnpoolOp(f"max_unpool{nd}d", nd, _UNPOOL_DOC.format(
        name=f"max_unpool{nd}d", nd=nd, nd2=nd + 2, dims=_DIMS[nd])) for nd in (1, 2, 3))

SLIDING_OPS = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
               "avg_pool3d", "sum_pool2d", "lp_pool1d", "lp_pool2d", "lp_pool3d")
ADAPTIVE_OPS = tuple(f"adaptive_{kind}_pool{nd}d" for kind in ("avg", "max") for nd in (1, 2, 3))
WINDOW_OPS = SLIDING_OPS + ADAPTIVE_OPS + ("global_avg_pool2d",)
POOL_OPS = WINDOW_OPS + ("spatial_pyramid_pool2d",)
UNPOOL_OPS = ("max_unpool1d", "max_unpool2d", "max_unpool3d")

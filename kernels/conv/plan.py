"""The convolution plan: every parameter of conv1d/2d/3d normalised once.

Notation of the notes: input (N, C, *size), weight (K, C/G, *kernel), output (N, K, *out).
For 2D, size = (H, W), kernel = (R, S), out = (P, Q).  Each output length is

    out = (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1

exactly as torch computes it.  Padding ``"same"`` puts the odd extra zero at the end
(bottom/right), as torch does for even kernels; ``"full"`` pads dilation*(kernel-1) at
each end, so that every superimposition of kernel and input is an output.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

from kernels._params import as_tuple, check_conv_shapes, check_groups, check_ndim, prod
from kernels._registry import Input, Op


@dataclass(frozen=True)
class ConvPlan:
    nd: int
    N: int
    C: int
    K: int
    G: int
    size: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    pad_lo: tuple
    pad_hi: tuple
    out: tuple
    has_bias: bool
    dtype: np.dtype

    @property
    def Cg(self) -> int:
        return self.C // self.G

    @property
    def Kg(self) -> int:
        return self.K // self.G

    @property
    def in_shape(self) -> tuple:
        return (self.N, self.C, *self.size)

    @property
    def w_shape(self) -> tuple:
        return (self.K, self.Cg, *self.kernel)

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.K, *self.out)

    @property
    def padded(self) -> tuple:
        return tuple(s + lo + hi for s, lo, hi in zip(self.size, self.pad_lo, self.pad_hi))

    @property
    def dilated_kernel(self) -> tuple:
        """The kernel's extent with dilation - 1 gaps between taps."""
        return tuple(d * (r - 1) + 1 for r, d in zip(self.kernel, self.dilation))

    @property
    def full_out(self) -> tuple:
        """The output length at stride 1 (every position the dilated kernel fits in)."""
        return tuple(s - r + 1 for s, r in zip(self.padded, self.dilated_kernel))

    @property
    def macs(self) -> int:
        return self.N * self.K * prod(self.out) * self.Cg * prod(self.kernel)


def taps(p, o):
    """(kernel position, input position) for every kernel tap of output position o that
    falls inside the input (not in the padding): the loops of the plain algorithms."""
    for r in product(*map(range, p.kernel)):
        i = tuple(oi * s + ri * d - lo for oi, ri, s, d, lo in zip(o, r, p.stride, p.dilation, p.pad_lo))
        if all(0 <= ii < n for ii, n in zip(i, p.size)):
            yield r, i


def lift(t, nd: int, fill) -> tuple:
    """A per-dimension tuple of an nd-dimensional plan as three values (D, H, W): ``fill``
    for the missing leading dimensions."""
    return (fill,) * (3 - nd) + tuple(t)


def as5d(a, nd: int):
    """View an (N, C, *spatial) array (host or device) as (N, C, D, H, W)."""
    return a.reshape(tuple(a.shape[:2]) + (1,) * (3 - nd) + tuple(a.shape[2:]))


def resolve_padding(op: str, padding, kernel, dilation, stride) -> tuple[tuple, tuple]:
    """(pad_lo, pad_hi) per spatial dimension from an int, a tuple or a mode name."""
    nd = len(kernel)
    if isinstance(padding, str):
        span = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            lo = tuple(t // 2 for t in span)
            return lo, tuple(t - l for t, l in zip(span, lo))
        if padding == "full":
            return tuple(span), tuple(span)
        raise ValueError(f"{op}: padding must be an int, a tuple, 'valid', 'same' or 'full', "
                         f"got {padding!r}")
    pad = as_tuple(op, "padding", padding, nd, minimum=0)
    return pad, pad


def out_length(size, lo, hi, k, d, s) -> int:
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def conv_plan(op: str, nd: int, shapes, dtype, stride, padding, dilation, groups) -> ConvPlan:
    x, w, b = shapes
    check_ndim(op, "input", x, nd + 2, f"(N, C, {'D, ' if nd == 3 else ''}{'H, ' if nd >= 2 else ''}"
               f"{'W' if nd >= 2 else 'L'})")
    check_ndim(op, "weight", w, nd + 2, "(K, C/groups, *kernel)")
    groups = check_groups(op, "groups", groups)
    N, C, *size = x
    K, Cg, *kernel = w
    check_conv_shapes(op, x, w, C, groups)
    if K % groups:
        raise ValueError(f"{op}: weight's out channels ({K}) must be divisible by groups ({groups})")
    if Cg * groups != C:
        raise ValueError(f"{op}: weight must have C/groups = {C // groups} input channels, "
                         f"got shape {tuple(w)} for input channels {C} and groups {groups}")
    if b is not None and tuple(b) != (K,):
        raise ValueError(f"{op}: bias must have shape ({K},), got {tuple(b)}")
    stride = as_tuple(op, "stride", stride, nd)
    dilation = as_tuple(op, "dilation", dilation, nd)
    lo, hi = resolve_padding(op, padding, kernel, dilation, stride)
    for i in range(nd):
        if size[i] + lo[i] + hi[i] < dilation[i] * (kernel[i] - 1) + 1:
            raise ValueError(f"{op}: weight's kernel {tuple(kernel)} (dilation {dilation}) is larger "
                             f"than the padded input {tuple(s + l + h for s, l, h in zip(size, lo, hi))}")
    out = tuple(out_length(*a) for a in zip(size, lo, hi, kernel, dilation, stride))
    return ConvPlan(nd, N, C, K, groups, tuple(size), tuple(kernel), stride, dilation,
                    lo, hi, out, b is not None, dtype)


def conv_cost(p: ConvPlan) -> dict:
    params = p.K * p.Cg * prod(p.kernel) + (p.K if p.has_bias else 0)
    elems = prod(p.in_shape) + params + prod(p.out_shape)
    return {"params": params, "macs": p.macs, "flops": 2 * p.macs,
            "bytes": elems * p.dtype.itemsize}


class ConvOp(Op):
    """Cross-correlation, as torch.nn.functional.conv{1,2,3}d computes it."""

    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))
    defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1}

    def __init__(self, name: str, nd: int, doc: str = ""):
        self.nd = nd
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        return conv_plan(self.name, self.nd, shapes, dtype, **params)

    def cost_of(self, plan):
        return conv_cost(plan)


class PointwiseConvOp(Op):
    """1x1 convolution: one GEMM of the weight (K, C) with every pixel's channel vector."""

    inputs = ConvOp.inputs
    defaults = {}

    def plan(self, shapes, dtype, params):
        w = shapes[1]
        if w is not None and len(w) == 4 and tuple(w[2:]) != (1, 1):
            raise ValueError(f"{self.name}: weight must have shape (K, C, 1, 1), got {tuple(w)}")
        return conv_plan(self.name, 2, shapes, dtype, 1, 0, 1, 1)

    def cost_of(self, plan):
        return conv_cost(plan)


_DOC = """{name}(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, algo="auto")

{nd}D convolution (cross-correlation) of input (N, C, {dims}) with weight
(K, C/groups, {kdims}), plus bias (K,).  padding: int, tuple, 'valid', 'same' or 'full'.
Returns (N, K, {odims}).  ``{name}.backward(grad_out, ...)`` returns (grad_input,
grad_weight, grad_bias)."""

conv1d = ConvOp("conv1d", 1, _DOC.format(name="conv1d", nd=1, dims="L", kdims="kL", odims="L_out"))
conv2d = ConvOp("conv2d", 2, _DOC.format(name="conv2d", nd=2, dims="H, W", kdims="R, S", odims="P, Q"))
conv3d = ConvOp("conv3d", 3, _DOC.format(name="conv3d", nd=3, dims="D, H, W", kdims="T, R, S",
                                         odims="D_out, P, Q"))
pointwise_conv2d = PointwiseConvOp(
    "pointwise_conv2d",
    "pointwise_conv2d(input, weight, bias=None): 1x1 convolution, weight (K, C, 1, 1).")
CONV_OPS = ("conv1d", "conv2d", "conv3d", "pointwise_conv2d")

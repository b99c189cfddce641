"""The convolution plan: every parameter of conv1d/2d/3d normalised once.

Notation of the notes: input (N, C, *size), weight (K, C/G, *kernel), output (N, K, *out).
For 2D, size = (H, W), kernel = (R, S), out = (P, Q).  Each output length is

    out = (size + pad_lo + pad_hi - dilation * (kernel - 1) - 1) // stride + 1

exactly as torch computes it.  Padding ``"same"`` puts the odd extra zero at the end
(bottom/right), as torch does for even kernels; ``"full"`` pads dilation*(kernel-1) at
each end, so that every superimposition of kernel and input is an output.

What torch accepts beyond the plain case, and how the plan hands it to the algorithms:

- an input without the batch axis, (C, *size): the algorithms compute a batch of one, and a
  ``Stage`` (a ``kernels._registry.Staged`` plan) adds and removes the axis around them;
- ``padding_mode`` reflect, replicate or circular (conv1d/2d/3d): the ``Stage`` pads the
  input (``kernels.conv.padding``) and the algorithms convolve it with no padding;
- empty dimensions: a batch of 0, or (conv1d/2d/3d) an input with no channel -- torch then
  returns an empty (N, 0, *out) output, not the bias -- and, only with one of those, an
  empty spatial dimension that the padding fills.  The op returns such empty outputs
  without running an algorithm (``Op.empty_result``).

The plan also keeps every algorithm's indices small: sizes beyond the limits of
``kernels._params`` are refused, a stride longer than the padded input (which only ever
places the kernel once) is replaced by the shortest one with the same output, and the
dilation of a one-tap kernel by 1.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from typing import Any

import numpy as np

from kernels._arrays import is_device
from kernels._params import INT64_MAX, as_tuple, check_extents, check_groups, check_ndim, prod
from kernels._registry import Input, Op, Staged, core
from kernels.conv import padding as modes


class Grouped:
    """Channels per group of a plan with C input and K output channels in G groups."""

    @property
    def Cg(self) -> int:
        return self.C // self.G

    @property
    def Kg(self) -> int:
        return self.K // self.G


@dataclass(frozen=True)
class ConvPlan(Grouped):
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
    def in_shape(self) -> tuple:
        return (self.N, self.C, *self.size)

    @property
    def w_shape(self) -> tuple:
        return (self.K, self.Cg, *self.kernel)

    @property
    def out_shape(self) -> tuple:
        # an input with no channel gives torch's empty (N, 0, *out), not the bias
        return (self.N, self.K if self.C else 0, *self.out)

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
    """(kernel position, position in the zero-padded input) for every kernel tap of output
    position o: the loops of the plain algorithms, which read the padding's zeros as
    torch's loops (im2col) do, so that a NaN or infinity times a padding zero is NaN."""
    for r in product(*map(range, p.kernel)):
        yield r, tuple(oi * s + ri * d for oi, ri, s, d in zip(o, r, p.stride, p.dilation))


def padded(x, p):
    """x (N, C, *size) with the zero padding of plan p (x itself if there is none)."""
    if not any(p.pad_lo) and not any(p.pad_hi):
        return x
    return np.pad(x, [(0, 0), (0, 0), *zip(p.pad_lo, p.pad_hi)])


def unpadded(gxp, p):
    """The input's part of a gradient of the padded input (N, C, *padded)."""
    inner = tuple(slice(lo, lo + n) for lo, n in zip(p.pad_lo, p.size))
    return np.ascontiguousarray(gxp[(slice(None), slice(None)) + inner])


def lift(t, nd: int, fill) -> tuple:
    """A per-dimension tuple of an nd-dimensional plan as three values (D, H, W): ``fill``
    for the missing leading dimensions."""
    return (fill,) * (3 - nd) + tuple(t)


def as5d(a, nd: int):
    """View an (N, C, *spatial) array (host or device) as (N, C, D, H, W)."""
    return a.reshape(tuple(a.shape[:2]) + (1,) * (3 - nd) + tuple(a.shape[2:]))


@dataclass(frozen=True)
class Stage(Staged):
    """A call that the algorithms compute as ``inner``, a batched call padded with zeros (if
    at all): an input (the op's first array) without its batch axis gets one of 1
    (``unbatched``), and with a padding ``mode`` other than "zeros" it is padded by
    pad_lo/pad_hi in that mode before the algorithm runs.  The input's gradient is folded
    back from the padding and loses the batch axis again."""
    inner: Any
    unbatched: bool = False
    mode: str = "zeros"
    pad_lo: tuple = ()
    pad_hi: tuple = ()

    @property
    def out_shape(self) -> tuple:
        shape = self.inner.out_shape
        return tuple(shape[1:]) if self.unbatched else tuple(shape)

    def enter(self, arrays) -> list:
        x, *rest = arrays
        if self.unbatched:
            x = x.reshape((1, *x.shape))
        if self.mode != "zeros":
            if is_device(x):
                raise TypeError(f"padding_mode={self.mode!r} pads host arrays: pass the input in "
                                f"host memory (or pad it on the device, with padding_mode='zeros')")
            x = modes.pad(x, self.mode, self.pad_lo, self.pad_hi)
        return [x, *rest]

    def leave(self, out):
        return out.reshape(out.shape[1:]) if self.unbatched else out

    def enter_grad(self, grad_out):
        return grad_out.reshape((1, *grad_out.shape)) if self.unbatched else grad_out

    def leave_grads(self, grads) -> tuple:
        gx, *rest = grads
        if self.mode != "zeros":
            gx = modes.fold(gx, self.mode, self.pad_lo, self.pad_hi)
        return (gx.reshape(gx.shape[1:]) if self.unbatched else gx, *rest)


def with_batch(op: str, shapes, rank: int, what: str) -> tuple[tuple, bool]:
    """torch's unbatched input: the input (the first shape) of ``rank`` dimensions, one fewer
    than batched, gets a batch axis of 1.  Returns the shapes and whether it did."""
    x = shapes[0]
    check_ndim(op, "input", x, (rank, rank + 1), f"({what}) or batched (N, {what})")
    if len(x) == rank:
        return ((1, *x), *shapes[1:]), True
    return tuple(shapes), False


def staged(inner, unbatched: bool):
    """``inner`` itself, or the Stage that removes the batch axis again."""
    return Stage(inner, unbatched) if unbatched else inner


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


def shortest_stride(padded: int, span: int, s: int) -> int:
    """The smallest stride with the same output as s over ``padded`` positions for a kernel
    spanning ``span``: a stride past padded - span places the kernel once, as does
    padded - span + 1, so the kernels never see a stride longer than their input."""
    return min(s, padded - span + 1)


def dims(nd: int) -> str:
    """The spatial dimensions' names: L; H, W; D, H, W."""
    return {1: "L", 2: "H, W", 3: "D, H, W"}[nd]


def conv_plan(op: str, nd: int, shapes, dtype, stride, padding, dilation, groups) -> ConvPlan:
    """The plan of a batched convolution with zero padding, with torch's rules for every
    shape and parameter."""
    x, w, b = shapes
    check_ndim(op, "input", x, nd + 2, f"(N, C, {dims(nd)})")
    check_ndim(op, "weight", w, nd + 2, "(K, C/groups, *kernel)")
    groups = check_groups(op, "groups", groups)
    N, C, *size = x
    K, Cg, *kernel = w
    if K < 1 or min(kernel) < 1:
        raise ValueError(f"{op}: weight must have at least one output channel and one tap per "
                         f"kernel dimension, got {tuple(w)}")
    if C % groups:
        raise ValueError(f"{op}: input channels ({C}) must be divisible by groups ({groups})")
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
    padded = tuple(n + a + c for n, a, c in zip(size, lo, hi))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(n < r for n, r in zip(padded, span)):
        raise ValueError(f"{op}: weight's kernel {tuple(kernel)} (dilation {dilation}) is larger "
                         f"than the padded input {padded}")
    if N and C and min(size) < 1:
        raise ValueError(f"{op}: input {tuple(x)} has an empty spatial dimension, which torch "
                         f"accepts only with an empty batch or no channel")
    check_extents(op, "padding", "the padded input", (N, C, *padded))
    out = tuple(out_length(*a) for a in zip(size, lo, hi, kernel, dilation, stride))
    check_extents(op, "weight", "the output", (N, K, *out))
    stride = tuple(map(shortest_stride, padded, span, stride))
    dilation = tuple(d if k > 1 else 1 for k, d in zip(kernel, dilation))
    return ConvPlan(nd, N, C, K, groups, tuple(size), tuple(kernel), stride, dilation,
                    lo, hi, out, b is not None, dtype)


def conv_op_plan(op: str, nd: int, shapes, dtype, stride, padding, dilation, groups,
                 padding_mode="zeros"):
    """conv1d/2d/3d's plan: batched or not, any padding mode (staged where needed)."""
    mode = modes.check_mode(op, padding_mode)
    shapes, unbatched = with_batch(op, shapes, nd + 1, f"C, {dims(nd)}")
    if mode != "zeros" and not isinstance(padding, str):
        pad = as_tuple(op, "padding", padding, nd, minimum=-INT64_MAX)
        if min(pad) < 0:
            modes.check_padding(op, mode, shapes[0], pad, pad)
            shapes = cropped(op, nd, shapes, pad)
            p = conv_plan(op, nd, shapes, dtype, stride, 0, dilation, groups)
            return Stage(p, unbatched, mode, pad, pad)
    p = conv_plan(op, nd, shapes, dtype, stride, padding, dilation, groups)
    if mode == "zeros":
        return staged(p, unbatched)
    modes.check_padding(op, mode, shapes[0], p.pad_lo, p.pad_hi)
    inner = replace(p, size=p.padded, pad_lo=(0,) * nd, pad_hi=(0,) * nd)
    return Stage(inner, unbatched, mode, p.pad_lo, p.pad_hi)


def cropped(op: str, nd: int, shapes, pad) -> tuple:
    """The shapes with the input padded by ``pad`` (some negative) on both sides: torch's Conv
    modules pad with F.pad, which crops where a padding is negative."""
    x, *rest = shapes
    check_ndim(op, "input", x, nd + 2, f"(N, C, {dims(nd)})")
    size = tuple(n + 2 * a for n, a in zip(x[2:], pad))
    if min(size) < 1:
        raise ValueError(f"{op}: padding {pad} leaves no input: input {tuple(x)} cropped to {size}")
    return ((*x[:2], *size), *rest)


def conv_cost(plan) -> dict:
    """Cost of a (possibly staged) convolution plan: the padding of a padding mode is not
    read from memory, so ``bytes`` counts the caller's input."""
    p = core(plan)
    params = p.K * p.Cg * prod(p.kernel) + (p.K if p.has_bias else 0)
    read = prod(p.in_shape)
    if isinstance(plan, Stage) and plan.mode != "zeros":
        read = p.N * p.C * prod(n - a - c for n, a, c in zip(p.size, plan.pad_lo, plan.pad_hi))
    elems = read + params + prod(p.out_shape)
    return {"params": params, "macs": p.macs, "flops": 2 * p.macs,
            "bytes": elems * p.dtype.itemsize}


class ConvOp(Op):
    """Cross-correlation, as torch.nn.functional.conv{1,2,3}d computes it."""

    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))
    defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "padding_mode": "zeros"}

    def __init__(self, name: str, nd: int, doc: str = ""):
        self.nd = nd
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        return conv_op_plan(self.name, self.nd, shapes, dtype, **params)

    def cost_of(self, plan):
        return conv_cost(plan)


class Conv2dVariantOp(Op):
    """A 2-D convolution of its own kind (depthwise, separable, unshared...): input (N, C,
    H, W), or (C, H, W) taken as a batch of one, and torch's stride, padding and dilation.
    ``batched_plan(op, shapes, dtype, **params)`` plans the batched call."""

    defaults = {"stride": 1, "padding": 0, "dilation": 1}
    batched_plan = None

    def plan(self, shapes, dtype, params):
        shapes, unbatched = with_batch(self.name, shapes, 3, "C, H, W")
        return staged(self.batched_plan(self.name, shapes, dtype, **params), unbatched)


class PointwiseConvOp(Op):
    """1x1 convolution: one GEMM of the weight (K, C) with every pixel's channel vector."""

    inputs = ConvOp.inputs
    defaults = {}

    def plan(self, shapes, dtype, params):
        shapes, unbatched = with_batch(self.name, shapes, 3, "C, H, W")
        w = shapes[1]
        if w is not None and len(w) == 4 and tuple(w[2:]) != (1, 1):
            raise ValueError(f"{self.name}: weight must have shape (K, C, 1, 1), got {tuple(w)}")
        return staged(conv_plan(self.name, 2, shapes, dtype, 1, 0, 1, 1), unbatched)

    def cost_of(self, plan):
        return conv_cost(plan)


_DOC = """{name}(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
padding_mode="zeros", algo="auto")

{nd}D convolution (cross-correlation) of input (N, C, {dims}) or (C, {dims}) with weight
(K, C/groups, {kdims}), plus bias (K,).  padding: int, tuple, 'valid', 'same' or 'full';
padding_mode: 'zeros', 'reflect', 'replicate' or 'circular' (as torch.nn.Conv{nd}d pads).
Returns (N, K, {odims}) (no N for an unbatched input).  ``{name}.backward(grad_out, ...)``
returns (grad_input, grad_weight, grad_bias)."""

conv1d = ConvOp("conv1d", 1, _DOC.format(name="conv1d", nd=1, dims="L", kdims="kL", odims="L_out"))
conv2d = ConvOp("conv2d", 2, _DOC.format(name="conv2d", nd=2, dims="H, W", kdims="R, S", odims="P, Q"))
conv3d = ConvOp("conv3d", 3, _DOC.format(name="conv3d", nd=3, dims="D, H, W", kdims="T, R, S",
                                         odims="D_out, P, Q"))
pointwise_conv2d = PointwiseConvOp(
    "pointwise_conv2d",
    "pointwise_conv2d(input, weight, bias=None): 1x1 convolution of input (N, C, H, W) or "
    "(C, H, W), weight (K, C, 1, 1).")
CONV_OPS = ("conv1d", "conv2d", "conv3d", "pointwise_conv2d")

"""The transposed-convolution plan: conv_transpose1d/2d/3d, parameters normalised once.

Input (N, C, *size), weight (C, K/groups, *kernel), output (N, K, *out) with, per dimension,

    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1

exactly as torch computes it.  A transposed convolution *is* the input gradient of a
strided convolution: the convolution whose input has the transposed op's output shape,
whose weight is the same array read as (K_conv = C, C_conv/groups = K/groups, *kernel),
and whose output has the transposed op's input shape.  ``TransposedPlan.conv`` is that
convolution's plan, so the algorithms reuse the conv kernels:

    conv_transpose(x)            = conv input-gradient of grad_out x
    grad_input of conv_transpose = conv forward of grad_out
    grad_weight                  = conv weight-gradient with (grad_out = x, input = grad_out)

output_padding only lengthens the output at the high end; the conv reads at most
``(size - 1) * stride + dilation * (kernel - 1) + 1`` padded positions, so its high padding
is ``max(padding - output_padding, 0)`` and its output is cut to ``size`` positions.

As torch: an input without the batch axis (C, *size) is computed as a batch of one; a batch
of 0 may have empty spatial dimensions and an output of length 0 (an empty result); the
input must have channels, and stride, padding and dilation must fit the int32 range that
torch's own kernels use (``kernels._params.MAX_EXTENT``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels._params import as_tuple, check_extents, check_groups, check_ndim, int32, prod
from kernels._registry import Input, Op, core
from kernels.conv.plan import ConvPlan, dims, shortest_stride, staged, with_batch


@dataclass(frozen=True)
class TransposedPlan:
    nd: int
    N: int
    C: int          # input channels
    K: int          # output channels
    G: int
    size: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    output_padding: tuple
    out: tuple
    has_bias: bool
    dtype: np.dtype
    conv: ConvPlan  # the convolution whose input gradient this op is

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.K, *self.out)

    @property
    def reach(self) -> tuple:
        """Padded output positions the kernel reaches: (size-1)*stride + dilation*(kernel-1) + 1."""
        return tuple((n - 1) * s + d * (k - 1) + 1
                     for n, s, d, k in zip(self.size, self.stride, self.dilation, self.kernel))

    @property
    def macs(self) -> int:
        # every input element meets K/groups * prod(kernel) weights
        return self.N * self.C * prod(self.size) * (self.K // self.G) * prod(self.kernel)


def transposed_plan(op, nd, shapes, dtype, stride, padding, output_padding, groups, dilation):
    x, w, b = shapes
    check_ndim(op, "input", x, nd + 2, f"(N, C, {dims(nd)})")
    check_ndim(op, "weight", w, nd + 2, "(C, K/groups, *kernel)")
    groups = check_groups(op, "groups", groups)
    N, C, *size = x
    Cw, Kg, *kernel = w
    if Cw != C:
        raise ValueError(f"{op}: weight must have shape (C={C}, K/groups, *kernel) for input "
                         f"channels {C}, got {tuple(w)}")
    if C < 1:
        raise ValueError(f"{op}: input must have at least one channel (so must weight), got {tuple(x)}")
    if Kg < 1 or min(kernel) < 1:
        raise ValueError(f"{op}: weight must have at least one output channel per group and one "
                         f"tap per kernel dimension, got {tuple(w)}")
    if C % groups:
        raise ValueError(f"{op}: input channels ({C}) must be divisible by groups ({groups})")
    K = Kg * groups
    if b is not None and tuple(b) != (K,):
        raise ValueError(f"{op}: bias must have shape ({K},), got {tuple(b)}")
    if isinstance(padding, str):
        raise TypeError(f"{op}: padding must be an int or a tuple of {nd} ints "
                        f"(torch's conv_transpose has no padding modes), got {padding!r}")
    stride = int32(op, "stride", as_tuple(op, "stride", stride, nd))
    dilation = int32(op, "dilation", as_tuple(op, "dilation", dilation, nd))
    pad = int32(op, "padding", as_tuple(op, "padding", padding, nd, minimum=0))
    opad = as_tuple(op, "output_padding", output_padding, nd, minimum=0)
    for o, s, d in zip(opad, stride, dilation):
        if o >= s and o >= d:
            raise ValueError(f"{op}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={opad}, stride={stride}, "
                             f"dilation={dilation}")
    if N and min(size) < 1:
        raise ValueError(f"{op}: input {tuple(x)} has an empty spatial dimension, which torch "
                         f"accepts only with an empty batch")
    out = tuple((n - 1) * s - 2 * p + d * (k - 1) + o + 1
                for n, s, p, d, k, o in zip(size, stride, pad, dilation, kernel, opad))
    if min(out) < (1 if N else 0):
        raise ValueError(f"{op}: padding {pad} is too large: the output size would be {out}")
    check_extents(op, "stride, padding, dilation", "the output", (N, K, *out))
    hi = tuple(max(p - o, 0) for p, o in zip(pad, opad))
    padded = tuple(n + p + h for n, p, h in zip(out, pad, hi))
    check_extents(op, "padding", "the padded output", (N, K, *padded))
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    conv = ConvPlan(nd, N, K, C, groups, out, tuple(kernel),
                    tuple(map(shortest_stride, padded, span, stride)),
                    tuple(d if k > 1 else 1 for k, d in zip(kernel, dilation)),
                    pad, hi, tuple(size), False, dtype)
    return TransposedPlan(nd, N, C, K, groups, tuple(size), tuple(kernel), stride, dilation,
                          pad, opad, out, b is not None, dtype, conv)


def transposed_cost(plan) -> dict:
    p = core(plan)
    params = p.C * (p.K // p.G) * prod(p.kernel) + (p.K if p.has_bias else 0)
    elems = p.N * p.C * prod(p.size) + params + p.N * p.K * prod(p.out)
    return {"params": params, "macs": p.macs, "flops": 2 * p.macs,
            "bytes": elems * p.dtype.itemsize}


class ConvTransposeOp(Op):
    """Transposed convolution, as torch.nn.functional.conv_transpose{1,2,3}d computes it."""

    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))
    defaults = {"stride": 1, "padding": 0, "output_padding": 0, "groups": 1, "dilation": 1}

    def __init__(self, name: str, nd: int, doc: str = ""):
        self.nd = nd
        super().__init__(name, doc)

    def plan(self, shapes, dtype, params):
        shapes, unbatched = with_batch(self.name, shapes, self.nd + 1, f"C, {dims(self.nd)}")
        return staged(transposed_plan(self.name, self.nd, shapes, dtype, **params), unbatched)

    def cost_of(self, plan):
        return transposed_cost(plan)


_DOC = """{name}(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
dilation=1, algo="auto")

{nd}D transposed convolution of input (N, C, {dims}) or (C, {dims}) with weight (C, K/groups, *kernel),
plus bias (K,): the input gradient of a strided {nd}D convolution.  ``{name}.backward``
returns (grad_input, grad_weight, grad_bias)."""

TRANSPOSED_OPS = ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d")
for _nd, _name in enumerate(TRANSPOSED_OPS, start=1):
    globals()[_name] = ConvTransposeOp(_name, _nd, _DOC.format(name=_name, nd=_nd, dims=dims(_nd)))

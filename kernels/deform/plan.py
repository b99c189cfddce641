"""Deformable convolution (DCN v1, Dai et al. 2017; modulated DCN v2, Zhu et al. 2019) with
torchvision.ops.deform_conv2d's layout and sampling.

Input (N, C, H, W), offset (N, 2*G_off*R*S, P, Q), weight (K, C/G, R, S), bias (K,),
mask (N, G_off*R*S, P, Q).  Kernel point t = i*S + j (row-major) of offset group g reads

    dy = offset[n, 2*(g*R*S + t)],   dx = offset[n, 2*(g*R*S + t) + 1],   m = mask[n, g*R*S + t]

and samples input channel c (of offset group g = c // (C/G_off)) at the real point

    (p*sh - ph + i*dh + dy,  q*sw - pw + j*dw + dx)

by bilinear interpolation, reading zero for every corner outside the image (so the sample
is zero outside (-1, H) x (-1, W)).  The samples, times m, form the patch matrix of an
ordinary grouped convolution with weight and bias.  See docs/deform.md.

Shapes as torchvision accepts them: a batch of 0 and a weight with no filter (K = 0) give
empty outputs; an image with no pixel (H or W = 0, where the padding leaves an output)
samples zero everywhere, so the output is the bias (``NoPixels`` hands the algorithms one
zero pixel instead); torchvision refuses unbatched inputs, and stride, padding and
dilation beyond the int32 range its kernels use (so do we, ``kernels._params.MAX_EXTENT``);
an input with no channel divides by zero there, and is refused here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from kernels._params import as_tuple, check_extents, check_ndim, int32, prod
from kernels._registry import Input, Op, Staged, core
from kernels.conv.plan import Grouped, out_length, resolve_padding


@dataclass(frozen=True)
class DeformPlan(Grouped):
    N: int
    C: int
    size: tuple        # (H, W)
    K: int
    G: int             # weight groups: C / weight.shape[1]
    G_off: int         # offset groups: offset.shape[1] / (2*R*S)
    kernel: tuple      # (R, S)
    stride: tuple
    dilation: tuple
    pad_lo: tuple
    pad_hi: tuple
    out: tuple         # (P, Q)
    has_bias: bool
    has_mask: bool
    dtype: np.dtype

    @property
    def C_off(self) -> int:
        """Input channels per offset group."""
        return self.C // self.G_off

    @property
    def out_shape(self) -> tuple:
        return (self.N, self.K, *self.out)

    @property
    def samples(self) -> int:
        """Bilinear samples of one forward pass: one per (n, c, kernel point, output position)."""
        return self.N * self.C * prod(self.kernel) * prod(self.out)

    @property
    def macs(self) -> int:
        """The convolution's MACs plus 4 per bilinear sample (and 1 more for the mask)."""
        return (self.N * self.K * prod(self.out) * self.Cg * prod(self.kernel)
                + self.samples * (5 if self.has_mask else 4))


@dataclass(frozen=True)
class NoPixels(Staged):
    """An image with no pixel (H or W = 0) samples zero at every point, as an image of zeros
    does: the algorithms get one zero pixel per empty dimension (``inner.size``), and the
    input's gradient is empty again."""
    inner: DeformPlan
    size: tuple  # the caller's (H, W)

    @property
    def out_shape(self) -> tuple:
        return self.inner.out_shape

    def enter(self, arrays) -> list:
        x, *rest = arrays
        return [np.zeros((*x.shape[:2], *self.inner.size), x.dtype), *rest]

    def leave(self, out):
        return out

    def enter_grad(self, grad_out):
        return grad_out

    def leave_grads(self, grads) -> tuple:
        gx, *rest = grads
        return (np.zeros((*gx.shape[:2], *self.size), gx.dtype), *rest)


def _pair(op, name, value, minimum=1):
    """torchvision's ``_pair``: an int, or exactly two (a one-element tuple is refused there)."""
    if isinstance(value, (tuple, list)) and len(value) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return as_tuple(op, name, value, 2, minimum)


def deform_plan(op, shapes, dtype, stride, padding, dilation):
    x, off, w, b, m = shapes
    check_ndim(op, "input", x, 4, "(N, C, H, W)")
    check_ndim(op, "offset", off, 4, "(N, 2*offset_groups*kh*kw, out_h, out_w)")
    check_ndim(op, "weight", w, 4, "(K, C/groups, kh, kw)")
    N, C, H, W = x
    K, Cg, R, S = w
    if C < 1:
        raise ValueError(f"{op}: input must have at least one channel, got {tuple(x)}")
    if min(Cg, R, S) < 1:
        raise ValueError(f"{op}: weight must have at least one input channel and one tap per "
                         f"kernel dimension, got {tuple(w)}")
    if C % Cg:
        raise ValueError(f"{op}: weight's input channels ({Cg}) must divide the input's ({C})")
    G = C // Cg
    if K % G:
        raise ValueError(f"{op}: weight's out channels ({K}) must be divisible by the groups "
                         f"C / weight.shape[1] = {G}")
    stride = int32(op, "stride", _pair(op, "stride", stride))
    dilation = int32(op, "dilation", _pair(op, "dilation", dilation))
    if isinstance(padding, (tuple, list)):
        _pair(op, "padding", padding, minimum=0)
    lo, hi = resolve_padding(op, padding, (R, S), dilation, stride)
    int32(op, "padding", lo + hi)
    out = tuple(out_length(*a) for a in zip((H, W), lo, hi, (R, S), dilation, stride))
    if min(out) < 1:
        raise ValueError(f"{op}: weight's kernel {(R, S)} (dilation {dilation}) is larger than "
                         f"the padded input {tuple(s + l + h for s, l, h in zip((H, W), lo, hi))}")
    if off[1] == 0 or off[1] % (2 * R * S):
        raise ValueError(f"{op}: offset must have 2*offset_groups*kh*kw channels, a positive "
                         f"multiple of 2*{R}*{S} = {2 * R * S}; got shape {tuple(off)}")
    G_off = off[1] // (2 * R * S)
    if C % G_off:
        raise ValueError(f"{op}: offset has {G_off} offset groups (channels / (2*kh*kw)), "
                         f"which must divide the input channels ({C})")
    if tuple(off) != (N, 2 * G_off * R * S, *out):
        raise ValueError(f"{op}: offset must have shape (N, 2*offset_groups*kh*kw, out_h, out_w) = "
                         f"{(N, 2 * G_off * R * S, *out)}, got {tuple(off)}")
    if m is not None and tuple(m) != (N, G_off * R * S, *out):
        raise ValueError(f"{op}: mask must have shape (N, offset_groups*kh*kw, out_h, out_w) = "
                         f"{(N, G_off * R * S, *out)}, got {tuple(m)}")
    if b is not None and tuple(b) != (K,):
        raise ValueError(f"{op}: bias must have shape ({K},), got {tuple(b)}")
    check_extents(op, "weight", "the output", (N, K, *out))
    p = DeformPlan(N, C, (H, W), K, G, G_off, (R, S), stride, dilation, lo, hi, out,
                   b is not None, m is not None, dtype)
    if N and not H * W:
        return NoPixels(replace(p, size=(max(H, 1), max(W, 1))), (H, W))
    return p


class DeformConvOp(Op):
    """torchvision.ops.deform_conv2d, argument for argument (``mask`` last, after dilation)."""

    inputs = (Input("input"), Input("offset"), Input("weight"), Input("bias", optional=True),
              Input("mask", optional=True))
    defaults = {"stride": 1, "padding": 0, "dilation": 1}
    order = ("input", "offset", "weight", "bias", "stride", "padding", "dilation", "mask")

    def plan(self, shapes, dtype, params):
        return deform_plan(self.name, shapes, dtype, **params)

    def cost_of(self, plan):
        p = core(plan)
        params = p.K * p.Cg * prod(p.kernel) + (p.K if p.has_bias else 0)
        offsets = p.N * p.G_off * prod(p.kernel) * prod(p.out) * (3 if p.has_mask else 2)
        elems = p.N * p.C * prod(p.size) + offsets + params + prod(p.out_shape)
        return {"params": params, "macs": p.macs, "flops": 2 * p.macs,
                "bytes": elems * p.dtype.itemsize}

    def make_inputs(self, shapes, params, rng):
        """Random inputs with every offset's fractional part in [0.1, 0.9].

        Bilinear sampling is only piecewise smooth: its derivative in the offset jumps
        where a sampling coordinate crosses an integer (a new pair of pixels takes over).
        Sampling points are integers plus offsets, so offsets away from integers keep
        every point away from the kinks, and the gradients compared with torch are
        well-defined (and do not flip with float32 rounding).
        """
        arrays = super().make_inputs(shapes, params, rng)
        off = shapes[1]
        arrays[1] = rng.integers(-2, 2, off) + rng.uniform(0.1, 0.9, off)
        return arrays


deform_conv2d = DeformConvOp(
    "deform_conv2d",
    """deform_conv2d(input, offset, weight, bias=None, stride=1, padding=0, dilation=1, mask=None, algo="auto")

Deformable convolution as torchvision.ops.deform_conv2d: input (N, C, H, W), offset
(N, 2*offset_groups*kh*kw, out_h, out_w) as (dy, dx) pairs per kernel point (row-major),
weight (K, C/groups, kh, kw), bias (K,), mask (N, offset_groups*kh*kw, out_h, out_w)
(DCNv2 modulation).  ``deform_conv2d.backward(grad_out, ...)`` returns the gradients of
input, offset, weight, bias and mask.""")
DEFORM_OPS = ("deform_conv2d",)

"""The depthwise plan: depthwise_conv2d is conv2d with groups = C, so its plan is a ConvPlan.

Input (N, C, H, W), weight (C*m, 1, R, S) with channel multiplier m, output (N, C*m, P, Q):
output channel k filters input channel k // m only (torch's grouping with groups = C).
As conv2d with groups = C: an unbatched input (C, H, W) is a batch of one, a batch may be
empty (so may H and W then, where the padding fills them), and the input needs channels
(groups = 0 is no convolution).
"""
from __future__ import annotations

from kernels._params import as_tuple, check_ndim
from kernels._registry import Input
from kernels.conv.plan import Conv2dVariantOp, conv_cost, conv_plan, resolve_padding


def depthwise_plan(op, shapes, dtype, stride, padding, dilation, weight_name="weight"):
    """The ConvPlan (groups = C) of a batched depthwise convolution."""
    x, w = shapes[:2]
    check_ndim(op, "input", x, 4, "(N, C, H, W)")
    if x[1] < 1:
        raise ValueError(f"{op}: input must have at least one channel, got {tuple(x)}")
    check_ndim(op, weight_name, w, 4, "(C*m, 1, R, S)")
    C, (Cm, one) = x[1], w[:2]
    if one != 1 or Cm < C or Cm % C:
        raise ValueError(f"{op}: {weight_name} must have shape (C*m, 1, R, S) with C = {C} input "
                         f"channels and a channel multiplier m >= 1, got {tuple(w)}")
    if min(w) < 1:
        raise ValueError(f"{op}: {weight_name} must have no empty dimension, got {tuple(w)}")
    kernel, dil = w[2:], as_tuple(op, "dilation", dilation, 2)
    lo, hi = resolve_padding(op, padding, kernel, dil, as_tuple(op, "stride", stride, 2))
    if any(n + a + b < d * (k - 1) + 1 for n, a, b, d, k in zip(x[2:], lo, hi, dil, kernel)):
        raise ValueError(f"{op}: {weight_name}'s kernel {tuple(kernel)} (dilation {dil}) is "
                         f"larger than the padded input")
    return conv_plan(op, 2, (x, w, shapes[2]), dtype, stride, padding, dilation, C)


class DepthwiseConvOp(Conv2dVariantOp):
    """Depthwise 2D convolution (groups = C) with a channel multiplier m."""

    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))
    batched_plan = staticmethod(depthwise_plan)

    def cost_of(self, plan):
        return conv_cost(plan)


depthwise_conv2d = DepthwiseConvOp(
    "depthwise_conv2d",
    """depthwise_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, algo="auto")

Depthwise convolution of input (N, C, H, W) or (C, H, W) with weight (C*m, 1, R, S), plus bias (C*m,):
output channel k sees input channel k // m only.  Equals conv2d(..., groups=C).
padding: int, tuple, 'valid', 'same' or 'full'.  ``backward`` returns (grad_input,
grad_weight, grad_bias).""")
DEPTHWISE_OPS = ("depthwise_conv2d",)

"""The depthwise-separable plan: a depthwise ConvPlan followed by a pointwise ConvPlan.

Input (N, C, H, W); weight_depthwise (M, 1, R, S) with M = C*m; weight_pointwise (K, M, 1, 1);
bias (K,), added after the pointwise step; output (N, K, P, Q).  The depthwise step has no
bias (a bias there would fold into the pointwise one).  An unbatched input (C, H, W) is a
batch of one; empty sizes follow depthwise_conv2d's rules.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels._params import check_ndim, prod
from kernels._registry import Input, core
from kernels.conv.plan import Conv2dVariantOp, ConvPlan, conv_plan
from kernels.depthwise.plan import depthwise_plan


@dataclass(frozen=True)
class SeparablePlan:
    depthwise: ConvPlan  # (N, C, H, W) -> (N, M, P, Q)
    pointwise: ConvPlan  # (N, M, P, Q) -> (N, K, P, Q), with the bias
    dtype: np.dtype

    @property
    def out_shape(self) -> tuple:
        return self.pointwise.out_shape


def separable_plan(op, shapes, dtype, stride, padding, dilation) -> SeparablePlan:
    x, wd, wp, b = shapes
    dw = depthwise_plan(op, (x, wd, None), dtype, stride, padding, dilation,
                        weight_name="weight_depthwise")
    check_ndim(op, "weight_pointwise", wp, 4, "(K, C*m, 1, 1)")
    if tuple(wp[1:]) != (dw.K, 1, 1) or wp[0] < 1:
        raise ValueError(f"{op}: weight_pointwise must have shape (K, {dw.K}, 1, 1) for "
                         f"weight_depthwise {tuple(wd)}, got {tuple(wp)}")
    if b is not None and tuple(b) != (wp[0],):
        raise ValueError(f"{op}: bias must have shape ({wp[0]},), got {tuple(b)}")
    pw = conv_plan(op, 2, (dw.out_shape, wp, b), dtype, 1, 0, 1, 1)
    return SeparablePlan(dw, pw, dtype)


def separable_cost(plan) -> dict:
    p = core(plan)
    dw, pw = p.depthwise, p.pointwise
    params = prod(dw.w_shape) + prod(pw.w_shape) + (pw.K if pw.has_bias else 0)
    macs = dw.macs + pw.macs
    elems = prod(dw.in_shape) + params + prod(pw.out_shape)  # the fused kernel's traffic
    return {"params": params, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


class SeparableConvOp(Conv2dVariantOp):
    """Depthwise-separable convolution (MobileNet): depthwise R x S, then pointwise 1x1."""

    inputs = (Input("input"), Input("weight_depthwise"), Input("weight_pointwise"),
              Input("bias", optional=True))
    batched_plan = staticmethod(separable_plan)

    def cost_of(self, plan):
        return separable_cost(plan)


separable_conv2d = SeparableConvOp(
    "separable_conv2d",
    """separable_conv2d(input, weight_depthwise, weight_pointwise, bias=None, stride=1,
padding=0, dilation=1, algo="auto")

depthwise_conv2d(input, weight_depthwise (C*m, 1, R, S), stride, padding, dilation) then
pointwise_conv2d(., weight_pointwise (K, C*m, 1, 1), bias (K,)).  ``backward`` returns
(grad_input, grad_weight_depthwise, grad_weight_pointwise, grad_bias).""")
SEPARABLE_OPS = ("separable_conv2d",)

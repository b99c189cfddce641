"""The spatially separable plan: the ConvPlan of conv2d with the outer-product kernel.

Input (N, C, H, W), col (K, C, R), row (K, C, S), bias (K,): the same output as conv2d with
weight[k, c] = outer(col[k, c], row[k, c]) of shape (K, C, R, S) (the sum over c happens in
the convolution, so each (k, c) kernel is separable, not the layer).

The direct method runs two 1D passes per (n, k, c) and output row p: the column filter over
the Wu = (Q-1)*stride_w + (S-1)*dilation_w + 1 padded columns the row filter reads (R MACs
each), then the row filter (S MACs per output):  P * (Wu*R + Q*S)  MACs against the full
kernel's  P*Q*R*S.  For a 5x5 image and a 3x3 kernel: 3*(5*3 + 3*3) = 72 against 81.

Shapes follow conv2d's rules: an unbatched input (C, H, W) is a batch of one, and an input
with no channel (C = 0) gives conv2d's empty (N, 0, P, Q) output.
"""
from __future__ import annotations

from kernels._params import as_tuple, check_ndim, prod
from kernels._registry import Input, core
from kernels.conv.plan import Conv2dVariantOp, ConvPlan, conv_plan, resolve_padding


def spatial_plan(op, shapes, dtype, stride, padding, dilation) -> ConvPlan:
    x, col, row, b = shapes
    check_ndim(op, "input", x, 4, "(N, C, H, W)")
    check_ndim(op, "col", col, 3, "(K, C, R)")
    check_ndim(op, "row", row, 3, "(K, C, S)")
    C = x[1]
    if col[1] != C or col[0] < 1 or col[2] < 1:
        raise ValueError(f"{op}: col must have shape (K, C={C}, R) with K, R >= 1, got {tuple(col)}")
    if tuple(row[:2]) != tuple(col[:2]) or row[2] < 1:
        raise ValueError(f"{op}: row must have shape (K={col[0]}, C={C}, S) to match col "
                         f"{tuple(col)}, got {tuple(row)}")
    kernel = (col[2], row[2])
    dil = as_tuple(op, "dilation", dilation, 2)
    lo, hi = resolve_padding(op, padding, kernel, dil, as_tuple(op, "stride", stride, 2))
    for name, i in (("col", 0), ("row", 1)):
        if x[2 + i] + lo[i] + hi[i] < dil[i] * (kernel[i] - 1) + 1:
            raise ValueError(f"{op}: {name}'s length {kernel[i]} (dilation {dil[i]}) is larger "
                             f"than the padded input ({x[2 + i] + lo[i] + hi[i]})")
    return conv_plan(op, 2, (x, (col[0], C, *kernel), b), dtype, stride, padding, dilation, 1)


def used_columns(p: ConvPlan) -> int:
    """Wu: the padded input columns the row filter reads."""
    return (p.out[1] - 1) * p.stride[1] + (p.kernel[1] - 1) * p.dilation[1] + 1


def spatial_cost(plan) -> dict:
    p = core(plan)
    (R, S), (P, Q) = p.kernel, p.out
    params = p.K * p.C * (R + S) + (p.K if p.has_bias else 0)
    macs = p.N * p.K * p.C * P * (used_columns(p) * R + Q * S)
    elems = prod(p.in_shape) + params + prod(p.out_shape)
    return {"params": params, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


class SpatiallySeparableConvOp(Conv2dVariantOp):
    """conv2d whose every (k, c) kernel is the outer product of a column and a row filter."""

    inputs = (Input("input"), Input("col"), Input("row"), Input("bias", optional=True))
    batched_plan = staticmethod(spatial_plan)

    def cost_of(self, plan):
        return spatial_cost(plan)


spatially_separable_conv2d = SpatiallySeparableConvOp(
    "spatially_separable_conv2d",
    """spatially_separable_conv2d(input, col, row, bias=None, stride=1, padding=0, dilation=1,
algo="auto")

conv2d of input (N, C, H, W) or (C, H, W) with the kernel weight[k, c] = outer(col[k, c], row[k, c]),
col (K, C, R), row (K, C, S), plus bias (K,).  padding: int, tuple, 'valid', 'same' or
'full'.  ``backward`` returns (grad_input, grad_col, grad_row, grad_bias).
``kernels.factorize_separable(weight)`` gives col and row for a given kernel.""")
SPATIAL_OPS = ("spatially_separable_conv2d",)

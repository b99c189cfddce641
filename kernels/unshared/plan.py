"""Unshared (locally connected) 2D convolution: a different filter at every output position.

Input (N, C, H, W), weight (P, Q, K, C, R, S), bias (K, P, Q), output (N, K, P, Q):

    y[n, k, p, q] = b[k, p, q]
                    + sum_{c, r, s} w[p, q, k, c, r, s] * x[n, c, p*sh + r*dh - ph, q*sw + s*dw - pw]

The geometry (stride, padding, dilation, P and Q) is exactly conv2d's, so the plan is a
conv2d ``ConvPlan`` (groups 1) built from the kernel (K, C, R, S) that every position
shares the shape of; only the weight and bias shapes differ.  An unbatched input (C, H, W)
is a batch of one; the input must have channels (the op has no torch twin whose rules for
C = 0 it could follow).
"""
from dataclasses import replace

from kernels._params import check_ndim, prod
from kernels._registry import Input, core
from kernels.conv.plan import Conv2dVariantOp, ConvPlan, conv_plan


def unshared_plan(op: str, shapes, dtype, stride, padding, dilation) -> ConvPlan:
    x, w, b = shapes
    check_ndim(op, "weight", w, 6, "(out_h, out_w, K, C, kh, kw)")
    if x[1] < 1:
        raise ValueError(f"{op}: input must have at least one channel, got {tuple(x)}")
    P_, Q_, K, C, R, S = w
    # no output channel is an empty output (as the einsum of the reference), which F.conv2d's
    # rules (planned with one channel) do not take
    p = conv_plan(op, 2, (x, (max(K, 1), C, R, S), None), dtype, stride, padding, dilation, 1)
    p = replace(p, K=K)
    if (P_, Q_) != p.out:
        raise ValueError(f"{op}: weight must have shape (out_h, out_w, K, C, kh, kw) = "
                         f"{(*p.out, K, p.C, R, S)} for this input and geometry, got {tuple(w)}")
    if b is not None and tuple(b) != (K, *p.out):
        raise ValueError(f"{op}: bias must have shape (K, out_h, out_w) = {(K, *p.out)}, got {tuple(b)}")
    return replace(p, has_bias=b is not None)


class UnsharedConvOp(Conv2dVariantOp):
    """Locally connected 2D convolution (no weight sharing across positions)."""

    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))
    batched_plan = staticmethod(unshared_plan)

    def cost_of(self, plan):
        p = core(plan)
        params = prod(p.out) * (p.K * p.C * prod(p.kernel) + (p.K if p.has_bias else 0))
        elems = prod(p.in_shape) + params + prod(p.out_shape)
        return {"params": params, "macs": p.macs, "flops": 2 * p.macs,
                "bytes": elems * p.dtype.itemsize}


unshared_conv2d = UnsharedConvOp(
    "unshared_conv2d",
    """unshared_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, algo="auto")

Locally connected layer: input (N, C, H, W) or (C, H, W), weight (out_h, out_w, K, C, kh, kw) (one filter
bank per output position), bias (K, out_h, out_w).  Returns (N, K, out_h, out_w).
``unshared_conv2d.backward(grad_out, ...)`` returns (grad_input, grad_weight, grad_bias).""")
UNSHARED_OPS = ("unshared_conv2d",)

"""The fully connected layer, ``linear(input, weight, bias=None)``, as torch.nn.functional.linear.

    y = input @ weight.T + bias

input (*, C) with any number of leading dims (none: a 1-d input), weight (K, C), bias
broadcastable to the output (*, K) -- (K,) in a layer, but torch also takes (), (1,) and
shapes such as (rows, K).  A 1-d weight (C,) gives output (*) (the feature dim dropped).
Which biases torch takes depends on its path: a 2-D input, or a bias that is a vector once
squeezed (``bias.squeeze()`` 1-d), goes to its fused GEMM (addmm over the M flattened
rows), where the bias broadcasts against (M, K) and the weight must be 2-D; any other bias
is added in place to the output, so it broadcasts against (*, K).  The plan follows the
same rule (``bias_frame``), so (4, 2, C) input takes a (4, 2, K) bias but not a (2, 1)
one, as torch.  "A fully connected layer is a 1x1 convolution": the M rows of
the flattened input are the pixels, C and K the input and output channels, and every
algorithm is one GEMM,

    Y (M, K) = X (M, C) @ W (K, C)^T         forward
    grad_X (M, C) = grad_Y (M, K) @ W        grad_W (K, C) = grad_Y^T @ X

(grad_bias: grad_Y summed over the dims the bias was broadcast along).  C = 0 is allowed:
the output is the bias (or zeros), as in torch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels._params import prod
from kernels._registry import Input, Op


@dataclass(frozen=True)
class LinearPlan:
    in_shape: tuple
    w_shape: tuple
    b_shape: tuple | None
    M: int                 # rows: the product of input's leading dims
    C: int                 # in_features
    K: int                 # out_features (1 for a 1-d weight)
    out_shape: tuple
    bias_frame: tuple      # the shape the bias broadcasts against: out_shape, or (M, K)
    bias_per_column: bool  # bias is a (K,) vector once broadcast (its leading dims are 1)
    dtype: np.dtype


def linear_plan(op, shapes, dtype):
    x, w, b = shapes
    if len(x) < 1 or len(w) < 1:
        raise ValueError(f"{op}: input and weight need at least one dimension each, got "
                         f"input {tuple(x)} and weight {tuple(w)}")
    if len(w) > 2:
        raise ValueError(f"{op}: weight must be (out_features, in_features) or "
                         f"(in_features,), got shape {tuple(w)}")
    C = x[-1]
    if w[-1] != C:
        raise ValueError(f"{op}: weight {tuple(w)} must have in_features = input's last "
                         f"dimension ({C})")
    vector = len(w) == 1
    K = 1 if vector else w[0]
    out_shape = tuple(x[:-1]) + (() if vector else (K,))
    frame = out_shape
    if b is not None:
        frame = _bias_frame(op, x, w, b, out_shape)
    per_column = b is not None and not vector and all(d == 1 for d in b[:-1])
    return LinearPlan(tuple(x), tuple(w), None if b is None else tuple(b), prod(x[:-1]), C, K,
                      out_shape, frame, per_column, dtype)


def _bias_frame(op, x, w, b, out_shape) -> tuple:
    """The shape the bias broadcasts against, as torch decides it (for a contiguous input):
    its fused GEMM path (addmm over the flattened rows) takes a 2-D input, and any input with a
    bias that is a vector once squeezed; there the bias broadcasts against (M, K) and the weight
    must be 2-D.  Elsewhere it is added in place to the output (*, K)."""
    fused = len(x) == 2 or len(b) == 1 or sum(d != 1 for d in b) == 1
    if fused and len(w) == 1:
        raise ValueError(f"{op}: a 1-d weight takes a bias only with an input that is not 2-D and "
                         f"a bias that is not a vector once squeezed (torch's fused GEMM path "
                         f"needs a 2-D weight), got input {tuple(x)}, weight {tuple(w)} and bias "
                         f"{tuple(b)}")
    frame = (prod(x[:-1]), w[0]) if fused else out_shape
    if len(b) > len(frame) or any(d not in (1, o) for d, o in zip(reversed(b), reversed(frame))):
        raise ValueError(f"{op}: bias {tuple(b)} must broadcast to {frame} ("
                         f"{'rows, out_features' if fused else 'the output'}): (out_features,) = "
                         f"({frame[-1] if frame else 1},) in a layer")
    return frame


def linear_cost(p: LinearPlan) -> dict:
    """params: weight + bias; macs: M*K*C; bytes: input, weight and bias read once, output
    written once."""
    params = prod(p.w_shape) + (0 if p.b_shape is None else prod(p.b_shape))
    macs = p.M * p.K * p.C
    elems = prod(p.in_shape) + params + prod(p.out_shape)
    return {"params": params, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


def matrices(x, w, p: LinearPlan):
    """input as X (M, C) and weight as W (K, C): views, no copy."""
    return x.reshape(p.M, p.C), w.reshape(p.K, p.C)


def column_bias(b, p: LinearPlan):
    """The bias as a (K,) vector when it is one per output column (else None)."""
    if b is None or not p.bias_per_column:
        return None
    return np.ascontiguousarray(np.broadcast_to(b.reshape(-1), (p.K,)))


def finish(y2, b, p: LinearPlan, bias_added: bool):
    """Y (M, K) as the output: reshaped, plus a bias not yet added (broadcast)."""
    y = y2.reshape(p.bias_frame)
    if b is not None and not bias_added:
        y += b
    return y.reshape(p.out_shape)


def bias_grad(gy, p: LinearPlan):
    """grad_Y summed to the bias's shape: over every dim the bias was broadcast along."""
    if p.b_shape is None:
        return None
    frame = p.bias_frame
    lead = len(frame) - len(p.b_shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(p.b_shape)
                                      if d == 1 and frame[lead + i] != 1)
    g = gy.reshape(frame).sum(axis=axes, dtype=np.float64)
    return np.asarray(g).reshape(p.b_shape).astype(p.dtype)


class LinearOp(Op):
    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))

    def plan(self, shapes, dtype, params):
        return linear_plan(self.name, shapes, dtype, **params)

    def cost_of(self, plan):
        return linear_cost(plan)


linear = LinearOp("linear", """linear(input, weight, bias=None, algo="auto")

A fully connected layer, input @ weight.T + bias, as torch.nn.functional.linear: input
(*, in_features), weight (out_features, in_features) or (in_features,), bias broadcastable
to the output (*, out_features).  The algorithms are GEMMs (see kernels.linear.plan).""")

"""What every pooling algorithm shares: the op-level glue around four window primitives.

Each algorithm module provides, on 5-D arrays (N, C, D, H, W) and a PoolPlan,

    avg(x5, p)                -> y5       window sums divided by the plan's divisor
    avg_backward(g5, p)       -> gx5      g / divisor sent back to every tap of the window
    max(x5, p, want_idx)      -> y5, idx5 window maxima and their flat indices (or None)
    max_backward(g5, idx5, p) -> gx5      g sent back to the maximum (the "switches"),
or in its place
    max_grad(g5, x5, p)       -> gx5      the same straight from x (argmax and scatter fused)

and this module builds every pooling op from them: max and adaptive max from ``max``;
avg, sum (divisor 1), adaptive and global average from ``avg``; lp pooling as torch
computes it, (sign(a) * relu(|a|) * prod(kernel)) ** (1/p) with a = avg(x ** p), whose
elementwise power and root are NumPy in every algorithm (p = +-inf: +-max(+-|x|));
spatial pyramid pooling as one adaptive pool per level.
"""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np

from kernels._params import prod
from kernels.pool.plan import PoolPlan, SPPPlan


def as5d(a, p, out=False):
    """View an input (or, with out, an output-shaped array) of plan p as (N, C, D, H, W)."""
    return a.reshape(p.N, p.C, *(p.out3 if out else p.size3))


def divisor(p: PoolPlan) -> np.ndarray:
    """The divisor of every output position, shape out3 (float64; products of ints)."""
    d0, d1, d2 = (np.asarray(t, np.float64) for t in p.div)
    return d0[:, None, None] * d1[None, :, None] * d2[None, None, :]


def flat_index(p: PoolPlan, id_, ih, iw):
    """torch's index of an input position within its (n, c) plane."""
    _, H, W = p.size3
    return (id_ * H + ih) * W + iw


def tap_range(n, k, s, pad, d, o) -> range:
    """The kernel taps t (along one dimension) that reach the input for some output j < o:
    0 <= j*s - pad + t*d < n.  A kernel far wider than the input (huge padding, or ceil_mode
    with a huge stride) has few of them."""
    return range(max(0, -((pad - (o - 1) * s) // -d)), min(k, (n - 1 + pad) // d + 1))


def primitives(avg, avg_backward, max, max_backward=None, max_grad=None):
    """An algorithm's pooling primitives, with ``max_backward`` or ``max_grad``: given
    ``max_backward`` only, max pooling's input gradient runs ``max`` for the indices, then
    ``max_backward`` to scatter."""
    if max_grad is None:
        def max_grad(g5, x5, p):
            return max_backward(g5, max(x5, p, True)[1], p)
    return SimpleNamespace(avg=avg, avg_backward=avg_backward, max=max, max_grad=max_grad)


def declare(algorithm, *primitive_fns, **named):
    """Declare the algorithm's pooling forward and backward (windowed pools and the
    spatial pyramid) from its primitives (the arguments of ``primitives``)."""
    prims = primitives(*primitive_fns, **named)

    @algorithm.forward
    def run_forward(x, p):
        return forward(prims, x, p)

    @algorithm.backward
    def run_backward(gy, x, p):
        return backward(prims, gy, x, p)


def _levels(p: SPPPlan):
    """The pyramid's levels that have bins, in the plan's dtype (a plan widened to float64 by
    auto keeps float32 levels)."""
    return [lv if lv.dtype == p.dtype else dataclasses.replace(lv, dtype=p.dtype)
            for lv in p.levels if prod(lv.out)]


def forward(prims, x, p):
    if isinstance(p, SPPPlan):
        y = np.concatenate([_window_forward(prims, x, lv).reshape(p.N, -1) for lv in _levels(p)],
                           axis=1)
        return y.reshape(p.out_shape)
    return _window_forward(prims, x, p)


def backward(prims, gy, x, p):
    if isinstance(p, SPPPlan):
        gx, start = None, 0
        gy = gy.reshape(p.N, -1)
        for lv in _levels(p):
            n = p.C * prod(lv.out)
            g = np.ascontiguousarray(gy[:, start:start + n]).reshape(lv.out_shape)
            start += n
            gl = _window_backward(prims, g, x, lv)
            gx = gl if gx is None else gx + gl
        return (gx.reshape(x.shape),)
    return (_window_backward(prims, gy, x, p),)


def _window_forward(prims, x, p):
    x5 = as5d(x, p)
    if p.kind == "max":
        y, idx = prims.max(x5, p, p.return_indices)
        y = y.reshape(p.out_shape)
        return (y, idx.reshape(p.out_shape)) if p.return_indices else y
    if p.kind == "lp" and np.isinf(p.norm_type):
        sgn = 1.0 if p.norm_type > 0 else -1.0  # torch: max_pool(|x|), or -max_pool(-|x|)
        y, _ = prims.max(as5d(sgn * np.abs(x), p), p, False)
        return (sgn * y).reshape(p.out_shape)
    if p.kind == "lp":
        return _lp(prims.avg(as5d(_power(x, p.norm_type), p), p), p)[1].reshape(p.out_shape)
    return prims.avg(x5, p).reshape(p.out_shape)


def _window_backward(prims, gy, x, p):
    x5, g5 = as5d(x, p), as5d(gy, p, out=True)
    if p.kind == "max":
        return prims.max_grad(g5, x5, p).reshape(x.shape)
    if p.kind == "lp" and np.isinf(p.norm_type):
        # out = s * max(s * |x|) for s = +-1: the gradient at the maximum is sign(x)
        s5 = as5d((1.0 if p.norm_type > 0 else -1.0) * np.abs(x), p)
        return prims.max_grad(g5, s5, p).reshape(x.shape) * _sign(x)
    if p.kind == "lp":
        xp = _power(x, p.norm_type)
        a = prims.avg(as5d(xp, p), p)
        m, r = _lp(a, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            # d r / d a = (1/p) m^(1/p - 1) * prod(kernel); sign*relu(|a|) passes 1 where a != 0
            ga = g5 * (np.power(m, 1.0 / p.norm_type - 1.0) / p.norm_type * p.window) * (a != 0)
            gxp = prims.avg_backward(np.ascontiguousarray(ga, dtype=p.dtype), p).reshape(x.shape)
            return (gxp * (p.norm_type * _power(x, p.norm_type - 1.0))).astype(p.dtype, copy=False)
    return prims.avg_backward(np.ascontiguousarray(g5), p).reshape(x.shape)


def _sign(x):
    """torch.sign: 0 at NaN (so abs's gradient there is 0, as torch's)."""
    return np.where(np.isnan(x), x.dtype.type(0), np.sign(x))


def _power(x, e):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.power(x, x.dtype.type(e))


def _lp(a, p):
    """torch's tail of lp_pool: m = sign(a) * relu(|a|) * prod(kernel), r = m ** (1/p)."""
    m = _sign(a) * np.maximum(np.abs(a), 0) * a.dtype.type(p.window)
    return m, _power(m, 1.0 / p.norm_type)

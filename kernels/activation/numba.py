"""Activations and dropout in parallel Numba loops over the flattened array.

One kernel serves every activation, forward and backward (the kind is a loop invariant,
so LLVM hoists the dispatch out of the loop); one kernel applies a dropout mask, forward
and backward alike (the gradient of x * keep * scale is grad_y * keep * scale).  No
fastmath: the formulas of ``kernels.activation.plan`` keep torch's order so that NaN and
infinities come out where torch's do, and fastmath would assume they never occur.
"""
import math

import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, GELU_ALPHA, GELU_BETA, GELU_KAPPA, SIXTH, keep_mask

numba = Algorithm("numba", ops=ACTIVATIONS, doc="parallel Numba loops")
numba_dropout = Algorithm("numba", ops=DROPOUTS, doc=numba.doc)

KIND = {name: i for i, name in enumerate(
    ("relu", "leaky_relu", "relu6", "hardsigmoid", "hardswish", "silu", "gelu", "gelu_tanh",
     "sigmoid", "tanh"))}
BLOCK = 4096  # elements per parallel task
SQRT_HALF = math.sqrt(0.5)


@njit(inline="always")
def _clamp6(t):
    # min/max keep NaN and -0.0 as torch's hardtanh does, and vectorise; nested ternaries
    # compile to branches, some twenty times slower on random signs
    return min(max(t, 0.0), 6.0)


@njit(inline="always")
def _value(v, kind, slope):
    if kind == 0:
        return 0.0 if v < 0 else v
    if kind == 1:
        return v if v > 0 else v * slope
    if kind == 2:
        return _clamp6(v)
    if kind == 3:
        return _clamp6(v + 3.0) / 6.0
    if kind == 4:
        return v * _clamp6(v + 3.0) / 6.0
    if kind == 5:
        return v / (1.0 + np.exp(-v))
    if kind == 6:
        return v * 0.5 * (1.0 + math.erf(v * SQRT_HALF))
    if kind == 7:
        return 0.5 * v * (1.0 + np.tanh(GELU_BETA * (v + GELU_KAPPA * (v * v * v))))
    if kind == 8:
        return 1.0 / (1.0 + np.exp(-v))
    return np.tanh(v)


@njit(inline="always")
def _grad(g, v, kind, slope):
    if kind == 0:
        return 0.0 if v <= 0 else g
    if kind == 1:
        return g if v > 0 else g * slope
    if kind == 2:
        return g if (v > 0 and v < 6) else 0.0
    if kind == 3:
        return g * SIXTH if (v > -3 and v < 3) else 0.0
    if kind == 4:
        if v <= -3:
            return 0.0
        return g if v >= 3 else g * (v / 3.0 + 0.5)
    if kind == 5:
        s = 1.0 / (1.0 + np.exp(-v))
        return g * s * (1.0 + v * (1.0 - s))
    if kind == 6:
        cdf = 0.5 * (1.0 + math.erf(v * SQRT_HALF))
        return g * (cdf + v * (GELU_ALPHA * np.exp(-0.5 * v * v)))
    if kind == 7:
        t = np.tanh(GELU_BETA * (v + GELU_KAPPA * (v * v * v)))
        inner = GELU_BETA * (1.0 + 3.0 * GELU_KAPPA * (v * v))
        return g * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * inner)
    if kind == 8:
        s = 1.0 / (1.0 + np.exp(-v))
        return g * (1.0 - s) * s
    t = np.tanh(v)
    return g * (1.0 - t * t)


@njit(cache=True)
def _values(x, kind, slope, out, lo, hi):
    """out[lo:hi] = f(x[lo:hi]).  One loop per kind, each with its kind a constant: LLVM
    then reduces ``_value`` to that kind's formula and vectorises the loop (a loop that
    tests a variable kind per element runs some fifty times slower)."""
    if kind == 0:  # relu
        for i in range(lo, hi):
            out[i] = _value(x[i], 0, slope)
    elif kind == 1:  # leaky_relu
        for i in range(lo, hi):
            out[i] = _value(x[i], 1, slope)
    elif kind == 2:  # relu6
        for i in range(lo, hi):
            out[i] = _value(x[i], 2, slope)
    elif kind == 3:  # hardsigmoid
        for i in range(lo, hi):
            out[i] = _value(x[i], 3, slope)
    elif kind == 4:  # hardswish
        for i in range(lo, hi):
            out[i] = _value(x[i], 4, slope)
    elif kind == 5:  # silu
        for i in range(lo, hi):
            out[i] = _value(x[i], 5, slope)
    elif kind == 6:  # gelu
        for i in range(lo, hi):
            out[i] = _value(x[i], 6, slope)
    elif kind == 7:  # gelu_tanh
        for i in range(lo, hi):
            out[i] = _value(x[i], 7, slope)
    elif kind == 8:  # sigmoid
        for i in range(lo, hi):
            out[i] = _value(x[i], 8, slope)
    elif kind == 9:  # tanh
        for i in range(lo, hi):
            out[i] = _value(x[i], 9, slope)


@njit(cache=True)
def _grads(x, gy, kind, slope, out, lo, hi):
    """out[lo:hi] = gy * f'(x) over [lo, hi), one loop per kind (as ``_values``)."""
    if kind == 0:  # relu
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 0, slope)
    elif kind == 1:  # leaky_relu
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 1, slope)
    elif kind == 2:  # relu6
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 2, slope)
    elif kind == 3:  # hardsigmoid
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 3, slope)
    elif kind == 4:  # hardswish
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 4, slope)
    elif kind == 5:  # silu
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 5, slope)
    elif kind == 6:  # gelu
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 6, slope)
    elif kind == 7:  # gelu_tanh
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 7, slope)
    elif kind == 8:  # sigmoid
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 8, slope)
    elif kind == 9:  # tanh
        for i in range(lo, hi):
            out[i] = _grad(gy[i], x[i], 9, slope)


@njit(parallel=True, cache=True)
def _activation(x, gy, kind, slope, grad, out):
    """out = f(x), or with grad out = gy * f'(x), for the activation numbered kind (KIND)."""
    n = x.size
    for blk in prange((n + BLOCK - 1) // BLOCK):
        lo, hi = blk * BLOCK, min((blk + 1) * BLOCK, n)
        if grad:
            _grads(x, gy, kind, slope, out, lo, hi)
        else:
            _values(x, kind, slope, out, lo, hi)


@njit(parallel=True, cache=True)
def _masked_scale(a, keep, S, scale, out):
    """out[r*S + s] = a[r*S + s] * (scale if keep[r] else 0)."""
    for r in prange(keep.size):
        f = scale if keep[r] else 0.0
        for i in range(r * S, (r + 1) * S):
            out[i] = a[i] * f


def _run_activation(x, gy, p):
    out = empty(x.shape, x.dtype)
    grad = gy is not None
    _activation(x.reshape(-1), (gy if grad else x).reshape(-1), KIND[p.kind], p.slope, grad,
                out.reshape(-1))
    return out


def _dropout(a, p):
    if not p.active:
        return a.copy()
    out = empty(a.shape, a.dtype)
    _masked_scale(a.reshape(-1), keep_mask(p).reshape(-1), p.S, p.scale, out.reshape(-1))
    return out


@numba.forward
def forward(x, p):
    return _run_activation(x, None, p)


@numba.backward
def backward(gy, x, p):
    return (_run_activation(x, gy, p),)


@numba_dropout.forward
def dropout_forward(x, p):
    return _dropout(x, p)


@numba_dropout.backward
def dropout_backward(gy, x, p):
    return (_dropout(gy, p),)

"""Activations and dropout in parallel Numba loops over the flattened array.

One loop serves every activation.  The kernel takes the kind as the length of a tuple,
``TAG[kind] = (0,) * KIND[kind]``, so each kind has its own type and is compiled (and
cached) as its own kernel; ``_value``/``_grad`` pick the kind's formula from ``FORMULAS``
by that type when Numba compiles, so each kernel holds its own formula only.  (A kind
passed as an int would be tested per element, or with ``numba.literally`` retype the
kernel on every call from Python; a formula passed as a function cannot be cached.)  Each
parallel task loops over a slice, ``for i in range(x.size)`` on ``x[lo:hi]``, which LLVM
vectorises (a loop over ``range(lo, hi)`` of the whole array keeps Numba's negative-index
wraparound and does not).  exp, tanh and erf are ``kernels._vecmath``'s, which vectorise
in float32; float64 calls libm.  Constants go through ``typed`` or are float32 values
exact in both dtypes, so that float32 arithmetic stays float32.

One kernel applies a dropout mask, forward and backward alike (the gradient of
x * keep * scale is grad_y * keep * scale).  No fastmath: the formulas of
``kernels.activation.plan`` keep torch's order so that NaN and infinities come out where
torch's do, and fastmath would assume they never occur.  error_model="numpy": a
division by zero gives inf or NaN (torch's values) instead of raising, and leaves no
branch in the loop to stop vectorisation.
"""
import math

import numpy as np
from numba import njit, prange
from numba.extending import overload

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels._vecmath import typed, verf, vexp, vtanh
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, GELU_ALPHA, GELU_BETA, GELU_KAPPA, SIXTH, keep_mask

numba = Algorithm("numba", ops=ACTIVATIONS, doc="parallel Numba loops")
numba_dropout = Algorithm("numba", ops=DROPOUTS, doc=numba.doc)

KINDS = ("relu", "leaky_relu", "relu6", "hardsigmoid", "hardswish", "silu", "gelu",
         "gelu_tanh", "sigmoid", "tanh")
KIND = {name: i for i, name in enumerate(KINDS)}
TAG = {name: (0,) * k for name, k in KIND.items()}  # a type per kind (see the docstring)
BLOCK = 8192  # elements per parallel task
SQRT_HALF = math.sqrt(0.5)
# exact in float32 and float64 alike, so they keep either dtype
ZERO, HALF, ONE, THREE, SIX = (np.float32(c) for c in (0.0, 0.5, 1.0, 3.0, 6.0))
SIXTH32 = np.float32(SIXTH)


@njit(inline="always")
def _clamp6(t):
    # min/max keep NaN and -0.0 as torch's hardtanh does, and vectorise; nested ternaries
    # compile to branches, some twenty times slower on random signs
    return min(max(t, ZERO), SIX)


# Each kind's value and gradient (g is grad_y), as kernels.activation.plan writes them.
@njit(inline="always")
def _relu(v, slope):
    return ZERO if v < 0 else v


@njit(inline="always")
def _relu_grad(g, v, slope):
    return ZERO if v <= 0 else g


@njit(inline="always")
def _leaky_relu(v, slope):
    return v if v > 0 else v * slope


@njit(inline="always")
def _leaky_relu_grad(g, v, slope):
    return g if v > 0 else g * slope


@njit(inline="always")
def _relu6(v, slope):
    return _clamp6(v)


@njit(inline="always")
def _relu6_grad(g, v, slope):
    return g if (v > 0 and v < 6) else ZERO


@njit(inline="always")
def _hardsigmoid(v, slope):
    return _clamp6(v + THREE) / SIX


@njit(inline="always")
def _hardsigmoid_grad(g, v, slope):
    return g * SIXTH32 if (v > -3 and v < 3) else ZERO


@njit(inline="always")
def _hardswish(v, slope):
    return v * _clamp6(v + THREE) / SIX


@njit(inline="always")
def _hardswish_grad(g, v, slope):
    inner = g if v >= 3 else g * (v / THREE + HALF)
    return ZERO if v <= -3 else inner


@njit(inline="always")
def _gelu(v, slope):
    return v * HALF * (ONE + verf(v * typed(SQRT_HALF, v)))


@njit(inline="always")
def _gelu_grad(g, v, slope):
    cdf = HALF * (ONE + verf(v * typed(SQRT_HALF, v)))
    return g * (cdf + v * (typed(GELU_ALPHA, v) * vexp(-HALF * v * v)))


@njit(inline="always")
def _gelu_tanh(v, slope):
    u = typed(GELU_BETA, v) * (v + typed(GELU_KAPPA, v) * (v * v * v))
    return HALF * v * (ONE + vtanh(u))


@njit(inline="always")
def _gelu_tanh_grad(g, v, slope):
    beta, kappa = typed(GELU_BETA, v), typed(GELU_KAPPA, v)
    t = vtanh(beta * (v + kappa * (v * v * v)))
    inner = beta * (ONE + THREE * kappa * (v * v))
    return g * (HALF * (ONE + t) + HALF * v * (ONE - t * t) * inner)


# sigmoid and silu (x * sigmoid(x), but in torch's order x / (1 + e**-x))
@njit(inline="always")
def _sigmoid(v, slope):
    return ONE / (ONE + vexp(-v))


@njit(inline="always")
def _silu(v, slope):
    return v / (ONE + vexp(-v))


@njit(inline="always")
def _sigmoid_grad(g, v, slope):
    s = _sigmoid(v, slope)
    return g * (ONE - s) * s


@njit(inline="always")
def _silu_grad(g, v, slope):
    s = _sigmoid(v, slope)
    return g * s * (ONE + v * (ONE - s))


@njit(inline="always")
def _tanh(v, slope):
    return vtanh(v)


@njit(inline="always")
def _tanh_grad(g, v, slope):
    t = vtanh(v)
    return g * (ONE - t * t)


FORMULAS = {name: (globals()["_" + name], globals()["_" + name + "_grad"]) for name in KIND}


def _value(tag, v, slope):
    """The value of the activation that tag stands for (resolved when Numba compiles)."""
    raise NotImplementedError("Numba only")


def _grad(tag, g, v, slope):
    """g times its derivative (resolved when Numba compiles)."""
    raise NotImplementedError("Numba only")


@overload(_value, inline="always")
def _value_of_kind(tag, v, slope):
    f = FORMULAS[KINDS[len(tag)]][0]
    return lambda tag, v, slope: f(v, slope)


@overload(_grad, inline="always")
def _grad_of_kind(tag, g, v, slope):
    f = FORMULAS[KINDS[len(tag)]][1]
    return lambda tag, g, v, slope: f(g, v, slope)


@njit(inline="always")
def _values(x, tag, slope, out):
    for i in range(x.size):
        out[i] = _value(tag, x[i], slope)


@njit(inline="always")
def _grads(x, gy, tag, slope, out):
    for i in range(x.size):
        out[i] = _grad(tag, gy[i], x[i], slope)


@njit(parallel=True, cache=True, error_model="numpy")
def _activation(x, gy, tag, slope, grad, out):
    """out = f(x), or with grad out = gy * f'(x), for the activation numbered len(tag)
    (KINDS), compiled once per kind."""
    n = x.size
    for blk in prange((n + BLOCK - 1) // BLOCK):
        lo, hi = blk * BLOCK, min((blk + 1) * BLOCK, n)
        if grad:
            _grads(x[lo:hi], gy[lo:hi], tag, slope, out[lo:hi])
        else:
            _values(x[lo:hi], tag, slope, out[lo:hi])


@njit(inline="always")
def _scale_rows(a, keep, S, scale, out):
    """out[r*S + s] = a[r*S + s] * (scale if keep[r] else 0) for the rows of keep."""
    if S == 1:
        for i in range(a.size):
            out[i] = a[i] * (scale if keep[i] else ZERO)
    else:
        for r in range(keep.size):
            f = scale if keep[r] else ZERO
            ar, outr = a[r * S:(r + 1) * S], out[r * S:(r + 1) * S]
            for i in range(ar.size):
                outr[i] = ar[i] * f


@njit(parallel=True, cache=True, error_model="numpy")
def _masked_scale(a, keep, S, scale, out):
    """out[r*S + s] = a[r*S + s] * (scale if keep[r] else 0), in tasks of whole rows."""
    rows = max(1, BLOCK // S)
    for blk in prange((keep.size + rows - 1) // rows):
        r0, r1 = blk * rows, min((blk + 1) * rows, keep.size)
        _scale_rows(a[r0 * S:r1 * S], keep[r0:r1], S, scale, out[r0 * S:r1 * S])


def _run_activation(x, gy, p):
    out = empty(x.shape, x.dtype)
    grad = gy is not None
    _activation(x.reshape(-1), (gy if grad else x).reshape(-1), TAG[p.kind],
                x.dtype.type(p.slope), grad, out.reshape(-1))
    return out


def _dropout(a, p):
    if not p.active:
        return a.copy()
    out = empty(a.shape, a.dtype)
    _masked_scale(a.reshape(-1), keep_mask(p).reshape(-1), p.S, a.dtype.type(p.scale),
                  out.reshape(-1))
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

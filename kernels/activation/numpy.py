"""Activations and dropout in vectorised NumPy (formulas in ``kernels.activation.plan``).

Every formula keeps torch's order of operations, so NaN and infinities come out where
torch's do (-inf * 0 is NaN, and so on); the floating-point warnings those produce are
silenced.  erf is scipy.special's."""
import numpy as np

from kernels._registry import Algorithm
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, GELU_ALPHA, GELU_BETA, GELU_KAPPA, SIXTH, keep_mask

numpy = Algorithm("numpy", ops=ACTIVATIONS, doc="vectorised NumPy")
numpy_dropout = Algorithm("numpy", ops=DROPOUTS, doc=numpy.doc)


def erf(t):
    """scipy.special.erf, imported on first use: scipy.special takes longer to import than
    the rest of ``kernels`` without numba."""
    from scipy.special import erf as scipy_erf
    return scipy_erf(t)


def _clamp6(t):
    """0 where t < 0, 6 where t > 6, else t (NaN stays NaN, -0.0 stays -0.0)."""
    return np.where(t < 0, 0, np.where(t > 6, 6, t)).astype(t.dtype, copy=False)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu_tanh_parts(x):
    return 0.5 * x, np.tanh(GELU_BETA * (x + GELU_KAPPA * (x * x * x)))


def _value(x, p):
    k, one = p.kind, x.dtype.type(1)
    if k == "relu":
        return np.where(x < 0, x.dtype.type(0), x)
    if k == "leaky_relu":
        return np.where(x > 0, x, x * x.dtype.type(p.slope))
    if k == "relu6":
        return _clamp6(x)
    if k == "hardsigmoid":
        return _clamp6(x + 3) / 6
    if k == "hardswish":
        return x * _clamp6(x + 3) / 6
    if k == "silu":
        return x / (one + np.exp(-x))
    if k == "gelu":
        return x * 0.5 * (1 + erf(x * np.sqrt(0.5)))
    if k == "gelu_tanh":
        half, t = _gelu_tanh_parts(x)
        return half * (1 + t)
    return _sigmoid(x) if k == "sigmoid" else np.tanh(x)


def _grad(gy, x, p):
    k, zero = p.kind, x.dtype.type(0)
    if k == "relu":
        return np.where(x <= 0, zero, gy)
    if k == "leaky_relu":
        return np.where(x > 0, gy, gy * x.dtype.type(p.slope))
    if k == "relu6":
        return np.where((x > 0) & (x < 6), gy, zero)
    if k == "hardsigmoid":
        return np.where((x > -3) & (x < 3), gy * x.dtype.type(SIXTH), zero)
    if k == "hardswish":
        return np.where(x <= -3, zero, np.where(x >= 3, gy, gy * (x / 3 + 0.5)))
    if k == "silu":
        s = _sigmoid(x)
        return gy * s * (1 + x * (1 - s))
    if k == "gelu":
        cdf = 0.5 * (1 + erf(x * np.sqrt(0.5)))
        return gy * (cdf + x * (GELU_ALPHA * np.exp(-0.5 * x * x)))
    if k == "gelu_tanh":
        half, t = _gelu_tanh_parts(x)
        return gy * (0.5 * (1 + t) + half * (1 - t * t) * (GELU_BETA * (1 + 3 * GELU_KAPPA * (x * x))))
    if k == "sigmoid":
        s = _sigmoid(x)
        return gy * (1 - s) * s
    t = np.tanh(x)
    return gy * (1 - t * t)


def _dropout(a, p):
    """a * keep * scale, the mask broadcast over the spatial dims for dropout2d."""
    if not p.active:
        return a.copy()
    keep = keep_mask(p).reshape(p.mask_shape + (1,) * (len(p.out_shape) - len(p.mask_shape)))
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in torch
        return a * np.where(keep, a.dtype.type(p.scale), a.dtype.type(0))


def _typed(out, x):
    """NumPy scalars and float64 promotions back to an array of x's shape and dtype."""
    return np.asarray(out, dtype=x.dtype).reshape(x.shape)


@numpy.forward
def forward(x, p):
    with np.errstate(all="ignore"):
        return _typed(_value(x, p), x)


@numpy.backward
def backward(gy, x, p):
    with np.errstate(all="ignore"):
        return (_typed(_grad(gy, x, p), x),)


@numpy_dropout.forward
def dropout_forward(x, p):
    return _typed(_dropout(x, p), x)


@numpy_dropout.backward
def dropout_backward(gy, x, p):
    return (_typed(_dropout(gy, p), gy),)

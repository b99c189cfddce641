"""Activations and dropout as plain loops, one element at a time, in Python floats
(formulas, and the dropout mask's definition, in ``kernels.activation.plan``)."""
import math

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, GELU_ALPHA, GELU_BETA, GELU_KAPPA, SIXTH, keep_mask

naive = Algorithm("naive", ops=ACTIVATIONS, slow=True, doc="plain loops; tiny shapes only")
naive_dropout = Algorithm("naive", ops=DROPOUTS, slow=True, doc=naive.doc)


def _exp(v):
    """exp, inf where it overflows (math.exp raises there)."""
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _sigmoid(v):
    return 1.0 / (1.0 + _exp(-v))


def _relu6(v):
    return 0.0 if v < 0 else (6.0 if v > 6 else v)


def _gelu_tanh_parts(v):
    t = math.tanh(GELU_BETA * (v + GELU_KAPPA * (v * v * v)))
    return 0.5 * v, t


def _value(v, p):
    k = p.kind
    if k == "relu":
        return 0.0 if v < 0 else v
    if k == "leaky_relu":
        return v if v > 0 else v * p.slope
    if k == "relu6":
        return _relu6(v)
    if k == "hardsigmoid":
        return _relu6(v + 3.0) / 6.0
    if k == "hardswish":
        return v * _relu6(v + 3.0) / 6.0
    if k == "silu":
        return v / (1.0 + _exp(-v))
    if k == "gelu":
        return v * 0.5 * (1.0 + math.erf(v * math.sqrt(0.5)))
    if k == "gelu_tanh":
        half, t = _gelu_tanh_parts(v)
        return half * (1.0 + t)
    return _sigmoid(v) if k == "sigmoid" else math.tanh(v)


def _grad(g, v, p):
    """grad_y * f'(v), in torch's order of operations."""
    k = p.kind
    if k == "relu":
        return 0.0 if v <= 0 else g
    if k == "leaky_relu":
        return g if v > 0 else g * p.slope
    if k == "relu6":
        return g if 0 < v < 6 else 0.0
    if k == "hardsigmoid":
        return g * SIXTH if -3 < v < 3 else 0.0
    if k == "hardswish":
        if v <= -3:
            return 0.0
        return g if v >= 3 else g * (v / 3.0 + 0.5)
    if k == "silu":
        s = _sigmoid(v)
        return g * s * (1.0 + v * (1.0 - s))
    if k == "gelu":
        cdf = 0.5 * (1.0 + math.erf(v * math.sqrt(0.5)))
        return g * (cdf + v * (GELU_ALPHA * _exp(-0.5 * v * v)))
    if k == "gelu_tanh":
        half, t = _gelu_tanh_parts(v)
        inner = GELU_BETA * (1.0 + 3.0 * GELU_KAPPA * (v * v))
        return g * (0.5 * (1.0 + t) + half * (1.0 - t * t) * inner)
    if k == "sigmoid":
        s = _sigmoid(v)
        return g * (1.0 - s) * s
    t = math.tanh(v)
    return g * (1.0 - t * t)


def _dropout(a, p):
    """Element i of mask entry r = i // S is kept (and scaled) if keep[r]."""
    keep = keep_mask(p).reshape(-1)
    flat, out = a.reshape(-1), empty(a.size, a.dtype)
    for i in range(a.size):
        factor = (p.scale if keep[i // p.S] else 0.0) if p.active else 1.0
        out[i] = float(flat[i]) * factor  # Python floats: inf * 0 is NaN, without a warning
    return out.reshape(a.shape)


@naive_dropout.forward
def dropout_forward(x, p):
    return _dropout(x, p)


@naive_dropout.backward
def dropout_backward(gy, x, p):
    return (_dropout(gy, p),)


@naive.forward
def forward(x, p):
    flat, y = x.reshape(-1), empty(x.size, x.dtype)
    for i in range(x.size):
        y[i] = _value(float(flat[i]), p)
    return y.reshape(x.shape)


@naive.backward
def backward(gy, x, p):
    xf, gf, gx = x.reshape(-1), gy.reshape(-1), empty(x.size, x.dtype)
    for i in range(x.size):
        gx[i] = _grad(float(gf[i]), float(xf[i]), p)
    return (gx.reshape(x.shape),)

"""Activations and dropout as plain loops, one element at a time (formulas and the dropout
mask's definition in ``kernels.activation.plan``)."""
import math

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, keep_mask

naive = Algorithm("naive", ops=ACTIVATIONS, slow=True, doc="plain loops; tiny shapes only")
naive_dropout = Algorithm("naive", ops=DROPOUTS, slow=True, doc=naive.doc)


def _sigmoid(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


def _value(v, p):
    if p.kind in ("relu", "leaky_relu"):
        return v if v > 0 else p.slope * v + 0.0
    return _sigmoid(v) if p.kind == "sigmoid" else math.tanh(v)


def _derivative(v, p):
    if p.kind in ("relu", "leaky_relu"):
        return 1.0 if v > 0 else p.slope
    if p.kind == "sigmoid":
        s = _sigmoid(v)
        return s * (1.0 - s)
    return 1.0 - math.tanh(v) ** 2


def _dropout(a, p):
    """Element i of mask entry r = i // S is kept (and scaled) if keep[r]."""
    keep = keep_mask(p).reshape(-1)
    flat, out = a.reshape(-1), empty(a.size, a.dtype)
    for i in range(a.size):
        factor = (p.scale if keep[i // p.S] else 0.0) if p.active else 1.0
        out[i] = flat[i] * factor
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
        gx[i] = gf[i] * _derivative(float(xf[i]), p)
    return (gx.reshape(x.shape),)

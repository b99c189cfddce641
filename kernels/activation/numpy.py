"""Activations and dropout in vectorised NumPy (formulas in ``kernels.activation.plan``)."""
import numpy as np

from kernels._registry import Algorithm
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, keep_mask

numpy = Algorithm("numpy", ops=ACTIVATIONS, doc="vectorised NumPy")
numpy_dropout = Algorithm("numpy", ops=DROPOUTS, doc=numpy.doc)


def _sigmoid(x):
    """1 / (1 + exp(-x)) written so that exp never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _activation(x, p):
    if p.kind in ("relu", "leaky_relu"):
        return np.where(x > 0, x, x * x.dtype.type(p.slope) + 0)  # + 0: no -0.0 from relu
    return _sigmoid(x) if p.kind == "sigmoid" else np.tanh(x)


def _activation_grad(gy, x, p):
    if p.kind in ("relu", "leaky_relu"):
        return gy * np.where(x > 0, x.dtype.type(1), x.dtype.type(p.slope))
    if p.kind == "sigmoid":
        s = _sigmoid(x)
        return gy * s * (1 - s)
    return gy * (1 - np.tanh(x) ** 2)


def _dropout(a, p):
    """a * keep * scale, the mask broadcast over the spatial dims for dropout2d."""
    keep = keep_mask(p).reshape(p.mask_shape + (1,) * (len(p.out_shape) - len(p.mask_shape)))
    scale = np.where(keep, a.dtype.type(p.scale), a.dtype.type(0)) if p.active else a.dtype.type(1)
    return a * scale


@numpy.forward
def forward(x, p):
    return _activation(x, p)


@numpy.backward
def backward(gy, x, p):
    return (_activation_grad(gy, x, p),)


@numpy_dropout.forward
def dropout_forward(x, p):
    return _dropout(x, p)


@numpy_dropout.backward
def dropout_backward(gy, x, p):
    return (_dropout(gy, p),)

"""Activations and dropout in parallel Numba loops over the flattened array.

One kernel serves the four activations (relu is leaky_relu with slope 0), forward and
backward; one kernel applies a dropout mask, forward and backward alike (the gradient of
x * keep * scale is grad_y * keep * scale).  No fastmath: there is nothing to reassociate.
"""
import numpy as np
from numba import njit, prange

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.activation.plan import ACTIVATIONS, DROPOUTS, keep_mask

numba = Algorithm("numba", ops=ACTIVATIONS, doc="parallel Numba loops")
numba_dropout = Algorithm("numba", ops=DROPOUTS, doc=numba.doc)

KIND = {"relu": 0, "leaky_relu": 0, "sigmoid": 1, "tanh": 2}
BLOCK = 4096  # elements per parallel task


@njit(parallel=True, cache=True)
def _activation(x, gy, kind, slope, grad, out):
    """out = f(x), or with grad out = gy * f'(x); kind 0 leaky relu, 1 sigmoid, 2 tanh."""
    n = x.size
    for blk in prange((n + BLOCK - 1) // BLOCK):
        for i in range(blk * BLOCK, min((blk + 1) * BLOCK, n)):
            v = x[i]
            if kind == 0:
                if grad:
                    out[i] = gy[i] if v > 0 else gy[i] * slope
                else:
                    out[i] = v if v > 0 else v * slope + 0.0  # + 0.0: relu gives 0, not -0
            elif kind == 1:
                s = 1.0 / (1.0 + np.exp(-v))
                out[i] = gy[i] * s * (1.0 - s) if grad else s
            else:
                t = np.tanh(v)
                out[i] = gy[i] * (1.0 - t * t) if grad else t


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

"""Pooling as written on the blackboard: one output element, one window at a time.

    max: y[n, c, o] = max over taps i of x[n, c, i]      (first maximum in scan order wins;
                                                         NaN if the window holds one)
    avg: y[n, c, o] = sum over taps i of x[n, c, i] / divisor[o]

The taps of output position o are the window's positions inside the input (the plan lists
them per dimension).  Backward: the maximum's position receives the gradient; for averages
every tap receives gradient / divisor.  max_unpool writes each value at its index.
"""
from itertools import product

import numpy as np

from kernels._arrays import empty
from kernels._registry import Algorithm
from kernels.pool import _common
from kernels.pool._common import flat_index
from kernels.pool.plan import POOL_OPS, UNPOOL_OPS, validate_indices

naive = Algorithm("naive", ops=POOL_OPS, slow=True, doc="plain loops; tiny shapes only")
naive_unpool = Algorithm("naive", ops=UNPOOL_OPS, slow=True, doc="plain loops")


def _taps(p, o):
    """Input positions (d, h, w) of the window of output position o, in scan order."""
    return product(*([p.lo[k][o[k]] + t * p.step[k] for t in range(p.cnt[k][o[k]])]
                     for k in range(3)))


def _outputs(p):
    return product(range(p.N), range(p.C), *map(range, p.out3))


def avg(x5, p):
    y = empty((p.N, p.C, *p.out3), p.dtype)
    div = _common.divisor(p)
    for n, c, *o in _outputs(p):
        acc = 0.0
        for i in _taps(p, o):
            acc += x5[(n, c, *i)]
        y[(n, c, *o)] = acc / div[tuple(o)]
    return y


def avg_backward(g5, p):
    gx = np.zeros((p.N, p.C, *p.size3), p.dtype)
    div = _common.divisor(p)
    for n, c, *o in _outputs(p):
        for i in _taps(p, o):
            gx[(n, c, *i)] += g5[(n, c, *o)] / div[tuple(o)]
    return gx


def max_(x5, p, want_idx):
    y = empty((p.N, p.C, *p.out3), p.dtype)
    idx = empty((p.N, p.C, *p.out3), np.int64) if want_idx else None
    for n, c, *o in _outputs(p):
        best, where = -np.inf, flat_index(p, *next(_taps(p, o)))
        for i in _taps(p, o):
            v = x5[(n, c, *i)]
            if v > best or np.isnan(v):  # torch: a NaN wins, and the last NaN is kept
                best, where = v, flat_index(p, *i)
        y[(n, c, *o)] = best
        if want_idx:
            idx[(n, c, *o)] = where
    return y, idx


def max_backward(g5, idx5, p):
    gx = np.zeros((p.N, p.C, int(np.prod(p.size3))), p.dtype)
    for n, c, *o in _outputs(p):
        gx[n, c, idx5[(n, c, *o)]] += g5[(n, c, *o)]
    return gx


_common.declare(naive, avg, avg_backward, max_, max_backward)


@naive_unpool.forward
def unpool_forward(x, indices, p):
    validate_indices(f"max_unpool{p.nd}d", indices, p)
    x, indices = x.reshape(p.N, p.C, -1), indices.reshape(p.N, p.C, -1)
    y = np.zeros((p.N, p.C, int(np.prod(p.out))), p.dtype)
    for n, c, i in product(range(p.N), range(p.C), range(x.shape[2])):
        y[n, c, indices[n, c, i]] = x[n, c, i]
    return y.reshape(p.out_shape)


@naive_unpool.backward
def unpool_backward(gy, x, indices, p):
    validate_indices(f"max_unpool{p.nd}d", indices, p)
    g, indices = gy.reshape(p.N, p.C, -1), indices.reshape(p.N, p.C, -1)
    gx = empty((p.N, p.C, indices.shape[2]), p.dtype)
    for n, c, i in product(range(p.N), range(p.C), range(indices.shape[2])):
        gx[n, c, i] = g[n, c, indices[n, c, i]]
    return gx.reshape(x.shape), None

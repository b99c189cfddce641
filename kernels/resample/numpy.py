"""Resampling in vectorised NumPy.

pixel_shuffle is a reshape and a transpose: (B, C, r, r, H, W) -> (B, C, H, r, W, r).
interpolate is separable, so it is two small matrix products per plane,

    y = A_h @ x @ A_w^T,   grad_x = A_h^T @ grad_y @ A_w,

with A_h (OH, H) holding each output row's (up to two) source weights.
"""
import numpy as np

from kernels._registry import Algorithm
from kernels.resample.plan import INTERP_OPS, SHUFFLE_OPS, ShufflePlan

numpy = Algorithm("numpy", ops=SHUFFLE_OPS + INTERP_OPS, doc="reshape/transpose; separable matrices")


def shuffle(src, p, to_big):
    r = p.r
    if to_big:
        t = src.reshape(-1, p.C, r, r, p.H, p.W).transpose(0, 1, 4, 2, 5, 3)
        return np.ascontiguousarray(t).reshape(p.big_shape)
    t = src.reshape(-1, p.C, p.H, r, p.W, r).transpose(0, 1, 3, 5, 2, 4)
    return np.ascontiguousarray(t).reshape(p.small_shape)


def matrices(p):
    """A_h (OH, H) and A_w (OW, W): the interpolation weights as dense matrices."""
    mats = []
    for k, (n, m) in enumerate(zip(p.size, p.out)):
        a = np.zeros((m, n))
        rows = np.arange(m)
        np.add.at(a, (rows, np.asarray(p.i0[k])), np.asarray(p.l0[k]))
        np.add.at(a, (rows, np.asarray(p.i1[k])), np.asarray(p.l1[k]))
        mats.append(a.astype(p.dtype))
    return mats


@numpy.forward
def forward(x, p):
    if isinstance(p, ShufflePlan):
        return shuffle(x, p, p.up)
    ah, aw = matrices(p)
    return np.ascontiguousarray(ah @ x @ aw.T)


@numpy.backward
def backward(gy, x, p):
    if isinstance(p, ShufflePlan):
        return (shuffle(gy, p, not p.up),)
    ah, aw = matrices(p)
    return (np.ascontiguousarray(ah.T @ gy @ aw),)

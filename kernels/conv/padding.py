"""Padding modes of torch's Conv modules: ``reflect``, ``replicate`` and ``circular``.

torch's ``Conv{1,2,3}d`` with ``padding_mode`` other than ``"zeros"`` pads the input with
``F.pad(input, ..., mode)`` and convolves with padding 0 (``_ConvNd._conv_forward``), for
``padding="same"`` too.  So do the ops: the plan turns the call into a convolution of the
padded input with no padding (``kernels.conv.plan.Stage``), and this module is the one pad
step every algorithm shares, with its exact backward.

Each mode is an index map per spatial dimension: padded position j (from -lo to n+hi-1)
reads input position ``source(mode, n, lo, hi)[j + lo]``:

    reflect     mirror without repeating the edge   (requires lo, hi < n)
    replicate   the edge value                       (requires n >= 1)
    circular    wrap around, j mod n                 (requires lo, hi <= n)

The pad gathers along each axis with that map; its backward scatter-adds the gradient
back along the same map (``np.add.at``: a position read several times gets every
contribution), so the gradient of a mirrored or repeated edge is exact.
"""
from __future__ import annotations

import numpy as np

MODES = ("zeros", "reflect", "replicate", "circular")


def check_mode(op: str, mode) -> str:
    if not isinstance(mode, str):
        raise TypeError(f"{op}: padding_mode must be one of {MODES}, got {mode!r}")
    if mode not in MODES:
        raise ValueError(f"{op}: padding_mode must be one of {MODES}, got {mode!r}")
    return mode


def check_padding(op: str, mode: str, x, lo, hi) -> None:
    """torch's refusals of F.pad(mode) for an input of shape x (N, C, *size), padded by
    lo/hi per spatial dimension."""
    size = x[2:]
    if mode in ("reflect", "replicate") and min(x[1:]) < 1:
        raise ValueError(f"{op}: padding_mode={mode!r} needs an input with no empty dimension "
                         f"but the batch, got input {tuple(x)}")
    for n, a, b in zip(size, lo, hi):
        if mode == "reflect" and max(a, b) >= n:
            raise ValueError(f"{op}: padding_mode='reflect' needs a padding smaller than the "
                             f"input's size, got padding ({a}, {b}) for size {n} (input {tuple(x)})")
        if mode == "circular" and max(a, b) > n:
            raise ValueError(f"{op}: padding_mode='circular' needs a padding at most the input's "
                             f"size (it wraps around once), got padding ({a}, {b}) for size {n} "
                             f"(input {tuple(x)})")


def source(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    """The input position each of the lo + n + hi padded positions reads."""
    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        j = np.abs(j)
        return np.where(j >= n, 2 * (n - 1) - j, j)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    raise ValueError(f"no index map for padding mode {mode!r}")


def _axes(x, lo, hi):
    """(axis, size, lo, hi) for every spatial axis that is padded."""
    return [(2 + i, x.shape[2 + i], a, b) for i, (a, b) in enumerate(zip(lo, hi)) if a or b]


def pad(x: np.ndarray, mode: str, lo, hi) -> np.ndarray:
    """x (N, C, *size) padded by lo/hi per spatial dimension in ``mode``: a new C-contiguous array."""
    for axis, n, a, b in _axes(x, lo, hi):
        x = np.take(x, source(mode, n, a, b), axis=axis)
    return np.ascontiguousarray(x)


def fold(g: np.ndarray, mode: str, lo, hi) -> np.ndarray:
    """The gradient of ``pad``: g (N, C, *padded) summed back onto the input (N, C, *size)."""
    for i in reversed(range(len(lo))):
        a, b = lo[i], hi[i]
        if not (a or b):
            continue
        axis = 2 + i
        n = g.shape[axis] - a - b
        out = np.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1:], g.dtype)
        np.add.at(out, (slice(None),) * axis + (source(mode, n, a, b),), g)
        g = out
    return np.ascontiguousarray(g)

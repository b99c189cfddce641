"""Array checks done before any kernel runs, and the allocator every kernel uses.

Kernels receive C-contiguous float32 or float64 arrays of one dtype, so Numba code can
index them without checks.  ``empty`` is the one place outputs are allocated: the test
suite switches on ``poison`` so that every element a kernel forgets to write is NaN.
"""
from __future__ import annotations

import contextlib

import numpy as np

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_poison = False


def check_dtype(op: str, dtype) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in FLOATS:
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dt}")
    return dt


def check_array(op: str, name: str, a, dtype=None) -> np.ndarray:
    """A C-contiguous copy (or the array itself) after type checks."""
    if not isinstance(a, np.ndarray):
        if hasattr(a, "__array__") and not hasattr(a, "__cuda_array_interface__"):
            a = np.asarray(a)
        else:
            raise TypeError(f"{op}: {name} must be a NumPy array, got {type(a).__name__}")
    if a.dtype not in FLOATS:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{op}: {name} has dtype {a.dtype} but the input is {dtype}")
    return np.ascontiguousarray(a)


def check_inputs(op: str, inputs, arrays):
    """Validate the array arguments; return them contiguous, and their common dtype."""
    dtype = None
    out = []
    for spec, a in zip(inputs, arrays):
        if a is None:
            if not spec.optional:
                raise TypeError(f"{op}: {spec.name} is required")
            out.append(None)
            continue
        if spec.index:
            out.append(check_index(op, spec.name, a))
            continue
        a = check_array(op, spec.name, a, dtype)
        dtype = a.dtype
        out.append(a)
    return out, dtype


def check_index(op: str, name: str, a) -> np.ndarray:
    if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.integer):
        got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
        raise TypeError(f"{op}: {name} must be an integer NumPy array, got {got}")
    return np.ascontiguousarray(a, dtype=np.int64)


def check_grad(op: str, grad_out, shape: tuple, dtype) -> np.ndarray:
    g = check_array(op, "grad_out", grad_out, dtype)
    if g.shape != tuple(shape):
        raise ValueError(f"{op}: grad_out must have the output's shape {tuple(shape)}, got {g.shape}")
    return g


def empty(shape, dtype) -> np.ndarray:
    """Uninitialised output; NaN-filled (-1 for integer arrays) while poisoning is on (tests)."""
    a = np.empty(shape, dtype)
    if _poison:
        a.fill(-1 if np.issubdtype(a.dtype, np.integer) else np.nan)
    return a


@contextlib.contextmanager
def poison(on: bool = True):
    """Fill every output ``empty`` allocates with NaN while the block runs."""
    global _poison
    old, _poison = _poison, on
    try:
        yield
    finally:
        _poison = old

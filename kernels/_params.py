"""Normalisers shared by every op family: ints or tuples to tuples, with named errors."""
from __future__ import annotations

import numbers

import numpy as np


def as_tuple(op: str, name: str, value, nd: int, minimum: int = 1) -> tuple[int, ...]:
    """``value`` (an int or a length-nd sequence of ints) as an nd-tuple, each >= minimum."""
    if isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    if isinstance(value, numbers.Integral):
        t = (int(value),) * nd
    elif isinstance(value, (tuple, list)) and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        if len(value) == 1:
            t = (int(value[0]),) * nd
        elif len(value) == nd:
            t = tuple(int(v) for v in value)
        else:
            raise ValueError(f"{op}: {name} must have {nd} values, got {tuple(value)}")
    else:
        raise TypeError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    if any(v < minimum for v in t):
        bound = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{op}: {name} must be {bound}, got {value!r}")
    return t


def check_ndim(op: str, name: str, shape, ndims, what: str) -> None:
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if shape is None or len(shape) not in ndims:
        got = "nothing" if shape is None else f"shape {tuple(shape)}"
        raise ValueError(f"{op}: {name} must be {what} ({' or '.join(map(str, ndims))}-D), got {got}")
    if any(d < 0 for d in shape):
        raise ValueError(f"{op}: {name} has a negative dimension: {tuple(shape)}")


def prod(values) -> int:
    p = 1
    for v in values:
        p *= int(v)
    return p


def check_flag(op: str, name: str, value) -> bool:
    """A bool parameter (NumPy's bool too), refusing 0, 1 and other truthy values."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_real(op: str, name: str, value) -> float:
    """A real number as torch's float arguments take it (bools, ints, NaN and infinities
    included; None and strings are TypeErrors); an int too large for a float is refused."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{op}: {name} is too large for a float, got {value!r}") from None


def check_bool(op: str, name: str, value) -> bool:
    """A Python bool, nothing else: what torch's bool arguments (``training``) take."""
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")
    return value


def check_truth(op: str, name: str, value) -> bool:
    """Any value with a truth value, as torch's Python-level flags (``inplace``) take it."""
    try:
        return bool(value)
    except Exception as e:
        raise TypeError(f"{op}: {name} must be a flag with a truth value, got {value!r} ({e})") from None


def check_groups(op: str, name: str, groups) -> int:
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {groups!r}")
    return int(groups)


def check_conv_shapes(op: str, x, w, C: int, groups: int) -> None:
    """No empty dimension, and input channels C divisible by groups (convolutions)."""
    if min(x) < 1 or min(w) < 1:
        raise ValueError(f"{op}: input {tuple(x)} and weight {tuple(w)} must have no empty dimension")
    if C % groups:
        raise ValueError(f"{op}: input channels ({C}) must be divisible by groups ({groups})")

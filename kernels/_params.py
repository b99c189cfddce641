"""Normalisers shared by every op family: ints or tuples to tuples, with named errors, and
the size limits every plan enforces.

Limits: no argument may exceed the int64 range (torch's own limit), no extent of an array
an op allocates or indexes (an input padded, an output) may exceed ``MAX_EXTENT`` (the int32
range, so every index and offset the kernels form stays far inside int64), and no such
array may hold more than ``MAX_ELEMENTS`` elements (64 GiB of float32).  Sizes beyond them
are refused with a ValueError naming the argument before anything is allocated; an
algorithm whose own workspace (patch matrix, spectra...) would pass ``MAX_ELEMENTS``
declares the case unsupported.
"""
from __future__ import annotations

import numbers

import numpy as np

INT64_MAX = 2 ** 63 - 1
MAX_EXTENT = 2 ** 31 - 1
MAX_ELEMENTS = 2 ** 34


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
    if any(v > INT64_MAX for v in t):
        raise ValueError(f"{op}: {name} must fit in int64 (at most 2**63 - 1), got {value!r}")
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
    if groups > INT64_MAX:
        raise ValueError(f"{op}: {name} must fit in int64 (at most 2**63 - 1), got {groups!r}")
    return int(groups)


def check_output_size(op: str, names: str, shape, dtype) -> None:
    """Refuse an output that cannot exist: a dimension or a byte count (of the non-zero
    dimensions, as NumPy counts it) beyond the address space.  ``names`` are the arguments
    that set the shape, named in the message."""
    limit = int(np.iinfo(np.intp).max)
    extent = prod(d for d in shape if d) * np.dtype(dtype).itemsize
    if any(d > limit for d in shape) or extent > limit:
        raise ValueError(f"{op}: {names} give an output of shape {tuple(shape)}, too large to exist")


def int32(op: str, name: str, values: tuple) -> tuple:
    """``values`` (of argument ``name``), each at most ``MAX_EXTENT``: for ops whose torch
    kernels take the argument as an int32 (transposed and deformable convolutions)."""
    if max(values, default=0) > MAX_EXTENT:
        raise ValueError(f"{op}: {name} must be at most {MAX_EXTENT} (kernels._params.MAX_EXTENT), "
                         f"got {values}")
    return values


def check_extents(op: str, name: str, what: str, shape) -> None:
    """Refuse an array (``what``, made by argument ``name``) beyond the size limits."""
    if any(d > MAX_EXTENT for d in shape):
        raise ValueError(f"{op}: {what} {tuple(shape)} (from {name}) has an extent beyond "
                         f"{MAX_EXTENT} (kernels._params.MAX_EXTENT)")
    if prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"{op}: {what} {tuple(shape)} (from {name}) has {prod(shape)} elements, "
                         f"more than {MAX_ELEMENTS} (kernels._params.MAX_ELEMENTS)")


def workspace(what: str, elements: int) -> str | None:
    """For an algorithm's ``supports``: None if its workspace ``what`` of ``elements``
    elements fits ``MAX_ELEMENTS``, else the reason it does not run the case."""
    if elements <= MAX_ELEMENTS:
        return None
    return (f"{what} would hold {elements} elements, more than {MAX_ELEMENTS} "
            f"(kernels._params.MAX_ELEMENTS)")

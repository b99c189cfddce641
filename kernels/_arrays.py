"""Array checks done before any kernel runs, and the allocator every kernel uses.

Kernels receive C-contiguous float32 or float64 arrays of one dtype, so Numba code can
index them without checks.  ``empty`` is the one place outputs are allocated: the test
suite switches on ``poison`` so that every element a kernel forgets to write is NaN.

Arrays in GPU memory (anything with ``__cuda_array_interface__``: Numba device arrays,
torch CUDA tensors, CuPy) are accepted only by algorithms declared
``Algorithm(..., device=True)`` (``cuda``), checked through the interface and passed
through untouched, never copied; every other algorithm refuses them with a TypeError.

Other array-likes are read through ``__array__`` (a CPU torch tensor as a view of its
memory); a torch tensor that requires grad, or anything NumPy cannot read, is refused with
a TypeError naming the argument.  An array beyond ``kernels._params.MAX_ELEMENTS`` (a
broadcast view can be one) is refused with a ValueError before it is copied.
"""
from __future__ import annotations

import contextlib

import numpy as np

from kernels._params import MAX_ELEMENTS

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


def is_device(a) -> bool:
    """Whether ``a`` lives in GPU memory (the simulator's Numba device arrays included)."""
    return hasattr(a, "__cuda_array_interface__") or bool(getattr(a, "__cuda_ndarray__", False))


def check_array(op: str, name: str, a, dtype=None, device: bool = False):
    """A C-contiguous copy (or the array itself) after type checks; with ``device=True`` a
    device array is returned as it is, after the same checks."""
    if is_device(a):
        if not device:
            raise TypeError(f"{op}: {name} is a CUDA device array; only algo='cuda' accepts "
                            f"device arrays (copy it to the host for the other algorithms)")
        return _check_device(op, name, a, dtype, FLOATS, "float32 or float64")
    if not isinstance(a, np.ndarray):
        a = _as_numpy(op, name, a)
    if a.dtype not in FLOATS:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        raise TypeError(f"{op}: {name} has dtype {a.dtype} but the input is {dtype}")
    check_size(op, name, a)
    return _contiguous(a)


def _torch_hint(a) -> str:
    return (" (kernels.torch takes torch tensors)"
            if type(a).__module__.split(".")[0] == "torch" else "")


def _as_numpy(op: str, name: str, a) -> np.ndarray:
    """An array-like (``__array__``) other than an ndarray, as NumPy reads it: a CPU torch
    tensor becomes a view of its memory.  A tensor that requires grad is refused (NumPy
    cannot read it, and its gradient would be lost), as is anything whose ``__array__``
    fails; either way a TypeError naming the argument, never the array-like's own error."""
    if not hasattr(a, "__array__"):
        raise TypeError(f"{op}: {name} must be a NumPy array, got {type(a).__name__}")
    if getattr(a, "requires_grad", False) is True:
        raise TypeError(f"{op}: {name} is a {type(a).__name__} that requires grad: pass "
                        f"{name}.detach().numpy(), or call the op through kernels.torch, "
                        f"which differentiates it")
    try:
        out = np.asarray(a)
    except Exception as e:
        raise TypeError(f"{op}: {name} ({type(a).__name__}) cannot be read as a NumPy array: "
                        f"{e}{_torch_hint(a)}") from None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{op}: {name} must be a NumPy array, got {type(a).__name__}")
    return out


def check_size(op: str, name: str, a: np.ndarray) -> None:
    """Refuse an array beyond ``MAX_ELEMENTS`` before its contiguous copy is attempted: a
    broadcast view (zero strides) can describe far more elements than memory holds."""
    if a.size > MAX_ELEMENTS:
        raise ValueError(f"{op}: {name} has {a.size} elements (shape {a.shape}, strides "
                         f"{a.strides}), more than {MAX_ELEMENTS} (kernels._params.MAX_ELEMENTS)")


def _contiguous(a: np.ndarray) -> np.ndarray:
    """``a`` C-contiguous and writeable: a 0-d array stays 0-d (``ascontiguousarray`` would
    make it 1-d), and a read-only array is copied, because Numba types read-only arrays
    apart and kernels are compiled for writeable ones."""
    a = np.asarray(a, order="C")
    return a if a.flags.writeable else a.copy()


def _check_device(op: str, name: str, a, dtype, allowed, what):
    """dtype and C-contiguity of a device array, read through its interface."""
    try:
        if hasattr(a, "__cuda_array_interface__"):
            iface = a.__cuda_array_interface__
            dt, shape, strides = np.dtype(iface["typestr"]), tuple(iface["shape"]), iface.get("strides")
            contiguous = strides is None or tuple(strides) == _c_strides(shape, dt.itemsize)
        else:  # the simulator's device arrays have no interface, but NumPy's attributes
            dt, shape, contiguous = np.dtype(a.dtype), tuple(a.shape), bool(a.is_c_contiguous())
    except Exception as e:  # torch refuses the interface for tensors that require grad
        raise TypeError(f"{op}: {name} is not a usable CUDA array: {e}") from None
    if dt not in allowed:
        raise TypeError(f"{op}: {name} must be {what}, got {dt}")
    if dtype is not None and dt != dtype:
        raise TypeError(f"{op}: {name} has dtype {dt} but the input is {dtype}")
    if not contiguous and any(d > 1 for d in shape):
        raise TypeError(f"{op}: {name} must be a C-contiguous device array (shape {shape})")
    return a


def dtype_of(a) -> np.dtype:
    """The NumPy dtype of a host or device array (torch CUDA tensors included)."""
    if hasattr(a, "__cuda_array_interface__"):
        return np.dtype(a.__cuda_array_interface__["typestr"])
    return np.dtype(a.dtype)


def _c_strides(shape, itemsize) -> tuple:
    strides, step = [], itemsize
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


def check_inputs(op: str, inputs, arrays, device: bool = False):
    """Validate the array arguments; return them contiguous, and their common dtype.
    ``device=True`` (the algorithm runs on the GPU) lets device arrays through."""
    dtype = None
    out = []
    for spec, a in zip(inputs, arrays):
        if a is None:
            if not spec.optional:
                raise TypeError(f"{op}: {spec.name} is required")
            out.append(None)
            continue
        if spec.index:
            out.append(check_index(op, spec.name, a, device))
            continue
        a = check_array(op, spec.name, a, dtype, device)
        dtype = dtype_of(a)
        out.append(a)
    return out, dtype


def check_index(op: str, name: str, a, device: bool = False):
    if is_device(a):
        if not device:
            raise TypeError(f"{op}: {name} is a CUDA device array; only algo='cuda' accepts "
                            f"device arrays")
        return _check_device(op, name, a, None, (np.dtype(np.int64),), "int64")
    if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.integer):
        got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
        raise TypeError(f"{op}: {name} must be an integer NumPy array, got {got}{_torch_hint(a)}")
    check_size(op, name, a)
    return _contiguous(np.asarray(a, dtype=np.int64))


def check_writeable(op: str, name: str, a) -> None:
    """``a`` is an array the op writes into (running statistics, an in-place result): a
    writeable NumPy array whose elements do not share memory (a device array for the
    device algorithms).  Checked before anything runs, so that nothing is computed whose
    result cannot be stored."""
    if is_device(a):
        return
    if not isinstance(a, np.ndarray):
        hint = (" (pass its .numpy(), which shares its memory, or use kernels.torch)"
                if type(a).__module__.split(".")[0] == "torch" else "")
        raise TypeError(f"{op}: {name} is updated in place, so it must be a writeable NumPy "
                        f"array, got {type(a).__name__}{hint}")
    if not a.flags.writeable:
        raise ValueError(f"{op}: {name} is updated in place but is read-only")
    if a.size and any(s == 0 and d > 1 for s, d in zip(a.strides, a.shape)):  # empty: nothing shared
        raise ValueError(f"{op}: {name} is updated in place but its elements share memory "
                         f"(a broadcast view, strides {a.strides})")


def check_grad(op: str, grad_out, shape: tuple, dtype, device: bool = False):
    g = check_array(op, "grad_out", grad_out, dtype, device)
    if tuple(g.shape) != tuple(shape):
        raise ValueError(f"{op}: grad_out must have the output's shape {tuple(shape)}, "
                         f"got {tuple(g.shape)}")
    return g


def empty(shape, dtype) -> np.ndarray:
    """Uninitialised output; NaN-filled (-1 for integer arrays) while poisoning is on (tests)."""
    a = np.empty(shape, dtype)
    if _poison:
        a.fill(-1 if np.issubdtype(a.dtype, np.integer) else np.nan)
    return a


def poisoning() -> bool:
    """Whether outputs are NaN-filled now (inside ``poison()``)."""
    return _poison


@contextlib.contextmanager
def poison(on: bool = True):
    """Fill every output ``empty`` allocates with NaN while the block runs."""
    global _poison
    old, _poison = _poison, on
    try:
        yield
    finally:
        _poison = old

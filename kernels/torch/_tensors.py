"""Between torch tensors and the NumPy arrays of ``kernels``: one call of an op, run on
tensors.

- ``to_numpy`` hands the op a tensor's own memory (no copy for CPU tensors);
- ``to_tensor`` wraps an op's result without a copy, unless torch needs one: the result
  shares memory with an input (an output owns its memory), is read-only or runs backwards;
- ``encode``/``decode``: an op's parameters (ints, tuples, strings, floats, None...) as
  one string and back, because a custom op's schema cannot express "int or tuple or str";
- ``forward``/``backward`` run the op's forward and backward on tensors.

Inputs are classified by the op's declaration (``op.inputs``): differentiable inputs get
gradients, index inputs (int64 pooling indices) are passed as they are, and the other
float inputs that are not differentiable are *state* (batch norm's running statistics),
which the forward updates in the tensor's own memory as torch does.
"""
from __future__ import annotations

import ast
import functools
import math

import numpy as np
import torch

import kernels

SEED_MAX = 2 ** 31 - 1
FLOAT = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64,
         np.dtype(np.int64): torch.int64}
FLOAT_NP = {t: n for n, t in FLOAT.items()}


def to_numpy(t, name: str, op: str):
    """The tensor's memory as a NumPy array (no copy for CPU tensors)."""
    if t is None:
        return None
    try:
        return (t.detach() if t.requires_grad else t).numpy()
    except (AttributeError, RuntimeError, TypeError):  # not a CPU tensor, or a lazy one
        pass
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise TypeError(f"{op}: {name} must be a CPU tensor, got one on {t.device}")
    if t.is_complex():
        raise TypeError(f"{op}: {name} must be float32 or float64, got {t.dtype}")
    t = t.detach().resolve_conj().resolve_neg()
    if t._is_zerotensor():  # autograd's stand-in for a gradient known to be zero: no memory
        return np.zeros(t.shape, FLOAT_NP[t.dtype])
    return t.numpy()


def check_tensors(op, tensors) -> None:
    """TypeError naming the argument for anything that is neither a tensor nor None."""
    for t, spec in zip(tensors, op.inputs):
        if t is not None and not isinstance(t, torch.Tensor):
            raise TypeError(f"{op.name}: {spec.name} must be a torch.Tensor, got {type(t).__name__}")


def is_state(spec) -> bool:
    return not spec.differentiable and not spec.index


@functools.cache
def state_slots(op) -> tuple[int, ...]:
    """Positions of the op's state inputs (running statistics); () for most ops."""
    return tuple(i for i, s in enumerate(op.inputs) if is_state(s))


def fresh(a: np.ndarray, inputs) -> np.ndarray:
    """``a`` itself, or a copy where torch needs one: it shares memory with an input (the
    result must own its memory), is read-only, or has negative strides."""
    flags = a.flags
    if not flags.writeable or not (flags.c_contiguous or all(s >= 0 for s in a.strides)):
        return np.array(a, order="C", copy=True)
    for i in inputs:
        if i is not None and np.may_share_memory(a, i):
            return np.array(a, order="C", copy=True)
    return a


def to_tensor(a, inputs) -> torch.Tensor:
    flags = getattr(a, "flags", None)
    # an array that owns its memory was allocated by the op (inputs are views of tensors)
    if flags is not None and flags.owndata and flags.writeable and flags.c_contiguous:
        return torch.from_numpy(a)
    return torch.from_numpy(fresh(np.asarray(a), inputs))


# ---- parameters as a string ---------------------------------------------------------------------
def encode(params: dict, layout: str) -> str:
    """``params`` and the layout (one character per op input: ``t`` given, ``-`` None) as
    a Python literal, readable by ``decode``.  Tuples stay tuples, bools stay bools;
    NumPy scalars become Python ones, tuple subclasses (torch.Size) tuples, and the
    non-finite floats a tagged tuple (``ast.literal_eval`` reads no ``inf``)."""
    items = []
    for k, v in params.items():
        try:
            items.append((k, _plain(v)))
        except TypeError:
            raise TypeError(f"{k} must be an int, float, bool, str, None or a tuple of them to "
                            f"reach a traced kernels.torch op, got {v!r}") from None
    return repr((tuple(items), layout))


def _plain(v):
    if isinstance(v, (bool, int, str)) or v is None:
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else ("__float__", repr(v))
    if isinstance(v, tuple):
        return tuple(_plain(x) for x in v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return _plain(v.item())
    raise TypeError(type(v).__name__)


@functools.lru_cache(maxsize=4096)
def _decoded(text: str):
    items, layout = ast.literal_eval(text)
    return tuple((k, _unplain(v)) for k, v in items), layout


def decode(text: str) -> tuple[dict, str]:
    """(params, layout) from ``encode``'s string."""
    items, layout = _decoded(text)
    return dict(items), layout


def _unplain(v):
    if isinstance(v, tuple):
        if len(v) == 2 and v[0] == "__float__":
            return float(v[1])
        return tuple(_unplain(x) for x in v)
    if isinstance(v, list):
        return [_unplain(x) for x in v]
    return v


def layout_of(tensors) -> str:
    return "".join("-" if t is None else "t" for t in tensors)


# ---- running the op on tensors ------------------------------------------------------------------
def forward(op, algo: str, params: dict, tensors) -> list[torch.Tensor]:
    """The op's outputs as tensors of their own; state tensors are updated in place (a
    state tensor that is not contiguous is updated through a copy, written back)."""
    arrays = [None if t is None else to_numpy(t, s.name, op.name) for t, s in zip(tensors, op.inputs)]
    passed = arrays
    for i in state_slots(op):
        if arrays[i] is not None and not arrays[i].flags.c_contiguous:
            passed = passed if passed is not arrays else list(arrays)
            passed[i] = np.ascontiguousarray(arrays[i])
    out = op(**op.named(passed), algo=algo, **params)
    if passed is not arrays:
        for a, p in zip(arrays, passed):
            if p is not a:
                a[...] = p
    if type(out) is tuple:
        return [to_tensor(o, arrays) for o in out]
    return [to_tensor(out, arrays)]


def backward(op, algo: str, params: dict, grad_out, tensors) -> list:
    """One gradient tensor per input in ``inputs`` order (None where the op gives none)."""
    arrays = [to_numpy(t, s.name, op.name) for t, s in zip(tensors, op.inputs)]
    gy = to_numpy(grad_out, "grad_output", op.name)
    grads = op.backward(gy, **op.named(arrays), algo=algo, **params)
    return [None if g is None else to_tensor(g, [gy, *arrays]) for g in grads]


def gets_gradient(spec, t) -> bool:
    """Whether input ``t`` (declared by ``spec``) receives a gradient from the op."""
    return t is not None and spec.differentiable and not spec.index


def with_seed(params: dict, seed) -> dict:
    """``params`` with the seed that the call drew as a tensor (torch.compile) filled in."""
    return params if seed is None else {**params, "seed": int(seed)}


def draw_seed() -> torch.Tensor:
    """A seed from torch's generator, so ``torch.manual_seed`` makes dropout reproducible."""
    return torch.randint(0, SEED_MAX, (), dtype=torch.int64)


def op_of(name: str):
    try:
        return kernels.OPS[name]
    except KeyError:
        raise ValueError(f"{name!r} is not an op of kernels") from None

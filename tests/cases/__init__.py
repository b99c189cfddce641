"""Test cases declared as data, one module per op family: ``CASES[op] = [Case, ...]`` for the
calls an op must compute, ``BAD[op] = [Bad, ...]`` for the calls it must refuse.

Every module of this package is imported on first use, so a new family adds one file.  A
``Bad`` is a good case with some inputs or parameters changed; ``derived(op)`` adds the bad
calls every op must refuse (wrong dtypes, lists, missing arguments, wrong ranks...) from
the op's declaration alone.  Everything here is plain data: the registry-wide tests, the
property-based fuzz test and the torch-parity test all read it.
"""
from __future__ import annotations

import importlib
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

CASES: dict[str, list[Case]] = {}
BAD: dict[str, list[Bad]] = {}


@dataclass
class Case:
    id: str
    shapes: tuple                    # one per op input; None where the input is absent
    params: dict = field(default_factory=dict)
    make: Callable | None = None     # rng -> list of float64 arrays (else op.make_inputs)
    # algorithms that by their nature do not give torch's values here, and say why in their
    # doc (FFT and Winograd spread a NaN or infinity over a tile): not run on this case
    exclude: tuple = ()

    def arrays(self, rng, dtype, op):
        made = self.make(rng) if self.make else op.make_inputs(self.shapes, self.params, rng)
        return [None if a is None else np.asarray(a, dtype)
                if np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a) for a in made]


class _Omit:
    def __repr__(self):
        return "OMIT"


OMIT = _Omit()  # in Bad.shapes or Bad.params: leave the argument out of the call


@dataclass(frozen=True)
class Bad:
    """A call the op must refuse with ``error`` (ValueError or TypeError) whose message names
    the argument ``names`` (as a word) and matches the regex ``match``, before any algorithm
    runs.  It is the good case ``case`` (default: the op's first) with these changes:

    shapes   input name -> new shape (None: passed as None; OMIT: left out of the call)
    params   parameter -> new value (OMIT: left out of the call); ``algo`` may be among them
    dtypes   input name -> the dtype its array takes ("list": a nested Python list instead;
             "grad-tensor": a torch tensor that requires grad; "huge-view": a broadcast
             view of more than MAX_ELEMENTS elements)
    fill     input name -> the one value every element takes (indices out of range)

    ``torch`` records whether torch.nn.functional refuses the same call (None: not checked,
    or no torch twin).
    """
    id: str
    error: type
    names: str
    shapes: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    dtypes: dict = field(default_factory=dict)
    fill: dict = field(default_factory=dict)
    case: str | None = None
    match: str = ""
    torch: bool | None = None

    @property
    def by_shape(self) -> bool:
        """Whether the shapes and parameters alone are bad (so ``supports``, ``output_shape``
        and ``cost``, which see no arrays, refuse it too)."""
        return not (self.dtypes or self.fill or "algo" in self.params)

    def base(self, op_name: str) -> Case:
        found = [c for c in CASES[op_name] if self.case in (None, c.id)]
        if not found:
            raise LookupError(f"{op_name}: bad input {self.id!r} names no good case {self.case!r}")
        return found[0]

    def shape_args(self, op) -> dict:
        """The bad call with shapes for arrays, by name: what ``supports``, ``output_shape``
        and ``cost`` take (``algo`` included where the Bad sets it)."""
        base = self.base(op.name)
        shapes = {i.name: self.shapes.get(i.name, s) for i, s in zip(op.inputs, base.shapes)}
        return _present({**shapes, **base.params, **self.params})

    def call_args(self, op, rng, dtype=np.float64) -> dict:
        """The bad call's arguments by name: the good case's arrays (in ``dtype``), the
        changed ones redrawn, and its parameters (``algo`` included where the Bad sets it)."""
        base = self.base(op.name)
        arrays = {}
        for spec, a in zip(op.inputs, base.arrays(rng, dtype, op)):
            name = spec.name
            if name in self.shapes:
                shape = self.shapes[name]
                a = shape if shape is None or shape is OMIT else (
                    np.zeros(shape, np.int64) if spec.index else rng.standard_normal(shape).astype(dtype))
            if name in self.fill:
                a = np.full_like(a, self.fill[name])
            if name in self.dtypes:
                a = _retyped(a, self.dtypes[name])
            arrays[name] = a
        return _present({**arrays, **base.params, **self.params})


NOT_DTYPES = ("list", "grad-tensor", "huge-view")   # what ``Bad.dtypes`` takes beside dtypes


def _retyped(a: np.ndarray, kind: str):
    if kind == "list":
        return a.tolist()
    if kind == "grad-tensor":
        import torch
        return torch.from_numpy(a).requires_grad_()
    if kind == "huge-view":
        from kernels._params import MAX_ELEMENTS
        rest = math.prod(a.shape[1:])
        return np.broadcast_to(a.reshape(-1)[:1].reshape((1,) * a.ndim),
                               (MAX_ELEMENTS // rest + 1, *a.shape[1:]))
    return a.astype(kind)


def _present(args: dict) -> dict:
    return {k: v for k, v in args.items() if v is not OMIT}


def cases(op: str, *items: Case) -> None:
    CASES.setdefault(op, []).extend(items)


def refuses(op: str, *items: Bad) -> None:
    BAD.setdefault(op, []).extend(items)


def load() -> dict[str, list[Case]]:
    for info in pkgutil.iter_modules(__path__, prefix=__name__ + "."):
        importlib.import_module(info.name)
    return CASES


def load_bad() -> dict[str, list[Bad]]:
    """The declared bad inputs of every op (without the derived ones: see ``derived``)."""
    load()
    return BAD


# input name -> (lowest, highest) rank the op accepts (None: no highest), for inputs whose
# accepted ranks reach beyond those of the op's good cases (elementwise ops take any rank).
RANKS: dict[str, dict[str, tuple[int, int | None]]] = {}


def ranks(op: str, **accepted: tuple[int, int | None]) -> None:
    RANKS.setdefault(op, {}).update(accepted)


def derived(op_name: str) -> list[Bad]:
    """The bad calls every op must refuse, derived from its signature, its inputs and its
    good cases, so that a new op gets them with nothing declared: an unknown keyword, a bad
    ``algo``, each argument without a default left out, and for each input None where it
    is required, a list, integer and float16 arrays (an index input: float), a float dtype
    other than the first input's, a torch tensor that requires grad, a broadcast view too
    large to copy, one dimension fewer and one more than it accepts."""
    import inspect

    import kernels
    op = kernels.OPS[op_name]
    load()
    names = [i.name for i in op.inputs]
    out = [Bad("unknown-keyword", TypeError, "not_an_argument", params=dict(not_an_argument=1)),
           Bad("algo-not-a-string", TypeError, "algo", params=dict(algo=3)),
           Bad("algo-unknown", ValueError, "algo", params=dict(algo="bogus"))]
    for k, p in inspect.signature(op).parameters.items():
        if p.default is inspect.Parameter.empty:
            out.append(Bad(f"{k}-missing", TypeError, k,
                           **({"shapes": {k: OMIT}} if k in names else {"params": {k: OMIT}})))
    for index, spec in enumerate(op.inputs):
        name = spec.name
        case = next((c for c in CASES[op_name] if c.shapes[index] is not None), None)
        if case is None:
            continue
        at = case.id
        if not spec.optional:
            out.append(Bad(f"{name}-None", TypeError, name, shapes={name: None}, case=at))
        dtypes = ["list"] + (["float64"] if spec.index else ["int32", "int64", "float16"])
        if not spec.index and index > 0:
            dtypes.append("float32")     # the first input (float64 here) sets the dtype
        out += [Bad(f"{name}-{dt}", TypeError, name, dtypes={name: dt}, case=at) for dt in dtypes]
        if not spec.index:
            out.append(Bad(f"{name}-grad-tensor", TypeError, name, dtypes={name: "grad-tensor"},
                           case=at, match="requires grad"))
        if len(case.shapes[index]) and math.prod(case.shapes[index]):
            out.append(Bad(f"{name}-huge-view", ValueError, name, dtypes={name: "huge-view"},
                           case=at, match="MAX_ELEMENTS"))
        out += [Bad(f"{name}-rank{r}", ValueError, name, shapes={name: _with_rank(case.shapes[index], r)},
                    case=at) for r in _wrong_ranks(op_name, index)]
    return out


def _wrong_ranks(op_name: str, index: int) -> list[int]:
    """One dimension fewer and one more than the input accepts: what ``ranks`` declares,
    else the ranks of the op's good cases."""
    import kernels
    name = kernels.OPS[op_name].inputs[index].name
    seen = {len(c.shapes[index]) for c in CASES[op_name] if c.shapes[index] is not None}
    low, high = RANKS.get(op_name, {}).get(name, (min(seen), max(seen)))
    return [r for r in (low - 1, None if high is None else high + 1) if r is not None and r >= 0]


def _with_rank(shape: tuple, rank: int) -> tuple:
    """``shape`` with leading dimensions dropped, or leading 2s added, to reach ``rank``."""
    shape = tuple(shape)
    return shape[len(shape) - rank:] if rank < len(shape) else (2,) * (rank - len(shape)) + shape

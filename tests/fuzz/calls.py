"""Bad calls, generated: a good case of tests/cases with one argument made wrong.

The mutations come from the op's declaration alone (its signature, its inputs), never from
a list per op, and include the crash reproducers of issue 15: huge integers
(2**31-2, 2**32-4, 10**6, 10**9, 2**62) for any parameter, negative and zero values, wrong
Python types; for any array input: wrong dtypes (integer, bool, float16, complex, object),
wrong ranks, empty and huge dimensions (zero-stride views), read-only and broadcast
(zero-stride) arrays, torch tensors, lists, NaN and infinities; and the shape-only calls
(``supports``, ``output_shape``, ``cost``) with negative, zero and huge sizes.

A ``Call`` is picklable and runs in the fuzz worker's child process (``Call.run``): it
calls our op and, where the op returns, torch on the same arguments, and answers with what
``judge`` needs.
"""
from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import kernels
from tests.cases import CASES, load

load()

HUGE = (2**31 - 2, 2**31 - 1, 2**32 - 4, 10**6, 10**9, 2**62, -(2**31))  # issue 15's reproducers
SMALL = (0, -1, -3, 1, 2, 3)
ODD = (None, True, False, 2.5, float("nan"), float("inf"), "x", "same", 1j, (), [2, 2], np.int64(2),
       np.float64(2.0), b"2", object)   # wrong types, and right values in types torch may take
DTYPES = ("int32", "int64", "uint8", "bool", "float16", "complex128", "object")
FORMS = ("readonly", "broadcast", "torch", "torch-grad", "torch-float32", "list", "scalar", "fortran",
         "view", "nan", "inf", "-inf", "none", "huge-broadcast")
SHAPE_APIS = ("supports", "output_shape", "cost")
# mutations whose only culprit is the argument itself: the message must name it
OWN = ("dtype", "rank", "form", "type")


@dataclass(frozen=True)
class Mutation:
    target: str          # the argument made wrong
    kind: str            # "value", "type", "dtype", "rank", "empty", "form", "shape"
    value: object = None

    def __repr__(self):
        return f"{self.target}:{self.kind}={self.value!r}"


@dataclass(frozen=True)
class Call:
    op: str
    case: str
    algo: str
    dtype: str
    api: str             # "forward", "backward", or a shape-only API
    mutation: Mutation
    seed: int = 0

    def describe(self) -> str:
        return (f"{self.op}.{self.api}(algo={self.algo!r}) on case {self.case!r} ({self.dtype}) "
                f"with {self.mutation!r}")

    # ---- in the child ---------------------------------------------------------------
    def run(self) -> dict:
        op = kernels.OPS[self.op]
        args = self.arguments(op)
        if self.api in SHAPE_APIS:
            return {"ours": repr(_shape_call(op, self.api, self.algo, args, self.mutation))}
        # torch is asked about the arrays as given (an in-place call overwrites them)
        arrays = [_copy(args.get(i.name)) for i in op.inputs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = op(**args, algo=self.algo)
            if self.api == "backward":
                main = out[0] if isinstance(out, tuple) else out
                gy = np.random.default_rng(1).standard_normal(np.shape(main)).astype(np.asarray(main).dtype)
                op.backward(gy, **args, algo=self.algo)
        return {"ours": "returned", "torch": _torch_agrees(op, self.algo, arrays, args, out)}

    def arguments(self, op) -> dict:
        case = next(c for c in CASES[self.op] if c.id == self.case)
        rng = np.random.default_rng(self.seed)
        arrays = case.arrays(rng, np.dtype(self.dtype), op)
        args = {**op.named(arrays), **case.params}
        m = self.mutation
        if m.kind in ("value", "type"):
            args[m.target] = m.value
        elif m.kind in ("dtype", "rank", "empty", "form"):
            args[m.target] = _mutate_array(args.get(m.target), m, rng, self.dtype)
        return args


def _copy(a):
    """A copy of what an in-place call could overwrite (never of a read-only view, which may
    stand for 2**31 elements)."""
    if isinstance(a, np.ndarray):
        return a.copy() if a.flags.writeable else a
    return a.detach().clone() if hasattr(a, "detach") else a


def _mutate_array(a, m, rng, dtype):
    if a is None:
        a = rng.standard_normal((2, 3)).astype(dtype)
    a = np.asarray(a)
    if m.kind == "dtype":
        return a.astype(m.value) if m.value != "object" else a.astype(object)
    if m.kind == "rank":
        shape = a.shape[a.ndim - m.value:] if m.value <= a.ndim else (2,) * (m.value - a.ndim) + a.shape
        return rng.standard_normal(shape).astype(a.dtype)
    if m.kind == "empty":
        shape = list(a.shape) or [1]
        shape[m.value % len(shape)] = 0
        return np.zeros(shape, a.dtype)
    form = m.value
    if form == "readonly":
        a = a.copy()
        a.flags.writeable = False
        return a
    if form == "broadcast":
        return np.broadcast_to(a.reshape(-1)[:1].reshape((1,) * a.ndim), a.shape) if a.ndim else a
    if form == "huge-broadcast":
        return np.broadcast_to(a.reshape(-1)[:1].reshape((1,) * max(a.ndim, 1)),
                               (*a.shape[:-1], 2**31 + 1) if a.ndim else (2**31 + 1,))
    if form in ("torch", "torch-grad", "torch-float32"):
        import torch
        t = torch.from_numpy(a.copy())
        t = t.float() if form == "torch-float32" else t
        return t.requires_grad_(form == "torch-grad" and t.is_floating_point())
    if form == "list":
        return a.tolist()
    if form == "scalar":
        return float(a.reshape(-1)[0]) if a.size else 0.0
    if form == "fortran":
        return np.asfortranarray(a)
    if form == "view":
        big = np.repeat(a[..., None], 2, axis=-1) if a.ndim else a
        return big[..., 0] if a.ndim else big
    if form in ("nan", "inf", "-inf"):
        a = a.copy()
        if a.size and np.issubdtype(a.dtype, np.floating):
            a.reshape(-1)[rng.integers(0, a.size, 2)] = float(form)
        return a
    if form == "none":
        return None
    raise ValueError(form)


def _shape_call(op, api, algo, args, m):
    shapes = {k: (tuple(np.shape(v)) if isinstance(v, np.ndarray) else v) for k, v in args.items()
              if k in {i.name for i in op.inputs}}
    if m.kind == "shape":
        shape = list(shapes[m.target] or (1,))
        index, value = m.value
        shape[index % len(shape)] = value
        shapes[m.target] = tuple(shape)
    params = {k: v for k, v in args.items() if k not in shapes}
    if api == "supports":
        return op.supports(algo, **shapes, **params)
    if api == "output_shape":
        return op.output_shape(**shapes, **params)
    return op.cost(**shapes, **params)


def _torch_agrees(op, algo, arrays, args, out) -> str:
    """"agrees", or why not: what torch does with the same call (float64 arrays)."""
    from tests.parity import oracle
    from tests.parity.compare import compare, rule
    try:
        plain = [None if a is None else np.array(a.detach() if hasattr(a, "detach") else a, np.float64)
                 if not spec.index else np.array(a, np.int64) for spec, a in zip(op.inputs, arrays)]
    except (TypeError, ValueError) as e:
        return f"torch cannot take these arrays ({e}); ours computed"
    params = {k: v for k, v in args.items() if k not in {i.name for i in op.inputs}}
    v = oracle.verdict(op, plain, params, 0)
    if v.error is not None and "can't allocate memory" in v.error:
        return "torch runs out of memory"   # not a refusal of the arguments: nothing to compare
    if v.error is not None:
        return f"torch refuses ({v.error}); ours computed"
    dtype = np.asarray(out[0] if isinstance(out, tuple) else out).dtype
    chosen = op.choose(**op.named([None if a is None else a.shape for a in plain]), dtype=dtype,
                       **params) if algo == "auto" else algo
    try:
        compare(f"{op.name}[{chosen}]", out, v.out, chosen, rule(op.name, chosen, plain), dtype)
    except AssertionError as e:
        return f"differs from torch: {str(e).splitlines()[0]}"
    return "agrees"


# ---- strategies (in the test process) -------------------------------------------------
def targets(op_name: str) -> list[str]:
    """Every argument of the op, and "shapes" for the shape-only APIs."""
    return [*inspect.signature(kernels.OPS[op_name]).parameters, "shapes"]


def _values():
    ints = st.sampled_from(HUGE + SMALL)
    scalars = st.one_of(ints, st.sampled_from(ODD))
    return st.one_of(scalars, st.tuples(ints, ints), st.lists(ints, min_size=0, max_size=5).map(tuple))


def _takes(op, algo, case, dtype) -> bool:
    return op.supports(algo, **op.named(case.shapes), dtype=np.dtype(dtype), **case.params)


@st.composite
def bad_calls(draw, op_name: str, target: str):
    op = kernels.OPS[op_name]
    inputs = {i.name: i for i in op.inputs}
    case = draw(st.sampled_from([c for c in CASES[op_name]]))
    dtype = draw(st.sampled_from(("float64", "float32")))
    # the algorithm takes the good case: one argument made wrong is the only culprit (an
    # algorithm the case excludes cannot give torch's values there by its nature)
    algo = draw(st.sampled_from([*(a for a in op.algos() if a not in case.exclude and _takes(op, a, case, dtype)),
                                 "auto"]))
    if target == "shapes":
        present = [i.name for i, s in zip(op.inputs, case.shapes) if s is not None]
        name = draw(st.sampled_from(present))
        size = draw(st.sampled_from(HUGE + (0, -1, -5)))
        index = draw(st.integers(0, 5))
        api = draw(st.sampled_from(SHAPE_APIS))
        return Call(op_name, case.id, algo, dtype, api, Mutation(name, "shape", (index, size)))
    api = draw(st.sampled_from(("forward", "backward")))
    if target in inputs:
        kind = draw(st.sampled_from(("dtype", "rank", "empty", "form", "form")))
        value = {"dtype": st.sampled_from(DTYPES), "rank": st.integers(0, 7), "empty": st.integers(0, 5),
                 "form": st.sampled_from(FORMS)}[kind]
        mutation = Mutation(target, kind, draw(value))
        return Call(op_name, case.id, algo, dtype, api, mutation, draw(st.integers(0, 3)))
    value = draw(_values())
    kind = "value" if isinstance(value, (int, tuple)) and not isinstance(value, bool) else "type"
    return Call(op_name, case.id, algo, dtype, api, Mutation(target, kind, value))

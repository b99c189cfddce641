"""The argument space of each op, declared as data, and the cases drawn from it.

A ``Space`` names *factors*, each with its candidate values (the first is the plain one):

- ``sizes``: size symbols (N, C, H, ... and flags such as ``bias``) from which ``shapes``
  builds one shape per op input (None where an optional input is absent);
- ``params``: every parameter of the op's signature, with the values torch accepts;
- ``batchless``: the inputs that lose their leading batch dimension when the factor
  ``batched`` is False (torch computes such a call as a batch of one);
- ``special``: NaN, +Inf or -Inf planted in one floating input (factor ``at``).

A candidate wrapped in ``edge()`` lies at or past the edge of what torch accepts (an
empty dimension, a kernel longer than the input, a negative padding); torch decides
whether it is valid.  Edges are tried one at a time (a case is a plain row with one
factor set to the edge), because two of them together usually hide each other behind the
first refusal.  Plain values are combined by a greedy pairwise covering (every pair of
values of any two factors appears in some case), seeded, so the cases are the same on every
run; the first rows cover the most pairs.

In CI an op runs its first ``budget`` pairwise rows (``#p000``...; ``PARITY_BUDGET`` unless
the space says more) and each edge once (``#N=0``...); ``CONVBENCH_PARITY=full`` runs the whole covering, each edge on
``FULL_EDGE_BASES`` rows, and ``FULL_EXTRA`` random rows (``#r000``...) that may mix edges.
"""
from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

SPACES: dict[str, Space] = {}
SEED = 1415
PARITY_BUDGET = 6        # pairwise rows per op in CI (each edge runs too)
FULL_EDGE_BASES = 3      # rows each edge is tried on in the full run
FULL_EXTRA = 40          # random rows per op beyond the covering, in the full run
SPECIALS = ("finite", "nan", "inf", "-inf")


@dataclass(frozen=True)
class Edge:
    value: object

    def __repr__(self):
        return f"edge({self.value!r})"


def edge(*values) -> tuple:
    """Candidates at or past the edge of what torch accepts: tried one at a time."""
    return tuple(Edge(v) for v in values)


@dataclass
class Space:
    op: str
    shapes: Callable[[SimpleNamespace], tuple]
    sizes: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    batchless: tuple = ()          # inputs without the batch dimension when batched=False
    specials: tuple = SPECIALS
    make: Callable | None = None   # (factors, shapes, rng) -> arrays, else op.make_inputs
    budget: int = PARITY_BUDGET    # pairwise rows in CI (more where one factor has many values)

    def factors(self, op) -> dict:
        out = {**self.sizes, **self.params}
        if self.batchless:
            out["batched"] = (True, False)
        floats = [i.name for i in op.inputs if not i.index]
        if len(self.specials) > 1:
            out["special"] = self.specials
            out["at"] = tuple(floats)
        return {k: tuple(v) for k, v in out.items()}

    def plain(self, op) -> dict:
        return {k: tuple(x for x in v if not isinstance(x, Edge)) for k, v in self.factors(op).items()}

    def edges(self, op) -> list[tuple[str, object]]:
        return [(k, x.value) for k, v in self.factors(op).items() for x in v if isinstance(x, Edge)]


@dataclass(frozen=True)
class Derived:
    """A parameter value computed from the case's other factors (an output_size that fits
    the input, a normalized_shape of its trailing dimensions); ``label`` names it in rows."""
    label: str
    fn: Callable = field(compare=False)

    def __repr__(self):
        return self.label


def space(op: str, shapes, **kw) -> None:
    if op in SPACES:
        raise ValueError(f"parity space of {op!r} declared twice")
    SPACES[op] = Space(op, shapes, **kw)


@dataclass(frozen=True)
class Generated:
    """One drawn case: the factor values (``f``), the shapes and parameters of the call."""
    op: str
    name: str
    index: int
    f: dict
    shapes: tuple
    params: dict

    @property
    def id(self) -> str:
        return f"{self.op}#{self.name}"

    def describe(self) -> str:
        shapes = " ".join("-" if s is None else "x".join(map(str, s)) or "()" for s in self.shapes)
        params = " ".join(f"{k}={v!r}" for k, v in self.params.items())
        special = self.f.get("special", "finite")
        special = f" {special}@{self.f['at']}" if special != "finite" else ""
        batch = " batchless" if self.f.get("batched") is False else ""
        return f"{shapes} {params}{batch}{special}".strip()

    def arrays(self, op, space: Space) -> list:
        """float64 arrays (int64 indices) for the shapes: the op's own input maker (batched
        shapes, the batch of one dropped afterwards), then the special values."""
        rng = np.random.default_rng([SEED, self.index, zlib.crc32(self.op.encode())])
        batched = _batched(self.shapes, op, space) if self.f.get("batched") is False else self.shapes
        if space.make is not None:
            arrays = space.make(SimpleNamespace(**self.f), batched, rng)
        else:
            try:
                arrays = op.make_inputs(batched, self.params, rng)
            except (ValueError, TypeError):   # the op refuses the shapes: plain normals
                arrays = [None if s is None else rng.standard_normal(s) for s in batched]
        arrays = [None if a is None else np.array(a) for a in arrays]
        if batched is not self.shapes:
            arrays = [a[0] if spec.name in space.batchless and a is not None else a
                      for spec, a in zip(op.inputs, arrays)]
        _plant(self.f, op, arrays, rng)
        return arrays


def _batched(shapes, op, space):
    return tuple((1, *s) if spec.name in space.batchless and s is not None else s
                 for spec, s in zip(op.inputs, shapes))


def _plant(f, op, arrays, rng):
    """NaN or an infinity at two random elements of the input ``f['at']``."""
    special = f.get("special", "finite")
    if special == "finite":
        return
    value = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[special]
    for spec, a in zip(op.inputs, arrays):
        if spec.name == f["at"] and a is not None and a.size:
            flat = a.reshape(-1)
            flat[rng.integers(0, a.size, 2)] = value


def pairwise(factors: dict, rng, budget: int | None = None) -> list[dict]:
    """Rows (factor -> value) covering every pair of values of any two factors, greedily:
    the first row takes every first value, each next row the best of a few random-order
    greedy rows (AETG, Cohen et al. 1997)."""
    names = list(factors)
    sizes = [len(factors[n]) for n in names]
    uncovered = {(i, a, j, b) for i in range(len(names)) for j in range(i + 1, len(names))
                 for a in range(sizes[i]) for b in range(sizes[j])}
    rows = []

    def covered(row):
        pairs = {(i, row[i], j, row[j]) for i in range(len(names)) for j in range(i + 1, len(names))}
        return pairs & uncovered

    first = [0] * len(names)
    while uncovered and (budget is None or len(rows) < budget):
        best = None
        for _ in range(1 if not rows else 12):
            row = first if not rows else _greedy_row(sizes, uncovered, rng)
            gain = covered(row)
            if best is None or len(gain) > len(best[1]):
                best = (row, gain)
        rows.append(best[0])
        uncovered -= best[1]
    return [{n: factors[n][v] for n, v in zip(names, row)} for row in rows]


def _greedy_row(sizes, uncovered, rng):
    order = rng.permutation(len(sizes))
    row = [None] * len(sizes)
    for i in order:
        gains = np.zeros(sizes[i])
        for a in range(sizes[i]):
            for j, b in enumerate(row):
                if b is not None:
                    key = (i, a, j, b) if i < j else (j, b, i, a)
                    gains[a] += key in uncovered
        best = np.flatnonzero(gains == gains.max())
        row[i] = int(rng.choice(best))
    return row


def mode() -> str:
    return os.environ.get("CONVBENCH_PARITY", "ci")


def rows(op, sp: Space, full: bool | None = None) -> list[tuple[str, dict]]:
    """(name, factor row) pairs: pairwise rows ``p000``..., each edge on a plain row
    (``N=0``), and in the full run the edges on more rows and random rows ``r000``..."""
    full = mode() == "full" if full is None else full
    plain = sp.plain(op)
    rng = np.random.default_rng([SEED, zlib.crc32(op.name.encode())])
    covering = pairwise(plain, rng, None if full else sp.budget)
    out = [(f"p{i:03d}", r) for i, r in enumerate(covering)]
    for k, (factor, value) in enumerate(sp.edges(op)):
        label = f"{factor}={_label(value)}"
        bases = range(FULL_EDGE_BASES) if full else (k % 3,)
        for b in bases:
            if b < len(covering):
                out.append((label if b == k % 3 else f"{label}/p{b:03d}", {**covering[b], factor: value}))
    if full:
        factors = sp.factors(op)
        for i in range(FULL_EXTRA):
            row = {k: v[rng.integers(len(v))] for k, v in factors.items()}
            out.append((f"r{i:03d}", {k: x.value if isinstance(x, Edge) else x for k, x in row.items()}))
    return out


def _label(v) -> str:
    if isinstance(v, tuple):
        return ",".join(map(_label, v))
    return repr(v).replace(" ", "") if not isinstance(v, str) else v


def cases(op, sp: Space, full: bool | None = None) -> list[Generated]:
    out = []
    for name, f in rows(op, sp, full):
        ns = SimpleNamespace(**f)
        for k, v in f.items():
            if isinstance(v, Derived):
                setattr(ns, k, v.fn(ns))
        shapes = tuple(None if s is None else tuple(int(d) for d in s) for s in sp.shapes(ns))
        if f.get("batched") is False:
            shapes = tuple(s[1:] if spec.name in sp.batchless and s is not None else s
                           for spec, s in zip(op.inputs, shapes))
        params = {k: getattr(ns, k) for k in sp.params}
        out.append(Generated(op.name, name, zlib.crc32(name.encode()), f, shapes, params))
    return out


def load() -> dict[str, Space]:
    import importlib
    import pkgutil

    from tests.parity import spaces
    for info in pkgutil.iter_modules(spaces.__path__, prefix=spaces.__name__ + "."):
        importlib.import_module(info.name)
    return SPACES


def positive(v, default=1) -> int:
    """An int parameter as a shape can use it: ``default`` for values torch refuses (0, a
    negative, a tuple), so a case can carry a bad value and still have shapes."""
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else default

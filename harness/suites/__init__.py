"""Benchmark suites declared as data: which op, which case, which shapes and parameters.

A suite is a list of ``Entry``s.  Shapes are given per op input, in the order of the op's
array arguments (torch's positional order, skipping non-array parameters), or as a dict
keyed by input name; ``"N"`` in a shape stands for the batch size, chosen per run::

    Entry("conv2d", "res2-3x3", (("N", 64, 56, 56), (64, 64, 3, 3), None), dict(padding=1))

An entry whose op is not registered is skipped at run time and listed as a missing op in
the report.  ``sweep=("kernel_size", 5)`` tags an entry as one point of a sweep: the
report draws time against the sweep's x for every op and algorithm that ran it.
Each module of this package declares suites with ``suite(...)``; a new file is found with
no other edit.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field

BATCH = "N"
SUITES: dict[str, Suite] = {}


@dataclass(frozen=True)
class Entry:
    op: str
    id: str
    shapes: tuple | dict            # per op input; None where absent; "N" = batch
    params: dict = field(default_factory=dict)
    sweep: tuple | None = None      # (x name, x value): one point of a sweep plot

    def resolve(self, inputs, batch: int) -> tuple:
        """Shapes in the op's input order (``inputs``: the op's ``Input`` specs), with the
        batch filled in; trailing inputs the entry does not name are absent (None)."""
        names = [i.name for i in inputs]
        if isinstance(self.shapes, dict):
            unknown = set(self.shapes) - set(names)
            if unknown:
                raise ValueError(f"entry {self.op}/{self.id} names inputs {sorted(unknown)} "
                                 f"that {self.op} does not have ({names})")
            shapes = [self.shapes.get(n) for n in names]
        else:
            if len(self.shapes) > len(names):
                raise ValueError(f"entry {self.op}/{self.id} gives {len(self.shapes)} shapes "
                                 f"but {self.op} has {len(names)} inputs ({names})")
            shapes = list(self.shapes) + [None] * (len(names) - len(self.shapes))
        return tuple(None if s is None else tuple(batch if d == BATCH else int(d) for d in s)
                     for s in shapes)


@dataclass
class Suite:
    name: str
    doc: str
    entries: list
    batch: int = 1                  # what "N" means unless the run says otherwise
    budget: dict = field(default_factory=dict)  # timing.Budget fields this suite changes

    def ops(self) -> list[str]:
        return sorted({e.op for e in self.entries})


def suite(name: str, doc: str, entries, batch: int = 1, budget: dict | None = None) -> Suite:
    s = Suite(name, doc, list(entries), batch, dict(budget or {}))
    ids = [(e.op, e.id) for e in s.entries]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"suite {name!r} declares duplicate cases {sorted(dup)}")
    SUITES[name] = s
    return s


def load() -> dict[str, Suite]:
    for info in pkgutil.iter_modules(__path__, prefix=__name__ + "."):
        importlib.import_module(info.name)
    return SUITES


def get(name: str) -> Suite:
    load()
    if name not in SUITES:
        raise ValueError(f"suite must be one of {sorted(SUITES)}, got {name!r}")
    return SUITES[name]


def conv(op, id, N, C, H, K, k, stride=1, padding=0, bias=True, W=None, groups=1, **extra):
    """A square-kernel 2D convolution entry in the notes' notation (N, C, H, W; K, R=S=k)."""
    W = H if W is None else W
    kk = k if isinstance(k, tuple) else (k, k)
    params = dict(stride=stride, padding=padding, **({"groups": groups} if groups != 1 else {}))
    sweep = extra.pop("sweep", None)
    params.update(extra)
    return Entry(op, id, ((N, C, H, W), (K, C // groups, *kk), (K,) if bias else None),
                 params, sweep)

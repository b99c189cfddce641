"""Test cases declared as data, one module per op family: ``CASES[op] = [Case, ...]``.

Every module of this package is imported on first use, so a new family adds one file.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

CASES: dict[str, list["Case"]] = {}


@dataclass
class Case:
    id: str
    shapes: tuple                    # one per op input; None where the input is absent
    params: dict = field(default_factory=dict)
    make: Callable | None = None     # rng -> list of float64 arrays (else op.make_inputs)

    def arrays(self, rng, dtype, op):
        made = self.make(rng) if self.make else op.make_inputs(self.shapes, self.params, rng)
        return [None if a is None else np.asarray(a, dtype)
                if np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a) for a in made]


def cases(op: str, *items: Case) -> None:
    CASES.setdefault(op, []).extend(items)


def load() -> dict[str, list[Case]]:
    for info in pkgutil.iter_modules(__path__, prefix=__name__ + "."):
        importlib.import_module(info.name)
    return CASES

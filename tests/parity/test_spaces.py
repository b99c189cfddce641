"""The declarations the parity test is drawn from: every op has a space, every space covers
every argument of its op, and the known failures name cases that exist."""
import inspect

import pytest

import kernels
from kernels._registry import ALGORITHMS
from kernels.tolerances import table
from tests.fuzz import known_failures as fuzz_known
from tests.fuzz.calls import targets
from tests.parity.compare import SPREADS
from tests.parity.differences import DIFFERENCES, REFUSALS
from tests.parity.known_failures import KNOWN_FAILURES
from tests.parity.space import cases, load

SPACES = load()


@pytest.mark.parametrize("op_name", kernels.ops())
def test_every_op_declares_its_space(op_name):
    """A new op fails here until tests/parity/spaces/ declares its arguments."""
    assert op_name in SPACES, f"{op_name}: declare its parity space in tests/parity/spaces/"


def test_every_space_names_an_op():
    assert set(SPACES) <= set(kernels.ops()), f"spaces of no op: {set(SPACES) - set(kernels.ops())}"


@pytest.mark.parametrize("op_name", sorted(SPACES))
def test_space_covers_every_argument(op_name):
    op, sp = kernels.OPS[op_name], SPACES[op_name]
    inputs = [i.name for i in op.inputs]
    params = [p for p in inspect.signature(op).parameters if p not in inputs]
    assert sorted(sp.params) == sorted(params), f"{op_name}: the space's parameters are not the signature's"
    assert set(sp.batchless) <= set(inputs), f"{op_name}: batchless names no input"
    generated = cases(op, sp, full=True)
    for g in generated:
        assert len(g.shapes) == len(inputs), f"{g.id}: {len(g.shapes)} shapes for {len(inputs)} inputs"
    for i, spec in enumerate(op.inputs):
        if spec.optional:
            present = {g.shapes[i] is not None for g in generated}
            never = "absent" if True in present else "given"
            assert present == {True, False}, f"{op_name}: {spec.name} is never {never}"


@pytest.mark.parametrize("op_name", sorted(SPACES))
def test_space_has_a_case_torch_computes(op_name):
    from tests.parity import oracle
    generated = cases(kernels.OPS[op_name], SPACES[op_name])
    assert any(oracle.for_case(g)[1].error is None for g in generated), \
        f"{op_name}: torch refuses every case of its space"


def test_known_parity_failures_name_generated_cases():
    items = set()
    for op_name, sp in SPACES.items():
        op = kernels.OPS[op_name]
        for g in cases(op, sp):
            items |= {f"{g.id}-{a}" for a in [*op.registered(), "auto"]}
    items |= {f"doc-{a}" for a in SPREADS}
    stale = sorted(set(KNOWN_FAILURES) - items)
    assert not stale, f"KNOWN_FAILURES names cases that are not generated: {stale[:10]}"


def test_known_fuzz_failures_name_targets():
    keys = {f"{op}-{t}" for op in kernels.ops() for t in targets(op)}
    stale = sorted(set(fuzz_known.KNOWN_FAILURES) - keys)
    assert not stale, f"tests/fuzz KNOWN_FAILURES names no op argument: {stale}"


def _spreading():
    for algo in sorted(SPREADS):
        key = f"doc-{algo}"
        marks = pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[key]) if key in KNOWN_FAILURES else ()
        yield pytest.param(algo, id=key, marks=marks)


@pytest.mark.parametrize("algo", list(_spreading()))
def test_spreading_algorithms_say_so(algo):
    """Where an algorithm cannot give torch's NaN and infinities (test_parity.SPREADS), its
    documentation and its tolerance reasons say so."""
    registered = [a for algos in ALGORITHMS.values() for a in algos.values() if a.name == algo]
    assert registered, f"{algo} is not registered"
    for a in registered:
        assert "NaN" in a.doc, f"{algo} ({a.ops[0]}): its doc does not say how it spreads NaN/Inf"
    reasons = " ".join(reason for (name, _), (_, reason) in table().items() if name == algo)
    assert "NaN" in reasons, f"{algo}: its tolerance reasons do not say how it spreads NaN/Inf"


def test_pairwise_covers_every_pair():
    import itertools

    import numpy as np

    from tests.parity.space import pairwise
    factors = {"a": (1, 2, 3), "b": ("x", "y"), "c": (None, 0, 1, 2), "d": (True, False), "e": (5,)}
    rows = pairwise(factors, np.random.default_rng(0))
    assert rows[0] == {k: v[0] for k, v in factors.items()}, "the first row takes every first value"
    for (f, vf), (g, vg) in itertools.combinations(factors.items(), 2):
        for a, b in itertools.product(vf, vg):
            assert any(r[f] == a and r[g] == b for r in rows), f"no row has {f}={a!r} and {g}={b!r}"
    assert len(rows) < len(list(itertools.product(*factors.values())))


@pytest.mark.parametrize("d", [*DIFFERENCES, *REFUSALS], ids=lambda d: d.name)
def test_documented_differences_are_documented(d):
    """Each deliberate difference from torch (tests/parity/differences.py) is described where
    it says it is."""
    from pathlib import Path
    text = " ".join((Path(__file__).parents[2] / d.doc).read_text().split())
    assert d.says in text, f"{d.doc} does not say {d.says!r} ({d.name})"

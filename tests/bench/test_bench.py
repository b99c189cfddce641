"""pytest-benchmark over the registry: one benchmark per (op, algorithm) on a small case,
grouped by op.  Run by CI with ``--benchmark-enable --benchmark-json``; the default test
run keeps ``--benchmark-disable`` (each function then runs once, as a smoke test).
Slow (plain-loop) algorithms are left out.  Nothing here asserts a time.

The case is the op's first entry in the quick suite that the algorithm supports (else
its first test case), so a newly registered op or algorithm is benchmarked with no edit.
"""
import numpy as np
import pytest

import kernels
from harness import suites
from kernels.tolerances import SEED
from tests.cases import load as load_cases

QUICK = suites.get("quick")
TEST_CASES = load_cases()


def _candidates(op):
    for e in QUICK.entries:
        if e.op == op.name and e.sweep is None:
            yield e.resolve(op.inputs, 1), dict(e.params), e.id
    for c in TEST_CASES.get(op.name, []):
        yield tuple(c.shapes), dict(c.params), f"test-{c.id}"


def _small_case(op, algo):
    for shapes, params, case_id in _candidates(op):
        if op.supports(algo, **op.named(shapes), **params):
            return shapes, params, case_id
    return None


def _params():
    for name in kernels.ops():
        op = kernels.OPS[name]
        for algo, a in sorted(op.registered().items()):
            if a.slow or not a.available():
                continue
            case = _small_case(op, algo)
            if case is not None:
                yield pytest.param(name, algo, case, id=f"{name}-{algo}-{case[2]}")


@pytest.mark.parametrize("op_name,algo,case", list(_params()))
def test_forward(benchmark, op_name, algo, case):
    op = kernels.OPS[op_name]
    shapes, params, _ = case
    rng = np.random.default_rng(SEED)
    arrays = [None if a is None else np.asarray(a, np.float32)
              if np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a)
              for a in op.make_inputs(shapes, params, rng)]
    benchmark.group = op_name
    benchmark.extra_info.update(algo=algo, case=case[2], shapes=str(shapes))
    op(**op.named(arrays), algo=algo, **params)  # compile outside the timed rounds
    out = benchmark.pedantic(lambda: op(**op.named(arrays), algo=algo, **params), rounds=5, iterations=1,
                             warmup_rounds=1)
    main = out[0] if isinstance(out, tuple) else out
    assert main.shape == tuple(op.output_shape(**op.named(shapes), **params))

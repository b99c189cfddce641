"""Registry-wide correctness: every (op, algorithm, case, dtype) against torch float64,
forward and every gradient.  A newly registered algorithm is tested here with no new code."""
import numpy as np
import pytest

import kernels
from tests.cases import load
from tests.helpers import check_op, runnable

CASES = load()
DTYPES = (np.float32, np.float64)


def _params():
    for op_name, algo, case in runnable(CASES):
        for dt in DTYPES:
            yield pytest.param(op_name, algo, case, dt, id=f"{op_name}-{algo}-{case.id}-{np.dtype(dt).name}")


def _layout_params():
    """Fortran order and strided views: the first case of each (op, algorithm), in float64."""
    seen = set()
    for p in _params():
        op_name, algo, case, dt = p.values
        if (op_name, algo) not in seen and dt is np.float64:
            seen.add((op_name, algo))
            for how in ("F", "view"):
                yield pytest.param(op_name, algo, case, dt, how, id=f"{p.id}-{how}")


@pytest.mark.parametrize("op_name,algo,case,dtype", list(_params()))
def test_against_torch(op_name, algo, case, dtype):
    check_op(op_name, algo, case, dtype)


@pytest.mark.parametrize("op_name,algo,case,dtype,how", list(_layout_params()))
def test_layouts(op_name, algo, case, dtype, how):
    check_op(op_name, algo, case, dtype, how)


@pytest.mark.parametrize("op_name", kernels.ops())
def test_every_algorithm_is_tested(op_name):
    """Each op has cases, and each of its algorithms supports at least one of them."""
    assert op_name in CASES, f"{op_name} has no test cases in tests/cases/"
    op = kernels.OPS[op_name]
    assert op.registered(), f"{op_name} has no algorithm"
    for algo, a in op.registered().items():
        if a.available():
            covered = [c for c in CASES[op_name] if op.supports(algo, **op.named(c.shapes), **c.params)]
            assert covered, f"{op_name}[{algo}] supports none of the test cases"

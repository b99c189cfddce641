"""The registry tests of the Numba algorithms, bounds-checked: ``make test-boundscheck``.

Run only with ``NUMBA_BOUNDSCHECK=1`` (the Makefile target sets it, with a new cache
directory): every array access of every Numba kernel is then checked, the raw-pointer
helpers included (their checked twins, ``kernels._numba_util``), and an access out of
bounds raises IndexError instead of reading or writing someone else's memory.  Numba
compiles every kernel again with the checks, so the selection is kept small: the
algorithms whose code is Numba (``numba`` and the Winograd variants), on the first
``CASES_PER_OP`` registry cases each supports, in float32 only (the raw-pointer helpers'
vectors are then the widest, and the indexing is the same in float64; each dtype is a
compilation of its own).  Size-dependent paths that the small cases would miss are forced on
(``_every_path``).  Not collected by the plain ``pytest`` run (the file name does not
start with ``test_``); ``tests/test_numba_checked.py`` checks the selection itself.
"""
from collections import Counter

import numpy as np
import pytest

from kernels import _numba_util
from tests.cases import load
from tests.helpers import check_op, runnable

CASES_PER_OP = 1
DTYPES = (np.float32,)


def numba_based(algo: str) -> bool:
    return algo == "numba" or algo.startswith("winograd")


def selection():
    """(op, algorithm, case, dtype) for the bounds-checked run."""
    taken = Counter()
    for op_name, algo, case in runnable(load()):
        if numba_based(algo) and taken[op_name, algo] < CASES_PER_OP:
            taken[op_name, algo] += 1
            for dt in DTYPES:
                yield op_name, algo, case, dt


PARAMS = [pytest.param(*s, id=f"{s[0]}-{s[1]}-{s[2].id}-{np.dtype(s[3]).name}") for s in selection()]


@pytest.fixture(autouse=True)
def _every_path(monkeypatch):
    """Bounds checking on, and the streaming stores of the norms taken at any size."""
    if not _numba_util.BOUNDSCHECK:
        pytest.fail("run with NUMBA_BOUNDSCHECK=1: make test-boundscheck")
    from kernels.norm import numba as norm_numba
    monkeypatch.setattr(norm_numba, "STREAM_BYTES", 0)


@pytest.mark.parametrize("op_name,algo,case,dtype", PARAMS)
def test_bounds_checked(op_name, algo, case, dtype):
    check_op(op_name, algo, case, dtype)

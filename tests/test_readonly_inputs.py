"""Read-only input arrays (np.load(mmap_mode="r"), np.broadcast_to, arrays frozen by their
owner) work for every op and every algorithm, forward and backward, and give torch's
answer: the op copies them before any kernel sees them (Numba compiles writeable and
read-only arrays as different types, and some kernels write into their inputs' copies).
Each (op, algorithm) runs its first case in float64; the inputs an op updates in place
(batch_norm's running statistics) stay writeable."""
import numpy as np
import pytest

import kernels
from tests.cases import load
from tests.helpers import check_op, runnable

CASES = load()


def _params():
    seen = set()
    for op_name, algo, case in runnable(CASES):
        if (op_name, algo) not in seen:
            seen.add((op_name, algo))
            yield pytest.param(op_name, algo, case, id=f"{op_name}-{algo}-{case.id}")


@pytest.mark.parametrize("op_name,algo,case", list(_params()))
def test_read_only_inputs(op_name, algo, case):
    check_op(op_name, algo, case, np.float64, how="readonly")


def test_read_only_inputs_stay_unwritten():
    """The op neither writes into a read-only input nor makes it writeable."""
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6))
    x.flags.writeable = False
    before = x.copy()
    for algo in kernels.max_pool2d.algos():
        kernels.max_pool2d.backward(np.ones((1, 2, 3, 3)), x, 2, algo=algo)
    assert not x.flags.writeable and np.array_equal(x, before)

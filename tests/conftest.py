import atexit
import os
import shutil
import sys
import tempfile

# Numba's CUDA simulator must be on before numba.cuda is first imported, so that the
# registry-wide tests cover the cuda algorithm on machines without a GPU.  On a GPU
# machine, CONVBENCH_REAL_GPU=1 runs the same tests on the device.
if os.environ.get("CONVBENCH_REAL_GPU") != "1":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import pytest  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a skip fails the run unless tests/skips.py lists its reason as a legitimate absence
from tests.skips import pytest_make_collect_report, pytest_runtest_makereport  # noqa: E402,F401

# algo="auto" caches its choices on disk: the test session (and every subprocess it starts)
# uses a throwaway directory, never the user's ~/.cache/convbench.
_CACHE = tempfile.mkdtemp(prefix="convbench-test-cache-")
os.environ["CONVBENCH_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

@pytest.fixture(autouse=True)
def _small_cuda_blocks(monkeypatch):
    """Under the simulator, few threads per block (and splitting reductions into chunks) so that the tiny
    test cases still run the multi-block and multi-chunk paths, and fast."""
    from kernels import _cuda
    if _cuda.SIMULATED:
        monkeypatch.setattr(_cuda, "TPB", 16)
        monkeypatch.setattr(_cuda, "REDUCE_THREADS", 256)

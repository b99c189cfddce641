"""A skipped test proves nothing, so a skip fails the run unless its reason is listed here.

tests/conftest.py installs the hooks; ``pytest -p tests.skips`` installs it elsewhere.  The
legitimate reasons are the absences a machine may have: a GPU (or Numba's simulator) for
the CUDA tests, a CUDA toolkit's NVVM for the PTX check, the POSIX ``resource`` module.
Any other skip (an op missing from the registry, a test that cannot set itself up)
is reported as a failure, with its reason.
"""
import pytest

LEGITIMATE = (
    "no GPU and no simulator",                  # tests/test_cuda*.py, CONVBENCH_REAL_GPU=1 without a GPU
    "needs a real GPU",                         # torch CUDA tensors
    "no NVVM",                                  # tests/cuda_ptx.py without a CUDA toolkit
    "runs under the simulator",                 # simulator-only checks, on a real GPU
    "only the simulator",
    "could not import 'resource'",              # not POSIX
)


def _reason(report) -> str:
    longrepr = report.longrepr
    return longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)


def _check(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _reason(report)
        if not any(ok in reason for ok in LEGITIMATE):
            report.outcome = "failed"
            report.longrepr = (f"unexpected skip: {reason}\n(a skip fails unless its reason is "
                               f"in tests/skips.py LEGITIMATE)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    _check((yield).get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A whole module skipped (``pytest.skip(..., allow_module_level=True)``)."""
    _check((yield).get_result())

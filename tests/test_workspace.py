"""Kept scratch arrays: distinct per name, reused per thread, poisoned under the tests,
bounded in total, released when their thread ends or by kernels.free_workspace()."""
import threading
import time

import numpy as np
import pytest

import kernels
from kernels import _arrays, _workspace
from kernels._workspace import scratch


def test_a_name_reuses_its_memory_and_names_never_share():
    a = scratch("test_a", (4, 5), np.float32)
    b = scratch("test_b", (4, 5), np.float32)
    assert not np.shares_memory(a, b)
    again = scratch("test_a", (2, 3), np.float32)
    assert np.shares_memory(a, again) and again.shape == (2, 3) and again.flags.c_contiguous


def test_dtypes_have_their_own_buffers():
    a = scratch("test_d", (8,), np.float32)
    b = scratch("test_d", (8,), np.complex128)
    assert b.dtype == np.complex128 and not np.shares_memory(a, b)


def test_threads_have_their_own_buffers():
    mine = scratch("test_t", (16,), np.float64)
    theirs = []
    t = threading.Thread(target=lambda: theirs.append(scratch("test_t", (16,), np.float64)))
    t.start()
    t.join()
    assert not np.shares_memory(mine, theirs[0])


def test_buffers_above_the_limit_are_not_kept(monkeypatch):
    monkeypatch.setattr(_workspace, "KEEP_BYTES", 64)
    a = scratch("test_big", (100,), np.float32)
    b = scratch("test_big", (100,), np.float32)
    assert not np.shares_memory(a, b)


def test_poisoning_fills_scratch_with_nan():
    scratch("test_p", (6,), np.float32)[...] = 1.0
    with _arrays.poison():
        assert np.isnan(scratch("test_p", (6,), np.float32)).all()


# ---- bounds: dead threads, the total, free_workspace ----------------------------------------
MB = 2 ** 20


@pytest.fixture
def empty_workspace():
    kernels.free_workspace()
    yield
    kernels.free_workspace()


def _settled(want, timeout=5.0):
    """kept_bytes() once it equals ``want`` (a thread's slot goes when CPython clears its
    state, right after join returns), or its last value after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while (got := _workspace.kept_bytes()) != want and time.monotonic() < end:
        time.sleep(0.01)
    return got


@pytest.mark.usefixtures("empty_workspace")
def test_threads_that_end_leave_nothing_behind():
    mine = scratch("test_mine", (MB // 8,), np.float64)
    held = []

    def work(i):
        held.append(scratch(f"test_dead{i % 2}", (2 * MB // 8,), np.float64).nbytes)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert held == [2 * MB] * 4
    assert _settled(mine.nbytes) == mine.nbytes


@pytest.mark.usefixtures("empty_workspace")
def test_the_total_across_threads_stays_within_its_bound(monkeypatch):
    monkeypatch.setattr(_workspace, "TOTAL_BYTES", 5 * MB)
    start, done = threading.Barrier(4), threading.Event()
    arrays = []

    def work(i):
        arrays.append(scratch("test_total", (2 * MB // 8,), np.float64))
        start.wait()
        done.wait()   # alive, so its slot stays

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    start.wait()
    try:
        assert _workspace.kept_bytes() <= 5 * MB
        fresh = scratch("test_total", (2 * MB // 8,), np.float64)   # drops the oldest
        assert _workspace.kept_bytes() == 4 * MB
        assert np.shares_memory(fresh, scratch("test_total", (8,), np.float64))
        for a in arrays:   # dropped buffers stay valid while referenced
            a[...] = 1.0
            assert (a == 1.0).all()
    finally:
        done.set()
        for t in threads:
            t.join()


@pytest.mark.usefixtures("empty_workspace")
def test_free_workspace_empties_every_thread():
    gate, done = threading.Event(), threading.Event()

    def work():
        scratch("test_free", (MB // 8,), np.float64)
        gate.set()
        done.wait()

    t = threading.Thread(target=work)
    t.start()
    gate.wait()
    a = scratch("test_free", (MB // 8,), np.float64)
    assert _workspace.kept_bytes() == 2 * MB
    kernels.free_workspace()
    assert _workspace.kept_bytes() == 0
    assert not np.shares_memory(a, scratch("test_free", (MB // 8,), np.float64))
    done.set()
    t.join()
    assert "free_workspace" in kernels.__all__


@pytest.mark.usefixtures("empty_workspace")
def test_a_kernel_thread_leaves_nothing_behind():
    """The FFT convolution keeps several scratch arrays per call; run in a thread that ends,
    none stays."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 12, 12)), rng.standard_normal((4, 3, 5, 5))
    out = []

    def work():
        out.append(kernels.conv2d(x, w, algo="fft"))
        out.append(_workspace.kept_bytes())
    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert out[0].shape == (2, 4, 8, 8) and out[1] > 0
    assert _settled(0) == 0

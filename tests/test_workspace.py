"""Kept scratch arrays: distinct per name, reused per thread, poisoned under the tests."""
import threading

import numpy as np

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

"""The auto cache file, whatever is found at its path: a FIFO, a symlink to /dev/zero, JSON
nested past the recursion limit, an oversized file, a directory, a lock that is not a regular
file.  Each ends with a warning and an empty cache (the op computes and chooses as usual),
never a hang, a crash or an exception out of an op call.  An alarm turns a hang into a
failure."""
import json
import os
import signal
import warnings

import numpy as np
import pytest

import kernels
from kernels import _auto, _autocache

X = np.linspace(-1, 1, 12).reshape(3, 4)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache directory, timings patched (numpy wins), and 60 s for the test."""
    monkeypatch.setenv("CONVBENCH_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CONVBENCH_AUTO", raising=False)
    monkeypatch.setattr(_auto, "_time", lambda run, algo, *rest: 1e-3 if algo.name == "numpy"
                        else 2e-3)
    _auto.clear_memory()

    def expire(signum, frame):
        raise TimeoutError("the cache hung the op call")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield tmp_path
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
    _auto.clear_memory()


def relu_works():
    """relu through auto: the right values, a timed choice."""
    before = len(_auto.timed_keys)
    assert np.array_equal(kernels.relu(X), np.maximum(X, 0))
    assert len(_auto.timed_keys) == before + 1, "an unreadable cache is an empty one"


def cache_file(cache):
    return cache / _autocache.FILE_NAME


def assert_valid(cache):
    """The file at the cache's path is now a regular, valid cache holding the choice."""
    path = cache_file(cache)
    assert path.is_file() and not path.is_symlink()
    choices = json.loads(path.read_text())["contexts"][_autocache.context()]["choices"]
    assert [k.split("|")[0] for k in choices] == ["relu"]


def test_fifo(cache):
    os.mkfifo(cache_file(cache))
    with pytest.warns(UserWarning, match="not a regular file"):
        relu_works()
    assert_valid(cache)


def test_symlink_to_dev_zero(cache):
    os.symlink("/dev/zero", cache_file(cache))
    with pytest.warns(UserWarning, match="not a regular file"):
        relu_works()
    assert_valid(cache)


def test_nesting_past_the_recursion_limit(cache):
    depth = 100_000
    cache_file(cache).write_text('{"format": 1, "contexts": ' + "[" * depth + "]" * depth + "}")
    with pytest.warns(UserWarning, match="nested too deeply"):
        relu_works()
    assert_valid(cache)


def test_deep_entries_are_left_out(cache):
    """Nesting that loads but is no record (another context's entry, a record with deep
    fields) is dropped, so writing the file back cannot fail."""
    deep = 0
    for _ in range(200):
        deep = [deep]
    data = {"format": 1, "contexts": {
        "elsewhere": {"machine": {"cpu": "x"}, "choices": {"k1": {"algo": "numpy", "x": deep},
                                                           "k2": {"algo": "numpy"}}},
        "bad-entry": [deep]}}
    cache_file(cache).write_text(json.dumps(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        relu_works()
    written = json.loads(cache_file(cache).read_text())["contexts"]
    assert written["elsewhere"]["choices"] == {"k2": {"algo": "numpy"}}
    assert set(written) == {"elsewhere", _autocache.context()}


def test_oversized_file(cache, monkeypatch):
    monkeypatch.setattr(_autocache, "MAX_BYTES", 1000)
    cache_file(cache).write_text(json.dumps({"format": 1, "contexts": {"c": {
        "choices": {f"key{i}": {"algo": "numpy"} for i in range(100)}}}}))
    with pytest.warns(UserWarning, match="more than the 1000"):
        relu_works()


def test_a_directory_in_its_place(cache):
    cache_file(cache).mkdir()
    with pytest.warns(UserWarning) as caught:
        relu_works()
    messages = " ".join(str(w.message) for w in caught)
    assert "not a regular file" in messages and "cannot write" in messages


@pytest.mark.parametrize("lock", ["fifo", "dev-zero"])
def test_a_lock_that_is_not_a_regular_file(cache, lock):
    path = str(cache_file(cache)) + ".lock"
    if lock == "fifo":
        os.mkfifo(path)
    else:
        os.symlink("/dev/zero", path)
    with pytest.warns(UserWarning, match="cannot write the cache.*not a regular file"):
        relu_works()
    before = len(_auto.timed_keys)
    kernels.relu(X)
    assert len(_auto.timed_keys) == before, "the choice is kept in memory"


def test_a_lock_held_by_a_stopped_writer(cache, monkeypatch):
    """Another open file description holds the lock (as a stopped process would): the op
    call gives up after LOCK_WAIT_S with a warning and keeps its choice in memory."""
    import fcntl
    monkeypatch.setattr(_autocache, "LOCK_WAIT_S", 0.2)
    fd = os.open(str(cache_file(cache)) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.warns(UserWarning, match="cannot write the cache.*held by another process"):
            relu_works()
    finally:
        os.close(fd)
    assert not cache_file(cache).exists()
    before = len(_auto.timed_keys)
    kernels.relu(X)
    assert len(_auto.timed_keys) == before, "the choice is kept in memory"

"""algo="auto": agrees with torch, times a case once, caches the choice on disk per machine."""
import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import kernels
import reference
from kernels import _auto, _autocache
from kernels._registry import ALGORITHMS, Algorithm
from kernels.tolerances import rel_err, tolerance

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(7)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVBENCH_CACHE_DIR", str(tmp_path))
    _auto.clear_memory()
    yield tmp_path
    _auto.clear_memory()


def conv_case(dtype, n=2, c=3, hw=9, k=4):
    return (rng.standard_normal((n, c, hw, hw)).astype(dtype),
            rng.standard_normal((k, c, 3, 3)).astype(dtype),
            rng.standard_normal(k).astype(dtype))


def read_cache(path):
    with open(path / _autocache.FILE_NAME) as f:
        return json.load(f)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_auto_agrees_with_torch(cache, dtype):
    x, w, b = conv_case(dtype)
    y = kernels.conv2d(x, w, b, stride=2, padding=1)
    assert y.dtype == dtype
    tol = max(tolerance(a, dtype) for a in kernels.conv2d.algos())
    assert rel_err(y, reference.conv2d(x, w, b, stride=2, padding=1)) < tol
    gy = rng.standard_normal(y.shape).astype(dtype)
    grads = kernels.conv2d.backward(gy, x, w, b, stride=2, padding=1)
    for g, r in zip(grads, reference.grad("conv2d", gy, x, w, b, stride=2, padding=1)):
        assert rel_err(g, r) < tol


def test_choice_is_timed_once_and_written(cache):
    x, w, b = conv_case(np.float32, hw=10)
    before = len(_auto.timed_keys)
    kernels.conv2d(x, w, b, padding=1)
    kernels.conv2d(x, w, b, padding=1)
    assert len(_auto.timed_keys) == before + 1, "the second call must reuse the choice"
    key = _auto.timed_keys[-1]
    data = read_cache(cache)
    entry = data["contexts"][_autocache.context()]
    assert entry["choices"][key]["algo"] == kernels.conv2d.choose(x.shape, w.shape, b.shape,
                                                                  dtype=np.float32, padding=1)
    times = entry["choices"][key]["times"]
    assert set(times) <= set(kernels.conv2d.algos()) and len(times) >= 2
    assert "naive" not in times, "slow algorithms are not timed when others exist"
    assert len(_auto.timed_keys) == before + 1, "choose() reads the cache"


def test_key_names_machine_and_versions(cache):
    import numba
    x, w, b = conv_case(np.float64, hw=7)
    kernels.conv1d(x[:, :, 0], w[:, :, 0], b)
    entry = read_cache(cache)["contexts"][_autocache.context()]
    m = entry["machine"]
    assert m["numpy"] == np.__version__ and m["numba"] == numba.__version__
    assert m["cores"] == os.cpu_count() and m["cpu"] and m["convbench"] != "unknown"
    ctx = _autocache.context()
    for part in (f"numpy={np.__version__}", f"numba={numba.__version__}", f"cores={os.cpu_count()}",
                 f"cpu={m['cpu']}", f"convbench={m['convbench']}"):
        assert part in ctx
    (key,) = entry["choices"]
    assert key.startswith("conv1d|forward|threads=") and "dtype=float64" in key


def test_backward_chooses_separately(cache):
    x, w, b = conv_case(np.float64, hw=8)
    shapes = (x.shape, w.shape, b.shape)
    fwd = kernels.conv2d.choose(*shapes, dtype=np.float64)
    bwd = kernels.conv2d.choose(*shapes, dtype=np.float64, direction="backward")
    choices = read_cache(cache)["contexts"][_autocache.context()]["choices"]
    directions = sorted(k.split("|")[1] for k in choices)
    assert directions == ["backward", "forward"]
    assert {fwd, bwd} <= set(kernels.conv2d.algos())


def test_choice_from_another_machine_is_not_reused(cache):
    x, w, b = conv_case(np.float64, hw=11)
    kernels.conv2d(x, w, b)
    key = _auto.timed_keys[-1]
    data = read_cache(cache)
    data["contexts"] = {"cpu=elsewhere|cores=64": {"choices": {key: {"algo": "naive"}}}}
    (cache / _autocache.FILE_NAME).write_text(json.dumps(data))
    _auto.clear_memory()
    before = len(_auto.timed_keys)
    assert kernels.conv2d.choose(x.shape, w.shape, b.shape, dtype=np.float64) != "naive"
    assert len(_auto.timed_keys) == before + 1, "another context's choice must be re-timed"
    assert set(read_cache(cache)["contexts"]) == {"cpu=elsewhere|cores=64", _autocache.context()}


def test_corrupt_cache_warns_and_recovers(cache):
    (cache / _autocache.FILE_NAME).write_text("{ not json")
    x, w, b = conv_case(np.float32, hw=6)
    with pytest.warns(UserWarning, match="unreadable cache"):
        y = kernels.conv2d(x, w, b)
    assert rel_err(y, reference.conv2d(x, w, b)) < 1e-4
    assert _autocache.context() in read_cache(cache)["contexts"], "a valid file replaces the corrupt one"


@pytest.mark.parametrize("content", ['{"format": 1, "contexts": []}', "[1, 2]", "\x00\xff"])
def test_wrong_structure_warns(cache, content):
    (cache / _autocache.FILE_NAME).write_text(content, errors="surrogateescape")
    x, w, b = conv_case(np.float64, hw=5)
    with pytest.warns(UserWarning, match="cache"):
        kernels.conv2d(x, w, b)


def test_unwritable_cache_warns_and_runs(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CONVBENCH_CACHE_DIR", str(blocker / "cache"))  # a directory under a file
    x, w, b = conv_case(np.float64, hw=7, k=3)
    with pytest.warns(UserWarning, match="cannot write the cache"):
        y = kernels.conv2d(x, w, b)
    assert rel_err(y, reference.conv2d(x, w, b)) < 1e-9
    before = len(_auto.timed_keys)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kernels.conv2d(x, w, b)  # kept in memory: no second timing, no second warning
    assert len(_auto.timed_keys) == before


def test_inaccurate_candidate_is_rejected(cache, monkeypatch):
    fake = Algorithm("fft", ops=())  # registered for no op; put in conv1d's table below
    im2col = ALGORITHMS["conv1d"]["im2col"]
    fake.forward(lambda x, w, b, p: im2col.run_forward([x, w, b], p) * 1.01)
    monkeypatch.setitem(ALGORITHMS["conv1d"], "fft", fake)
    x, w, b = conv_case(np.float32, hw=9)
    algo = kernels.conv1d.choose(x[:, :, 0].shape, w[:, :, 0].shape, b.shape, dtype=np.float32)
    assert algo != "fft"
    assert "fft" in _auto.last_timings[_auto.timed_keys[-1]]["rejected"]


def test_merge_keeps_other_writers_entries(cache):
    x, w, b = conv_case(np.float64, hw=6)
    kernels.conv2d(x, w, b)
    data = read_cache(cache)
    data["contexts"][_autocache.context()]["choices"]["other-process-key"] = {"algo": "im2col"}
    (cache / _autocache.FILE_NAME).write_text(json.dumps(data))
    kernels.conv2d(x, w, b, padding=1)  # a new key: read, merge, replace
    choices = read_cache(cache)["contexts"][_autocache.context()]["choices"]
    assert "other-process-key" in choices and len(choices) == 3
    left = set(os.listdir(cache)) - {_autocache.FILE_NAME, _autocache.FILE_NAME + ".lock"}
    assert not left, f"no temporary file left: {left}"


SCRIPT = textwrap.dedent("""
    import json, time
    import numpy as np
    import kernels
    from kernels import _auto
    rng = np.random.default_rng(0)
    for algo in kernels.conv2d.algos():  # load the JIT code in both processes alike
        if algo != "naive" and kernels.conv2d.supports(algo, (1, 1, 3, 3), (1, 1, 1, 1)):
            kernels.conv2d(np.ones((1, 1, 3, 3), np.float32), np.ones((1, 1, 1, 1), np.float32),
                           algo=algo)
    x = rng.standard_normal((8, 32, 32, 32)).astype(np.float32)
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    t0 = time.perf_counter()
    kernels.conv2d(x, w, padding=1)
    first = time.perf_counter() - t0
    key = _auto.key_of(kernels.conv2d, kernels.conv2d._plan_from_shapes(
        (x.shape, w.shape), np.float32, {"padding": 1}), "forward")
    print(json.dumps({"first_s": first, "timed": _auto.timed_keys, "key": key}))
""")


def run_process(cache_dir):
    env = dict(os.environ, CONVBENCH_CACHE_DIR=str(cache_dir), PYTHONPATH=REPO)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_reuses_the_choice(tmp_path):
    first = run_process(tmp_path)
    assert first["timed"] == [first["key"]], "the first process times the new case"
    second = run_process(tmp_path)
    assert second["timed"] == [], "the second process must reuse the cached choice"
    assert second["first_s"] < first["first_s"], (second, first)


def test_session_does_not_write_to_the_home_cache():
    assert os.environ["CONVBENCH_CACHE_DIR"] != os.path.expanduser("~/.cache/convbench")
    assert "convbench-test-cache-" in os.environ["CONVBENCH_CACHE_DIR"]


def test_resolve_without_shapes_warns_and_does_not_cache(cache):
    x, w, b = conv_case(np.float64, hw=5)
    plan = kernels.conv2d._plan_from_shapes((x.shape, w.shape, b.shape), np.float64, {})
    with pytest.warns(UserWarning, match="nothing was timed"):
        algo = kernels.conv2d.resolve("auto", plan, "forward")
    assert algo.name in kernels.conv2d.algos()
    assert not (cache / _autocache.FILE_NAME).exists()


def test_volatile_seed_is_not_part_of_the_key():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Plan:
        out_shape: tuple
        dtype: np.dtype
        p: float
        seed: int

    class FakeOp:
        name = "dropout"
    k1 = _auto.key_of(FakeOp, Plan((2, 3), np.dtype(np.float32), 0.5, 1), "forward")
    k2 = _auto.key_of(FakeOp, Plan((2, 3), np.dtype(np.float32), 0.5, 2), "forward")
    assert k1 == k2 and "seed" not in k1 and "p=0.5" in k1 and "dtype=float32" in k1


WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import kernels
    for hw in range(5, 5 + int(sys.argv[2])):
        kernels.conv2d.choose((1, 2, hw, hw), (2, 2, 3, 3), dtype=np.float64, padding=int(sys.argv[1]))
""")


def test_concurrent_writers_lose_nothing(tmp_path):
    env = dict(os.environ, CONVBENCH_CACHE_DIR=str(tmp_path), PYTHONPATH=REPO)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(pad), "4"], env=env, cwd=REPO)
             for pad in (0, 1)]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    choices = read_cache(tmp_path)["contexts"][_autocache.context()]["choices"]
    assert len(choices) == 8


def _every_op():
    from kernels import SLOW_MACS
    from tests.cases import load
    for op_name, cases in sorted(load().items()):
        op = kernels.OPS[op_name]
        for case in cases:
            if op.supports("auto", *case.shapes, **case.params) and (
                    any(not a.slow for a in op.registered().values())
                    or op.cost(*case.shapes, **case.params)["macs"] <= SLOW_MACS):
                for dt in (np.float32, np.float64):
                    yield pytest.param(op_name, case, dt, id=f"{op_name}-{case.id}-{np.dtype(dt).name}")
                break


@pytest.mark.parametrize("op_name,case,dtype", list(_every_op()))
def test_auto_agrees_with_torch_on_every_op(cache, op_name, case, dtype):
    """The first case of every op, forward and every gradient, through algo='auto', held to
    the loosest tolerance among the op's algorithms."""
    from tests.helpers import check_op
    tol = max(tolerance(a, dtype) for a in kernels.OPS[op_name].algos())
    check_op(op_name, "auto", case, dtype, tol=tol)


def test_simulated_cuda_is_not_timed(monkeypatch):
    from numba import config
    cuda = Algorithm("cuda", ops=())
    monkeypatch.setattr(config, "ENABLE_CUDASIM", 1)
    assert _auto._slow(cuda)
    monkeypatch.setattr(config, "ENABLE_CUDASIM", 0)
    assert not _auto._slow(cuda)
    assert _auto._slow(ALGORITHMS["conv2d"]["naive"])

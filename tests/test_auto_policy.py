"""algo="auto" for a library user: interleaved rounds and medians, the runner-up, ties settled
by trust, pruning by the cost model, CONVBENCH_AUTO, re-tuning, tuning ahead of time, the
report.  Timings are patched (``_auto._time``) wherever a test needs a particular winner, and
the ops' tables are cut down to NumPy algorithms so that nothing is compiled."""
import json

import numpy as np
import pytest

import kernels
from kernels import _auto, _autocache, auto
from kernels._registry import ALGORITHMS, Algorithm

X = (2, 3, 4, 5)  # relu's input shape in these tests
LIMITS = {"float32": (1e-4, "float32 rounding"), "float64": (1e-9, "float64 rounding")}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONVBENCH_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CONVBENCH_AUTO", raising=False)
    _auto.clear_memory()
    yield tmp_path
    _auto.clear_memory()


def like(base, name, trust, **declared):
    """An algorithm named ``name`` computing what ``base`` computes, for no op yet."""
    algo = Algorithm(name, ops=(), trust=trust, tolerance=LIMITS, **declared)
    algo.forward(lambda *a: base.run_forward(list(a[:-1]), a[-1]))
    algo.backward(lambda gy, *a: base.run_backward(gy, list(a[:-1]), a[-1]))
    return algo


@pytest.fixture
def relu_table(cache, monkeypatch):
    """relu computed by numpy (trust 10) and by 'steady' (trust 35), both plain NumPy."""
    numpy = ALGORITHMS["relu"]["numpy"]
    steady = like(numpy, "steady", 35)
    monkeypatch.setitem(ALGORITHMS, "relu", {"numpy": numpy, "steady": steady})
    yield
    steady.unregister()


def patch_times(monkeypatch, table):
    """Each timed run of algorithm ``name`` takes the next of ``table[name]`` (cycled);
    returns the list of names in the order they were timed."""
    order = []

    def timed(run, algo, inputs, plan, best=np.inf):
        seq = table.get(algo.name, [1e-3])
        order.append(algo.name)
        return seq[(order.count(algo.name) - 1) % len(seq)]
    monkeypatch.setattr(_auto, "_time", timed)
    return order


def relu_choice(shape=X, direction="forward"):
    return kernels.relu.choose(shape, dtype=np.float64, direction=direction)


def stored(cache):
    with open(cache / _autocache.FILE_NAME) as f:
        return json.load(f)["contexts"][_autocache.context()]["choices"]


def test_interleaved_rounds_and_the_median_win(relu_table, cache, monkeypatch):
    # numpy is bimodal: its fastest runs beat steady's, its median is 3x steady's
    order = patch_times(monkeypatch, {"numpy": [3e-3, 0.5e-3, 3e-3], "steady": [1e-3]})
    assert relu_choice() == "steady"
    record = _auto.last_timings[_auto.timed_keys[-1]]
    assert len(record["runs"]["numpy"]) == len(record["runs"]["steady"]) == _auto.ROUNDS
    assert order[:4] == ["numpy", "steady", "steady", "numpy"], "rotated, most trusted first"
    assert record["runner_up"] == "numpy" and record["ratio"] == pytest.approx(3.0)
    assert record["times"] == {"numpy": 3e-3, "steady": 1e-3} and not record["tie"]
    on_disk = stored(cache)[_auto.timed_keys[-1]]
    assert on_disk["algo"] == "steady" and on_disk["runner_up"] == "numpy"
    assert on_disk["runs"]["numpy"] == [3e-3, 0.5e-3, 3e-3, 3e-3, 0.5e-3]


def test_a_tie_goes_to_the_more_trusted(relu_table, monkeypatch):
    patch_times(monkeypatch, {"numpy": [1.02e-3], "steady": [1.0e-3]})  # steady 2% faster
    assert relu_choice() == "numpy"
    record = _auto.last_timings[_auto.timed_keys[-1]]
    assert record["tie"] and record["runner_up"] == "steady"
    assert record["ratio"] == pytest.approx(1.0 / 1.02, rel=1e-3)


def test_overlapping_runs_are_a_tie(relu_table, monkeypatch):
    # medians 1.2 and 1.1, each inside the other's runs (1.0 .. 1.3, 0.95 .. 1.25): noise
    patch_times(monkeypatch, {"numpy": [1.25e-3, 1.0e-3, 1.3e-3, 1.05e-3, 1.2e-3],
                              "steady": [1.1e-3, 1.25e-3, 0.95e-3, 1.15e-3, 1.0e-3]})
    assert relu_choice() == "numpy"
    assert _auto.last_timings[_auto.timed_keys[-1]]["tie"]


@pytest.mark.parametrize("slow,runs", [(20e-3, 1), (5e-3, 2)])
def test_clearly_slower_is_dropped_early(relu_table, monkeypatch, slow, runs):
    """10x slower after one run, or 3x after two: no more runs of it."""
    patch_times(monkeypatch, {"numpy": [slow], "steady": [1e-3]})
    assert relu_choice() == "steady"
    record = _auto.last_timings[_auto.timed_keys[-1]]
    assert len(record["runs"]["numpy"]) == runs and "clearly slower" in record["dropped"]["numpy"]
    assert record["runner_up"] == "numpy"


def test_the_budget_stops_after_the_least_rounds(relu_table, monkeypatch):
    patch_times(monkeypatch, {"numpy": [0.3], "steady": [0.31]})
    relu_choice()
    record = _auto.last_timings[_auto.timed_keys[-1]]
    assert [len(r) for r in record["runs"].values()] == [_auto.MIN_ROUNDS] * 2


def test_record_has_tuning_time_load_and_warmups(relu_table, cache, monkeypatch):
    patch_times(monkeypatch, {"numpy": [1e-3], "steady": [2e-3]})
    relu_choice()
    key = _auto.timed_keys[-1]
    for record in (_auto.last_timings[key], stored(cache)[key]):
        assert record["seconds"] > 0 and set(record["warmup"]) == {"numpy", "steady"}
        assert record["load"] is None or record["load"] >= 0
        assert record["errors"]["steady"] == 0.0 and record["reference"] == "numpy"


def test_runner_up_serves_when_the_choice_is_gone(relu_table, cache, monkeypatch):
    patch_times(monkeypatch, {"numpy": [2e-3], "steady": [1e-3]})
    assert relu_choice() == "steady"
    key = _auto.timed_keys[-1]
    data = json.loads((cache / _autocache.FILE_NAME).read_text())
    data["contexts"][_autocache.context()]["choices"][key]["algo"] = "retired"
    (cache / _autocache.FILE_NAME).write_text(json.dumps(data))
    _auto.clear_memory()
    before = len(_auto.timed_keys)
    assert relu_choice() == "numpy" and len(_auto.timed_keys) == before


# ---- pruning by the cost model --------------------------------------------------------------
def conv_plan(n, c, k, hw, r, stride=1):
    return kernels.conv2d.plan_for(((n, c, hw, hw), (k, c, r, r), None), np.float32,
                                   dict(stride=stride, padding=r // 2))


def test_one_winograd_variant_is_timed():
    plan = conv_plan(1, 64, 64, 16, 3)
    names = kernels.conv2d.candidates(plan)
    kept, pruned = auto.prune(kernels.conv2d, plan, names)
    variants = [n for n in names if n.startswith("winograd")]
    assert len(variants) == 4 and len([n for n in kept if n.startswith("winograd")]) == 1
    assert all("variant of winograd" in pruned[n] for n in variants if n not in kept)
    assert {"im2col", "numba"} <= set(kept)


def test_the_model_follows_the_tile_waste():
    """A 2x2 output fills one F(2) tile; F(4) and F(6) tiles would be mostly padding."""
    kept, pruned = auto.prune(kernels.conv2d, conv_plan(1, 512, 512, 2, 3),
                              kernels.conv2d.candidates(conv_plan(1, 512, 512, 2, 3)))
    assert "winograd_f2" in kept and "fft" in pruned and "cannot win" in pruned["fft"]


def test_fft_stays_for_large_kernels():
    plan = conv_plan(2, 16, 16, 64, 11)
    kept, _ = auto.prune(kernels.conv2d, plan, kernels.conv2d.candidates(plan))
    assert "fft" in kept and "im2col" in kept


@pytest.fixture
def conv1d_table(cache, monkeypatch):
    """conv1d by im2col and three im2col twins: two variants of one method (the second
    with twice the estimated work) and one whose estimate is 3x the direct method's."""
    im2col = ALGORITHMS["conv1d"]["im2col"]
    macs = lambda p: kernels.conv1d.cost_of(p)["macs"]  # noqa: E731
    twins = {"tile_a": like(im2col, "tile_a", 21, variant_of="tiles"),
             "tile_b": like(im2col, "tile_b", 22, variant_of="tiles"),
             "bloated": like(im2col, "bloated", 23)}
    twins["tile_a"].estimate(lambda p: macs(p) / 2)
    twins["tile_b"].estimate(macs)
    twins["bloated"].estimate(lambda p: 3 * macs(p))
    monkeypatch.setitem(ALGORITHMS, "conv1d", {"im2col": im2col, **twins})
    yield
    for a in twins.values():
        a.unregister()


def conv1d_choice():
    return kernels.conv1d.choose((2, 3, 9), (4, 3, 3), dtype=np.float64)


def test_pruned_candidates_are_not_run(conv1d_table, monkeypatch):
    order = patch_times(monkeypatch, {n: [1e-3] for n in ("im2col", "tile_a", "tile_b", "bloated")})
    conv1d_choice()
    record = _auto.last_timings[_auto.timed_keys[-1]]
    assert set(record["pruned"]) == {"tile_b", "bloated"} and set(order) == {"im2col", "tile_a"}
    assert "favours tile_a" in record["pruned"]["tile_b"]
    assert set(record["warmup"]) == {"im2col", "tile_a"}, "pruned candidates are never run"


def test_full_times_every_candidate(conv1d_table, monkeypatch):
    monkeypatch.setenv("CONVBENCH_AUTO", "full")
    order = patch_times(monkeypatch, {"im2col": [2e-3], "tile_a": [2e-3], "tile_b": [2e-3],
                                      "bloated": [1e-3]})
    assert conv1d_choice() == "bloated"
    assert set(order) == {"im2col", "tile_a", "tile_b", "bloated"}
    assert _auto.last_timings[_auto.timed_keys[-1]]["pruned"] == {}


# ---- CONVBENCH_AUTO ---------------------------------------------------------------------------
def test_retune_times_stored_cases_again_once_per_process(relu_table, cache, monkeypatch):
    patch_times(monkeypatch, {"numpy": [2e-3], "steady": [1e-3]})
    assert relu_choice() == "steady"
    _auto.clear_memory()  # as a new process would start
    monkeypatch.setenv("CONVBENCH_AUTO", "retune")
    patch_times(monkeypatch, {"numpy": [1e-3], "steady": [2e-3]})
    before = len(_auto.timed_keys)
    assert relu_choice() == "numpy" and len(_auto.timed_keys) == before + 1
    assert relu_choice() == "numpy" and len(_auto.timed_keys) == before + 1, "once per process"
    assert stored(cache)[_auto.timed_keys[-1]]["algo"] == "numpy", "the new choice replaces the old"


def test_cached_never_times(relu_table, cache, monkeypatch):
    monkeypatch.setenv("CONVBENCH_AUTO", "cached")
    before = len(_auto.timed_keys)
    assert relu_choice() == "numpy", "the most trusted candidate"
    assert len(_auto.timed_keys) == before and not (cache / _autocache.FILE_NAME).exists()
    y = kernels.relu(np.linspace(-1, 1, 7))
    assert np.array_equal(y, np.maximum(np.linspace(-1, 1, 7), 0))
    monkeypatch.delenv("CONVBENCH_AUTO")
    patch_times(monkeypatch, {"numpy": [2e-3], "steady": [1e-3]})
    assert relu_choice() == "steady"
    monkeypatch.setenv("CONVBENCH_AUTO", "cached")
    assert relu_choice() == "steady", "a stored choice is used"


@pytest.mark.parametrize("value", ["bogus", "retune,cached", "full;retune"])
def test_a_bad_policy_is_refused(relu_table, monkeypatch, value):
    monkeypatch.setenv("CONVBENCH_AUTO", value)
    with pytest.raises(ValueError, match="CONVBENCH_AUTO"):
        kernels.relu(np.ones(3) - 2)


def test_policy_words(monkeypatch):
    monkeypatch.setenv("CONVBENCH_AUTO", " Retune , full,on ")
    assert auto.mode() == {"retune", "full"}
    monkeypatch.setenv("CONVBENCH_AUTO", "on")
    assert auto.mode() == frozenset()


# ---- re-tuning, tuning ahead of time, the report --------------------------------------------
def test_retune_forgets_one_ops_choices(relu_table, conv1d_table, cache, monkeypatch):
    patch_times(monkeypatch, {"numpy": [2e-3], "steady": [1e-3]})
    relu_choice()
    relu_choice(direction="backward")
    kernels.conv1d.choose((1, 2, 6), (2, 2, 3), dtype=np.float64)
    assert len(stored(cache)) == 3
    gone = auto.retune(kernels.relu)
    assert len(gone) == 2 and all(k.startswith("relu|") for k in gone)
    assert [k.split("|")[0] for k in stored(cache)] == ["conv1d"]
    before = len(_auto.timed_keys)
    relu_choice()
    assert len(_auto.timed_keys) == before + 1, "a forgotten case is timed again"
    with pytest.raises(TypeError, match="op"):
        auto.retune(3)


def test_retune_what_was_tuned_under_load(relu_table, cache, monkeypatch):
    patch_times(monkeypatch, {"numpy": [2e-3], "steady": [1e-3]})
    monkeypatch.setattr(_auto, "load", lambda: 0.5)
    relu_choice()
    monkeypatch.setattr(_auto, "load", lambda: 9.0)
    relu_choice(direction="backward")
    (gone,) = auto.retune(loaded_above=2.0)
    assert gone.startswith("relu|backward|") and len(stored(cache)) == 1


def test_tune_ahead_of_time(relu_table, monkeypatch):
    patch_times(monkeypatch, {"numpy": [2e-3], "steady": [1e-3]})
    x, gy = np.linspace(-1, 1, 12).reshape(3, 4), np.ones((3, 4))
    seen = []

    def step():
        before = len(_auto.timed_keys)
        kernels.relu(x)
        kernels.relu.backward(gy, x)
        kernels.relu(x)
        seen.append(len(_auto.timed_keys) - before)

    records = auto.tune(step)
    assert seen == [0], "nothing is timed while the function runs"
    assert [r["key"].split("|")[1] for r in records] == ["forward", "backward"]
    assert all(r["timed"] and r["seconds"] > 0 and r["algo"] == "steady" for r in records)
    assert all(not r["timed"] and r["seconds"] == 0 for r in auto.tune(step)), "stored: not again"
    assert all(r["timed"] for r in auto.tune(step, retune=True))
    assert "relu" in auto.report(records) and "2 cases" in auto.report(records)


def test_recording_and_tune_calls(relu_table, monkeypatch):
    patch_times(monkeypatch, {"numpy": [1e-3], "steady": [2e-3]})
    with auto.recording() as calls:
        kernels.relu(np.ones(5) - 3)
        kernels.relu(np.ones(5) + 3)   # the same case
    (call,) = calls.values()
    assert call.op is kernels.relu and call.direction == "forward" and call.shapes == ((5,),)
    (record,) = auto.tune_calls(calls, retune=True)
    assert record["algo"] == "numpy" and record["timed"]


def test_report_and_choices(relu_table, cache, monkeypatch):
    patch_times(monkeypatch, {"numpy": [3e-3], "steady": [1e-3]})
    relu_choice()
    (row,) = auto.choices("relu")
    assert row["op"] == "relu" and row["direction"] == "forward" and row["algo"] == "steady"
    assert row["runner_up"] == "numpy" and row["ratio"] == pytest.approx(3.0)
    text = auto.report()
    assert "steady" in text and "numpy" in text and "3.00" in text and "1 cases" in text
    assert auto.choices("conv2d") == []


def test_report_of_given_rows():
    rows = [{"key": "relu|forward|threads=1|kind='relu'", "algo": "a", "runner_up": "b",
             "ratio": 2.0, "tie": False, "seconds": 3.0, "warmup": {"a": 1.25, "b": 0.5},
             "load": 0.5},
            {"key": "relu|backward|threads=1|kind='relu'", "algo": "a", "timed": False,
             "seconds": 0.0, "warmup": {"a": 9.0}}]  # read from the cache: nothing spent now
    lines = auto.report(rows).splitlines()
    assert lines[1].split()[:8] == ["relu", "forward", "a", "b", "2.00", "3.00", "1.75", "0.5"]
    assert lines[2].split()[:7] == ["relu", "backward", "a", "-", "-", "0.00", "0.00"]
    assert lines[-1].startswith("2 cases, 3.0 s of tuning, of which 1.8 s of warm-up runs")

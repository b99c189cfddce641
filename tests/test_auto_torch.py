"""kernels.torch.tune: a converted model's auto cases (forward and backward) tuned ahead of
time, the model and torch left as they were.  The ops' tables are cut down to NumPy
algorithms (nothing is compiled) and timings are patched, so the winner is known."""
import pytest

torch = pytest.importorskip("torch")

import kernels.torch as kt  # noqa: E402
from kernels import _auto, auto  # noqa: E402
from kernels._registry import ALGORITHMS, Algorithm  # noqa: E402
from kernels.torch import nn as knn  # noqa: E402

LIMITS = {"float32": (1e-4, "float32 rounding"), "float64": (1e-9, "float64 rounding")}


@pytest.fixture
def tables(tmp_path, monkeypatch):
    """relu by numpy and 'steady' (steady timed faster), batch_norm and dropout by numpy
    alone (a single candidate: nothing to tune), an empty cache."""
    monkeypatch.setenv("CONVBENCH_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CONVBENCH_AUTO", raising=False)
    _auto.clear_memory()
    numpy = ALGORITHMS["relu"]["numpy"]
    steady = Algorithm("steady", ops=(), trust=35, tolerance=LIMITS)
    steady.forward(lambda *a: numpy.run_forward(list(a[:-1]), a[-1]))
    steady.backward(lambda gy, *a: numpy.run_backward(gy, list(a[:-1]), a[-1]))
    monkeypatch.setitem(ALGORITHMS, "relu", {"numpy": numpy, "steady": steady})
    for op in ("batch_norm", "dropout"):
        monkeypatch.setitem(ALGORITHMS, op, {"numpy": ALGORITHMS[op]["numpy"]})
    monkeypatch.setattr(_auto, "_time", lambda run, algo, *rest:
                        1e-3 if algo.name == "steady" else 3e-3)
    yield
    steady.unregister()
    _auto.clear_memory()


def model():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Dropout(0.5))
    return knn.convert(m).double().train()


def test_tune_a_training_step(tables):
    m, x = model(), torch.randn(6, 4, dtype=torch.float64)
    stats = [b.clone() for b in m.buffers()]
    rng = torch.random.get_rng_state()
    records = kt.tune(m, x)
    assert [r["key"].split("|")[:2] for r in records] == [["relu", "forward"], ["relu", "backward"]]
    assert all(r["timed"] and r["algo"] == "steady" and r["runner_up"] == "numpy"
               for r in records)
    assert "2 cases" in auto.report(records)
    assert all(torch.equal(a, b) for a, b in zip(m.buffers(), stats)), "running stats kept"
    assert torch.equal(torch.random.get_rng_state(), rng), "torch's random state kept"
    assert all(p.grad is None for p in m.parameters()), "nothing accumulated in .grad"

    before = len(_auto.timed_keys)
    m(x).sum().backward()
    assert len(_auto.timed_keys) == before, "the training step after tune times nothing"
    assert all(not r["timed"] for r in kt.tune(m, x)), "stored: not timed again"
    assert all(r["timed"] for r in kt.tune(m, x, retune=True))


def test_tune_forward_only(tables):
    m = model().eval()
    records = kt.tune(m, torch.randn(6, 4, dtype=torch.float64), backward=False)
    assert [r["key"].split("|")[:2] for r in records] == [["relu", "forward"]]


def test_tune_a_function_of_an_input_that_needs_its_gradient(tables):
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    records = kt.tune(lambda t: kt.relu(t) * 2, x)
    assert [r["key"].split("|")[1] for r in records] == ["forward", "backward"]
    assert x.grad is None


@pytest.mark.parametrize("bad, match", [
    (dict(model=3), "model must be callable"),
    (dict(backward="yes"), "backward must be a bool")])
def test_bad_arguments(tables, bad, match):
    args = {"model": torch.nn.Identity(), "backward": True, **bad}
    with pytest.raises(TypeError, match=match):
        kt.tune(args["model"], torch.zeros(1), backward=args["backward"])

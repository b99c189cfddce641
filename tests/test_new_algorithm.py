"""A new algorithm is one module: written here into a temporary folder and imported, it is
in ``algos()``, the registry tests, the harness and ``algo="auto"`` with no other file
edited, and ``unregister`` takes it out again.  Also: what a declaration must say."""
import importlib
import sys
import textwrap

import numpy as np
import pytest

import kernels
import reference
from harness import runner, timing
from harness.suites import Entry, Suite
from kernels import Algorithm, _auto
from kernels.tolerances import rel_err, table, tolerance
from tests import test_registry
from tests.helpers import check_op

SOURCE = textwrap.dedent('''
    """conv2d as one einsum over a sliding-window view of the padded input."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    from kernels import Algorithm

    einsum = Algorithm("einsum", ops=("conv2d",), trust=25, doc="one einsum over a window view",
                       tolerance={"float32": (1e-4, "float32 sums in einsum's order"),
                                  "float64": (1e-9, "float64 rounding only")})


    @einsum.supports
    def supports(p):
        return None if p.G == 1 and p.dilation == (1, 1) else "groups 1 and dilation 1 only"


    def windows(x, p):
        """(N, C, P, Q, R, S): the padded input under each kernel tap of each output."""
        xp = np.pad(x, ((0, 0), (0, 0), *zip(p.pad_lo, p.pad_hi)))
        (sh, sw), (P, Q) = p.stride, p.out
        return sliding_window_view(xp, p.kernel, axis=(2, 3))[:, :, ::sh, ::sw][:, :, :P, :Q]


    @einsum.forward
    def forward(x, w, b, p):
        y = np.einsum("ncpqrs,kcrs->nkpq", windows(x, p), w, optimize=True)
        return np.ascontiguousarray(y if b is None else y + b[:, None, None])


    @einsum.backward
    def backward(gy, x, w, b, p):
        (sh, sw), (P, Q), (R, S) = p.stride, p.out, p.kernel
        gw = np.einsum("nkpq,ncpqrs->kcrs", gy, windows(x, p), optimize=True)
        gxp = np.zeros((p.N, p.C, *p.padded), x.dtype)
        for r in range(R):
            for s in range(S):
                gxp[:, :, r:r + sh * (P - 1) + 1:sh, s:s + sw * (Q - 1) + 1:sw] += \\
                    np.einsum("nkpq,kc->ncpq", gy, w[:, :, r, s])
        (H, W), (ph, pw) = p.size, p.pad_lo
        gb = gy.sum(axis=(0, 2, 3)) if b is not None else None
        return np.ascontiguousarray(gxp[:, :, ph:ph + H, pw:pw + W]), gw, gb
''')
NAME = "convbench_test_einsum"


@pytest.fixture
def new_module(tmp_path, monkeypatch):
    """The module imported from a temporary folder; unregistered and forgotten after."""
    (tmp_path / f"{NAME}.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(NAME)
    yield module
    module.einsum.unregister()
    sys.modules.pop(NAME, None)


def test_the_new_algorithm_is_everywhere(new_module, tmp_path, monkeypatch):
    assert "einsum" in kernels.conv2d.algos()
    assert tolerance("einsum", np.float32) == 1e-4

    # the registry tests parametrise over it, and it passes them
    params = [p.values for p in test_registry._params() if p.values[1] == "einsum"]
    assert len(params) >= 4 and {p[0] for p in params} == {"conv2d"}
    for op_name, algo, case, dtype in params:
        check_op(op_name, algo, case, dtype)

    # the harness benchmarks it
    suite = Suite("tiny", "", [Entry("conv2d", "small", (("N", 2, 6, 6), (3, 2, 3, 3), (3,)),
                                     dict(padding=1, stride=2))])
    # (its module is outside kernels/: the harness's worker process imports it by name)
    config = runner.Config(algos=("einsum", "im2col"), progress=False, threads=1, gemm_n=64,
                           copy_mib=1, budget=timing.Budget(min_repeats=2, min_time=0.0, max_time=0.05),
                           preload=(NAME,))
    rows = {r["algo"]: r for r in runner.run(suite, str(tmp_path / "run"), config).rows}
    assert rows["einsum"]["status"] == "ok", rows["einsum"]
    assert rows["einsum"]["tolerance"] == 1e-4 and rows["einsum"]["fwd_rel_err"] < 1e-5

    # auto: a candidate, checked, timed, and chosen when it is the fastest
    monkeypatch.setenv("CONVBENCH_CACHE_DIR", str(tmp_path / "cache"))
    _auto.clear_memory()
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 2, 2))
    plan = kernels.conv2d.plan_for((x.shape, w.shape, None), np.float64, dict(stride=2))
    assert "einsum" in kernels.conv2d.candidates(plan)
    timed = _auto._time
    monkeypatch.setattr(_auto, "_time", lambda run, algo, *rest:
                        0.0 if algo.name == "einsum" else timed(run, algo, *rest))
    try:
        assert kernels.conv2d.choose(x.shape, w.shape, dtype=np.float64, stride=2) == "einsum"
        found = _auto.last_timings[_auto.timed_keys[-1]]
        assert found["errors"]["einsum"] < 1e-9 and "einsum" in found["times"]
        y = kernels.conv2d(x, w, stride=2)
        assert rel_err(y, reference.conv2d(x, w, stride=2)) < 1e-9
    finally:
        _auto.clear_memory()


def test_unregister_leaves_no_trace(tmp_path, monkeypatch):
    (tmp_path / f"{NAME}.py").write_text(SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    for _ in range(2):  # registered again after unregistering: nothing is left over
        module = importlib.import_module(NAME)
        assert "einsum" in kernels.conv2d.algos() and ("einsum", "float32") in table()
        module.einsum.unregister()
        module.einsum.unregister()  # a second call does nothing
        sys.modules.pop(NAME)
        assert "einsum" not in kernels.conv2d.registered()
        assert ("einsum", "float32") not in table()
    assert tolerance("numba", np.float32) == 1e-4  # the names declared once stay


LIMITS = {"float32": (1e-4, "reason"), "float64": (1e-9, "reason")}


@pytest.mark.parametrize("name", ["auto", "1x", "class", "has space", "", None])
def test_names_are_identifiers(name):
    with pytest.raises(ValueError, match="identifier"):
        Algorithm(name, ops=(), trust=1, tolerance=LIMITS)


def test_a_new_name_must_declare_its_accuracy():
    with pytest.raises(ValueError, match="no declared accuracy"):
        Algorithm("undeclared", ops=("conv2d",))
    assert "undeclared" not in kernels.conv2d.registered()


NUMBA = {dt: (1e-4 if dt == "float32" else 1e-9, reason) for dt, reason in
         (("float32", "float32 sums; fastmath contract/reassoc reorder them (FMA, vectorised "
                      "reductions), which does not grow the error bound"),
          ("float64", "float64; same reordering as float32"))}


@pytest.mark.parametrize("tol,trust", [(NUMBA | {"float32": (1e-3, "looser")}, 30), (NUMBA, 31)])
def test_conflicting_declarations_raise(tol, trust):
    with pytest.raises(ValueError, match="differ from the earlier declaration"):
        Algorithm("numba", ops=(), trust=trust, tolerance=tol)
    assert tolerance("numba", np.float32) == 1e-4


@pytest.mark.parametrize("tol,trust,error", [
    ({"float32": (1e-4, "only one dtype")}, 1, ValueError),
    ({"float32": (0.0, "zero"), "float64": (1e-9, "r")}, 1, ValueError),
    ({"float32": (1e-4, ""), "float64": (1e-9, "r")}, 1, ValueError),
    ({"float32": 1e-4, "float64": 1e-9}, 1, ValueError),
    (LIMITS, 1.5, TypeError),
    (LIMITS, None, TypeError),
    ([1e-4], 1, TypeError),
])
def test_declarations_are_checked(tol, trust, error):
    with pytest.raises(error):
        Algorithm("badly_declared", ops=(), trust=trust, tolerance=tol)
    assert ("badly_declared", "float32") not in table()


def test_one_declaration_serves_every_algorithm_of_a_name():
    again = Algorithm("numba", ops=(), trust=30, tolerance=NUMBA)  # agrees: accepted
    try:
        assert again.accuracy is kernels.conv2d.registered()["numba"].accuracy
        assert again.accuracy is kernels.relu.registered()["numba"].accuracy
    finally:
        again.unregister()
    assert ("numba", "float32") in table()

"""Normalisation ops beyond the registry-wide checks: running statistics updated in place
exactly as torch updates them, torch's signatures, cost, the streaming stores.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape)


def running(C):
    return rand(C), 0.5 + rng.random(C)


def _torch_stats(fn, x, rm, rv, **kw):
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    fn(torch.tensor(x), trm, trv, **kw)
    return trm.numpy(), trv.numpy()


@pytest.mark.parametrize("algo", kernels.batch_norm.algos())
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(6, 3, 4, 5), (5, 2, 7), (4, 3), (2, 2, 3, 2, 3)])
def test_batch_norm_running_statistics_equal_torchs(algo, dtype, shape):
    x = rand(*shape)
    rm, rv = running(shape[1])
    trm, trv = _torch_stats(F.batch_norm, x, rm, rv, training=True, momentum=0.3)
    rm32, rv32 = rm.astype(dtype), rv.astype(dtype)
    kernels.batch_norm(x.astype(dtype), rm32, rv32, training=True, momentum=0.3, algo=algo)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(rm32, trm, rtol=tol, atol=tol)
    np.testing.assert_allclose(rv32, trv, rtol=tol, atol=tol)


@pytest.mark.parametrize("algo", kernels.instance_norm.algos())
def test_instance_norm_running_statistics_equal_torchs(algo):
    x = rand(3, 4, 5, 6)
    rm, rv = running(4)
    trm, trv = _torch_stats(F.instance_norm, x, rm, rv, use_input_stats=True, momentum=0.2)
    kernels.instance_norm(x, rm, rv, use_input_stats=True, momentum=0.2, algo=algo)
    np.testing.assert_allclose(rm, trm, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rv, trv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algo", kernels.batch_norm.algos())
def test_running_statistics_reach_strided_views(algo):
    """A view's update must land in the caller's array, not in a contiguous copy."""
    x = rand(4, 3, 5)
    rm_big, rv_big = rand(6), 0.5 + rng.random(6)
    trm, trv = _torch_stats(F.batch_norm, x, rm_big[::2].copy(), rv_big[::2].copy(), training=True)
    kernels.batch_norm(x, rm_big[::2], rv_big[::2], training=True, algo=algo)
    np.testing.assert_allclose(rm_big[::2], trm, rtol=1e-12)
    np.testing.assert_allclose(rv_big[::2], trv, rtol=1e-12)


@pytest.mark.parametrize("algo", kernels.batch_norm.algos())
def test_eval_and_backward_leave_running_statistics_alone(algo):
    x, gy = rand(4, 3, 5), rand(4, 3, 5)
    rm, rv = running(3)
    before = rm.copy(), rv.copy()
    kernels.batch_norm(x, rm, rv, training=False, algo=algo)
    kernels.batch_norm.backward(gy, x, rm, rv, training=True, algo=algo)
    np.testing.assert_array_equal(rm, before[0])
    np.testing.assert_array_equal(rv, before[1])


@pytest.mark.parametrize("algo", kernels.batch_norm.algos())
@pytest.mark.parametrize("momentum", [-0.5, 1.5, 2, True, float("nan")])
def test_any_momentum_torch_takes_updates_as_torch(algo, momentum):
    x = rand(4, 3, 5)
    rm, rv = running(3)
    trm, trv = _torch_stats(F.batch_norm, x, rm, rv, training=True, momentum=momentum)
    kernels.batch_norm(x, rm, rv, training=True, momentum=momentum, algo=algo)
    np.testing.assert_allclose(rm, trm, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rv, trv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(0, 3, 4), (2, 3, 0), (0, 3)])
def test_empty_batch_norm_leaves_running_statistics_alone(shape):
    x = rand(*shape)
    rm, rv = running(3)
    trm, trv = _torch_stats(F.batch_norm, x, rm, rv, training=True)
    np.testing.assert_array_equal(trm, rm)   # torch's behaviour, recorded
    for algo in kernels.batch_norm.algos():
        y = kernels.batch_norm(x, rm, rv, training=True, algo=algo)
        assert y.shape == shape
        np.testing.assert_array_equal(rm, trm)
        np.testing.assert_array_equal(rv, trv)


def test_instance_norm_of_no_instances_sets_running_statistics_to_nan_as_torch():
    x = rand(0, 3, 4)
    rm, rv = running(3)
    trm, trv = _torch_stats(F.instance_norm, x, rm, rv, use_input_stats=True)
    assert np.isnan(trm).all() and np.isnan(trv).all()
    kernels.instance_norm(x, rm, rv)
    assert np.isnan(rm).all() and np.isnan(rv).all()
    rm, rv = running(3)   # eval, or spatial size 0: untouched, as in torch
    before = rm.copy()
    kernels.instance_norm(x, rm, rv, use_input_stats=False)
    kernels.instance_norm(rand(2, 3, 0), rm, rv)
    np.testing.assert_array_equal(rm, before)


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("op_name", ["batch_norm", "instance_norm"])
@pytest.mark.parametrize("how", ["read-only", "broadcast", "torch", "list"])
def test_running_statistics_that_cannot_be_updated_are_refused_first(op_name, how, monkeypatch):
    """Before any algorithm runs (they would compute, then fail to write back): a running
    statistic updated in place must be a writeable NumPy array with its own elements."""
    from kernels._registry import ALGORITHMS
    for algo in ALGORITHMS[op_name].values():
        monkeypatch.setattr(algo, "_forward", lambda *a: pytest.fail("an algorithm ran"))
    op, x = getattr(kernels, op_name), rand(4, 3, 5)
    rm, rv = running(3)
    make = {"read-only": _readonly,
            "broadcast": lambda a: np.lib.stride_tricks.as_strided(a[:1], a.shape, (0,)),
            "torch": torch.tensor, "list": lambda a: a.tolist()}[how]
    train = {"training": True} if op_name == "batch_norm" else {}
    for name, args in (("running_mean", (make(rm), rv)), ("running_var", (rm, make(rv)))):
        error = ValueError if how in ("read-only", "broadcast") else TypeError
        with pytest.raises(error, match=name) as info:
            op(x, *args, **train)
        if how == "torch":
            assert ".numpy()" in str(info.value)


def test_read_only_running_statistics_are_fine_where_nothing_is_written():
    x, (rm, rv) = rand(4, 3, 5), running(3)
    y = kernels.batch_norm(x, _readonly(rm), _readonly(rv), training=False, algo="numpy")
    np.testing.assert_allclose(y, F.batch_norm(torch.tensor(x), torch.tensor(rm), torch.tensor(rv)).numpy(),
                               rtol=1e-12, atol=1e-12)


def test_signatures_follow_torch():
    for name in ("batch_norm", "instance_norm", "group_norm", "layer_norm", "local_response_norm"):
        ours = list(inspect.signature(getattr(kernels, name)).parameters.items())
        theirs = list(inspect.signature(getattr(F, name)).parameters.items())
        assert [(k, v.default) for k, v in ours] == [(k, v.default) for k, v in theirs], name


def test_torch_order_and_keyword_order_agree():
    x, w, b = rand(2, 4, 3), rand(4), rand(4)
    for algo in kernels.group_norm.algos():
        np.testing.assert_array_equal(
            kernels.group_norm(x, 2, w, b, algo=algo),
            kernels.group_norm(**kernels.group_norm.named([x, w, b]), num_groups=2, algo=algo))
    np.testing.assert_allclose(kernels.layer_norm(x, (4, 3), algo="numpy"),
                               F.layer_norm(torch.tensor(x), (4, 3)).numpy(), atol=1e-12)


def test_cost_counts():
    c = kernels.batch_norm.cost((8, 64, 112, 112), (64,), (64,), (64,), (64,), training=True)
    n = 8 * 64 * 112 * 112
    assert c["params"] == 128 and c["macs"] == 3 * n and c["flops"] == 6 * n
    assert c["bytes"] == (2 * n + 128 + 4 * 64) * 4
    assert kernels.batch_norm.cost((2, 3, 4), (3,), (3,))["macs"] == 24
    assert kernels.layer_norm.cost((2, 3, 4), (3, 4), (3, 4), (3, 4))["params"] == 24  # torch order
    assert kernels.weight_norm.cost((6, 3, 3, 3), (6, 1, 1, 1))["params"] == 168
    assert kernels.local_response_norm.cost((1, 4, 2, 2), size=3)["macs"] == 16 * 5


@pytest.mark.parametrize("op_name", ["batch_norm", "instance_norm", "group_norm", "layer_norm"])
def test_streaming_stores_give_the_same_result(op_name, monkeypatch):
    """The numba forward writes large outputs with non-temporal stores (an aligned vector
    body between scalar head and tail); with the size threshold at 0 every registry case
    of the op runs through that path, in both dtypes, and must still match torch."""
    from kernels.norm import numba as norm_numba
    from tests.cases import load
    from tests.helpers import check_op

    monkeypatch.setattr(norm_numba, "STREAM_BYTES", 0)
    for case in load()[op_name]:
        for dtype in (np.float32, np.float64):
            check_op(op_name, "numba", case, dtype)

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

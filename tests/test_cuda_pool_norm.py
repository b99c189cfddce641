"""The cuda algorithm's pooling, normalisation and deformable-convolution kernels: torch's
answers in float64 with several blocks per launch (and several reduction levels),
running statistics as torch updates them, and device arrays in and out.

Runs under Numba's CUDA simulator (tests/conftest.py) unless CONVBENCH_REAL_GPU=1.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numba import cuda

import kernels
import reference
from kernels import _arrays, _cuda
from kernels.norm import cuda as norm_cuda
from kernels.tolerances import rel_err, tolerance
from tests.cases import Case
from tests.helpers import check_op

pytestmark = pytest.mark.skipif(not _cuda.available(), reason="no GPU and no simulator")


@pytest.fixture(autouse=True)
def few_threads(monkeypatch):
    """8 threads per block, reductions split as finely as they go: every case below spans
    several blocks, and each norm block reduces with a multi-level tree."""
    monkeypatch.setattr(_cuda, "TPB", 8)
    monkeypatch.setattr(_cuda, "REDUCE_THREADS", 1 << 20)


C3 = (3,)
CASES = [
    ("max_pool1d", Case("pad-dil-ceil-idx", ((2, 2, 10),),
                        dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True,
                             return_indices=True))),
    ("max_pool2d", Case("3x3s2p1", ((1, 2, 7, 7),), dict(kernel_size=3, stride=2, padding=1))),
    ("max_pool2d", Case("rect-ceil-idx", ((1, 2, 7, 8),),
                        dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True,
                             return_indices=True))),
    ("max_pool2d", Case("ties-idx", ((1, 1, 5, 5),), dict(kernel_size=3, stride=1, return_indices=True),
                        make=lambda rng: [np.round(rng.standard_normal((1, 1, 5, 5)))])),
    ("max_pool3d", Case("pad-ceil-dil-idx", ((1, 2, 4, 5, 5),),
                        dict(kernel_size=(2, 3, 3), stride=2, padding=(1, 1, 0), dilation=(1, 1, 2),
                             ceil_mode=True, return_indices=True))),
    ("avg_pool1d", Case("exclude-ceil", ((2, 2, 10),),
                        dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                             count_include_pad=False))),
    ("avg_pool2d", Case("include-ceil", ((1, 2, 8, 7),),
                        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True))),
    ("avg_pool2d", Case("divisor-override", ((1, 2, 7, 7),),
                        dict(kernel_size=3, stride=2, padding=1, divisor_override=5))),
    ("avg_pool3d", Case("exclude-ceil", ((1, 2, 5, 5, 4),),
                        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                             count_include_pad=False))),
    ("batch_norm", Case("train-2d", ((3, 3, 4, 5), C3, C3, C3, C3), dict(training=True))),
    ("batch_norm", Case("train-bare-1d", ((4, 2, 5), None, None, None, None), dict(training=True))),
    ("batch_norm", Case("eval-2d", ((2, 3, 3, 4), C3, C3, C3, C3), dict(eps=1e-3))),
    ("group_norm", Case("2-groups", ((2, 4, 3, 3), (4,), (4,)), dict(num_groups=2))),
    ("layer_norm", Case("last-two", ((3, 4, 5), (4, 5), (4, 5)), dict(normalized_shape=(4, 5)))),
    ("deform_conv2d", Case("groups2-offset-groups2-mask-strided",
                           ((2, 4, 5, 5), (2, 2 * 2 * 9, 3, 3), (4, 2, 3, 3), (4,), (2, 2 * 9, 3, 3)),
                           dict(stride=2, padding=1))),
]


@pytest.mark.parametrize("op_name,case", CASES, ids=[f"{o}-{c.id}" for o, c in CASES])
def test_against_torch_float64(op_name, case):
    """Forward (and indices) and every gradient, NaN-poisoned outputs, relative error < 1e-9."""
    assert tolerance("cuda", np.float64) <= 1e-9
    check_op(op_name, "cuda", case, np.float64)


def test_norm_blocks_reduce_in_several_levels():
    assert norm_cuda.block_threads() >= 4  # a tree of at least two levels
    assert 3 * 4 * 5 > norm_cuda.block_threads()  # each thread sums several elements


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_running_statistics_match_torch(dtype):
    """One training step updates running_mean/var in place exactly as torch does, for host
    arrays (and for views: the op copies the update back)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5, 2)).astype(dtype)
    rm = rng.standard_normal(4).astype(dtype)
    rv = (0.5 + rng.random(4)).astype(dtype)
    big = np.zeros(8, dtype)
    rm_view = big[::2]
    rm_view[...] = rm
    rv2 = rv.copy()
    kernels.batch_norm(x, rm_view, rv2, training=True, momentum=0.3, algo="cuda")
    trm, trv = torch.tensor(rm.astype(np.float64)), torch.tensor(rv.astype(np.float64))
    F.batch_norm(torch.tensor(x.astype(np.float64)), trm, trv, training=True, momentum=0.3)
    tol = tolerance("cuda", dtype)
    assert rel_err(rm_view, trm.numpy()) < tol and rel_err(rv2, trv.numpy()) < tol
    assert not np.allclose(rm_view, rm)  # it moved


def test_running_statistics_on_the_device_update_in_place():
    rng = np.random.default_rng(2)
    x, rm, rv = rng.standard_normal((2, 3, 4)), rng.standard_normal(3), 0.5 + rng.random(3)
    drm, drv = cuda.to_device(rm), cuda.to_device(rv)
    y = kernels.batch_norm(cuda.to_device(x), drm, drv, training=True, algo="cuda")
    assert _arrays.is_device(y)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    ref = F.batch_norm(torch.tensor(x), trm, trv, training=True)
    assert rel_err(y.copy_to_host(), ref.numpy()) < 1e-9
    assert rel_err(drm.copy_to_host(), trm.numpy()) < 1e-9
    assert rel_err(drv.copy_to_host(), trv.numpy()) < 1e-9


def test_pool_device_arrays_in_give_device_arrays_out():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 6))
    y, idx = kernels.max_pool2d(cuda.to_device(x), 2, return_indices=True, algo="cuda")
    assert _arrays.is_device(y) and _arrays.is_device(idx)
    ty, tidx = F.max_pool2d(torch.tensor(x), 2, return_indices=True)
    assert rel_err(y.copy_to_host(), ty.numpy()) < 1e-9
    assert np.array_equal(idx.copy_to_host(), tidx.numpy())
    gy = rng.standard_normal(ty.shape)
    (gx,) = kernels.avg_pool2d.backward(cuda.to_device(gy), cuda.to_device(x), 2, algo="cuda")
    assert _arrays.is_device(gx)
    tx = torch.tensor(x, requires_grad=True)
    F.avg_pool2d(tx, 2).backward(torch.tensor(gy))
    assert rel_err(gx.copy_to_host(), tx.grad.numpy()) < 1e-9


def test_simulator_refuses_large_inputs_with_a_reason():
    if not _cuda.SIMULATED:
        pytest.skip("only the simulator limits input sizes")
    big = (1, 8, 32, 32)
    assert not kernels.max_pool2d.supports("cuda", big, kernel_size=2)
    with pytest.raises(ValueError, match="simulator"):
        kernels.max_pool2d(np.zeros(big), 2, algo="cuda")


def test_cuda_is_listed_where_it_runs():
    for op in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
               "avg_pool3d", "batch_norm", "group_norm", "layer_norm", "instance_norm"):
        assert "cuda" in kernels.OPS[op].algos()


def test_deform_device_arrays_in_give_device_arrays_out():
    op = kernels.deform_conv2d
    shapes = ((1, 2, 4, 4), (1, 2 * 4, 3, 3), (3, 2, 2, 2), (3,), None)
    x, off, w, b, _ = op.make_inputs(shapes, {}, np.random.default_rng(4))
    y = op(*(cuda.to_device(a) for a in (x, off, w, b)), algo="cuda")
    assert _arrays.is_device(y)
    assert rel_err(y.copy_to_host(), reference.forward("deform_conv2d", x, off, w, b, None)) < 1e-9

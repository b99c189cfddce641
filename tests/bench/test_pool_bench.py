"""pytest-benchmark suite for pooling: the ResNet stem max pool (3x3, stride 2, padding 1
on (8, 64, 112, 112), float32), numba beside torch in the same run.

    pytest tests/bench/test_pool_bench.py -m slow --benchmark-enable

Speed is judged from these numbers on a quiet machine; the tests here only assert that
each timed call computes torch's answer.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

SHAPE, KW = (8, 64, 112, 112), dict(kernel_size=3, stride=2, padding=1)


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)


@pytest.mark.slow
@pytest.mark.benchmark(group="max_pool2d 3x3/2 (8,64,112,112) f32 forward")
def test_max_pool2d_numba(benchmark, x):
    kernels.max_pool2d(x, **KW, algo="numba")  # compile / load the cache outside the timing
    y = benchmark(kernels.max_pool2d, x, **KW, algo="numba")
    np.testing.assert_array_equal(y, F.max_pool2d(torch.from_numpy(x), **KW).numpy())


@pytest.mark.slow
@pytest.mark.benchmark(group="max_pool2d 3x3/2 (8,64,112,112) f32 forward")
def test_max_pool2d_torch(benchmark, x):
    t = torch.from_numpy(x)
    with torch.no_grad():
        y = benchmark(F.max_pool2d, t, **KW)
    assert y.shape == (8, 64, 56, 56)


@pytest.mark.slow
@pytest.mark.benchmark(group="max_pool2d 3x3/2 (8,64,112,112) f32 backward")
@pytest.mark.parametrize("algo", ["numba", "numpy"])
def test_max_pool2d_backward(benchmark, x, algo):
    gy = np.random.default_rng(1).standard_normal((8, 64, 56, 56)).astype(np.float32)
    kernels.max_pool2d.backward(gy, x, **KW, algo=algo)
    gx, = benchmark(kernels.max_pool2d.backward, gy, x, **KW, algo=algo)
    assert gx.shape == x.shape

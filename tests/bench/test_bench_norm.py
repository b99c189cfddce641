"""pytest-benchmark: batch norm (the issue's speed goal) and relu beside torch, one run.

    pytest tests/bench/test_bench_norm.py --benchmark-enable --benchmark-group-by=param:case

The goal: ``numba`` batch_norm forward, training and eval, at least as fast as torch on
(8, 64, 112, 112) float32.  With the benchmark disabled (the default), each runs once as
a smoke test.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

SHAPE = (8, 64, 112, 112)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE).astype(np.float32)
    C = SHAPE[1]
    rm, rv = rng.standard_normal(C).astype(np.float32), (0.5 + rng.random(C)).astype(np.float32)
    w, b = rng.standard_normal(C).astype(np.float32), rng.standard_normal(C).astype(np.float32)
    return x, rm, rv, w, b


@pytest.mark.parametrize("case", ["train", "eval"])
@pytest.mark.parametrize("algo", ["numba", "numpy", "torch"])
def test_batch_norm(benchmark, data, algo, case):
    x, rm, rv, w, b = data
    training = case == "train"
    if algo == "torch":
        t = [torch.from_numpy(a.copy()) for a in (x, rm, rv, w, b)]
        with torch.no_grad():
            out = benchmark(F.batch_norm, *t, training=training).numpy()
    else:
        out = benchmark(kernels.batch_norm, x, rm.copy(), rv.copy(), w, b, training=training, algo=algo)
    assert out.shape == SHAPE and np.isfinite(out).all()


@pytest.mark.parametrize("algo", ["numba", "numpy", "torch"])
def test_relu(benchmark, data, algo):
    x = data[0]
    if algo == "torch":
        with torch.no_grad():
            out = benchmark(F.relu, torch.from_numpy(x)).numpy()
    else:
        out = benchmark(kernels.relu, x, algo=algo)
    assert (out >= 0).all()

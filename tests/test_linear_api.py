"""linear beyond the registry-wide checks: it is a 1x1 convolution, its float32 sums are no
worse than torch's own float32, the signature and cost.
(Bad input: tests/cases/linear.py and tests/test_bad_inputs.py.)"""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels
from kernels.tolerances import rel_err

rng = np.random.default_rng(5)


@pytest.mark.parametrize("algo", ["numpy", "numba"])
def test_linear_is_a_pointwise_convolution(algo):
    """Each pixel's channel vector through the layer: linear on NHWC = 1x1 conv on NCHW."""
    x, w, b = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((6, 5)), rng.standard_normal(6)
    y = kernels.linear(x.transpose(0, 2, 3, 1), w, b, algo=algo).transpose(0, 3, 1, 2)
    conv = kernels.pointwise_conv2d(x, w[:, :, None, None], b, algo="im2col")
    np.testing.assert_allclose(y, conv, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algo", ["numpy", "numba"])
def test_float32_weight_gradient_over_many_rows_is_as_accurate_as_torchs(algo):
    """grad_W sums over every row of the batch: 20000 here.  Its float32 error against the
    float64 answer must not exceed torch's own float32 error by more than a factor 2."""
    M, C, K = 20000, 8, 3
    x, w, gy = (rng.standard_normal(s) + 0.5 for s in ((M, C), (K, C), (M, K)))
    exact = gy.T @ x
    t32 = (torch.tensor(gy, dtype=torch.float32).T @ torch.tensor(x, dtype=torch.float32)).numpy()
    _, gw, _ = kernels.linear.backward(gy.astype(np.float32), x.astype(np.float32),
                                       w.astype(np.float32), algo=algo)
    assert rel_err(gw, exact) <= max(2 * rel_err(t32, exact), 1e-7)


def test_bias_broadcasts_as_torchs():
    x, w = rng.standard_normal((2, 4, 3)), rng.standard_normal((5, 3))
    for b in (rng.standard_normal(()), rng.standard_normal((4, 5)), rng.standard_normal((2, 1, 5))):
        want = F.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b)).numpy()
        for algo in kernels.linear.algos():
            np.testing.assert_allclose(kernels.linear(x, w, b, algo=algo), want, rtol=1e-12, atol=1e-12)


def test_in_features_0_gives_the_bias():
    x, w, b = np.zeros((3, 0)), np.zeros((4, 0)), rng.standard_normal(4)
    for algo in kernels.linear.algos():
        np.testing.assert_array_equal(kernels.linear(x, w, b, algo=algo), np.tile(b, (3, 1)))
        gx, gw, gb = kernels.linear.backward(np.ones((3, 4)), x, w, b, algo=algo)
        assert gx.shape == (3, 0) and gw.shape == (4, 0)
        np.testing.assert_array_equal(gb, np.full(4, 3.0))


def test_signature_and_cost():
    assert list(inspect.signature(kernels.linear).parameters) == ["input", "weight", "bias"]
    assert inspect.signature(kernels.linear).parameters["bias"].default is None
    assert kernels.linear.cost((8, 256), (10, 256), (10,)) == {
        "params": 2570, "macs": 8 * 256 * 10, "flops": 2 * 8 * 256 * 10,
        "bytes": (8 * 256 + 2570 + 80) * 4}
    assert kernels.linear.output_shape((2, 3, 4), (4,)) == (2, 3)

"""conv ops: output shapes as torch computes them, cost, positional calls, plan caching.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


X, W, B = rand(2, 4, 8, 8), rand(6, 4, 3, 3), rand(6)

SHAPE_CASES = [
    ((1, 3, 10), (4, 3, 3), dict(stride=3, padding=2, dilation=2)),
    ((1, 3, 9, 10), (4, 3, 4, 3), dict(padding="same")),
    ((1, 3, 9, 10), (4, 3, 2, 5), dict(padding="valid", stride=(2, 1))),
    ((2, 4, 7, 9, 8), (2, 2, 3, 2, 3), dict(padding=(1, 0, 2), stride=2, groups=2)),
    ((1, 2, 5, 5), (3, 2, 3, 3), dict(padding=(4, 1), dilation=(1, 2))),
]


@pytest.mark.parametrize("x,w,params", SHAPE_CASES)
def test_output_shape_matches_torch(x, w, params):
    nd = len(x) - 2
    op = {1: kernels.conv1d, 2: kernels.conv2d, 3: kernels.conv3d}[nd]
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
    expected = fn(torch.zeros(x), torch.zeros(w), **params).shape
    assert op.output_shape(x, w, **params) == tuple(expected)


def test_full_padding_shape():
    # every superimposition: out = in + (k - 1) * dilation
    assert kernels.conv1d.output_shape((1, 1, 10), (1, 1, 3), padding="full", dilation=2) == (1, 1, 14)


def test_cost_of_alexnet_first_layer():
    # 96 filters of 3x11x11 plus 96 biases; 55x55 outputs, each 363 MACs
    c = kernels.conv2d.cost((1, 3, 227, 227), (96, 3, 11, 11), (96,), stride=4)
    assert c["params"] == 96 * 3 * 11 * 11 + 96 == 34_944
    assert c["macs"] == 96 * 55 * 55 * 363 == 105_415_200
    assert c["flops"] == 2 * c["macs"]
    assert c["bytes"] == 4 * (3 * 227 * 227 + 34_944 + 96 * 55 * 55)


def test_cost_of_grouped_conv_and_dtype():
    c = kernels.conv2d.cost((2, 8, 10, 10), (8, 2, 3, 3), padding=1, groups=4, dtype=np.float64)
    assert c["params"] == 8 * 2 * 9
    assert c["macs"] == 2 * 8 * 100 * 2 * 9
    assert c["bytes"] == 8 * (2 * 8 * 100 + 8 * 2 * 9 + 2 * 8 * 100)


def test_op_surface():
    assert {"conv1d", "conv2d", "conv3d", "pointwise_conv2d"} <= set(kernels.ops())
    assert {"naive", "im2col", "numba"} <= set(kernels.conv2d.algos())
    assert kernels.conv2d.choose(X.shape, W.shape, dtype=np.float64) in kernels.conv2d.algos()


def test_positional_and_keyword_calls_agree():
    a = kernels.conv2d(X, W, B, 2, 1, 1, 1, algo="im2col")
    b = kernels.conv2d(input=X, weight=W, bias=B, stride=2, padding=1, algo="im2col")
    np.testing.assert_array_equal(a, b)


def test_a_cached_plan_never_admits_a_refused_parameter():
    """Plans are memoised per (shapes, dtype, parameters): True and 1.0 equal 1 in Python,
    but must still be refused after stride=1 has been planned."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    kernels.conv2d(x, w, stride=1, algo="im2col")
    for bad in (True, 1.0, (1, True)):
        with pytest.raises(TypeError, match="stride"):
            kernels.conv2d(x, w, stride=bad, algo="im2col")
    with pytest.raises(ValueError, match="stride"):   # an error is raised again, not cached
        kernels.conv2d(x, w, stride=0, algo="im2col")
    with pytest.raises(ValueError, match="stride"):
        kernels.conv2d(x, w, stride=0, algo="im2col")

"""depthwise_conv2d: the fast kernel on a larger layer, output shape and cost.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("stride", [1, 2])
def test_numba_on_a_mobilenet_like_layer(stride):
    """The fast kernel on a larger shape than the registry's (column clipping at both ends)."""
    x, w, b = rand(2, 12, 17, 19, dtype=np.float32), rand(12, 1, 3, 3, dtype=np.float32), rand(12, dtype=np.float32)
    out = kernels.depthwise_conv2d(x, w, b, stride=stride, padding=1, algo="numba")
    ref = F.conv2d(*map(torch.tensor, (x, w, b)), stride=stride, padding=1, groups=12).numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


def test_output_shape_and_cost():
    # MobileNetV2 layer: 96 channels at 56x56, 3x3, stride 2, padding 1 -> 28x28
    assert kernels.depthwise_conv2d.output_shape((4, 96, 56, 56), (96, 1, 3, 3), stride=2, padding=1) \
        == (4, 96, 28, 28)
    c = kernels.depthwise_conv2d.cost((4, 96, 56, 56), (96, 1, 3, 3), (96,), stride=2, padding=1)
    assert c["params"] == 96 * 9 + 96 == 960
    assert c["macs"] == 4 * 96 * 28 * 28 * 9 == 2_709_504
    assert c["flops"] == 2 * 2_709_504
    assert c["bytes"] == 4 * (4 * 96 * 56 * 56 + 960 + 4 * 96 * 28 * 28)

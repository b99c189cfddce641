"""separable_conv2d: the fused kernel on a tiled shape, cost against the standard conv.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels
from kernels.separable import numba as fused

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def _torch(x, wd, wp, b, **kw):
    mid = F.conv2d(torch.tensor(x), torch.tensor(wd), groups=x.shape[1], **kw)
    return F.conv2d(mid, torch.tensor(wp), torch.tensor(b)).numpy()


@pytest.mark.parametrize("rows", [1, 3, 8])
@pytest.mark.parametrize("stride", [1, 2])
def test_fused_kernel_for_every_row_tile(monkeypatch, rows, stride):
    """Every tile height gives the same answer, including a ragged last tile."""
    monkeypatch.setattr(fused, "rows_per_task", lambda N, P: rows)
    x, wd, wp, b = rand(2, 3, 13, 10), rand(6, 1, 3, 3), rand(4, 6, 1, 1), rand(4)
    out = kernels.separable_conv2d(x, wd, wp, b, stride=stride, padding=1, algo="numba")
    np.testing.assert_allclose(out, _torch(x, wd, wp, b, stride=stride, padding=1), rtol=1e-9, atol=1e-9)


def test_depthwise_separable_against_standard_3x3():
    """The notes' comparison: a depthwise-separable layer costs 1/K + 1/9 of a standard 3x3
    (C=32 -> K=64 channels at 56x56, padding 1, no bias; numbers worked by hand)."""
    std = kernels.conv2d.cost((1, 32, 56, 56), (64, 32, 3, 3), padding=1)
    sep = kernels.separable_conv2d.cost((1, 32, 56, 56), (32, 1, 3, 3), (64, 32, 1, 1), padding=1)
    assert std["macs"] == 57_802_752            # 64 * 32 * 9 * 3136
    assert sep["macs"] == 903_168 + 6_422_528   # depthwise 32*9*3136 + pointwise 64*32*3136
    assert std["params"] == 18_432              # 64 * 32 * 9
    assert sep["params"] == 288 + 2_048         # 32 * 9 + 64 * 32
    assert sep["macs"] / std["macs"] == pytest.approx(1 / 64 + 1 / 9, rel=1e-12)
    assert sep["flops"] == 2 * 7_325_696
    assert sep["bytes"] == 4 * (32 * 3136 + 2_336 + 64 * 3136)


def test_one_by_one_bottleneck_against_direct_5x5():
    """The notes' (GoogLeNet) comparison: 192 -> 32 channels at 28x28 with a 5x5 kernel
    directly, against a 1x1 reduction to 16 channels first: 120.4M against 12.4M MACs."""
    direct = kernels.conv2d.cost((1, 192, 28, 28), (32, 192, 5, 5), padding=2)
    reduce = kernels.pointwise_conv2d.cost((1, 192, 28, 28), (16, 192, 1, 1))
    then = kernels.conv2d.cost((1, 16, 28, 28), (32, 16, 5, 5), padding=2)
    assert direct["macs"] == 120_422_400        # 784 * 32 * 192 * 25
    assert reduce["macs"] == 2_408_448          # 784 * 16 * 192
    assert then["macs"] == 10_035_200           # 784 * 32 * 16 * 25
    assert direct["params"] == 153_600
    assert reduce["params"] + then["params"] == 3_072 + 12_800

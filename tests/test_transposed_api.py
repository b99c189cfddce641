"""conv_transpose ops: output shapes as torch computes them, the output_padding rule, the
link to the strided convolution, and cost.  (Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def test_output_padding_rule_is_torchs():
    """torch too rejects output_padding >= both stride and dilation, and accepts it below
    either one."""
    x, w = torch.zeros(1, 1, 4), torch.zeros(1, 1, 3)
    with pytest.raises(RuntimeError):
        F.conv_transpose1d(x, w, stride=2, output_padding=2)
    F.conv_transpose1d(x, w, stride=1, dilation=3, output_padding=2)
    assert kernels.conv_transpose1d.supports("numba", (1, 1, 4), (1, 1, 3), dilation=3, output_padding=2)
    assert not kernels.conv_transpose1d.supports("numba", (1, 1, 4), (1, 1, 3), stride=2, output_padding=2)


SHAPE_CASES = [
    ((1, 3, 10), (3, 4, 3), dict(stride=3, padding=2, dilation=2, output_padding=1)),
    ((1, 4, 5, 6), (4, 2, 4, 3), dict(stride=2, padding=1, output_padding=(1, 0), groups=2)),
    ((1, 2, 5, 6), (2, 3, 3, 3), dict(dilation=(3, 1), output_padding=(2, 0))),
    ((2, 4, 3, 4, 3), (4, 1, 2, 3, 2), dict(stride=(2, 1, 3), padding=(0, 1, 0), groups=4)),
]


@pytest.mark.parametrize("x,w,params", SHAPE_CASES)
def test_output_shape_matches_torch(x, w, params):
    nd = len(x) - 2
    op = getattr(kernels, f"conv_transpose{nd}d")
    fn = getattr(F, f"conv_transpose{nd}d")
    assert op.output_shape(x, w, **params) == tuple(fn(torch.zeros(x), torch.zeros(w), **params).shape)


@pytest.mark.parametrize("algo", ["im2col", "numba"])
def test_is_the_input_gradient_of_a_strided_conv(algo):
    """conv_transpose2d(g, w) == grad_input of conv2d(x, w) at grad_out g (torch autograd)."""
    x = torch.tensor(rand(2, 3, 9, 8), requires_grad=True)
    w, g = rand(5, 3, 3, 3), rand(2, 5, 5, 4)
    y = F.conv2d(x, torch.tensor(w), stride=2, padding=1)
    (gx,) = torch.autograd.grad(y, x, torch.tensor(g))
    out = kernels.conv_transpose2d(g, w, stride=2, padding=1, output_padding=(0, 1), algo=algo)
    np.testing.assert_allclose(out, gx.numpy(), rtol=1e-10, atol=1e-10)


def test_cost_of_dcgan_upsampling_layer():
    # 16 -> 8 channels, 4x4 kernel, stride 2: each of the 16*4*4 input elements meets
    # 8*4*4 weights; the strided conv it transposes (8 -> 16 channels, 8x8 -> 4x4) does
    # 16*4*4 outputs of 8*4*4 MACs: the same 32768.
    c = kernels.conv_transpose2d.cost((1, 16, 4, 4), (16, 8, 4, 4), (8,), stride=2, padding=1)
    assert c["params"] == 16 * 8 * 16 + 8 == 2056
    assert c["macs"] == 32_768
    assert c["flops"] == 65_536
    assert c["bytes"] == 4 * (16 * 16 + 2056 + 8 * 8 * 8)
    assert kernels.conv2d.cost((1, 8, 8, 8), (16, 8, 4, 4), stride=2, padding=1)["macs"] == 32_768


def test_positional_order_is_torchs():
    x, w = rand(1, 4, 3, 3), rand(4, 2, 3, 3)
    a = kernels.conv_transpose2d(x, w, None, 2, 1, 1, 2, 1, algo="im2col")
    b = F.conv_transpose2d(torch.tensor(x), torch.tensor(w), None, 2, 1, 1, 2, 1).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)

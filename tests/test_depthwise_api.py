"""depthwise_conv2d: validation before any kernel runs, the link to grouped conv2d, cost."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


X, W, B = rand(2, 4, 7, 7), rand(8, 1, 3, 3), rand(8)

BAD = [  # (kwargs overriding the good call, exception, words the message must contain)
    (dict(input=rand(4, 7, 7)), ValueError, "input"),
    (dict(input=rand(2, 0, 7, 7)), ValueError, "input"),
    (dict(weight=rand(8, 3, 3)), ValueError, "weight"),
    (dict(weight=rand(8, 2, 3, 3)), ValueError, "weight"),      # not (C*m, 1, R, S)
    (dict(weight=rand(6, 1, 3, 3)), ValueError, "weight"),      # 6 is no multiple of C=4
    (dict(weight=rand(2, 1, 3, 3)), ValueError, "weight"),      # fewer than C
    (dict(weight=rand(8, 1, 9, 3)), ValueError, "weight"),      # larger than the input
    (dict(weight=rand(8, 1, 0, 3)), ValueError, "weight"),
    (dict(bias=rand(4)), ValueError, "bias"),
    (dict(stride=0), ValueError, "stride"),
    (dict(dilation=-1), ValueError, "dilation"),
    (dict(padding="same", stride=2), ValueError, "padding"),
    (dict(padding=(1, 2, 3)), ValueError, "padding"),
    (dict(groups=4), TypeError, "groups"),                      # not an argument of this op
    (dict(weight=rand(8, 1, 3, 3, dtype=np.float32)), TypeError, "weight"),
]


@pytest.mark.parametrize("algo", kernels.depthwise_conv2d.algos())
@pytest.mark.parametrize("bad,exc,words", BAD, ids=[f"{b}" for b, _, _ in BAD])
def test_bad_input_is_named(algo, bad, exc, words):
    kw = dict(input=X, weight=W, bias=B, algo=algo) | bad
    with pytest.raises(exc, match=words):
        kernels.depthwise_conv2d(**kw)


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

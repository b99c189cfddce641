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


# ---- torch's other inputs: unbatched, padding modes, empty sizes ------------------------------
def test_unbatched_shapes_cost_and_auto():
    """An unbatched input plans as a batch of one: output_shape drops the batch axis, cost is
    the batch of one's, and auto (which times algorithms on inputs of the caller's shapes)
    runs through the same step."""
    x, w = (3, 6, 5), (4, 3, 3, 3)
    assert kernels.conv2d.output_shape(x, w, padding=1) == (4, 6, 5)
    assert kernels.conv2d.cost(x, w, padding=1) == kernels.conv2d.cost((1, *x), w, padding=1)
    assert kernels.conv2d.supports("numba", x, w, padding=1)
    xs, ws = rand(*x), rand(*w)
    for params in (dict(padding=1), dict(padding="same", padding_mode="circular")):
        assert kernels.conv2d.choose(x, w, dtype=np.float64, **params) in kernels.conv2d.algos()
        out = kernels.conv2d(xs, ws, **params)
        m = torch.nn.Conv2d(3, 4, 3, bias=False, **params).double()
        m.weight.data = torch.tensor(ws)
        np.testing.assert_allclose(out, m(torch.tensor(xs)).detach().numpy(), rtol=1e-10, atol=1e-10)


def test_padding_mode_cost_reads_the_input_once():
    """The padding a mode adds is made, not read: bytes count the caller's input."""
    x, w = (2, 3, 8, 8), (4, 3, 3, 3)
    zeros, reflect = (kernels.conv2d.cost(x, w, padding=1, padding_mode=m) for m in ("zeros", "reflect"))
    assert zeros == reflect


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv_modules_pad_in_their_mode(nd, mode):
    """kernels.torch.nn's Conv modules pass padding_mode to the op: forward and the input's
    gradient (folded back from the padding by the op) equal torch's, unbatched input too."""
    from kernels.torch import nn as knn
    shape = (2, 3) + (5, 6, 4)[:nd]
    for x in (torch.tensor(rand(*shape)), torch.tensor(rand(*shape[1:]))):
        ours = getattr(knn, f"Conv{nd}d")(3, 4, 3, padding=2, stride=2, padding_mode=mode,
                                          algo="im2col").double()
        theirs = getattr(torch.nn, f"Conv{nd}d")(3, 4, 3, padding=2, stride=2, padding_mode=mode).double()
        theirs.load_state_dict(ours.state_dict())
        xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
        ya, yb = ours(xa), theirs(xb)
        g = torch.tensor(rand(*yb.shape))
        (ga,), (gb,) = torch.autograd.grad(ya, xa, g), torch.autograd.grad(yb, xb, g)
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-10, atol=1e-10)


def test_no_channels_gives_torchs_empty_output():
    """torch returns (N, 0, *out) for an input with no channel, whatever the bias: so do we,
    and the bias's gradient is zero."""
    x, w, b = np.zeros((2, 0, 5, 6)), np.zeros((4, 0, 3, 3)), rand(4)
    expected = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b)).shape
    assert kernels.conv2d(x, w, b, algo="numba").shape == tuple(expected) == (2, 0, 3, 4)
    gx, gw, gb = kernels.conv2d.backward(np.zeros((2, 0, 3, 4)), x, w, b, algo="numba")
    assert gx.shape == x.shape and gw.shape == w.shape and np.array_equal(gb, np.zeros(4))

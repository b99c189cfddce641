"""deform_conv2d: checks of the sampling convention that do not use our reference.

Zero offsets must give conv2d; integer offsets (a different shift per kernel point and
offset group, dy != dx) must give a sum of shifted conv2d's, which pins down the (dy, dx)
order and the row-major kernel-point order; half-pixel offsets must give the bilinear
formula with zeros outside the image; the backward must be the forward's derivative
(finite differences).  The reference itself goes through the same checks.
"""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels
import reference

op = kernels.deform_conv2d
ALGOS = op.algos() + ["reference"]
rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape)


def deform(algo, x, off, w, b=None, mask=None, **params):
    if algo == "reference":
        return reference.forward("deform_conv2d", x, off, w, b, mask, **params)
    return op(x, off, w, b, mask=mask, algo=algo, **params)


def torch_conv(x, w, b=None, **params):
    return F.conv2d(torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b), **params).numpy()


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("G_off", [1, 2])
def test_zero_offsets_give_conv2d(algo, G_off):
    x, w, b = rand(2, 4, 5, 6), rand(6, 2, 3, 3), rand(6)
    params = dict(stride=(1, 2), padding=1, dilation=(2, 1))
    P, Q = F.conv2d(torch.zeros(x.shape), torch.zeros(w.shape), groups=2, **params).shape[2:]
    off = np.zeros((2, 2 * G_off * 9, P, Q))
    out = deform(algo, x, off, w, b, **params)
    np.testing.assert_allclose(out, torch_conv(x, w, b, groups=2, **params), rtol=1e-12, atol=1e-12)


def shifted_conv(x, shifts, w, b, mask, stride, padding, dilation, P, Q):
    """Sum over offset groups and kernel points of conv2d (torch) of the input shifted by
    that point's integer (dy, dx), keeping only that point's tap of the kernel."""
    N, C, H, W = x.shape
    K, _, R, S = w.shape
    G_off = shifts.shape[0]
    M = 8  # zero margin, larger than padding + any shift
    z = np.pad(x, [(0, 0), (0, 0), (M, M), (M, M)])
    y = np.broadcast_to(b[None, :, None, None], (N, K, P, Q)).copy()
    cg = C // G_off
    for g in range(G_off):
        for i in range(R):
            for j in range(S):
                dy, dx = shifts[g, i, j]
                tap = np.zeros((K, cg, R, S))
                tap[:, :, i, j] = w[:, g * cg:(g + 1) * cg, i, j]
                win = z[:, g * cg:(g + 1) * cg, M - padding + dy:, M - padding + dx:]
                part = torch_conv(np.ascontiguousarray(win), tap, stride=stride, dilation=dilation)[:, :, :P, :Q]
                if mask is not None:
                    part = part * mask[:, (g * R + i) * S + j][:, None]
                y += part
    return y


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("with_mask", [False, True])
def test_integer_offsets_give_shifted_conv2d(algo, with_mask):
    N, C, H, W, K, R, S, G_off = 2, 4, 6, 7, 3, 2, 3, 2
    stride, padding, dilation = 2, 1, 1
    P, Q = (H + 2 * padding - (R - 1) - 1) // stride + 1, (W + 2 * padding - (S - 1) - 1) // stride + 1
    x, w, b = rand(N, C, H, W), rand(K, C, R, S), rand(K)
    shifts = rng.integers(-2, 3, (G_off, R, S, 2))
    shifts[0, 0, 1] = (1, -2)  # dy != dx somewhere for sure
    off = np.broadcast_to(shifts.reshape(1, -1, 1, 1), (N, G_off * R * S * 2, P, Q)).astype(np.float64)
    mask = rand(N, G_off * R * S, P, Q) if with_mask else None
    out = deform(algo, x, np.ascontiguousarray(off), w, b, mask, stride=stride, padding=padding)
    expected = shifted_conv(x, shifts, w, b, mask, stride, padding, dilation, P, Q)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("dy,dx", [(0.5, 0.25), (-0.5, -0.75)])
def test_fractional_offsets_interpolate_bilinearly(algo, dy, dx):
    """A 1x1 identity kernel returns the bilinear sample; pixels outside read zero."""
    H, W = 4, 5
    x = rand(1, 1, H, W)
    off = np.empty((1, 2, H, W))
    off[0, 0], off[0, 1] = dy, dx
    z = np.pad(x[0, 0], 1)  # zero ring: the corners that fall outside
    y0, x0 = int(np.floor(dy)), int(np.floor(dx))
    ly, lx = dy - y0, dx - x0
    r, c = np.arange(H)[:, None] + y0 + 1, np.arange(W)[None, :] + x0 + 1
    expected = ((1 - ly) * (1 - lx) * z[r, c] + (1 - ly) * lx * z[r, c + 1]
                + ly * (1 - lx) * z[r + 1, c] + ly * lx * z[r + 1, c + 1])
    out = deform(algo, x, off, np.ones((1, 1, 1, 1)))
    np.testing.assert_allclose(out[0, 0], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algo", op.algos())
def test_backward_is_the_derivative_of_the_forward(algo):
    """Central differences of the forward (float64) against every gradient."""
    params = dict(padding=1, stride=1)
    shapes = ((1, 2, 4, 4), (1, 8, 5, 5), (2, 2, 2, 2), (2,), (1, 4, 5, 5))
    P, Q = op.output_shape(**op.named(shapes), **params)[2:]
    arrays = op.make_inputs(shapes, params, rng)
    gy = rand(1, 2, P, Q)
    grads = op.backward(gy, **op.named(arrays), algo=algo, **params)
    eps = 1e-6
    for a, g in zip(arrays, grads):
        for idx in list(np.ndindex(a.shape))[::3]:
            old = a[idx]
            a[idx] = old + eps
            up = (op(**op.named(arrays), algo="im2col", **params) * gy).sum()
            a[idx] = old - eps
            down = (op(**op.named(arrays), algo="im2col", **params) * gy).sum()
            a[idx] = old
            assert abs((up - down) / (2 * eps) - g[idx]) < 1e-6 * max(1.0, abs(g[idx]))


def test_offsets_from_make_inputs_stay_off_integers():
    shapes = ((1, 2, 5, 5), (1, 18, 5, 5), (2, 2, 3, 3), None, None)
    off = op.make_inputs(shapes, dict(padding=1), rng)[1]
    frac = off - np.floor(off)
    assert frac.min() >= 0.1 and frac.max() <= 0.9


def test_signature_is_torchvisions():
    names = list(inspect.signature(op).parameters)
    assert names == ["input", "offset", "weight", "bias", "stride", "padding", "dilation", "mask"]
    x, w, b = rand(1, 2, 4, 4), rand(3, 2, 3, 3), rand(3)
    shapes = (x.shape, (1, 18, 4, 4), w.shape, b.shape, (1, 9, 4, 4))
    _, off, _, _, mask = op.make_inputs(shapes, dict(padding=1), rng)
    by_position = op(x, off, w, b, 1, 1, 1, mask, algo="im2col")   # torchvision's order
    by_keyword = op(x, off, w, b, padding=1, mask=mask, algo="im2col")
    by_name = op(**op.named([x, off, w, b, mask]), padding=1, algo="im2col")  # the registry's way
    np.testing.assert_array_equal(by_position, by_keyword)
    np.testing.assert_array_equal(by_name, by_keyword)
    with pytest.raises(TypeError, match="stride"):  # an array where torch has the stride
        op(x, off, w, b, mask, padding=1)


def test_cost():
    c = op.cost((2, 4, 6, 6), (2, 18, 4, 4), (6, 2, 3, 3), (6,), mask=(2, 9, 4, 4), dtype=np.float64)
    conv_macs = 2 * 6 * 16 * 2 * 9
    samples = 2 * 4 * 9 * 16
    assert c["params"] == 6 * 2 * 9 + 6
    assert c["macs"] == conv_macs + 5 * samples
    assert c["flops"] == 2 * c["macs"]
    assert c["bytes"] == 8 * (2 * 4 * 36 + 2 * 9 * 16 * 3 + c["params"] + 2 * 6 * 16)


@pytest.mark.parametrize("algo", op.algos())
def test_non_finite_offsets_sample_zero(algo):
    """A NaN, infinite or huge offset never reads outside the input: the sample is zero."""
    x, w = rand(1, 1, 3, 3), np.ones((1, 1, 1, 1))
    off = np.zeros((1, 2, 3, 3))
    off[0, 0, 0, 0], off[0, 1, 1, 1], off[0, 0, 2, 2] = np.nan, np.inf, -1e300
    out = op(x, off, w, algo=algo)[0, 0]
    assert out[0, 0] == out[1, 1] == out[2, 2] == 0
    np.testing.assert_array_equal(out[0, 1:], x[0, 0, 0, 1:])
    assert all(np.isfinite(g).all() for g in op.backward(np.ones((1, 1, 3, 3)), x, off, w, algo=algo)
               if g is not None)

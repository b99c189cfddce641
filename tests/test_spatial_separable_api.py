"""spatially_separable_conv2d and factorize_separable: the Sobel factorisation, the
factorisation's own validation, and the cost of two 1D passes against the full kernel.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]])


def test_sobel_is_separable():
    col, row, err = kernels.factorize_separable(SOBEL_X)
    assert err < 1e-12
    np.testing.assert_allclose(np.outer(col, row), SOBEL_X, atol=1e-12)
    # up to scale, the textbook factors [1, 2, 1] and [1, 0, -1]
    np.testing.assert_allclose(col / col[0], [1, 2, 1], atol=1e-12)
    np.testing.assert_allclose(row / row[0], [1, 0, -1], atol=1e-12)


def test_random_kernels_are_not_separable_and_rank1_ones_are():
    w = rand(3, 2, 3, 3)
    col, row, err = kernels.factorize_separable(w)
    assert col.shape == (3, 2, 3) and row.shape == (3, 2, 3) and err.shape == (3, 2)
    assert (err > 0.05).all() and (err < 1).all()
    # the residual's Frobenius norm, computed here from the factors, is the reported error
    resid = np.linalg.norm(w - col[..., :, None] * row[..., None, :], axis=(-2, -1))
    np.testing.assert_allclose(err, resid / np.linalg.norm(w, axis=(-2, -1)), rtol=1e-10)
    u, v = rand(3, 2, 4), rand(3, 2, 5)
    exact = u[..., :, None] * v[..., None, :]
    c2, r2, e2 = kernels.factorize_separable(exact)
    assert (e2 < 1e-12).all()
    np.testing.assert_allclose(c2[..., :, None] * r2[..., None, :], exact, atol=1e-12)


def test_factorize_rejects_bad_input():
    with pytest.raises(ValueError, match="w"):
        kernels.factorize_separable(np.ones(3))
    with pytest.raises(TypeError, match="w"):
        kernels.factorize_separable([[1.0, 2.0]])


@pytest.mark.parametrize("algo", kernels.spatially_separable_conv2d.algos())
def test_sobel_layer_equals_conv2d_with_the_full_kernel(algo):
    x = rand(1, 1, 6, 7)
    col, row, _ = kernels.factorize_separable(SOBEL_X[None, None].astype(np.float64))
    out = kernels.spatially_separable_conv2d(x, col, row, padding=1, algo=algo)
    ref = F.conv2d(torch.tensor(x), torch.tensor(SOBEL_X[None, None], dtype=torch.float64), padding=1)
    np.testing.assert_allclose(out, ref.numpy(), atol=1e-12)


def test_spatially_separable_against_full_kernel():
    """The notes' example: a 5x5 image and a 3x3 kernel.  Full: 9 outputs of 9 MACs = 81.
    Separable: the 3x1 column filter on 3x5 positions (45), then the 1x3 row filter on 3x3
    (27) = 72; 6 weights against 9."""
    full = kernels.conv2d.cost((1, 1, 5, 5), (1, 1, 3, 3))
    sep = kernels.spatially_separable_conv2d.cost((1, 1, 5, 5), (1, 1, 3), (1, 1, 3))
    assert (full["macs"], full["params"]) == (81, 9)
    assert (sep["macs"], sep["params"]) == (72, 6)


def test_inception_7x1_1x7_against_7x7():
    """17x17 grid, padding 3, 8 -> 8 channels (Inception-v3's factorised 7x7).  Full:
    289 outputs * 49 taps per (k, c).  Separable per (k, c): column pass 17 rows * 23 padded
    columns * 7, row pass 289 * 7: 2737 + 2023 = 4760."""
    full = kernels.conv2d.cost((1, 8, 17, 17), (8, 8, 7, 7), (8,), padding=3)
    sep = kernels.spatially_separable_conv2d.cost((1, 8, 17, 17), (8, 8, 7), (8, 8, 7), (8,), padding=3)
    assert full["macs"] == 64 * 14_161
    assert sep["macs"] == 64 * 4_760
    assert full["params"] == 64 * 49 + 8
    assert sep["params"] == 64 * 14 + 8
    assert sep["bytes"] == 4 * (8 * 289 + 64 * 14 + 8 + 8 * 289)

"""unshared_conv2d and coord_conv2d: checks independent of our references, cost.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels
from kernels._registry import ALGORITHMS

rng = np.random.default_rng(11)


def rand(*shape):
    return rng.standard_normal(shape)


# ---- unshared_conv2d ------------------------------------------------------------------
U = kernels.unshared_conv2d


@pytest.mark.parametrize("algo", U.algos())
def test_unshared_with_one_filter_everywhere_is_conv2d(algo):
    x, w, b = rand(2, 3, 6, 7), rand(4, 3, 3, 2), rand(4)
    params = dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2))
    ref = F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), **params).numpy()
    P, Q = ref.shape[2:]
    w_all = np.broadcast_to(w, (P, Q, *w.shape)).copy()
    b_all = np.broadcast_to(b[:, None, None], (4, P, Q)).copy()
    np.testing.assert_allclose(U(x, w_all, b_all, algo=algo, **params), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algo", U.algos())
def test_unshared_positions_are_independent(algo):
    """Changing the filter of one output position changes that output only."""
    x, w = rand(1, 2, 5, 5), rand(3, 3, 2, 2, 3, 3)
    y = U(x, w, algo=algo)
    w[1, 2] += rand(2, 2, 3, 3)
    changed = np.abs(U(x, w, algo=algo) - y) > 0
    assert changed[:, :, 1, 2].all() and changed.sum() == changed[:, :, 1, 2].size


def test_unshared_cost_and_shape():
    c = U.cost((2, 3, 6, 6), (4, 4, 5, 3, 3, 3), (5, 4, 4), dtype=np.float32)
    assert c["params"] == 16 * 5 * 27 + 5 * 16
    assert c["macs"] == 2 * 5 * 16 * 27 and c["flops"] == 2 * c["macs"]
    assert c["bytes"] == 4 * (2 * 3 * 36 + c["params"] + 2 * 5 * 16)
    assert U.output_shape((2, 3, 6, 6), (4, 4, 5, 3, 3, 3)) == (2, 5, 4, 4)
    assert not U.supports("numba", (2, 3, 6, 6), (3, 3, 5, 3, 3, 3))


# ---- coord_conv2d ---------------------------------------------------------------------
CC = kernels.coord_conv2d


@pytest.mark.parametrize("algo", CC.algos())
@pytest.mark.parametrize("channel", ["row", "col", "r"])
def test_coordinate_channels(algo, channel):
    """A 1x1 weight that picks one appended channel returns it: row = linspace(-1, 1, H)
    down the height, col = linspace(-1, 1, W) across the width, r = sqrt(row^2 + col^2)."""
    N, C, H, W = 2, 3, 4, 6
    w = np.zeros((1, C + 3, 1, 1))
    w[0, C + ["row", "col", "r"].index(channel)] = 1.0
    out = CC(rand(N, C, H, W), w, with_r=True, algo=algo)[:, 0]
    row, col = np.meshgrid(np.linspace(-1, 1, H), np.linspace(-1, 1, W), indexing="ij")
    expected = {"row": row, "col": col, "r": np.hypot(row, col)}[channel]
    np.testing.assert_allclose(out, np.broadcast_to(expected, out.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algo", CC.algos())
def test_coord_runs_the_conv2d_algorithm_of_its_name(algo, monkeypatch):
    conv = ALGORITHMS["conv2d"][algo]
    seen = []
    for attr in ("_forward", "_backward"):
        fn = getattr(conv, attr)
        monkeypatch.setattr(conv, attr, lambda *a, fn=fn, attr=attr: seen.append(attr) or fn(*a))
    x, w = rand(1, 2, 4, 4), rand(3, 4, 3, 3)
    y = CC(x, w, algo=algo)
    CC.backward(y, x, w, algo=algo)
    assert seen == ["_forward", "_backward"]


def test_coord_cost():
    c = CC.cost((2, 3, 5, 5), (4, 6, 3, 3), (4,), with_r=True, padding=1)
    assert c["params"] == 4 * 6 * 9 + 4
    assert c["macs"] == 2 * 4 * 25 * 6 * 9
    assert c["bytes"] == 4 * (2 * 3 * 25 + c["params"] + 2 * 4 * 25)

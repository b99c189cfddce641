"""Winograd: the generated F(m, 3) is exact in rational arithmetic; supports is exact;
phases are reported; the fused kernel's blocking is right at every edge."""
from fractions import Fraction

import numpy as np
import pytest

import kernels
import reference
from kernels._arrays import poison
from kernels.conv import winograd
from kernels.conv.winograd_transforms import cook_toom, correlate_exact, matrices
from kernels.tolerances import tolerance
from tests.helpers import SEED, _compare

TILES = (2, 4, 6)
WINOGRADS = ("winograd", "winograd_f2", "winograd_f4", "winograd_f6")


@pytest.mark.parametrize("m", TILES)
def test_bilinear_form_is_exactly_correlation(m):
    """sum_k A^T[i,k] G[k,j] B^T[k,l] = [l == i + j] for every output i, tap j, input l:
    the algorithm computes y_i = sum_j g_j d_{i+j} for all g and d, exactly."""
    AT, G, BT = cook_toom(m, 3)
    n = m + 2
    for i in range(m):
        for j in range(3):
            for l in range(n):
                got = sum(AT[i][k] * G[k][j] * BT[k][l] for k in range(n))
                assert got == (1 if l == i + j else 0), (i, j, l, got)


@pytest.mark.parametrize("m", TILES)
def test_random_rationals_give_the_direct_correlation(m):
    rng = np.random.default_rng(m)
    for _ in range(20):
        g = [Fraction(int(a), int(b)) for a, b in zip(rng.integers(-9, 10, 3), rng.integers(1, 7, 3))]
        d = [Fraction(int(a), int(b)) for a, b in zip(rng.integers(-9, 10, m + 2), rng.integers(1, 7, m + 2))]
        direct = [sum(g[j] * d[i + j] for j in range(3)) for i in range(m)]
        assert correlate_exact(g, d, m, 3) == direct


@pytest.mark.parametrize("m", TILES)
def test_nested_2d_tile_is_exact(m):
    """Y = A^T [(G g G^T) * (B^T d B)] A equals the 2D correlation of one tile, exactly."""
    AT, G, BT = (np.array(a, dtype=object) for a in cook_toom(m, 3))
    rng = np.random.default_rng(10 + m)
    g = np.array([[Fraction(int(v), 3) for v in row] for row in rng.integers(-9, 10, (3, 3))], dtype=object)
    d = np.array([[Fraction(int(v), 2) for v in row] for row in rng.integers(-9, 10, (m + 2, m + 2))],
                 dtype=object)
    y = AT.dot((G.dot(g).dot(G.T)) * (BT.dot(d).dot(BT.T))).dot(AT.T)
    direct = np.array([[sum(g[r, s] * d[i + r, j + s] for r in range(3) for s in range(3))
                        for j in range(m)] for i in range(m)], dtype=object)
    assert (y == direct).all()


def test_float_matrices_match_the_exact_ones():
    for m in TILES:
        for exact, f in zip(cook_toom(m, 3), matrices(m, 3)):
            assert np.array_equal(f, np.array([[float(v) for v in row] for row in exact]))


def test_bad_points_are_rejected():
    with pytest.raises(ValueError, match="distinct"):
        cook_toom(2, 3, (0, 1, 1))


X, W = np.random.default_rng(0).standard_normal((1, 2, 9, 9)), np.random.default_rng(1).standard_normal((3, 2, 3, 3))


@pytest.mark.parametrize("algo", WINOGRADS)
@pytest.mark.parametrize("wshape,params,why", [
    ((3, 2, 5, 5), {}, "3x3 kernel"),
    ((3, 2, 3, 3), dict(stride=2), "stride"),
    ((3, 2, 1, 3), {}, "3x3 kernel"),
])
def test_unsupported_cases_say_no_and_raise(algo, wshape, params, why):
    assert not kernels.conv2d.supports(algo, X.shape, wshape, **params)
    w = np.random.default_rng(2).standard_normal(wshape)
    with pytest.raises(ValueError, match=why):
        kernels.conv2d(X, w, **params, algo=algo)
    with pytest.raises(ValueError, match=why):
        kernels.conv2d.backward(np.zeros(kernels.conv2d.output_shape(X.shape, wshape, **params)),
                                X, w, **params, algo=algo)


@pytest.mark.parametrize("algo", WINOGRADS)
def test_supported_cases(algo):
    for pad in (0, 1, 2, 3, "same", "full"):
        assert kernels.conv2d.supports(algo, X.shape, W.shape, padding=pad)
    assert kernels.conv1d.supports(algo, (1, 2, 9), (4, 1, 3), groups=2)
    assert kernels.conv2d.supports(algo, X.shape, W.shape, dilation=(2, 3), padding=1)
    assert kernels.conv1d.supports(algo, (1, 2, 9), (4, 2, 3), dilation=3)
    assert not kernels.conv1d.supports(algo, (1, 2, 9), (4, 2, 5))
    assert algo not in kernels.conv3d.algos()


@pytest.mark.parametrize("algo", [*WINOGRADS, "fft"])
def test_phases_are_reported(algo):
    op = kernels.conv2d
    op(X, W, algo=algo, padding=1)
    phases = op.registered()[algo].phases
    for name in ("input_transform", "kernel_transform", "multiply", "output_transform"):
        assert phases[name] >= 0.0
    assert sum(phases.values()) > 0.0
    op.backward(np.ones((1, 3, 9, 9)), X, W, algo=algo, padding=1)
    assert sum(op.registered()[algo].phases.values()) > 0.0


def test_default_is_f4():
    assert "F(4x4,3x3)" in winograd.winograd.doc


# Shapes past the fused kernel's blocking (winograd_kernel.BT tiles per block, VW output
# channels per channel block): several blocks with a partial last one spanning images,
# output channels not a whole number of blocks, groups, asymmetric padding.
BLOCKED = [
    ((3, 5, 17, 10), (35, 5, 3, 3), dict(padding=1)),
    ((2, 6, 13, 22), (40, 3, 3, 3), dict(padding=(2, 0), groups=2)),
    ((2, 4, 9, 30), (18, 4, 3, 3), dict(padding="same")),
]


# Dilated kernels run as d_h * d_w decimated stride-1 problems: phases of unequal size
# (dilation not dividing the output), a dilation larger than the output along one axis
# (empty phases), padding that is not a multiple of the dilation, groups, and conv1d.
DILATED = [
    ((2, 3, 11, 13), (4, 3, 3, 3), dict(dilation=2, padding=1)),
    ((1, 4, 9, 16), (6, 2, 3, 3), dict(dilation=(3, 2), padding=(0, 3), groups=2)),
    ((2, 2, 7, 12), (3, 2, 3, 3), dict(dilation=(3, 1), padding="same")),
    ((1, 2, 5, 5), (2, 2, 3, 3), dict(dilation=(2, 4), padding=3)),
]


@pytest.mark.parametrize("algo", ["winograd_f2", "winograd_f4", "winograd_f6"])
@pytest.mark.parametrize("xs, ws, params", BLOCKED + DILATED)
def test_blocking_against_torch(algo, xs, ws, params):
    rng = np.random.default_rng(SEED)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0])
    for dtype in (np.float32, np.float64):
        xd, wd, bd = (a.astype(dtype) for a in (x, w, b))
        tol = tolerance(algo, dtype)
        with poison():
            y = kernels.conv2d(xd, wd, bd, algo=algo, **params)
        _compare(f"{algo} forward", y, reference.conv2d(x, w, b, **params), tol, dtype)
        gy = rng.standard_normal(y.shape)
        with poison():
            grads = kernels.conv2d.backward(gy.astype(dtype), xd, wd, bd, algo=algo, **params)
        for g, r in zip(grads, reference.grad("conv2d", gy, x, w, b, **params)):
            _compare(f"{algo} gradient", g, r, tol, dtype)


@pytest.mark.parametrize("algo", ["winograd_f2", "winograd_f4"])
def test_dilated_conv1d_against_torch(algo):
    rng = np.random.default_rng(SEED)
    x, w, b = rng.standard_normal((2, 4, 23)), rng.standard_normal((5, 4, 3)), rng.standard_normal(5)
    params = dict(dilation=4, padding=2)
    tol = tolerance(algo, np.float64)
    with poison():
        y = kernels.conv1d(x, w, b, algo=algo, **params)
    _compare(f"{algo} forward", y, reference.conv1d(x, w, b, **params), tol, np.float64)
    gy = rng.standard_normal(y.shape)
    with poison():
        grads = kernels.conv1d.backward(gy, x, w, b, algo=algo, **params)
    for g, r in zip(grads, reference.grad("conv1d", gy, x, w, b, **params)):
        _compare(f"{algo} gradient", g, r, tol, np.float64)

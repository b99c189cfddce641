"""Dropout's mask (fraction, seed, whole channels, edges), in-place activations, torch's
conventions at the kink, the backward's need of a seed, signatures and cost.
(Bad input: tests/cases and tests/test_bad_inputs.py.)"""
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(11)
DROPS = ("dropout", "dropout2d")


def algos(name, big=False):
    """Every algorithm; the plain-loop one only for small inputs."""
    op = getattr(kernels, name)
    return [a for a in op.algos() if not (big and op.registered()[a].slow)]


@pytest.mark.parametrize("algo", algos("dropout", big=True))
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropped_fraction_is_p(algo, p):
    x = rng.standard_normal((8, 16, 64, 64)).astype(np.float32) + 10  # no zeros in x
    y = kernels.dropout(x, p=p, seed=123, algo=algo)
    assert abs(np.mean(y == 0) - p) < 0.01
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-6)


@pytest.mark.parametrize("algo", algos("dropout2d", big=True))
def test_dropout2d_drops_whole_channels_at_rate_p(algo):
    x = rng.standard_normal((64, 256, 3, 3)) + 10
    y = kernels.dropout2d(x, p=0.3, seed=5, algo=algo)
    dropped = (y == 0).reshape(64, 256, 9)
    assert np.all(dropped.all(axis=2) | ~dropped.any(axis=2)), "a channel was partly dropped"
    assert abs(dropped[:, :, 0].mean() - 0.3) < 0.01


@pytest.mark.parametrize("name", DROPS)
def test_mask_is_a_function_of_the_seed(name):
    op, x = getattr(kernels, name), rng.standard_normal((4, 8, 5, 5)) + 10
    results = {a: op(x, p=0.5, seed=9, algo=a) for a in op.algos()}
    first = next(iter(results.values()))
    for y in results.values():  # every algorithm, every call: the same mask
        np.testing.assert_array_equal(y == 0, first == 0)
    np.testing.assert_array_equal(op(x, p=0.5, seed=9) == 0, first == 0)
    assert not np.array_equal(op(x, p=0.5, seed=10) == 0, first == 0)
    # the same mask in float32
    np.testing.assert_array_equal(op(x.astype(np.float32), p=0.5, seed=9) == 0, first == 0)


@pytest.mark.parametrize("name", DROPS)
@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
def test_backward_uses_the_forward_mask(name, algo):
    op = getattr(kernels, name)
    x, gy = rng.standard_normal((2, 4, 3, 3)) + 10, rng.standard_normal((2, 4, 3, 3))
    y = op(x, p=0.4, seed=3, algo=algo)
    (gx,) = op.backward(gy, x, p=0.4, seed=3, algo=algo)
    np.testing.assert_allclose(gx, np.where(y == 0, 0, gy / 0.6), rtol=1e-12)


@pytest.mark.parametrize("name", DROPS)
def test_backward_without_a_seed_is_refused(name):
    x = rng.standard_normal((2, 3, 4, 4))
    with pytest.raises(ValueError, match="seed"):
        getattr(kernels, name).backward(x, x, p=0.5)
    (g,) = getattr(kernels, name).backward(x, x, p=0.5, training=False)  # no mask: fine
    np.testing.assert_array_equal(g, x)


@pytest.mark.parametrize("name", DROPS)
@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
def test_p0_identity_p1_zeros_eval_identity(name, algo):
    op, x = getattr(kernels, name), rng.standard_normal((2, 3, 4, 4))
    np.testing.assert_array_equal(op(x, p=0.0, seed=1, algo=algo), x)
    np.testing.assert_array_equal(op(x, p=0.5, training=False, algo=algo), x)
    y = op(x, p=1.0, seed=1, algo=algo)
    np.testing.assert_array_equal(y, np.zeros_like(x))
    np.testing.assert_array_equal(y, getattr(F, name)(torch.tensor(x), p=1.0).numpy())


@pytest.mark.parametrize("name", ("relu", "leaky_relu", "dropout"))
@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
def test_inplace_writes_into_the_callers_array(name, algo):
    big = rng.standard_normal((4, 6))
    view = big[::2, ::2]  # not contiguous: the algorithm sees a copy
    expect = getattr(kernels, name)(view.copy(), algo=algo,
                                    **({"seed": 2} if name == "dropout" else {}))
    out = getattr(kernels, name)(view, inplace=True, algo=algo, **({"seed": 2} if name == "dropout" else {}))
    assert out is view
    np.testing.assert_array_equal(big[::2, ::2], expect)


@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
def test_kink_conventions_match_torch(algo):
    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan])
    for name, kw in (("relu", {}), ("leaky_relu", {"negative_slope": 0.1})):
        t = torch.tensor(x, requires_grad=True)
        y = getattr(F, name)(t, **kw)
        (g,) = torch.autograd.grad(y.sum(), t)
        ours = getattr(kernels, name)(x, algo=algo, **kw)
        np.testing.assert_array_equal(ours, y.detach().numpy())
        assert not np.signbit(ours[:3]).any() if name == "relu" else True
        np.testing.assert_array_equal(getattr(kernels, name).backward(np.ones(5), x, algo=algo, **kw)[0][:4],
                                      g.numpy()[:4])


@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
def test_sigmoid_saturates_without_nan(algo):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    np.testing.assert_allclose(kernels.sigmoid(x, algo=algo), torch.sigmoid(torch.tensor(x)).numpy(),
                               rtol=1e-12, atol=0)


def test_signatures_follow_torch():
    for name in ("relu", "leaky_relu", "dropout", "dropout2d"):
        ours = [(k, v.default) for k, v in inspect.signature(getattr(kernels, name)).parameters.items()]
        theirs = [(k, v.default) for k, v in inspect.signature(getattr(F, name)).parameters.items()]
        assert ours[:len(theirs)] == theirs, name
    assert list(inspect.signature(kernels.dropout).parameters)[-1] == "seed"


def test_cost_counts():
    assert kernels.relu.cost((2, 3, 4)) == {"params": 0, "macs": 24, "flops": 48, "bytes": 192}
    assert kernels.dropout.cost((2, 3, 4), dtype=np.float64, p=0.3)["bytes"] == 384

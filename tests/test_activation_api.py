"""Dropout's mask (fraction, seed, whole channels, edges), in-place activations, torch's
values at the kinks, signed zeros, infinities and NaN, 0-d inputs, the backward's need of a
seed, signatures and cost.
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


ACTIVATIONS = [("relu", {}), ("leaky_relu", {"negative_slope": 0.1}), ("relu6", {}),
               ("hardsigmoid", {}), ("hardswish", {}), ("silu", {}), ("gelu", {}),
               ("gelu", {"approximate": "tanh"}), ("sigmoid", {}), ("tanh", {})]


def _torch(name, x, gy, **kw):
    t = torch.tensor(x, requires_grad=True)
    y = getattr(F, name)(t, **kw)
    (g,) = torch.autograd.grad(y, t, torch.tensor(gy))
    return y.detach().numpy(), g.numpy()


@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
@pytest.mark.parametrize("name,kw", ACTIVATIONS)
def test_kinks_signed_zeros_and_specials_equal_torch(name, kw, algo):
    """At the kinks, at +-0, +-inf and NaN every value and derivative is torch's: NaN exactly
    where torch has NaN, the piecewise-linear ones' signed zeros too, the transcendental
    ones to the last bits of their libm."""
    x = np.array([-np.inf, -6.0, -3.0, -0.0, 0.0, 3.0, 6.0, np.inf, np.nan, -3.0, 3.0, 6.0,
                  -0.0, 0.0, -np.inf, np.inf])   # 16 elements: torch's vectorised loop
    gy = np.full(x.shape, -2.0)
    y_t, g_t = _torch(name, x, gy, **kw)
    y = getattr(kernels, name)(x, algo=algo, **kw)
    (g,) = getattr(kernels, name).backward(gy, x, algo=algo, **kw)
    for ours, theirs in ((y, y_t), (g, g_t)):
        finite = np.isfinite(theirs)
        np.testing.assert_array_equal(ours[~finite], theirs[~finite])   # NaN and +-inf exactly
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-12,
                                   atol=1e-14 * np.abs(theirs[finite]).max())
    if name in ("relu", "leaky_relu", "relu6"):
        np.testing.assert_array_equal(np.signbit(y), np.signbit(y_t))


@pytest.mark.parametrize("name", ("relu6", "hardswish"))
def test_derivative_at_nan_is_torchs_vectorised_value(name):
    """torch's own derivative of relu6 and hardswish at NaN depends on where the NaN sits:
    0 (relu6) and NaN (hardswish) in its vectorised loop, grad_y in its scalar tail.  Ours
    is always the vectorised loop's; this records torch's split so a change shows."""
    x, gy = np.ones(17), np.ones(17)
    x[0] = x[16] = np.nan
    _, g_t = _torch(name, x, gy)
    assert g_t[16] == 1.0, "torch's scalar tail changed"
    for algo in ("naive", "numpy", "numba"):
        (g,) = getattr(kernels, name).backward(gy, x, algo=algo)
        np.testing.assert_array_equal(g[[0, 16]], g_t[[0, 0]])


@pytest.mark.parametrize("name,kw", ACTIVATIONS + [("dropout", {"seed": 1})])
def test_0d_input_gives_0d_output_and_gradient(name, kw):
    op = getattr(kernels, name)
    for algo in op.algos():
        y = op(np.array(0.7), algo=algo, **kw)
        (g,) = op.backward(np.array(1.0), np.array(0.7), algo=algo, **kw)
        assert isinstance(y, np.ndarray) and y.shape == () and g.shape == (), (name, algo)
    ref = getattr(F, name)(torch.tensor(0.7), **{k: v for k, v in kw.items() if k != "seed"})
    assert ref.shape == ()


def test_0d_shape_is_reported_as_0d():
    with pytest.raises(ValueError, match=r"shape \(\)"):
        kernels.dropout2d(np.array(1.0), seed=1)
    with pytest.raises(ValueError, match=r"\(\)"):
        kernels.relu.backward(np.ones(2), np.array(1.0))


@pytest.mark.parametrize("name", ("relu", "hardswish", "dropout"))
def test_inplace_needs_a_writeable_array_before_anything_runs(name):
    x = rng.standard_normal((3, 4))
    ro = x.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="input.*read-only"):
        getattr(kernels, name)(ro, inplace=True)
    with pytest.raises(TypeError, match=r"input.*\.numpy\(\)"):
        getattr(kernels, name)(torch.tensor(x), inplace=True)
    np.testing.assert_array_equal(ro, x)


def test_gelu_approximate_is_keyword_only_as_in_torch():
    x = rng.standard_normal(5)
    with pytest.raises(TypeError, match="positional"):
        kernels.gelu(x, "tanh")
    with pytest.raises(TypeError):
        F.gelu(torch.tensor(x), "tanh")
    param = inspect.signature(kernels.gelu).parameters["approximate"]
    assert param.kind is inspect.Parameter.KEYWORD_ONLY and param.default == "none"


def test_flags_follow_torch():
    """training is a bool (numpy's bool and ints refused, as torch does); inplace takes any
    truth value; p and negative_slope take any real number torch takes (bools included)."""
    x = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(kernels.dropout(x, p=True, seed=1), F.dropout(torch.tensor(x), p=True).numpy())
    np.testing.assert_array_equal(kernels.relu(x.copy(), inplace=None), F.relu(torch.tensor(x), inplace=None).numpy())
    np.testing.assert_array_equal(kernels.leaky_relu(x, negative_slope=True), x)
    with pytest.raises(TypeError, match="training"):
        kernels.dropout(x, training=np.bool_(True), seed=1)


@pytest.mark.parametrize("algo", ("naive", "numpy", "numba"))
def test_sigmoid_saturates_without_nan(algo):
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    np.testing.assert_allclose(kernels.sigmoid(x, algo=algo), torch.sigmoid(torch.tensor(x)).numpy(),
                               rtol=1e-12, atol=0)


def test_signatures_follow_torch():
    for name in ("relu", "leaky_relu", "relu6", "hardsigmoid", "hardswish", "silu", "dropout",
                 "dropout2d"):
        ours = [(k, v.default) for k, v in inspect.signature(getattr(kernels, name)).parameters.items()]
        theirs = [(k, v.default) for k, v in inspect.signature(getattr(F, name)).parameters.items()]
        assert ours[:len(theirs)] == theirs, name
    assert list(inspect.signature(kernels.dropout).parameters)[-1] == "seed"


def test_cost_counts():
    assert kernels.relu.cost((2, 3, 4)) == {"params": 0, "macs": 24, "flops": 48, "bytes": 192}
    assert kernels.dropout.cost((2, 3, 4), dtype=np.float64, p=0.3)["bytes"] == 384

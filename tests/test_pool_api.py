"""Pooling and resampling ops: torch's shapes and shape errors, indices and index rules,
signatures, cost.  (Values and gradients: tests/test_registry.py; bad input: tests/cases
and tests/test_bad_inputs.py.)"""
import inspect
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels

rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


X = rand(2, 3, 8, 8)


def _torch_shape(fn, shape, **kw):
    try:
        out = fn(torch.zeros(shape), **kw)
    except RuntimeError:
        return None
    return tuple((out[0] if isinstance(out, tuple) else out).shape)


def test_sliding_output_shapes_and_errors_match_torch():
    """Random kernel/stride/padding/dilation/ceil_mode: our shape is torch's; where torch
    refuses, we raise ValueError (never a crash or a silent shape)."""
    r = random.Random(1)
    fns = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
    avg = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
    checked = 0
    for _ in range(1000):
        nd = r.choice((1, 2, 3))
        size = tuple(r.randint(1, 9) for _ in range(nd))
        kw = dict(kernel_size=tuple(r.randint(1, 5) for _ in range(nd)),
                  stride=tuple(r.randint(1, 4) for _ in range(nd)),
                  padding=tuple(r.randint(0, 3) for _ in range(nd)),
                  ceil_mode=r.random() < 0.5)
        shape = (1, 2, *size)
        for kind in ("max", "avg"):
            call = dict(kw)
            if kind == "max":
                call["dilation"] = tuple(r.randint(1, 3) for _ in range(nd))
            fn = (fns if kind == "max" else avg)[nd]
            op = kernels.OPS[f"{kind}_pool{nd}d"]
            want = _torch_shape(fn, shape, **call)
            try:
                got = op.output_shape(shape, **call)
            except ValueError as e:
                assert want is None or "entirely in the padding" in str(e), (shape, call, want, e)
                continue
            assert got == want, (kind, shape, call)
            checked += 1
    assert checked > 300


@pytest.mark.parametrize("algo", ["numpy", "numba"])
def test_indices_and_ties_equal_torch(algo):
    """Integer-valued input (many ties): values and indices exactly as torch's float32."""
    x = np.round(rand(2, 3, 9, 11, dtype=np.float32) * 1.5)
    t = torch.from_numpy(x)
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=1, dilation=(2, 1)),
               dict(kernel_size=3, stride=2, ceil_mode=True, padding=1)):
        y, i = kernels.max_pool2d(x, **kw, return_indices=True, algo=algo)
        ty, ti = F.max_pool2d(t, **kw, return_indices=True)
        np.testing.assert_array_equal(y, ty.numpy())
        np.testing.assert_array_equal(i, ti.numpy())
    y, i = kernels.adaptive_max_pool2d(x, (4, 3), return_indices=True, algo=algo)
    ty, ti = F.adaptive_max_pool2d(t, (4, 3), return_indices=True)
    np.testing.assert_array_equal(i, ti.numpy())
    x3 = np.round(rand(1, 2, 5, 6, 7, dtype=np.float32))
    y, i = kernels.max_pool3d(x3, 2, stride=(1, 2, 3), ceil_mode=True, return_indices=True, algo=algo)
    ty, ti = F.max_pool3d(torch.from_numpy(x3), 2, stride=(1, 2, 3), ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(i, ti.numpy())


def test_numba_max_pool_on_the_benchmark_layer_shape():
    """The ResNet stem pool (3x3, stride 2, padding 1) on a 112x112 plane equals torch exactly."""
    x = rand(1, 4, 112, 112, dtype=np.float32)
    np.testing.assert_array_equal(kernels.max_pool2d(x, 3, 2, 1, algo="numba"),
                                  F.max_pool2d(torch.from_numpy(x), 3, 2, 1).numpy())


def test_return_indices_gives_a_tuple_only_when_asked():
    assert isinstance(kernels.max_pool2d(X, 2, algo="numpy"), np.ndarray)
    y, i = kernels.max_pool2d(X, 2, return_indices=True, algo="numpy")
    assert i.dtype == np.int64 and i.shape == y.shape == (2, 3, 4, 4)
    gx, = kernels.max_pool2d.backward(rand(2, 3, 4, 4), X, 2, return_indices=True, algo="numpy")
    assert gx.shape == X.shape


def test_unpool_round_trip_keeps_the_maxima():
    y, i = kernels.max_pool2d(X, 2, return_indices=True, algo="numba")
    for algo in kernels.max_unpool2d.algos():
        u = kernels.max_unpool2d(y, i, 2, algo=algo)
        assert u.shape == X.shape
        np.testing.assert_array_equal(u[u != 0], X[u != 0])
        assert np.count_nonzero(u) == y.size


def test_spp_layout_is_level_then_channel_then_bin():
    x = rand(2, 3, 8, 8)
    y = kernels.spatial_pyramid_pool2d(x, levels=(1, 2), mode="avg", algo="numpy")
    assert y.shape == (2, 3 * (1 + 4))
    np.testing.assert_allclose(y[:, :3], x.mean(axis=(2, 3)))
    np.testing.assert_allclose(y[:, 3:].reshape(2, 3, 2, 2)[:, :, 1, 0], x[:, :, 4:, :4].mean(axis=(2, 3)))


def test_interpolate_source_indices_match_torch():
    """Random sizes and scales: the nearest source index and the bilinear output of every
    row equal torch's float32 (integer-coded input makes the index visible)."""
    r = random.Random(2)
    for _ in range(150):
        H, W = r.randint(1, 30), r.randint(1, 30)
        kw = (dict(size=(r.randint(1, 60), r.randint(1, 60))) if r.random() < 0.5 else
              dict(scale_factor=r.choice([0.5, 1.1, 1.7, 2.0, 2.3, 3.0, r.uniform(0.3, 4)]),
                   recompute_scale_factor=r.choice([None, True, False])))
        x = (np.arange(H)[:, None] * 100 + np.arange(W)[None, :]).astype(np.float32)[None, None]
        try:
            want = F.interpolate(torch.from_numpy(x), mode="nearest", **kw).numpy()
        except RuntimeError:
            with pytest.raises(ValueError):
                kernels.interpolate(x, **kw, algo="numpy")
            continue
        np.testing.assert_array_equal(kernels.interpolate(x, **kw, algo="numpy"), want)
        for ac in (False, True):
            want = F.interpolate(torch.from_numpy(x), mode="bilinear", align_corners=ac, **kw).numpy()
            got = kernels.interpolate(x, **kw, mode="bilinear", align_corners=ac, algo="numba")
            np.testing.assert_allclose(got, want, rtol=0, atol=2e-3)


SIGNATURES = {
    "max_pool1d": "input kernel_size stride padding dilation ceil_mode return_indices",
    "max_pool2d": "input kernel_size stride padding dilation ceil_mode return_indices",
    "max_pool3d": "input kernel_size stride padding dilation ceil_mode return_indices",
    "avg_pool1d": "input kernel_size stride padding ceil_mode count_include_pad",
    "avg_pool2d": "input kernel_size stride padding ceil_mode count_include_pad divisor_override",
    "avg_pool3d": "input kernel_size stride padding ceil_mode count_include_pad divisor_override",
    "lp_pool1d": "input norm_type kernel_size stride ceil_mode",
    "lp_pool2d": "input norm_type kernel_size stride ceil_mode",
    "adaptive_avg_pool2d": "input output_size",
    "adaptive_max_pool2d": "input output_size return_indices",
    "max_unpool2d": "input indices kernel_size stride padding output_size",
    "pixel_shuffle": "input upscale_factor",
    "pixel_unshuffle": "input downscale_factor",
    "interpolate": "input size scale_factor mode align_corners recompute_scale_factor antialias",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature_is_torchs(name):
    assert list(inspect.signature(kernels.OPS[name]).parameters) == SIGNATURES[name].split()
    torch_fn = getattr(F, name)
    try:
        theirs = list(inspect.signature(torch_fn).parameters)
    except (TypeError, ValueError):
        return
    if theirs != ["args", "kwargs"]:
        assert theirs == SIGNATURES[name].split()


def test_cost_counts_window_reads():
    c = kernels.max_pool2d.cost((1, 2, 4, 4), kernel_size=2)
    assert c == {"params": 0, "macs": 2 * 16, "flops": 2 * 2 * 16, "bytes": 4 * (2 * 16 + 2 * 4)}
    # padded taps are not read: 3x3/2 pad 1 on 4x4 sees 2 then 3 rows (and columns)
    c = kernels.avg_pool2d.cost((1, 1, 4, 4), kernel_size=3, stride=2, padding=1, dtype=np.float64)
    assert c["macs"] == (2 + 3) * (2 + 3) and c["bytes"] == 8 * (16 + 4)
    c = kernels.max_pool2d.cost((1, 1, 4, 4), kernel_size=2, return_indices=True)
    assert c["bytes"] == 4 * (16 + 4) + 8 * 4
    assert kernels.spatial_pyramid_pool2d.cost((1, 2, 4, 4), levels=(1, 2))["macs"] == 2 * 16 * 2
    assert kernels.interpolate.cost((1, 1, 2, 2), size=4, mode="bilinear")["macs"] == 16 * 4
    assert kernels.pixel_shuffle.cost((1, 4, 2, 2), 2)["macs"] == 0


def test_shapes_of_the_resampling_ops():
    assert kernels.pixel_shuffle.output_shape((2, 3, 18, 4, 5), 3) == (2, 3, 2, 12, 15)
    assert kernels.pixel_unshuffle.output_shape((2, 3, 12, 15), 3) == (2, 27, 4, 5)
    assert kernels.interpolate.output_shape((1, 1, 5, 7), scale_factor=(1.5, 0.5)) == (1, 1, 7, 3)
    assert kernels.global_avg_pool2d.output_shape((2, 5, 7, 3)) == (2, 5, 1, 1)
    assert kernels.adaptive_avg_pool2d.output_shape((2, 5, 7, 3), (None, 2)) == (2, 5, 7, 2)
    assert kernels.max_unpool2d.output_shape((1, 2, 3, 3), (1, 2, 3, 3), 2, output_size=(1, 2, 7, 6)) \
        == (1, 2, 7, 6)


@pytest.mark.parametrize("algo", ["naive", "numpy", "numba"])
def test_gradient_goes_where_torch_sends_it_under_ties(algo):
    """Integer-valued input (many ties): each window's gradient lands on the tap torch's
    index picks (the numba backward finds it without computing indices)."""
    x = np.round(rand(2, 3, 9, 11, dtype=np.float64) * 1.5)
    for kw in (dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=(2, 3), stride=1, dilation=(2, 1)),
               dict(kernel_size=3, stride=2, ceil_mode=True, padding=1)):
        t = torch.from_numpy(x).requires_grad_()
        y = F.max_pool2d(t, **kw)
        gy = rand(*y.shape, dtype=np.float64)
        y.backward(torch.from_numpy(gy))
        (gx,) = kernels.max_pool2d.backward(gy, x, **kw, algo=algo)
        # a tap in several windows sums their gradients, maybe in another order than torch
        np.testing.assert_allclose(gx, t.grad.numpy(), rtol=1e-12, atol=1e-12)

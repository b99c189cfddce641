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
    "lp_pool3d": "input norm_type kernel_size stride ceil_mode",
    "adaptive_avg_pool1d": "input output_size",
    "adaptive_avg_pool2d": "input output_size",
    "adaptive_avg_pool3d": "input output_size",
    "adaptive_max_pool1d": "input output_size return_indices",
    "adaptive_max_pool2d": "input output_size return_indices",
    "adaptive_max_pool3d": "input output_size return_indices",
    "max_unpool1d": "input indices kernel_size stride padding output_size",
    "max_unpool2d": "input indices kernel_size stride padding output_size",
    "max_unpool3d": "input indices kernel_size stride padding output_size",
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


# ---- torch parity: NaN, empty outputs, sizes --------------------------------------------------
POOL_ALGOS = ["naive", "numpy", "numba"]


def _nan_input(r, shape):
    x = r.standard_normal(shape)
    x[r.random(shape) < 0.3] = np.nan
    x[r.random(shape) < 0.1] = -np.inf
    return x


@pytest.mark.parametrize("algo", POOL_ALGOS)
def test_nan_windows_match_torch_on_random_configurations(algo):
    """Random geometries on inputs full of NaN and -inf: values (NaN where torch has NaN),
    indices and the gradient (where torch's index sends it) are torch's exactly."""
    r = np.random.default_rng(5)
    for trial in range(24):
        nd = 1 + trial % 3
        size = tuple(int(v) for v in r.integers(3, 8, nd))
        k = tuple(int(v) for v in r.integers(1, 4, nd))
        kw = dict(kernel_size=k, stride=tuple(int(v) for v in r.integers(1, 3, nd)),
                  padding=tuple(int(r.integers(0, kk // 2 + 1)) for kk in k),
                  dilation=tuple(int(v) for v in r.integers(1, 3, nd)), ceil_mode=bool(trial % 2))
        x = _nan_input(r, (2, 2, *size))
        try:
            ty, ti = getattr(F, f"max_pool{nd}d")(torch.from_numpy(x), **kw, return_indices=True)
        except RuntimeError:
            continue
        op = kernels.OPS[f"max_pool{nd}d"]
        if not op.supports(algo, x.shape, **kw):   # a window in the padding (torch: -inf)
            continue
        y, i = op(x, **kw, return_indices=True, algo=algo)
        np.testing.assert_array_equal(y, ty.numpy())
        np.testing.assert_array_equal(i, ti.numpy())
        np.testing.assert_array_equal(op(x, **kw, algo=algo), ty.numpy())
        gy = r.standard_normal(ty.shape)
        t = torch.from_numpy(x).requires_grad_()
        getattr(F, f"max_pool{nd}d")(t, **kw).backward(torch.from_numpy(gy))
        np.testing.assert_allclose(op.backward(gy, x, **kw, algo=algo)[0], t.grad.numpy(), rtol=1e-12)
    for nd in (1, 2, 3):
        x = _nan_input(r, (2, 3, *(7,) * nd))
        y, i = kernels.OPS[f"adaptive_max_pool{nd}d"](x, 3, return_indices=True, algo=algo)
        ty, ti = getattr(F, f"adaptive_max_pool{nd}d")(torch.from_numpy(x), 3, return_indices=True)
        np.testing.assert_array_equal(y, ty.numpy())
        np.testing.assert_array_equal(i, ti.numpy())


@pytest.mark.parametrize("name,shape,kw", [
    ("adaptive_avg_pool2d", (2, 3, 5, 5), dict(output_size=0)),
    ("adaptive_avg_pool2d", (2, 0, 5, 5), dict(output_size=2)),
    ("adaptive_avg_pool1d", (2, 0, 5), dict(output_size=2)),
    ("adaptive_max_pool3d", (1, 2, 3, 4, 4), dict(output_size=(1, 0, 1), return_indices=True)),
    ("adaptive_avg_pool3d", (2, 3, 4, 4, 4), dict(output_size=(None, 0, 2))),
    ("global_avg_pool2d", (2, 0, 5, 5), {}),
    ("max_unpool2d", (1, 2, 3, 3), dict(kernel_size=0)),
    ("max_unpool1d", (1, 2, 3), dict(kernel_size=2, stride=1, padding=2)),
])
def test_empty_outputs_torch_computes_are_computed(name, shape, kw):
    """Calls whose output torch computes as empty (its backward refuses them, so no registry
    case can hold them): the same empty output, and zero gradients, from every algorithm."""
    op = kernels.OPS[name]
    x = rng.standard_normal(shape)
    arrays = [x] if name != "max_unpool2d" and name != "max_unpool1d" else [x, np.zeros(shape, np.int64)]
    ref = getattr(F, name, None)
    if name == "global_avg_pool2d":
        ref = lambda t: F.adaptive_avg_pool2d(t, 1)  # noqa: E731
    want = ref(*[torch.from_numpy(a) for a in arrays], **kw)
    want = want if isinstance(want, tuple) else (want,)
    for algo in [*op.algos(), "auto"]:
        got = op(*arrays, **kw, algo=algo)
        got = got if isinstance(got, tuple) else (got,)
        assert [g.shape for g in got] == [tuple(w.shape) for w in want] and got[0].size == 0
        grads = op.backward(np.zeros(want[0].shape), *arrays, **kw, algo=algo)
        assert grads[0].shape == x.shape and not grads[0].any()


def test_max_unpool_output_size_below_the_windows_with_auto():
    """An output_size torch accepts (within one stride of the default) that cuts the last
    windows off: supports says yes, and algo="auto" (which draws its own inputs) runs."""
    kw = dict(kernel_size=2, stride=3, output_size=(6, 7))
    shape = (1, 2, 3, 3)
    assert kernels.max_unpool2d.supports("auto", shape, shape, **kw)
    x, idx = kernels.max_unpool2d.make_inputs((shape, shape), kw, np.random.default_rng(0))
    assert idx.min() >= 0 and idx.max() < 6 * 7
    want = F.max_unpool2d(torch.from_numpy(x), torch.from_numpy(idx), **kw).numpy()
    np.testing.assert_array_equal(kernels.max_unpool2d(x, idx, **kw, algo="auto"), want)


def test_huge_sizes_are_planned_in_constant_time():
    """Validation never walks the output: an empty batch with a 2**40-long output (torch
    accepts it) and 2**62 sizes (refused, naming the argument) return at once."""
    import time
    start = time.perf_counter()
    y = kernels.adaptive_avg_pool1d(np.empty((0, 3, 5)), 2**40, algo="numba")
    assert y.shape == (0, 3, 2**40)
    assert kernels.adaptive_max_pool1d.output_shape((0, 3, 5), 2**40) == (0, 3, 2**40)
    for op, kw in ((kernels.adaptive_avg_pool2d, dict(output_size=2**62)),
                   (kernels.adaptive_max_pool2d, dict(output_size=(2**62, 1))),
                   (kernels.max_pool2d, dict(kernel_size=2**62)),
                   (kernels.avg_pool2d, dict(kernel_size=3, stride=2**62)),
                   (kernels.max_unpool2d, dict(kernel_size=2, stride=2**62))):
        shapes = ((2, 3, 5, 5),) * (2 if op is kernels.max_unpool2d else 1)
        assert not op.supports("auto", *shapes, **kw)
        with pytest.raises(ValueError, match="kernel_size|stride|output_size"):
            op.output_shape(*shapes, **kw)
    # the largest kernel torch takes, padded to cover a 6-element input from every start:
    # only the taps inside the input are visited
    x = rng.standard_normal((1, 2, 6))
    for algo in kernels.max_pool1d.algos():
        kw = dict(kernel_size=2**31 - 1, padding=2**30 - 1)
        if kernels.max_pool1d.supports(algo, x.shape, **kw):
            np.testing.assert_array_equal(kernels.max_pool1d(x, **kw, algo=algo), x.max(-1, keepdims=True))
            np.testing.assert_allclose(kernels.avg_pool1d(x, **kw, algo=algo),
                                       x.sum(-1, keepdims=True) / (2**31 - 1), rtol=1e-12)
    assert time.perf_counter() - start < 10


def test_lp_pool_norm_types_torch_takes():
    """NaN, negative and bool norm types, and inf with an input smaller than the kernel
    (max_pool3d's path, which has no size check): torch's values."""
    x = np.abs(rng.standard_normal((1, 2, 2, 5, 5))) + 0.1
    t = torch.from_numpy(x)
    for p, kw in ((float("nan"), dict(kernel_size=2)), (-2, dict(kernel_size=2)), (True, dict(kernel_size=2)),
                  (float("inf"), dict(kernel_size=3, stride=2, ceil_mode=True))):
        want = F.lp_pool3d(t, p, **kw).numpy()
        for algo in POOL_ALGOS:
            got = kernels.lp_pool3d(x, p, **kw, algo=algo)
            np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)


def test_return_indices_is_read_by_its_truth_value():
    """torch dispatches on ``if return_indices``: 1 and "yes" return indices, 0 and None not."""
    assert isinstance(kernels.max_pool2d(X, 2, return_indices=1, algo="numpy"), tuple)
    assert isinstance(kernels.adaptive_max_pool1d(X[0], 2, return_indices="yes", algo="numpy"), tuple)
    assert isinstance(kernels.max_pool1d(X[0], 2, return_indices=None, algo="numpy"), np.ndarray)


@pytest.mark.parametrize("name,args,shape", [
    ("AdaptiveAvgPool1d", (3,), (2, 3, 8)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), (1, 2, 4, 5, 6)),
    ("AdaptiveMaxPool1d", (3, True), (2, 3, 8)),
    ("AdaptiveMaxPool3d", (2,), (1, 2, 4, 5, 6)),
    ("LPPool3d", (2, 2), (1, 2, 4, 4, 4)),
])
def test_new_pool_modules_are_torchs(name, args, shape):
    import kernels.torch.nn as knn
    ours, theirs = getattr(knn, name)(*args, algo="numpy"), getattr(torch.nn, name)(*args)
    assert isinstance(ours, type(theirs))
    x = torch.from_numpy(rng.standard_normal(shape)).requires_grad_()
    out, want = ours(x), theirs(x)
    if isinstance(want, tuple):
        assert torch.equal(out[1], want[1])
        out, want = out[0], want[0]
    torch.testing.assert_close(out, want)
    g, = torch.autograd.grad(out.sum(), x)
    g_want, = torch.autograd.grad(want.sum(), x)
    torch.testing.assert_close(g, g_want)


@pytest.mark.parametrize("nd", [1, 3])
def test_max_unpool_modules_invert_max_pool(nd):
    import kernels.torch.nn as knn
    x = torch.from_numpy(rng.standard_normal((1, 2, *(4,) * nd)))
    y, idx = getattr(F, f"max_pool{nd}d")(x, 2, return_indices=True)
    ours = getattr(knn, f"MaxUnpool{nd}d")(2, algo="numba")
    assert isinstance(ours, getattr(torch.nn, f"MaxUnpool{nd}d"))
    torch.testing.assert_close(ours(y, idx), getattr(torch.nn, f"MaxUnpool{nd}d")(2)(y, idx))


# ---- every argument against torch ------------------------------------------------------------
def _int_values(nd):
    return [1, 2, 3, 0, -1, True, 2.0, None, (), [2], (2,) * nd, [3] * nd, (2,) * (nd + 1),
            (2,) * (nd - 1) or None, np.int64(2), (np.int64(2),) * nd, 2**31 - 1, 2**31, 2**62, "2"]


_FLAGS = [True, False, 1, 0, None, "yes", np.bool_(True)]


def _argument_space(name):
    """(base call, {argument: values to try one at a time}) for each pooling function."""
    nd = int(name[-2])
    x = (1, 2, *(5,) * nd)
    if name.startswith("max_pool"):
        base = dict(kernel_size=3, stride=2, padding=1)
        return x, base, dict(kernel_size=_int_values(nd), stride=_int_values(nd),
                             padding=_int_values(nd), dilation=_int_values(nd),
                             ceil_mode=_FLAGS, return_indices=_FLAGS)
    if name.startswith("avg_pool"):
        base = dict(kernel_size=3, stride=2, padding=1)
        space = dict(kernel_size=_int_values(nd), stride=_int_values(nd), padding=_int_values(nd),
                     ceil_mode=_FLAGS, count_include_pad=_FLAGS)
        if nd > 1:
            space["divisor_override"] = [None, 1, 3, -2, 0, True, 1.5, 2**62, 2**63, np.int64(3)]
        return x, base, space
    if name.startswith("lp_pool"):
        base = dict(norm_type=2, kernel_size=2)
        return x, base, dict(norm_type=[1, 2, 3.5, -1, 0, float("inf"), -float("inf"), float("nan"),
                                        True, False, "2", np.float64(2), None],
                             kernel_size=_int_values(nd), stride=_int_values(nd), ceil_mode=_FLAGS)
    if name.startswith("adaptive"):
        sizes = [0, 1, 3, -1, None, (3,) * nd, (None,) * nd, (3,) * (nd + 1), [3] * nd, 3.0, True,
                 np.int64(3), (np.int64(3),) * nd, (3.0,) * nd, 2**62, "3"]
        space = dict(output_size=sizes)
        if "max" in name:
            space["return_indices"] = _FLAGS
        return x, dict(output_size=2), space
    base = dict(kernel_size=2)                            # max_unpool: default output 10 per dim
    return x, base, dict(kernel_size=_int_values(nd), stride=_int_values(nd), padding=_int_values(nd),
                         output_size=[None, (10,) * nd, (11,) * nd, (9,) * nd, (8,) * nd,
                                      (1, 2, *(10,) * nd), (10,) * (nd + 1), 10, [10] * nd,
                                      (10.0,) * nd, (None,) * nd])


# what torch takes and we refuse, on purpose (docs/pooling.md): none among these values
DEVIATIONS = set()

ARGUMENT_OPS = [f"{kind}_pool{nd}d" for kind in ("max", "avg", "lp", "adaptive_avg", "adaptive_max")
                for nd in (1, 2, 3)] + [f"max_unpool{nd}d" for nd in (1, 2, 3)]


@pytest.mark.parametrize("name", ARGUMENT_OPS)
def test_each_argument_is_taken_or_refused_as_torch_does(name):
    """Each argument of a base call, varied alone over ints, tuples of every length, zero,
    negatives, bools, floats, None, NumPy scalars, C-int and int64 limits: where torch (its
    differentiable path) computes the call, so do we, with its shape and values; where it
    refuses, we raise ValueError or TypeError naming the argument."""
    import warnings
    op = kernels.OPS[name]
    shape, base, space = _argument_space(name)
    x = rng.standard_normal(shape)
    arrays = [x, np.zeros(shape, np.int64)] if "unpool" in name else [x]
    compared = 0
    for arg, values in space.items():
        for value in values:
            call = {**base, arg: value}
            tensors = [torch.from_numpy(a) for a in arrays]
            tensors[0].requires_grad_()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    want = getattr(F, name)(*tensors, **call)
            except Exception:
                want = None
            if (name, arg, repr(value)) in DEVIATIONS:
                assert want is not None, f"{name}({arg}={value!r}): torch now refuses it"
                want = None
            if want is None:
                with pytest.raises((ValueError, TypeError), match=arg):
                    op(*arrays, **call, algo="numpy")
                continue
            got = op(*arrays, **call, algo="numpy")
            want = tuple(w.detach().numpy() for w in want) if isinstance(want, tuple) else want.detach().numpy()
            assert isinstance(got, tuple) == isinstance(want, tuple), (name, arg, value)
            for g, w in zip(*((got, want) if isinstance(got, tuple) else ((got,), (want,)))):
                assert g.shape == w.shape, (name, arg, value)
                np.testing.assert_allclose(g, w, rtol=1e-12, atol=0, equal_nan=True,
                                           err_msg=f"{name}({arg}={value!r})")
            compared += 1
    assert compared >= 5

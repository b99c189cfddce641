"""interpolate, pixel (un)shuffle, unfold and fold beyond the registry cases: the resampling
tables equal torch's own weights bit for bit, NaN and infinities land where torch puts them
for random geometries, read-only inputs, the drop-in modules, and the places where torch
itself is wrong (documented, and what we compute instead)."""
import random
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kernels
from kernels.resample import taps as T
from kernels.torch import nn as knn

ALGOS = ("naive", "numpy", "numba")
NEAREST = ("nearest", "nearest-exact")


def _weights(t: T.Taps, n: int) -> np.ndarray:
    """The table as a dense (m, n) matrix, repeated taps summed in order in its dtype (as
    torch's sums of ``1 * w``)."""
    dt = t.weight.dtype.type
    dense = np.zeros((len(t.count), n), t.weight.dtype)
    for o in range(len(t.count)):
        for k in range(t.count[o]):
            dense[o, t.index[o, k]] = dt(dense[o, t.index[o, k]] + t.weight[o, k])
    return dense


def _torch_weights(mode, dims, n, m, scale, ac, aa, dtype, other_out):
    """torch's weights along the first spatial axis: interpolate the rows of an identity
    (as a batch) with every other axis of size 2 resized to ``other_out``."""
    x = np.eye(n).reshape((n, 1, n) + (1,) * (dims - 1))
    x = np.broadcast_to(x, (n, 1, n) + (2,) * (dims - 1)).astype(dtype)
    kw = dict(mode=mode, antialias=aa)
    if mode not in NEAREST + ("area",):
        kw["align_corners"] = ac
    rest = (other_out,) * (dims - 1)
    if scale is None:
        kw["size"] = (m,) + rest
    else:
        kw["scale_factor"] = (scale,) + tuple(o / 2 for o in rest)
    y = F.interpolate(torch.from_numpy(np.ascontiguousarray(x)), **kw).numpy()
    return y.reshape(n, m, -1)[:, :, 0].T


CONFIGS = [  # (mode, spatial dims, antialias)
    ("nearest", 1, False), ("nearest", 2, False), ("nearest", 3, False),
    ("nearest-exact", 1, False), ("nearest-exact", 2, False), ("linear", 1, False),
    ("bilinear", 2, False), ("bicubic", 2, False), ("trilinear", 3, False), ("area", 2, False),
    ("bilinear", 2, True), ("bicubic", 2, True), ("lanczos", 2, True)]


def test_fma_matches_torchs_cpu_capability():
    """Which taps weigh exactly 0 depends on whether torch's kernels fuse multiply-adds:
    its AVX2/AVX512 builds do, its default build does not."""
    assert T.FMA == (torch.backends.cpu.get_cpu_capability() != "DEFAULT")


def test_float64_fused_multiply_add_is_correctly_rounded():
    """NumPy has no FMA: taps._fma64 must round a*b + c once, exactly as the hardware."""
    from fractions import Fraction
    rng = np.random.default_rng(5)
    a = rng.standard_normal(3000) * 10.0 ** rng.integers(-3, 4, 3000)
    b = rng.standard_normal(3000)
    near = -(a * b) * (1 + rng.choice([0, 2.0 ** -52, 2.0 ** -53, 1e-12], 3000))
    c = np.concatenate([near, rng.standard_normal(3000)])
    a, b = np.concatenate([a, a]), np.concatenate([b, b])
    o = np.arange(3000.0) + 0.5   # torch's source coordinate, scale * (o + 0.5) - 0.5
    a, b, c = (np.concatenate([a, np.full(3000, 1 / 3)]), np.concatenate([b, o]),
               np.concatenate([c, np.full(3000, -0.5)]))
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c)]
    np.testing.assert_array_equal(T._fma64(a, b, c), exact)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,dims,aa", CONFIGS, ids=[f"{m}-{d}d{'-aa' if a else ''}" for m, d, a in CONFIGS])
def test_tables_are_torchs_weights(mode, dims, aa, dtype):
    """Random sizes, scale factors and align_corners: each table equals the weights torch
    applies, to the last bit (lanczos in float32: within an ulp, glibc's sinf is not
    correctly rounded), torch's nearest index paths included (2-D outputs with
    OH + OW <= 128 and larger ones)."""
    r = random.Random(hash((mode, dims, aa)) % 1000)
    for _ in range(12):
        n = r.randint(1, 30)
        if r.random() < 0.5:
            scale = r.choice([0.5, 1.1, 1.5, 2.0, 3.0, 1 / 3, 0.77, r.uniform(0.25, 4)])
            m = int(n * scale)
            if m < 1:
                continue
        else:
            scale, m = None, r.randint(1, 70)
        ac = mode not in NEAREST + ("area", "lanczos") and r.random() < 0.5
        other = r.choice([2, 150]) if mode in NEAREST and dims == 2 else 2
        want = _torch_weights(mode, dims, n, m, scale, ac, aa, dtype, other)
        small = mode in NEAREST and dims == 2 and m + other <= T.SMALL_2D
        kind = f"aa-{mode}" if aa else mode
        got = _weights(T.taps(kind, n, m, None if mode == "area" else scale, ac, dtype, small), n)
        if mode == "lanczos" and dtype == np.float32:
            np.testing.assert_allclose(got, want, rtol=0, atol=3e-7)
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{kind} {n}->{m} scale={scale} ac={ac}")


def _with_specials(rng, shape, dtype):
    x = rng.standard_normal(shape)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, size=min(3, flat.size), replace=False)
    flat[picks] = [np.inf, -np.inf, np.nan][:len(picks)]
    return x.astype(dtype)


def _random_call(r):
    mode, dims, aa = r.choice(CONFIGS)
    shape = (1, 2) + tuple(r.randint(1, 7) for _ in range(dims))
    kw = dict(mode=mode, antialias=aa)
    if mode not in NEAREST + ("area",) and mode != "lanczos":
        kw["align_corners"] = r.random() < 0.5
    if r.random() < 0.5:
        kw["size"] = tuple(r.randint(1, 9) for _ in range(dims))
    else:
        kw["scale_factor"] = tuple(r.choice([0.5, 1, 1.5, 2, 3, 2.3]) for _ in range(dims))
    return shape, kw


@pytest.mark.parametrize("algo", ALGOS)
def test_nan_and_infinities_land_where_torchs_do(algo):
    """Random geometries in every mode, in torch's own dtype: NaN exactly where torch has
    NaN, the same infinities, the finite values close."""
    r, rng = random.Random(7), np.random.default_rng(7)
    checked = 0
    while checked < 40:
        shape, kw = _random_call(r)
        dtype = r.choice([np.float32, np.float64])
        x = _with_specials(rng, shape, dtype)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = F.interpolate(torch.from_numpy(x), **kw).numpy()
        except (RuntimeError, ValueError):
            with pytest.raises(ValueError):
                kernels.interpolate(x, **kw, algo=algo)
            continue
        if kw.get("antialias") and want.shape[-1] == 1:
            continue   # torch's antialias is wrong there: see the test below
        got = kernels.interpolate(x, **kw, algo=algo)
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan), (shape, kw, dtype)
        inf = np.isinf(want)
        assert np.array_equal(got[inf], want[inf]) and not np.isinf(got[~inf]).any(), (shape, kw)
        fin = np.isfinite(want)
        np.testing.assert_allclose(got[fin], want[fin], rtol=1e-5, atol=1e-5 * np.abs(want[fin]).max(initial=1))
        checked += 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_indices_equal_torchs(dtype):
    """Integer-coded input makes the source index visible: every nearest mode, 1-D to 3-D,
    sizes and scale factors, equal to torch in the same dtype, forward and backward."""
    r, rng = random.Random(3), np.random.default_rng(3)
    for _ in range(60):
        mode, dims = r.choice(NEAREST), r.randint(1, 3)
        size = tuple(r.randint(1, 20) for _ in range(dims))
        x = np.arange(np.prod(size), dtype=dtype).reshape((1, 1) + size)
        if r.random() < 0.5:
            kw = dict(size=tuple(r.randint(1, 90 if dims == 2 else 30) for _ in range(dims)))
        else:
            kw = dict(scale_factor=r.choice([0.5, 1.1, 1.7, 2.0, 2.3, 3.0, r.uniform(0.3, 4)]),
                      recompute_scale_factor=r.choice([None, True, False]))
        try:
            want = F.interpolate(torch.from_numpy(x), mode=mode, **kw)
        except RuntimeError:
            continue
        got = kernels.interpolate(x, mode=mode, **kw, algo="numba")
        np.testing.assert_array_equal(got, want.numpy())
        gy = rng.standard_normal(want.shape).astype(dtype)
        t = torch.from_numpy(x).requires_grad_()
        F.interpolate(t, mode=mode, **kw).backward(torch.from_numpy(gy))
        g, = kernels.interpolate.backward(gy, x, mode=mode, **kw, algo="numpy")
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_antialias_with_output_width_1_is_computed_correctly():
    """torch 2.13's antialiased vertical pass, with an output one pixel wide, reads every
    output row through the first row's taps (its loop assumes contiguous widths).  Ours
    resamples each row: the result equals torch's on the same column repeated twice."""
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 1))
    two = np.concatenate([x, x], axis=3)
    for mode in ("bilinear", "bicubic", "lanczos"):
        want = F.interpolate(torch.from_numpy(two), size=(4, 2), mode=mode, antialias=True).numpy()
        for algo in ALGOS:
            got = kernels.interpolate(x, size=(4, 1), mode=mode, antialias=True, algo=algo)
            np.testing.assert_allclose(got, want[..., :1], rtol=1e-12, atol=1e-12)
        broken = F.interpolate(torch.from_numpy(x), size=(4, 1), mode=mode, antialias=True).numpy()
        assert np.allclose(broken, broken[:, :, :1]), "torch fixed its width-1 antialias: drop this note"


def test_pixel_unshuffle_of_an_empty_input_has_the_ops_shape():
    """torch returns an empty input unchanged; the op's shape is (*, C*r*r, H/r, W/r)."""
    x = np.zeros((2, 3, 4, 0))
    for algo in ALGOS:
        assert kernels.pixel_unshuffle(x, 2, algo=algo).shape == (2, 12, 2, 0)
        g, = kernels.pixel_unshuffle.backward(np.zeros((2, 12, 2, 0)), x, 2, algo=algo)
        assert g.shape == x.shape
    assert F.pixel_unshuffle(torch.from_numpy(x), 2).shape == x.shape


CALLS = [
    ("interpolate", (2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    ("interpolate", (2, 3, 5), dict(size=7, mode="linear")),
    ("interpolate", (1, 2, 3, 4, 2), dict(size=(2, 5, 3), mode="nearest")),
    ("interpolate", (1, 2, 7, 6), dict(size=(3, 4), mode="bicubic", antialias=True)),
    ("pixel_shuffle", (2, 8, 3, 4), dict(upscale_factor=2)),
    ("pixel_unshuffle", (2, 2, 6, 8), dict(downscale_factor=2)),
    ("unfold", (2, 3, 5, 6), dict(kernel_size=3, padding=1)),
    ("fold", (2, 12, 12), dict(output_size=(4, 5), kernel_size=2)),
]


@pytest.mark.parametrize("algo", ALGOS)
@pytest.mark.parametrize("op_name,shape,params", CALLS, ids=[f"{c[0]}-{len(c[1])}d-{i}" for i, c in enumerate(CALLS)])
def test_read_only_inputs(op_name, shape, params, algo):
    """Arrays NumPy marks read-only (np.broadcast_to, frombuffer, memory maps) are accepted
    by every algorithm, forward and backward, and left unchanged."""
    op = kernels.OPS[op_name]
    x = np.random.default_rng(1).standard_normal(shape)
    frozen = x.copy()
    frozen.setflags(write=False)
    y = op(frozen, **params, algo=algo)
    np.testing.assert_array_equal(y, op(x.copy(), **params, algo=algo))
    gy = np.ones(y.shape)
    gy.setflags(write=False)
    g, = op.backward(gy, frozen, **params, algo=algo)
    assert g.shape == x.shape and np.array_equal(frozen, x)


def test_sizes_that_cannot_exist_are_refused_before_any_work():
    with pytest.raises(ValueError, match="size"):
        kernels.interpolate(np.zeros((1, 1, 2, 2)), size=(2 ** 40, 2 ** 40))
    with pytest.raises(ValueError, match="scale_factor"):
        kernels.interpolate.output_shape((1, 1, 2, 2), scale_factor=2.0 ** 62, mode="bilinear")
    with pytest.raises(ValueError, match="upscale_factor"):
        kernels.pixel_shuffle.output_shape((1, 0, 2, 2), 2 ** 31)
    with pytest.raises(ValueError, match="padding"):
        kernels.unfold.output_shape((1, 1, 2, 2), 1, padding=2 ** 40)


@pytest.mark.parametrize("algo", ALGOS)
def test_unfold_and_fold_are_adjoint(algo):
    """<unfold(x), c> == <x, fold(c)>, and each op's backward is the other's forward."""
    rng = np.random.default_rng(2)
    kw = dict(kernel_size=(3, 2), dilation=(1, 2), padding=(2, 1), stride=(2, 1))
    x = rng.standard_normal((2, 3, 6, 7))
    cols = kernels.unfold(x, **kw, algo=algo)
    c = rng.standard_normal(cols.shape)
    folded = kernels.fold(c, output_size=(6, 7), **kw, algo=algo)
    assert np.isclose(np.vdot(cols, c), np.vdot(x, folded), rtol=1e-12)
    np.testing.assert_array_equal(kernels.unfold.backward(c, x, **kw, algo=algo)[0], folded)
    gi = rng.standard_normal(x.shape)
    np.testing.assert_array_equal(kernels.fold.backward(gi, c, output_size=(6, 7), **kw, algo=algo)[0],
                                  kernels.unfold(gi, **kw, algo=algo))


MODULES = [
    (knn.Upsample, torch.nn.Upsample, (), dict(size=(5, 7), mode="bicubic", align_corners=True), (2, 3, 4, 5)),
    (knn.Upsample, torch.nn.Upsample, (), dict(scale_factor=1.5, mode="trilinear"), (1, 2, 3, 4, 2)),
    (knn.Upsample, torch.nn.Upsample, (), dict(size=3, mode="area"), (2, 3, 7)),
    (knn.Unfold, torch.nn.Unfold, ((2, 3),), dict(dilation=(2, 1), padding=1, stride=2), (2, 3, 6, 7)),
    (knn.Unfold, torch.nn.Unfold, (3,), dict(), (3, 5, 6)),
    (knn.Fold, torch.nn.Fold, ((4, 5), 2), dict(), (2, 12, 12)),
]


@pytest.mark.parametrize("ours,theirs,args,kwargs,shape", MODULES,
                         ids=[f"{m[1].__name__}-{i}" for i, m in enumerate(MODULES)])
def test_modules_match_torch(ours, theirs, args, kwargs, shape):
    a, b = ours(*args, **kwargs, algo="numba"), theirs(*args, **kwargs)
    assert isinstance(a, theirs) and "algo='numba'" in repr(a)
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = a(xa), b(xb)
    torch.testing.assert_close(ya, yb, rtol=1e-12, atol=1e-12)
    gy = torch.randn(yb.shape, dtype=torch.float64)
    ya.backward(gy), yb.backward(gy)
    torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-12, atol=1e-12)

"""FFT convolution's overlap-save tiles and chunks, forced onto the small registry cases."""
import numpy as np
import pytest

from kernels.conv import fft
from tests.cases import load
from tests.helpers import check_op

CASES = [(op, c) for op in ("conv1d", "conv2d", "conv3d") for c in load()[op] if "fft" not in c.exclude]


@pytest.fixture
def tiny_tiles(monkeypatch):
    """A budget of one byte: the shortest tiles (kernel + 1), one tile per chunk, and the
    weight gradient summed block by block (blocks of 2x the kernel)."""
    monkeypatch.setattr(fft, "MEMORY_BUDGET", 1)
    monkeypatch.setattr(fft, "TILE_MIN", 1)
    monkeypatch.setattr(fft, "TILE_FACTOR", 2)


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("op_name,case", CASES, ids=[f"{o}-{c.id}" for o, c in CASES])
def test_tiled_fft_matches_torch(tiny_tiles, op_name, case, dtype):
    check_op(op_name, "fft", case, dtype)


def test_tiles_really_split_the_input(tiny_tiles):
    """With no budget the shortest tiles are taken: several per axis."""
    L = fft.fft_lengths((40, 33), (3, 5), G=1, B=2, C=3, K=4, itemsize=4)
    assert L == (4, 6)


def test_large_batch_small_input_is_one_tile():
    """Many images, few channels: the kernel's FFT is cheap, so no overlap is wasted."""
    L = fft.fft_lengths((20, 18), (3, 5), G=1, B=64, C=3, K=4, itemsize=8)
    assert L[0] >= 20 and L[1] >= 18


def test_batch_one_large_kernel_is_tiled():
    """One image, 32 -> 32 channels, 21x21 kernel: the 1024 kernel FFTs dominate, so
    shorter tiles than the whole 84x84 padded input are cheaper."""
    L = fft.fft_lengths((84, 84), (21, 21), G=1, B=1, C=32, K=32, itemsize=4)
    assert max(L) < 84 and min(L) > 21


def test_memory_budget_bounds_the_tile(monkeypatch):
    monkeypatch.setattr(fft, "MEMORY_BUDGET", 2 ** 20)
    L = fft.fft_lengths((1000, 1000), (3, 3), G=1, B=4, C=16, K=16, itemsize=4)
    assert fft._spectrum_bytes(4 * 32, L, 4) <= 2 ** 20


def _random(shape, dtype, rng):
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
def test_pocketfft_adapter_matches_scipy_fft(dtype):
    """The out= transforms the FFT convolution calls, against scipy.fft's public ones:
    into strided views, in place, and the one-axis inverse of a given length."""
    import scipy.fft as sfft

    from kernels.conv import _pocketfft as pf
    rng = np.random.default_rng(0)
    cdt = np.result_type(dtype, np.complex64)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    a = _random((6, 10, 3), dtype, rng)
    out = np.full((6, 12, 3), np.nan, cdt)
    pf.r2c(a, (0, 1), out[:, ::2], 2)
    np.testing.assert_allclose(out[:, ::2], sfft.rfftn(a, axes=(0, 1)), atol=tol * 60)
    assert np.isnan(out[:, 1::2]).all()
    z = _random((9, 4, 5), cdt, rng)
    ref = sfft.ifft(z, axis=0)
    assert pf.c2c(z, (0,), z, 2, forward=False, inorm=2) is z
    np.testing.assert_allclose(z, ref, atol=tol)
    spec = sfft.rfft(_random((7, 12), dtype, rng), axis=1)
    real = np.empty((7, 12), dtype)
    pf.c2r(spec, 1, 12, real, 2, inorm=2)
    np.testing.assert_allclose(real, sfft.irfft(spec, n=12, axis=1), atol=tol)


@pytest.mark.parametrize("nt,limit", [((3, 4), 1), ((3, 4), 5), ((3, 4), 12), ((2, 3, 4), 7), ((5,), 2)])
def test_tile_boxes_cover_every_tile_once(nt, limit):
    seen = np.zeros(nt, int)
    for box in fft.tile_boxes(list(nt), limit):
        assert all(isinstance(s, slice) for s in box)      # a view, never a gather
        assert seen[box].size <= max(limit, 1)
        seen[box] += 1
    assert (seen == 1).all()


def test_repeated_calls_do_not_fault_in_fresh_memory():
    """The intermediates are kept scratch arrays: a repeated call of a layer whose spectra
    take megabytes touches almost no new pages (it faulted in ~2,800 4 KiB pages, 10 ms of
    system time, per call when each was a fresh array)."""
    resource = pytest.importorskip("resource")
    import kernels
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 48, 48)).astype(np.float32)
    w = rng.standard_normal((16, 16, 15, 15)).astype(np.float32)
    for _ in range(3):
        kernels.conv2d(x, w, None, padding=7, algo="fft")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    kernels.conv2d(x, w, None, padding=7, algo="fft")
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    kernel_spectrum_pages = 16 * 16 * 30 * 16 * 8 // 4096   # one of several intermediates
    assert faults < kernel_spectrum_pages / 4

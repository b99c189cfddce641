"""FFT convolution's overlap-save tiles and chunks, forced onto the small registry cases."""
import numpy as np
import pytest

from kernels.conv import fft
from tests.cases import load
from tests.helpers import check_op

CASES = [(op, c) for op in ("conv1d", "conv2d", "conv3d") for c in load()[op]]


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

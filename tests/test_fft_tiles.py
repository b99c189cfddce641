"""FFT convolution's overlap-save tiles and chunks, forced onto the small registry cases."""
import numpy as np
import pytest

from kernels.conv import fft
from tests.cases import load
from tests.helpers import check_op

CASES = [(op, c) for op in ("conv1d", "conv2d", "conv3d") for c in load()[op]]


@pytest.fixture
def tiny_tiles(monkeypatch):
    """A budget of one byte: every input is tiled, one tile per chunk, and the weight
    gradient is summed block by block; tiles of 2x the kernel give several per axis."""
    monkeypatch.setattr(fft, "MEMORY_BUDGET", 1)
    monkeypatch.setattr(fft, "TILE_MIN", 1)
    monkeypatch.setattr(fft, "TILE_FACTOR", 2)


@pytest.mark.parametrize("dtype", (np.float32, np.float64))
@pytest.mark.parametrize("op_name,case", CASES, ids=[f"{o}-{c.id}" for o, c in CASES])
def test_tiled_fft_matches_torch(tiny_tiles, op_name, case, dtype):
    check_op(op_name, "fft", case, dtype)


def test_tiles_really_split_the_input(tiny_tiles):
    """The forced tile length is shorter than the signal, so the overlap-save path runs."""
    L = fft.fft_lengths((40, 33), (3, 5), n_signals=8, itemsize=4)
    assert L[0] < 40 and L[1] < 33
    assert all(l >= 2 * r for l, r in zip(L, (3, 5)))


def test_untiled_when_it_fits():
    assert fft.fft_lengths((40, 33), (3, 5), n_signals=8, itemsize=4) == (40, 36)

"""kernels._threads.gemm: np.matmul's results (batches, broadcasting, transposed and strided
views, empty sizes) computed in Numba's pool, and OpenBLAS's thread count left as it was."""
import numpy as np
import pytest

from kernels import _threads
from kernels._threads import gemm

TOL = {np.float32: 1e-5, np.float64: 1e-13}  # relative to the largest |ref|, sums of <= 576 products

SHAPES = [  # (a, b) as (shape, view) pairs: view(x) makes a non-contiguous operand
    ((5, 7), (7, 3)), ((1, 7), (7, 1)), ((300, 17), (17, 2)), ((2, 3, 64, 576), (2, 3, 576, 50)),
    ((3, 64, 576), (2, 3, 576, 50)), ((64, 9), (4, 9, 300)),
]


def _rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _check(a, b):
    ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
    out = np.full(ref.shape, np.nan, a.dtype)  # poisoned: every element must be written
    got = gemm(a, b, out=out)
    assert got is out and got.shape == ref.shape
    if ref.size:
        assert np.abs(got - ref).max() <= TOL[a.dtype.type] * np.abs(ref).max()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sa, sb", SHAPES)
def test_matches_matmul(sa, sb, dtype):
    rng = np.random.default_rng(0)
    _check(_rand(rng, sa, dtype), _rand(rng, sb, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_views(dtype):
    rng = np.random.default_rng(1)
    def r(*s):
        return _rand(rng, s, dtype)
    _check(r(2, 3, 576, 64).transpose(0, 1, 3, 2), r(2, 3, 576, 50))   # a transposed
    _check(r(2, 1, 64, 50), r(2, 1, 576, 50).transpose(0, 1, 3, 2))   # b transposed
    _check(r(4, 6)[:, ::2], r(3, 5)[:, 1:4])                         # strided
    _check(r(4, 6)[::-1], r(6, 5))                                   # negative strides
    _check(np.broadcast_to(r(1, 8, 4), (3, 8, 4)), r(3, 4, 5))       # zero batch stride


@pytest.mark.parametrize("sa, sb", [((4, 0), (0, 5)), ((0, 3), (3, 5)), ((2, 0, 3), (3, 4))])
def test_empty(sa, sb):
    a, b = np.ones(sa, np.float32), np.ones(sb, np.float32)
    out = gemm(a, b)
    assert out.shape == np.matmul(a, b).shape and not out.any()


def test_threads_restored():
    if not _threads.POOLED:
        pytest.skip("NumPy's BLAS is not the scipy-openblas64 build: gemm is np.matmul")
    before = _threads._get_threads()
    gemm(np.ones((64, 64), np.float32), np.ones((64, 64), np.float32))
    assert _threads._get_threads() == before


def test_bad_input():
    with pytest.raises(ValueError, match="inner dimensions"):
        gemm(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(TypeError, match="float32/float64"):
        gemm(np.ones((2, 3), np.int64), np.ones((3, 2), np.int64))
    with pytest.raises(ValueError, match="out must be"):
        gemm(np.ones((2, 3)), np.ones((3, 2)), out=np.empty((3, 2)))


def test_threads_restored_after_concurrent_calls():
    """Overlapping calls from several Python threads leave OpenBLAS's count as it was."""
    if not _threads.POOLED:
        pytest.skip("NumPy's BLAS is not the scipy-openblas64 build: gemm is np.matmul")
    import threading
    before = _threads._get_threads()
    a = np.ones((128, 128), np.float32)
    workers = [threading.Thread(target=lambda: [gemm(a, a) for _ in range(20)]) for _ in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert _threads._get_threads() == before


def test_a_view_as_out_gets_the_product():
    """A chunk of a larger output (not C-contiguous) is written as np.matmul writes it."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 5, 7)), rng.standard_normal((2, 7, 9))
    big = np.full((2, 5, 20), np.nan)
    out = gemm(a, b, out=big[:, :, 4:13])
    assert out.base is big or np.shares_memory(out, big)
    np.testing.assert_allclose(big[:, :, 4:13], np.matmul(a, b), rtol=1e-12)
    assert np.isnan(big[:, :, :4]).all() and np.isnan(big[:, :, 13:]).all()

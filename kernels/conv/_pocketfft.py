"""Real and complex FFTs that write into an array the caller owns.

``scipy.fft`` allocates every result, and its real transforms have no ``out``; a fresh
result of a few megabytes is page-faulted in on every call (see ``kernels._workspace``).
The engine behind ``scipy.fft``, pocketfft's Python binding, takes ``out`` arrays (any
strides) and a thread count, so the FFT convolution calls it directly, through this
module only.  It ships inside SciPy as ``scipy.fft._pocketfft.pypocketfft``: a private
module, hence the pinned SciPy and ``tests/test_fft_tiles.py``, which checks these
functions against ``scipy.fft``.  ``inorm=2`` divides by the product of the lengths
transformed in that call.

The engine is imported on the first transform: importing ``scipy.fft`` takes about as
long as the rest of ``import kernels`` without numba.  ``next_fast_len`` gives the FFT
lengths without it.
"""
from __future__ import annotations

from functools import cache, lru_cache


@cache
def _engine():
    from scipy.fft._pocketfft import pypocketfft
    return pypocketfft


@lru_cache(maxsize=4096)
def next_fast_len(n: int) -> int:
    """The least 5-smooth integer (2^a 3^b 5^c) >= n: ``scipy.fft.next_fast_len(n,
    real=True)``, the lengths pocketfft's real transforms are fastest at."""
    if n <= 6:
        return max(int(n), 1)
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def r2c(a, axes, out, threads: int):
    """Forward real-to-complex FFT of ``a`` over ``axes`` (the last one halved) into ``out``."""
    return _engine().r2c(a, axes=list(axes), forward=True, inorm=0, out=out, nthreads=threads)


def c2c(a, axes, out, threads: int, forward: bool = True, inorm: int = 0):
    """Complex FFT over ``axes`` into ``out`` (``out`` may be ``a``: in place)."""
    return _engine().c2c(a, axes=list(axes), forward=forward, inorm=inorm, out=out,
                         nthreads=threads)


def c2r(a, axis: int, n: int, out, threads: int, inorm: int = 0):
    """Inverse complex-to-real FFT of length ``n`` along one ``axis`` into ``out``."""
    return _engine().c2r(a, axes=[axis], lastsize=n, forward=False, inorm=inorm, out=out,
                         nthreads=threads)

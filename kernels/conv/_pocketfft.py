"""Real and complex FFTs that write into an array the caller owns.

``scipy.fft`` allocates every result, and its real transforms have no ``out``; a fresh
result of a few megabytes is page-faulted in on every call (see ``kernels._workspace``).
The engine behind ``scipy.fft``, pocketfft's Python binding, takes ``out`` arrays (any
strides) and a thread count, so the FFT convolution calls it directly, through this
module only.  It ships inside SciPy as ``scipy.fft._pocketfft.pypocketfft``: a private
module, hence the pinned SciPy and ``tests/test_fft_tiles.py``, which checks these
functions against ``scipy.fft``.  ``inorm=2`` divides by the product of the lengths
transformed in that call.
"""
from __future__ import annotations

from scipy.fft._pocketfft import pypocketfft as _pp


def r2c(a, axes, out, threads: int):
    """Forward real-to-complex FFT of ``a`` over ``axes`` (the last one halved) into ``out``."""
    return _pp.r2c(a, axes=list(axes), forward=True, inorm=0, out=out, nthreads=threads)


def c2c(a, axes, out, threads: int, forward: bool = True, inorm: int = 0):
    """Complex FFT over ``axes`` into ``out`` (``out`` may be ``a``: in place)."""
    return _pp.c2c(a, axes=list(axes), forward=forward, inorm=inorm, out=out, nthreads=threads)


def c2r(a, axis: int, n: int, out, threads: int, inorm: int = 0):
    """Inverse complex-to-real FFT of length ``n`` along one ``axis`` into ``out``."""
    return _pp.c2r(a, axes=[axis], lastsize=n, forward=False, inorm=inorm, out=out, nthreads=threads)

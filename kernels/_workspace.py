"""Scratch arrays kept between calls, one set per thread.

A fresh multi-megabyte NumPy array is mapped from the OS and page-faulted in on every call
(glibc returns large freed blocks to the OS), and in a VM each fault costs microseconds:
the FFT convolution of the 21x21 layer spent 10 ms of its 25 in the kernel's page faults
(2,800 faults per call, measured with ``getrusage``).  Kernels that need large
intermediates ask for them here by name instead; two names never share memory, so one
call can hold several at once.  Buffers above ``KEEP_BYTES`` are not kept.

Contents are undefined on return; under the test suite's poisoning they are NaN, so a
kernel that relies on what a previous call left behind fails its tests.
"""
from __future__ import annotations

import threading

import numpy as np

from kernels import _arrays

KEEP_BYTES = 256 * 2 ** 20
_local = threading.local()


def scratch(name: str, shape, dtype) -> np.ndarray:
    """A C-contiguous array of ``shape`` and ``dtype`` that stays valid until the same
    thread asks for ``name`` again."""
    dtype, shape = np.dtype(dtype), tuple(int(s) for s in shape)
    n = int(np.prod(shape, dtype=np.int64))
    if n * dtype.itemsize > KEEP_BYTES:
        return _arrays.empty(shape, dtype)
    bufs = _local.__dict__.setdefault("bufs", {})
    key = (name, dtype.str)
    buf = bufs.get(key)
    if buf is None or buf.size < n:
        buf = bufs[key] = np.empty(n, dtype)
    a = buf[:n].reshape(shape)
    if _arrays.poisoning():
        a.fill(np.nan)
    return a


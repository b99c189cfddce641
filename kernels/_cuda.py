"""What every Numba CUDA kernel module (``kernels/<family>/cuda.py``) shares.

- ``available()``: a GPU is present or Numba's simulator is on (``NUMBA_ENABLE_CUDASIM=1``,
  which must be set before ``numba.cuda`` is first imported).
- ``TPB`` (threads per block) and ``REDUCE_THREADS`` (threads a two-pass reduction aims
  for) are module settings read at every launch; tests patch them down so that tiny
  inputs still span several blocks and chunks (as stumpy's tests do).
- ``device_arrays`` / ``result``: host arrays are copied to the GPU and results copied
  back; device arrays (``__cuda_array_interface__``: Numba, torch CUDA, CuPy) pass through
  with no copy and the results stay on the device.
- ``empty`` / ``zeros``: device outputs, NaN-filled while the tests poison outputs.
- ``channel_sums`` / ``sum_rows``: deterministic two-pass reductions (no atomics), e.g.
  the bias gradient, or batch-norm statistics.
- ``kernel_factory``: kernels whose shared or local arrays need a compile-time dtype (and
  size) are built per (dtype, threads per block) and cached.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import config, cuda, from_dtype

from kernels import _arrays

TPB = 256                 # threads per block
REDUCE_THREADS = 1 << 16  # threads the first pass of a reduction aims to keep busy
SHARED_BYTES = 48 * 1024  # shared memory a block may use without opting in
SIMULATED = bool(config.ENABLE_CUDASIM)


SIMULATOR_ELEMENTS = 4096  # the largest input the simulator is given (every thread is Python)


def simulator_limit(elements: int):
    """supports()'s reason to refuse an input too large for the simulator (None on a GPU)."""
    if SIMULATED and elements > SIMULATOR_ELEMENTS:
        return (f"{elements} input elements: the CUDA simulator runs every thread in Python, "
                f"so it is given at most {SIMULATOR_ELEMENTS}")
    return None


@functools.cache
def available() -> bool:
    return SIMULATED or cuda.is_available()


def blocks(n: int, tpb: int | None = None) -> int:
    """Blocks of ``tpb`` threads needed to cover ``n`` threads (at least one)."""
    tpb = tpb or TPB
    return max(1, -(-int(n) // tpb))


def tile_side() -> int:
    """Side of a square thread block of at most TPB threads (for 2-D tiled kernels)."""
    return max(1, math.isqrt(TPB))


def kernel_factory(build):
    """Cache ``build(dt, tpb)`` per (float dtype name, TPB).  ``build`` receives the Numba
    type (``float32``/``float64``: for ``cuda.shared.array(..., dt)`` and typed accumulators
    ``acc = dt(0)``) and the threads per block, and returns the jitted kernels."""
    cached = functools.cache(lambda name, tpb: build(from_dtype(np.dtype(name)), tpb))

    @functools.wraps(build)
    def get(dtype):
        return cached(np.dtype(dtype).name, TPB)
    return get


# ---- host <-> device --------------------------------------------------------------------

def as_device(a):
    """A device view of ``a`` (no copy for device arrays), or a copy of a host array."""
    if a is None:
        return None
    if getattr(a, "__cuda_ndarray__", False):  # a Numba device array (the simulator's too)
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return cuda.as_cuda_array(a)
    return cuda.to_device(np.ascontiguousarray(a))


def device_arrays(*arrays):
    """(device views of the arrays, whether the results go back to the host).

    Results stay on the device when any argument came as a device array."""
    host = not any(_arrays.is_device(a) for a in arrays if a is not None)
    return [as_device(a) for a in arrays], host


def result(a, host: bool):
    """The device array ``a``, copied to a NumPy array when the caller gave host arrays."""
    if a is None or not host:
        return a
    return a.copy_to_host()


def empty(shape, dtype):
    """An uninitialised device array; NaN-filled while the tests poison outputs."""
    a = cuda.device_array(tuple(int(d) for d in shape), np.dtype(dtype))
    if _arrays.poisoning():
        fill(a, np.nan)
    return a


def zeros(shape, dtype):
    a = cuda.device_array(tuple(int(d) for d in shape), np.dtype(dtype))
    fill(a, 0)
    return a


def flat(a):
    """The contiguous device array ``a`` as 1-D (a view)."""
    return a.reshape(int(np.prod(a.shape, dtype=np.int64)))


@cuda.jit
def _fill(a, value):
    i = cuda.grid(1)
    if i < a.shape[0]:
        a[i] = value


def fill(a, value):
    f = flat(a)
    if f.shape[0]:
        _fill[blocks(f.shape[0]), TPB](f, value)


# ---- two-pass reductions (deterministic: no atomics) -------------------------------------

def _build_reductions(dt, tpb):
    @cuda.jit
    def channel_partial(a, part, per):
        """part[j, c] = sum of a[n, c, l] over the j-th chunk of the (n, l) positions."""
        i = cuda.grid(1)
        J, C = part.shape
        if i >= J * C:
            return
        j, c = i // C, i % C
        N, L = a.shape[0], a.shape[2]
        acc = dt(0)
        q1 = (j + 1) * per
        for q in range(j * per, q1 if q1 < N * L else N * L):
            acc += a[q // L, c, q % L]
        part[j, c] = acc

    @cuda.jit
    def rows_sum(part, out):
        """out[m] = sum over j of part[j, m]."""
        m = cuda.grid(1)
        if m >= part.shape[1]:
            return
        acc = dt(0)
        for j in range(part.shape[0]):
            acc += part[j, m]
        out[m] = acc

    return channel_partial, rows_sum


reductions = kernel_factory(_build_reductions)


def chunks(total: int, outputs: int) -> tuple[int, int]:
    """(number of chunks, items per chunk) splitting a reduction of ``total`` items per
    output so that about REDUCE_THREADS threads work in the first pass."""
    want = max(1, min(total, REDUCE_THREADS // max(outputs, 1)))
    per = -(-total // want)
    return -(-total // per), per


def sum_rows(part, out):
    """out (M,) = part (J, M) summed over its rows."""
    _, rows_sum = reductions(part.dtype)
    rows_sum[blocks(part.shape[1]), TPB](part, out)
    return out


def channel_sums(a3, out=None):
    """Sum of the device array a3 (N, C, L) over N and L: a (C,) device array."""
    N, C, L = (int(d) for d in a3.shape)
    dtype = np.dtype(a3.dtype)
    J, per = chunks(N * L, C)
    part = cuda.device_array((J, C), dtype)
    channel_partial, _ = reductions(dtype)
    channel_partial[blocks(J * C), TPB](a3, part, per)
    return sum_rows(part, out if out is not None else empty((C,), dtype))

"""One thread pool for every kernel: matrix products run as tasks of Numba's pool.

NumPy's OpenBLAS keeps threads of its own.  After each product they spin, waiting for the
next one (OpenBLAS's thread timeout, some 2^28 cycles), and a Numba kernel that runs next
shares the cores with them: on 2 cores a Winograd layer right after an im2col layer took
twice its time (issue 13).  ``gemm`` therefore runs a (batched) product as parallel tasks
of Numba's pool, each task one single-threaded BLAS call on a block of the output, with
OpenBLAS held at one thread for the duration of the call: BLAS's own threads are never
woken, and the product uses as many threads as Numba's other kernels
(``numba.set_num_threads``).

The BLAS routines are NumPy's OpenBLAS (``scipy_openblas64_``: ``cblas_sgemm``/``dgemm``
with 64-bit integers), reached through ctypes.  On a NumPy built with another BLAS
``gemm`` is ``np.matmul`` (``POOLED`` is False): the same result, that BLAS's threads.
"""
from __future__ import annotations

import ctypes
import glob
import os
import threading

import numba
import numpy as np
from numba import njit, prange

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
_I, _P = ctypes.c_int64, ctypes.c_void_p


def _openblas():
    """(set_num_threads, get_num_threads, sgemm, dgemm) of NumPy's OpenBLAS, or None."""
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(folder, "libscipy_openblas64_*"))):
        try:
            lib = ctypes.CDLL(path)
            setn, getn = lib.scipy_openblas_set_num_threads64_, lib.scipy_openblas_get_num_threads64_
            gemms = lib.scipy_cblas_sgemm64_, lib.scipy_cblas_dgemm64_
        except (OSError, AttributeError):
            continue
        setn.argtypes, setn.restype, getn.restype = [ctypes.c_int], None, ctypes.c_int
        for f, real in zip(gemms, (ctypes.c_float, ctypes.c_double)):
            f.restype = None
            f.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, _I, _I, _I,
                          real, _P, _I, _P, _I, real, _P, _I]
        return setn, getn, *gemms
    return None


_BLAS = _openblas()
POOLED = _BLAS is not None
if POOLED:
    _set_threads, _get_threads, _sgemm, _dgemm = _BLAS

    @njit(parallel=True)  # not cached: it calls ctypes functions, whose addresses vary
    def _tasks(pa, pb, pc, offs, lds, trans, M, N, K, split_m, parts, double):
        """c[t] = a[t] @ b[t] for each batch entry t (pa, pb, pc: the arrays' addresses, so
        that one compiled signature serves every layout), the output split into ``parts``
        blocks of rows (split_m) or columns; offs (batch, 3) and lds (3,) in elements."""
        nb = offs.shape[0]
        size = 8 if double else 4
        chunk = ((M if split_m else N) + parts - 1) // parts
        for task in prange(nb * parts):
            t, part = task // parts, task % parts
            lo = part * chunk
            hi = min((M if split_m else N), lo + chunk)
            if hi <= lo:
                continue
            oa, ob, oc = offs[t, 0], offs[t, 1], offs[t, 2]
            m, n = (hi - lo, N) if split_m else (M, hi - lo)
            if split_m:  # rows lo..hi of a and c
                oa += lo * (1 if trans[0] else lds[0])
                oc += lo * lds[2]
            else:        # columns lo..hi of b and c
                ob += lo * (lds[1] if trans[1] else 1)
                oc += lo
            ta = TRANS if trans[0] else NO_TRANS
            tb = TRANS if trans[1] else NO_TRANS
            if double:
                _dgemm(ROW_MAJOR, ta, tb, m, n, K, 1.0, pa + oa * size, lds[0], pb + ob * size,
                       lds[1], 0.0, pc + oc * size, lds[2])
            else:
                _sgemm(ROW_MAJOR, ta, tb, m, n, K, 1.0, pa + oa * size, lds[0], pb + ob * size,
                       lds[1], 0.0, pc + oc * size, lds[2])


def _layout(m, rows, cols):
    """(m or a copy, transposed?, leading dimension) of a matrix stack for BLAS: one of its
    last two axes must have unit stride and the other a leading dimension BLAS accepts."""
    isz = m.itemsize
    sr, sc = m.strides[-2], m.strides[-1]
    if (sc == isz or cols == 1) and sr % isz == 0 and sr // isz >= max(1, cols):
        return m, False, sr // isz
    if (sr == isz or rows == 1) and sc % isz == 0 and sc // isz >= max(1, rows):
        return m, True, sc // isz
    m = np.ascontiguousarray(m)
    return m, False, max(1, cols)


def _batch_offsets(m, batch):
    """Element offset of each matrix of ``m`` broadcast to the batch shape, flattened."""
    strides = np.zeros(len(batch), np.int64)
    lead = len(batch) - (m.ndim - 2)
    for i in range(m.ndim - 2):
        if m.shape[i] != 1:
            strides[lead + i] = m.strides[i] // m.itemsize
    if not batch:
        return np.zeros(1, np.int64)
    index = np.indices(batch, np.int64).reshape(len(batch), -1)
    return strides @ index


def gemm(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.matmul(a, b, out=out)`` for float32/float64 stacks of matrices (batch axes
    broadcast; a non-contiguous ``out`` is written from a contiguous result), run in
    Numba's thread pool (see the module doc)."""
    if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64) or a.ndim < 2 or b.ndim < 2:
        raise TypeError(f"gemm: a and b must be float32/float64 stacks of matrices of one dtype, "
                        f"got {a.dtype} {a.shape} and {b.dtype} {b.shape}")
    M, K = a.shape[-2:]
    if b.shape[-2] != K:
        raise ValueError(f"gemm: inner dimensions differ: {a.shape} @ {b.shape}")
    N = b.shape[-1]
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    shape = (*batch, M, N)
    if out is None:
        out = np.empty(shape, a.dtype)
    elif out.shape != shape or out.dtype != a.dtype:
        raise ValueError(f"gemm: out must be a {a.dtype} array of shape {shape}, got {out.dtype} {out.shape}")
    elif not out.flags.c_contiguous:   # a view of a larger array (a chunk of the output)
        out[...] = gemm(a, b)
        return out
    if not POOLED or out.size == 0:
        return np.matmul(a, b, out=out)
    if K == 0:
        out[...] = 0
        return out
    a, ta, lda = _layout(a, M, K)
    b, tb, ldb = _layout(b, K, N)
    offs = np.stack([_batch_offsets(a, batch), _batch_offsets(b, batch),
                     np.arange(out.size // (M * N), dtype=np.int64) * (M * N)], axis=1)
    threads = numba.get_num_threads()
    nb = offs.shape[0]
    split_m = M >= N
    parts = max(1, min(-(-threads // nb), M if split_m else N)) if nb < threads else 1
    _hold_blas()
    try:
        _tasks(a.ctypes.data, b.ctypes.data, out.ctypes.data, offs, np.array([lda, ldb, N], np.int64),
               np.array([ta, tb], np.bool_),
               M, N, K, split_m, parts, a.dtype == np.float64)
    finally:
        _release_blas()
    return out


_lock = threading.Lock()
_holders = [0, None]  # calls of gemm under way (any Python thread), OpenBLAS's count before


def _hold_blas():
    """OpenBLAS at one thread while any gemm runs; the first call saves the count."""
    with _lock:
        if _holders[0] == 0:
            _holders[1] = _get_threads()
            _set_threads(1)
        _holders[0] += 1


def _release_blas():
    """The last gemm to finish restores OpenBLAS's thread count."""
    with _lock:
        _holders[0] -= 1
        if _holders[0] == 0:
            _set_threads(_holders[1])

"""Scratch arrays kept between calls, one set per thread, bounded in total.

A fresh multi-megabyte NumPy array is mapped from the OS and page-faulted in on every call
(glibc returns large freed blocks to the OS), and in a VM each fault costs microseconds:
the FFT convolution of the 21x21 layer spent 10 ms of its 25 in the kernel's page faults
(2,800 faults per call, measured with ``getrusage``).  Kernels that need large
intermediates ask for them here by name instead; two names never share memory, so one
call can hold several at once.

Bounds.  A buffer above ``KEEP_BYTES`` is never kept.  All threads' kept buffers together
stay within ``TOTAL_BYTES``: keeping a new one first drops the least recently used ones,
of any thread.  Dropping is safe at any time, because an array handed out holds its own
reference to its memory; only the reuse is lost.  A thread's buffers live in its
``threading.local`` slot, so they are released when the thread ends, and then the memory
its malloc arena keeps is handed back to the OS (``malloc_trim``, on glibc).
``free_workspace()`` (public as ``kernels.free_workspace``) drops every kept buffer now,
and ``kept_bytes()`` says how many bytes are kept.

Contents are undefined on return; under the test suite's poisoning they are NaN, so a
kernel that relies on what a previous call left behind fails its tests.
"""
from __future__ import annotations

import ctypes
import itertools
import threading
import weakref

import numpy as np

from kernels import _arrays

KEEP_BYTES = 256 * 2 ** 20   # one buffer above it is not kept
TOTAL_BYTES = 1024 * 2 ** 20  # every thread's kept buffers together

_lock = threading.Lock()
_clock = itertools.count()   # last-use stamps, for dropping the least recently used
_slots: weakref.WeakSet = weakref.WeakSet()   # the live threads' slots
_local = threading.local()


class _Slot:
    """One thread's buffers: (name, dtype) -> [array, last use].  Weakly referenced from
    ``_slots``; the thread's ``threading.local`` holds the only strong reference, so it
    goes when the thread ends."""
    __slots__ = ("bufs", "__weakref__")

    def __init__(self):
        self.bufs: dict = {}

    def __del__(self):   # the thread has ended (no lock: it may run inside one)
        bufs, self.bufs = self.bufs, {}
        if bufs:
            bufs.clear()
            try:
                _trim()
            except (NameError, TypeError):   # interpreter shutdown
                pass


_malloc_trim = None


def _trim() -> None:
    """glibc's ``malloc_trim(0)``, where there is one.  A thread's freed blocks stay in its
    malloc arena, mapped, after the thread ends (four threads of the FFT convolution left
    210 MiB behind); ``malloc_trim`` hands every arena's free pages back to the OS."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            fn = ctypes.CDLL(None).malloc_trim   # the process's libc
            fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
            _malloc_trim = lambda: fn(0)   # noqa: E731
        except (OSError, AttributeError, TypeError):   # not glibc
            _malloc_trim = lambda: None   # noqa: E731
    _malloc_trim()


def _slot() -> _Slot:
    slot = getattr(_local, "slot", None)
    if slot is None:
        slot = _local.slot = _Slot()
        with _lock:
            _slots.add(slot)
    return slot


def scratch(name: str, shape, dtype) -> np.ndarray:
    """A C-contiguous array of ``shape`` and ``dtype`` that stays valid until the same
    thread asks for ``name`` again (and as long as it is referenced)."""
    dtype, shape = np.dtype(dtype), tuple(int(s) for s in shape)
    n = int(np.prod(shape, dtype=np.int64))
    if n * dtype.itemsize > KEEP_BYTES:
        return _arrays.empty(shape, dtype)
    slot, key = _slot(), (name, dtype.str)
    with _lock:
        entry = slot.bufs.get(key)
        if entry is None or entry[0].size < n:
            slot.bufs.pop(key, None)
            _make_room(n * dtype.itemsize)
            entry = slot.bufs[key] = [np.empty(n, dtype), 0]
        entry[1] = next(_clock)
        buf = entry[0]
    a = buf[:n].reshape(shape)
    if _arrays.poisoning():
        a.fill(np.nan)
    return a


def _make_room(nbytes: int) -> None:
    """Drop the least recently used buffers until ``nbytes`` more fit ``TOTAL_BYTES``."""
    entries = [(e[1], slot, key, e[0].nbytes) for slot in list(_slots) for key, e in slot.bufs.items()]
    total = sum(e[3] for e in entries)
    for _, slot, key, size in sorted(entries, key=lambda e: e[0]):
        if total + nbytes <= TOTAL_BYTES:
            break
        del slot.bufs[key]
        total -= size


def kept_bytes() -> int:
    """Bytes of the scratch buffers kept now, all live threads together."""
    with _lock:
        return sum(e[0].nbytes for slot in list(_slots) for e in slot.bufs.values())


def free_workspace() -> None:
    """Release every kept scratch buffer of every thread now.  Arrays still referenced stay
    valid; the next call that needs a buffer allocates it afresh."""
    with _lock:
        for slot in list(_slots):
            slot.bufs.clear()
    _trim()

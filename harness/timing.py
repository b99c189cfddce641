"""The one timer of the harness: a timed first call (JIT compile shows there, not in the
median), untimed warm-up calls for ``warmup_time`` seconds, then repeats sized by a time
budget, summarised by the median and the interquartile range.

Work that returns before it is done (GPU kernel launches, torch CUDA ops) is timed with
a ``sync`` hook, called after every call inside the clock and once before the first:
``measure(fn, budget, sync=numba.cuda.synchronize)``.  Each time is then the wall time
until the device has finished (launch included), as a caller waits for it.

Also the machine's yardsticks, measured once per run: the float32 GEMM peak and the
memory bandwidth of a large copy.  Threads are set the same for torch and Numba.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Budget:
    """How long to time one function: at least ``min_repeats`` calls and ``min_time``
    seconds; a function so slow that ``max_time`` passes first stops there, after no
    fewer than ``floor_repeats`` calls.  ``repeats`` fixes the count instead.  Before
    them, untimed warm-up calls (at least one) for ``warmup_time`` seconds: caches, clock
    boosts, autotuned torch/cuDNN plans."""
    min_repeats: int = 5
    min_time: float = 0.2
    max_time: float = 1.0
    repeats: int | None = None
    floor_repeats: int = 3
    warmup_time: float = 0.05


@dataclass
class Timing:
    first_s: float              # the first call: compile (or cache load) + one run
    median_s: float
    iqr_s: float
    repeats: int
    times: list = field(default_factory=list)

    @property
    def compile_s(self) -> float:
        """What the first call cost beyond a steady call: JIT compile or cache load."""
        return max(0.0, self.first_s - self.median_s)


def call(fn, sync=None):
    """(``fn()``, seconds it took, until ``sync()`` returned when given)."""
    t0 = time.perf_counter()
    out = fn()
    if sync is not None:
        sync()
    return out, time.perf_counter() - t0


def clock(fn, sync=None) -> float:
    return call(fn, sync)[1]


def measure(fn, budget: Budget = Budget(), first_s: float | None = None, sync=None) -> Timing:
    """Time ``fn()``.  ``first_s``: the first call was already made (and timed) elsewhere;
    otherwise it is made here.  ``sync``: called after each call, inside the clock (and
    once before the first, so that no earlier work is counted)."""
    if sync is not None:
        sync()
    if first_s is None:
        first_s = clock(fn, sync)
    warm = time.perf_counter()
    while True:  # warm-up, untimed
        clock(fn, sync)
        if time.perf_counter() - warm >= budget.warmup_time:
            break
    times: list[float] = []
    start = time.perf_counter()
    while True:
        times.append(clock(fn, sync))
        n, spent = len(times), time.perf_counter() - start
        if budget.repeats is not None:
            if n >= budget.repeats:
                break
        elif n >= budget.min_repeats and spent >= budget.min_time:
            break
        elif n >= budget.floor_repeats and spent >= budget.max_time:
            break
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return Timing(first_s, float(med), float(q3 - q1), len(times), times)


def set_threads(n: int | None) -> int:
    """Use n threads in both torch and Numba (default: as many as Numba may use)."""
    import numba
    import torch
    n = int(n or numba.config.NUMBA_NUM_THREADS)
    n = max(1, min(n, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    torch.set_num_threads(n)
    return n


def gemm_peak_gflops(n: int = 1024, tries: int = 3) -> dict:
    """Best float32 GEMM rate of NumPy's BLAS and of torch on n x n matrices (GFLOP/s)."""
    import torch
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    flops = 2.0 * n ** 3
    a @ b, ta @ tb  # warm-up
    rates = {"numpy": flops / min(clock(lambda: a @ b) for _ in range(tries)) / 1e9,
             "torch": flops / min(clock(lambda: ta @ tb) for _ in range(tries)) / 1e9}
    return {"peak_gflops": max(rates.values()), "gemm_n": n,
            **{f"gemm_gflops_{k}": v for k, v in rates.items()}}


def copy_bandwidth_gbs(mib: int = 256, tries: int = 5) -> dict:
    """Best rate of a large float32 array copy: (read + write) bytes per second, in GB/s."""
    src = np.random.default_rng(0).standard_normal(mib * 2 ** 18, dtype=np.float32)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = min(clock(lambda: np.copyto(dst, src)) for _ in range(tries))
    return {"bandwidth_gbs": 2.0 * src.nbytes / best / 1e9, "copy_mib": mib}

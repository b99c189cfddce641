"""What the processes of one host share: the timing lock and the core slots.

Two timed calls on one host at once time each other's noise, so every timed section
(``timing_lock``) takes an exclusive ``flock`` on a file in the host's temporary folder:
the benchmark workers of one host (a local pool, the workers of a Dask cluster, two
``run_bench.py`` started by two people) time one at a time, while their correctness checks
and JIT compiles go on in parallel.  The kernel releases the lock when its holder dies, so
a crashed or killed worker never leaves it taken.

``claim_cores(threads)`` gives a worker process ``threads`` cores of its own, each held by
a lock file for as long as the process lives, so the workers of one host are pinned to
different cores.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time

LOCK_DIR = os.environ.get("CONVBENCH_LOCK_DIR") or tempfile.gettempdir()
_held: list[int] = []                   # descriptors holding this process's cores
_claimed: list[int] | None = None


def _open(name: str) -> int:
    return os.open(os.path.join(LOCK_DIR, name), os.O_RDONLY | os.O_CREAT, 0o666)


@contextlib.contextmanager
def timing_lock():
    """Hold the host's timing lock; yields (wall-clock start, a dict to which the end time
    is written on release), so a row can record when it held the host."""
    fd = _open("convbench-timing.lock")
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        span = {"start": time.time()}
        try:
            yield span
        finally:
            span["end"] = time.time()
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def claim_cores(threads: int) -> list[int] | None:
    """``threads`` cores of this process's own, held (a lock file per core) for as long
    as it lives: the first group of allowed cores whose every core is free.  The same
    answer on a second call.  None when no group is free (more workers than the cores
    allow) or the system cannot pin."""
    global _claimed
    if _claimed is not None:
        return _claimed
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    threads = max(1, int(threads))
    for slot in range(len(cpus) // threads):
        cores = cpus[slot * threads:(slot + 1) * threads]
        fds = []
        for cpu in cores:
            fd = _open(f"convbench-core-{cpu}.lock")
            fds.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                break
        else:
            _held.extend(fds)
            _claimed = cores
            return cores
        for fd in fds:
            os.close(fd)          # closing releases the locks this attempt took
    return None

"""Rows and tasks: what a result row holds, and the unit of work that produces rows.

A ``Task`` is one case of one op in one dtype with one algorithm: it gives one row per
direction (forward, and backward with ``--backward``).  It is plain data (picklable), so
it runs anywhere: in this process, in the harness's worker process, on a Dask worker.
A task that never comes back whole still gives its rows: ``Task.rows(status, reason)``
(``crashed``, ``timeout``, or ``error`` for a worker that could not run it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from harness.files import clean
from harness.suites import Entry
from harness.timing import Budget

STATUSES = ("ok", "inaccurate", "unsupported", "error", "crashed", "timeout", "skipped-too-slow")
RAN = ("ok", "inaccurate")             # statuses of rows that were timed
KEY = ("suite", "op", "algo", "case", "dtype", "direction")
COLUMNS = [
    "suite", "op", "algo", "case", "dtype", "direction", "status", "reason",
    "shape", "params", "time_median_s", "time_iqr_s", "repeats", "first_call_s", "compile_s",
    "gflops", "frac_peak", "gbytes_s", "frac_bandwidth", "arith_intensity",
    "macs", "flops", "bytes", "torch_time_median_s", "torch_time_iqr_s", "torch_impl",
    "speedup_vs_torch", "fwd_rel_err", "grad_rel_err", "tolerance", "phases",
    "sweep", "sweep_x", "seed", "threads", "host", "machine", "worker", "cores", "timed_start",
    "timed_end", "times", "torch_times",
]


def key(row) -> tuple:
    """What a row measures; one row per key and machine."""
    return tuple(str(row.get(k)) for k in KEY)


def machine_key(row) -> tuple:
    return (*key(row), row.get("host"))


@dataclass(frozen=True)
class Task:
    suite: str
    entry: Entry
    dtype: str
    algo: str
    directions: tuple
    batch: int
    budget: Budget
    seed: int                           # the case's input seed
    slow_macs: int

    @property
    def case(self) -> tuple:
        """What tasks of one case share (inputs, reference, torch's times)."""
        return (self.suite, self.entry, self.dtype, self.directions, self.batch, self.budget,
                self.seed)

    def base(self, direction) -> dict:
        e = self.entry
        return {"suite": self.suite, "op": e.op, "algo": self.algo, "case": e.id,
                "dtype": self.dtype, "direction": direction,
                "params": json.dumps(clean(e.params), sort_keys=True),
                "sweep": e.sweep[0] if e.sweep else None,
                "sweep_x": e.sweep[1] if e.sweep else None, "seed": self.seed}

    def keys(self) -> list[tuple]:
        return [key(self.base(d)) for d in self.directions]

    def rows(self, status: str, reason: str, **fields) -> list[dict]:
        """Rows of this task that did not run to the end."""
        return [{**self.base(d), "status": status, "reason": reason, **fields}
                for d in self.directions]

    def label(self) -> str:
        return f"{self.entry.op}/{self.entry.id} {self.algo} {self.dtype}"


def stamp(rows: list, fingerprint: dict, worker: str) -> list:
    """Mark rows with the machine and the worker that produced them, and the cores that
    worker could run on."""
    cores = core_list(fingerprint.get("pinned"))
    for r in rows:
        r.update(host=fingerprint.get("host"), machine=fingerprint.get("id"), worker=worker,
                 cores=cores, threads=fingerprint.get("threads"))
    return rows


def core_list(cores) -> str | None:
    """[0, 1, 2, 5] -> '0-2,5'."""
    if not cores:
        return None
    runs, start = [], None
    cores = sorted(cores)
    for i, c in enumerate(cores):
        if start is None:
            start = c
        if i + 1 == len(cores) or cores[i + 1] != c + 1:
            runs.append(f"{start}" if start == c else f"{start}-{c}")
            start = None
    return ",".join(runs)


def hosts(rows) -> list[str]:
    """The machines of a run's rows, by name; reports compare the others with the first."""
    return sorted({r["host"] for r in rows if r.get("host")})

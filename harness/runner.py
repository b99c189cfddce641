"""Run a suite: for every (op, algorithm, case, dtype) check the forward and the gradients
against torch in float64, time ours and torch's on the same arrays, and write the results.

The suite becomes tasks (``harness.rows.Task``: one case, dtype and algorithm each), which
an executor runs and answers with rows:

- ``Pool`` (the default): one worker process (``harness.isolate``), so a kernel that
  crashes or hangs becomes a row with status ``crashed`` or ``timeout`` and the run goes on
  with a fresh worker;
- ``InProcess`` (``isolate=False``): here, for debugging; a crash ends the run;
- ``harness.fleet.Fleet``: the workers of a Dask cluster.

Rows are appended to the run's journal as they arrive (``harness.journal``), from which
results.json and results.csv are derived.  ``--resume`` runs what the journal lacks; rows
that crashed or timed out are not run again unless ``retry`` names their status.
"""
from __future__ import annotations

import os
import shlex
import sys
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

import kernels
from harness import job, journal, machine, timing
from harness.isolate import RowPool, Setup
from harness.journal import OutputError, ResultsError  # noqa: F401 - OutputError: the runner's too
from harness.rows import COLUMNS, KEY, STATUSES, Task, key, stamp  # noqa: F401 - re-exported
from harness.suites import Suite
from kernels import SLOW_MACS
from kernels.tolerances import SEED

DERIVE_EVERY_S = 5.0                    # results.json/csv follow the journal this closely


@dataclass
class Config:
    dtypes: tuple = ("float32",)
    ops: tuple | None = None           # None: every op the suite names
    algos: tuple | None = None         # None: every registered algorithm
    batch: int | None = None           # None: the suite's batch
    backward: bool = False             # also time the backward pass (rows with direction=backward)
    budget: timing.Budget = field(default_factory=timing.Budget)
    seed: int = SEED
    slow_macs: int = SLOW_MACS
    threads: int | None = None
    resume: bool = False
    retry: tuple = ()                  # with resume: statuses to run again (e.g. crashed, timeout)
    progress: bool = True
    gemm_n: int = 1024                 # size of the GEMM that measures the peak
    copy_mib: int = 256                # size of the copy that measures the bandwidth
    isolate: bool = True               # run the tasks in a worker process
    row_timeout: float | None = 600.0  # seconds a task may run in a worker (None: no limit)
    preload: tuple = ()                # modules the workers import ("module" or "module:function")

    def setup(self, measured: dict | None = None) -> Setup:
        return Setup(self.threads, self.seed, self.gemm_n, self.copy_mib, tuple(self.preload),
                     dict(measured or {}))


@dataclass
class Outcome:
    rows: list
    machine: dict                      # the first machine's fingerprint
    missing: dict                      # op name -> case ids of entries whose op is absent
    ran: int = 0
    skipped: int = 0                   # rows found in the output and not run again (--resume)
    machines: list = field(default_factory=list)


def run(suite: Suite, out_dir: str, config: Config | None = None, run_id: str = "",
        note: str = "", executor=None, on_rows=None) -> Outcome:
    """Run ``suite`` into ``out_dir``; returns the rows.  ``note``: a line for the top of
    the report, kept in the results.  ``executor``: where the tasks run (default: a worker
    process, or this process when ``config.isolate`` is False).  ``on_rows(rows)`` is
    called as each task's rows are written.  Raises OutputError (one line) when the folder
    cannot be written, before any task runs if it cannot be written at all."""
    config = config or Config()
    tasks, missing = plan_tasks(suite, config, kernels.OPS)
    header = {"run_id": run_id, "suite": suite.name, "started": journal.now(),
              "command": shlex.join([os.path.basename(sys.executable), *sys.argv]), "note": note,
              "config": _config_dict(config, suite), "missing_ops": missing}
    book = journal.Journal(out_dir)
    before = book.start(header, config.resume)
    own = executor is None
    if own:
        executor = Pool() if config.isolate else InProcess()
    hosts = executor.hosts()
    jobs = todo(tasks, hosts, before.rows, config.retry)
    outcome = Outcome([], {}, missing, skipped=sum(len(t.directions) for t in tasks) * len(hosts or [None])
                      - sum(len(t.directions) for t, _ in jobs))
    measured = {m["host"]: machine.measured(m) for m in before.machines if m.get("host")}
    try:
        _collect(executor.results(jobs, config.setup(measured), config.row_timeout), book,
                 outcome, _progress(sum(len(t.directions) for t, _ in jobs), config.progress), on_rows)
    except BaseException:
        _derive_if_possible(out_dir)       # the journal holds every row that arrived
        raise
    finally:
        if own:
            executor.close()
    res = journal.derive(out_dir)
    outcome.rows, outcome.machines = res.rows, res.machines
    outcome.machine = res.header.get("machine") or {}
    return outcome


def _collect(results, book, outcome, bar, on_rows) -> None:
    """Journal the rows as they arrive; results.json and results.csv follow every few
    seconds."""
    last = time.monotonic()
    try:
        for task, rows, fingerprint in results:
            if fingerprint:
                book.machine(fingerprint)
            book.rows(rows)
            outcome.ran += len(rows)
            bar.update(len(rows))
            bar.set_postfix_str(task.label(), refresh=False)
            if on_rows is not None:
                on_rows(rows)
            if time.monotonic() - last > DERIVE_EVERY_S:
                journal.derive(book.out_dir)
                last = time.monotonic()
    finally:
        bar.close()


def _derive_if_possible(out_dir) -> None:
    try:
        journal.derive(out_dir)
    except (OSError, ResultsError):
        pass


# ---- planning --------------------------------------------------------------------------

def todo(tasks, hosts, rows, retry=()) -> list[tuple]:
    """(task, host) pairs to run: on each of ``hosts`` (None: on any one machine), the
    tasks whose rows that host lacks or has with a status in ``retry``.  A row that names
    no host (a run from before hosts were recorded) counts for every host."""
    have = {}
    for r in rows:
        have.setdefault(key(r), {})[r.get("host")] = r.get("status")

    def wanted(k, host):
        found = have.get(k, {})
        if host is None:
            statuses = list(found.values())
        else:
            statuses = [found[h] for h in (host, None) if h in found][:1]
        return not statuses or all(s in retry for s in statuses)

    return [(t, h) for t in tasks for h in (hosts or [None]) if any(wanted(k, h) for k in t.keys())]


def plan_tasks(suite: Suite, config: Config, registry) -> tuple[list, dict]:
    """One task per (entry, dtype, algorithm) of the suite that the registry has."""
    tasks, missing = [], {}
    directions = ("forward", "backward") if config.backward else ("forward",)
    batch = config.batch or suite.batch
    for entry in suite.entries:
        if config.ops and entry.op not in config.ops:
            continue
        op = registry.get(entry.op)
        if op is None:
            missing.setdefault(entry.op, []).append(entry.id)
            continue
        seed = int(zlib.crc32(f"{config.seed}/{entry.op}/{entry.id}".encode()))
        for dt in config.dtypes:
            for algo in op.registered():
                if not config.algos or algo in config.algos:
                    tasks.append(Task(suite.name, entry, np.dtype(dt).name, algo, directions,
                                      batch, config.budget, seed, config.slow_macs))
    return tasks, missing


# ---- executors -------------------------------------------------------------------------
# hosts(): the machines whose rows it makes (None: each task on any one machine);
# results(jobs, setup, limit): for (task, host) jobs, yields (task, rows, fingerprint) as
# tasks finish; close().

class InProcess:
    """Tasks run here, one after the other: no time limit, and a crash ends the run (for
    debugging, and for tests that patch this process)."""

    name = "in-process"

    def hosts(self):
        return [machine.host()]

    def results(self, jobs, setup: Setup, limit=None):
        fingerprint = None
        for task, _ in jobs:
            fingerprint = fingerprint or setup.fingerprint()
            rows = job.run_task(task, fingerprint)
            yield task, stamp(rows, fingerprint, self.name), fingerprint

    def close(self):
        pass


class Pool:
    """Tasks run in one worker process, restarted after a crash or a timeout."""

    def __init__(self, name: str = "local"):
        self.name, self.pool = name, None

    def hosts(self):
        return [machine.host()]

    def results(self, jobs, setup: Setup, limit=None):
        self.pool = self.pool or RowPool(setup, limit, self.name)
        for task, _ in jobs:
            rows = self.pool.run(task)
            yield task, rows, self.pool.fingerprint

    def close(self):
        if self.pool is not None:
            self.pool.close()


# ---- files ---------------------------------------------------------------------------

def write_results(out_dir, header, rows, missing) -> None:
    """results.csv and results.json of ``rows`` (as a run derives them from its journal)."""
    journal.write_results(out_dir, header, rows, missing)


def load_rows(out_dir) -> list[dict]:
    """The rows of the run in ``out_dir``; none if it has no results yet."""
    try:
        return journal.read(out_dir).rows
    except ResultsError:
        if _has_results(out_dir):
            raise
        return []


def load_header(out_dir) -> dict:
    """The run's header (run id, suite, command, configuration, machine)."""
    try:
        res = journal.read(out_dir)
    except ResultsError:
        if _has_results(out_dir):
            raise
        return {}
    return {**res.header, "machines": res.machines}


def _has_results(out_dir) -> bool:
    return any(os.path.exists(os.path.join(out_dir, f)) for f in (journal.JOURNAL, "results.json"))


def _config_dict(config, suite) -> dict:
    return {"dtypes": list(config.dtypes), "ops": config.ops and list(config.ops),
            "algos": config.algos and list(config.algos), "batch": config.batch or suite.batch,
            "backward": config.backward, "budget": vars(config.budget), "seed": config.seed,
            "slow_macs": config.slow_macs, "threads": config.threads, "isolate": config.isolate,
            "row_timeout": config.row_timeout, "preload": list(config.preload)}


# ---- small helpers ---------------------------------------------------------------------

class _NoBar:
    def update(self, n=1): pass
    def set_postfix_str(self, s, refresh=True): pass
    def close(self): pass


def _progress(total, on):
    if not on:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, unit="row", file=sys.stderr, dynamic_ncols=True, desc="bench")

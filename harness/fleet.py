"""Run a suite on the workers of a Dask distributed cluster.

``Fleet.connect(scheduler="tcp://host:8786")`` joins a running cluster (started with the
ordinary ``dask scheduler`` and ``dask worker`` commands, see docs/harness.md);
``Fleet.connect(local=N)`` starts a ``LocalCluster`` of N worker processes here.  A fleet
is an executor of ``harness.runner.run``: every task is a Dask task.  By default every
machine (host name) runs every task, on any of its workers, so that one run compares the
machines row by row (a row is known by its key and its host); ``each_machine=False``
runs each task once on any worker, to spread a sweep over the fleet.

On a worker, a task runs in that worker's own harness worker process (``RowPool``), so a
kernel that crashes or hangs gives a ``crashed`` or ``timeout`` row and the Dask worker
lives on.  Each Dask worker process gets cores of its own (``host.claim_cores``; its
threads as ``--threads`` says), and its check phase (first calls, errors) runs alongside
the others, while the timed calls take the host's timing lock: one timed section per host
at a time.  Rows come back with the fingerprint of the machine that ran them and are
written to the journal as they arrive.  A Dask worker that dies takes its task with it and
the scheduler gives the task to another worker (``distributed.scheduler.allowed-failures``
times; then the rows say ``crashed``).  A machine that has had no worker for a minute has
left: its remaining tasks are given up (``Fleet.lost``).  If the scheduler is lost, the run
stops.  Either way ``--resume`` runs what the journal lacks.
"""
from __future__ import annotations

import logging
import os
import time
import uuid

from harness.isolate import RowPool, Setup
from harness.rows import Task

_pool: RowPool | None = None            # this Dask worker process's pool, and its arguments
_pool_args: tuple | None = None


class FleetError(RuntimeError):
    """The cluster could not be reached, or was lost during the run."""


def run_remote(task: Task, setup: Setup, limit: float | None, pin: bool):
    """On a Dask worker: (the task's rows, the fingerprint of the process that ran them)."""
    global _pool, _pool_args
    from distributed import get_worker
    args = (setup, limit, pin)
    if _pool is None or _pool_args != args:
        if _pool is not None:
            _pool.close()
        from harness import host
        cores = host.claim_cores(setup.threads or os.cpu_count() or 1) if pin else None
        _pool, _pool_args = RowPool(setup, limit, str(get_worker().name), cores), args
    rows = _pool.run(task)
    return rows, _pool.fingerprint


class Fleet:
    """An executor on a Dask cluster.  ``each_machine`` (the default): every machine (the
    workers of one host name) runs every task, so the machines can be compared row by row;
    otherwise each task runs once, on any worker (a sweep spread over the fleet)."""

    LOST_AFTER_S = 60.0                 # a machine with no worker this long has left

    def __init__(self, client, cluster=None, pin: bool = True, each_machine: bool = True):
        self.client, self.cluster, self.pin, self.each_machine = client, cluster, pin, each_machine
        self.lost: dict[str, int] = {}  # host -> rows it left without running
        self._where: dict[str, set] = {}  # host name -> Dask host addresses of its workers

    @classmethod
    def connect(cls, scheduler: str | None = None, local: int | None = None,
                each_machine: bool = True, timeout: float = 60.0) -> Fleet:
        """A running cluster's scheduler at ``scheduler``, or a new LocalCluster of
        ``local`` worker processes (one thread each: a task blocks its thread)."""
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise FleetError("running on a Dask cluster needs dask and distributed "
                             "(pip install dask==2026.8.0 distributed==2026.8.0)") from None
        try:
            if local:
                cluster = LocalCluster(n_workers=local, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                                       silence_logs=logging.ERROR)
                return cls(Client(cluster), cluster, each_machine=each_machine)
            client = Client(scheduler, timeout=timeout)
            client.wait_for_workers(1, timeout=timeout)
            return cls(client, each_machine=each_machine)
        except (OSError, TimeoutError) as e:
            where = f"a local cluster of {local} workers" if local else f"the scheduler at {scheduler}"
            raise FleetError(f"cannot use {where}: {e}") from None

    def workers(self) -> dict:
        """{worker address: {"name", "address" (the Dask host), "host" (its host name)}}."""
        from harness import machine
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        names = self.client.run(machine.host)
        return {a: {"name": str(w.get("name")), "address": w.get("host"), "host": names.get(a)}
                for a, w in info.items() if a in names}

    def _addresses(self) -> dict:
        """{host name: the Dask host addresses of its workers}."""
        found = {}
        for w in self.workers().values():
            found.setdefault(w["host"], set()).add(w["address"])
        return found

    def hosts(self):
        if not self.each_machine:
            return None
        self._where = self._addresses()
        return sorted(self._where)

    def results(self, jobs, setup: Setup, limit: float | None = None):
        from distributed import as_completed
        run = uuid.uuid4().hex[:8]
        futures = {}
        for i, (task, host) in enumerate(jobs):
            where = sorted(self._where[host]) if host is not None else None
            f = self.client.submit(run_remote, task, setup, limit, self.pin, pure=False,
                                   key=f"convbench-{run}-{i}", priority=-i, workers=where,
                                   allow_other_workers=False)
            futures[f] = (task, host)
        done = as_completed(futures)
        absent = {}                     # host -> when it was first seen without workers
        try:
            while not done.is_empty():
                batch = done.next_batch(block=False)
                if not batch:
                    time.sleep(0.2)
                    self._drop_lost_hosts(futures, absent)
                    continue
                for future in batch:
                    task, _ = futures.pop(future)
                    yield (task, *self._outcome(future, task))
        finally:
            for future in futures:
                future.cancel()

    def _outcome(self, future, task):
        from distributed.scheduler import KilledWorker
        if future.status == "finished":
            return future.result()
        if future.status == "error":
            e = future.exception()
            status = "crashed" if isinstance(e, KilledWorker) else "error"
            return task.rows(status, f"dask: {type(e).__name__}: {e}"[:500]), None
        raise FleetError(f"lost the Dask cluster ({future.status} task {future.key}); "
                         "the rows that arrived are kept: --resume runs the rest")

    def _drop_lost_hosts(self, futures, absent) -> None:
        """Tasks waiting for a machine that has had no worker for LOST_AFTER_S are given up
        (their rows are not written: --resume runs them when it is back)."""
        waiting = {h for _, h in futures.values() if h is not None}
        if not waiting or time.monotonic() - absent.get("_checked", 0) < 5:
            return
        absent["_checked"] = time.monotonic()
        present = set(self._addresses())
        for h in waiting - present:
            absent.setdefault(h, time.monotonic())
            if time.monotonic() - absent[h] > self.LOST_AFTER_S:
                for f in [f for f, (_, fh) in futures.items() if fh == h]:
                    task, _ = futures.pop(f)
                    f.cancel()
                    self.lost[h] = self.lost.get(h, 0) + len(task.directions)
        for h in present:
            absent.pop(h, None)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

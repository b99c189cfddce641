"""Run a suite on the workers of a Dask distributed cluster.

``Fleet.connect(scheduler="tcp://host:8786")`` joins a running cluster (started with the
ordinary ``dask scheduler`` and ``dask worker`` commands, see docs/harness.md);
``Fleet.connect(local=N)`` starts a ``LocalCluster`` of N worker processes here.  A fleet
is an executor of ``harness.runner.run``: every task is a Dask task, sent to any worker.

On a worker, a task runs in that worker's own harness worker process (``RowPool``), so a
kernel that crashes or hangs gives a ``crashed`` or ``timeout`` row and the Dask worker
lives on.  Each Dask worker process gets cores of its own (``host.claim_cores``; its
threads as ``--threads`` says), and its check phase (first calls, errors) runs alongside
the others, while the timed calls take the host's timing lock: one timed section per host
at a time.  Rows come back with the fingerprint of the machine that ran them and are
written to the journal as they arrive.  A Dask worker that dies takes its task with it and
the scheduler gives the task to another worker (``distributed.scheduler.allowed-failures``
times; then the rows say ``crashed``); if the scheduler is lost, the run stops and
``--resume`` runs what the journal lacks.
"""
from __future__ import annotations

import logging
import os
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
    def __init__(self, client, cluster=None, pin: bool = True):
        self.client, self.cluster, self.pin = client, cluster, pin

    @classmethod
    def connect(cls, scheduler: str | None = None, local: int | None = None,
                timeout: float = 60.0) -> "Fleet":
        """A running cluster's scheduler at ``scheduler``, or a new LocalCluster of
        ``local`` worker processes (one thread each: a task blocks its thread)."""
        from distributed import Client, LocalCluster
        try:
            if local:
                cluster = LocalCluster(n_workers=local, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
                return cls(Client(cluster), cluster)
            client = Client(scheduler, timeout=timeout)
            client.wait_for_workers(1, timeout=timeout)
            return cls(client)
        except (OSError, TimeoutError) as e:
            where = f"a local cluster of {local} workers" if local else f"the scheduler at {scheduler}"
            raise FleetError(f"cannot use {where}: {e}") from None

    def workers(self) -> dict:
        """{worker address: its name and host} of the workers connected now."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        return {a: {"name": str(w.get("name")), "host": w.get("host")} for a, w in info.items()}

    def results(self, tasks, setup: Setup, limit: float | None = None):
        from distributed import as_completed
        from distributed.scheduler import KilledWorker
        run = uuid.uuid4().hex[:8]
        futures = {self.client.submit(run_remote, t, setup, limit, self.pin, pure=False,
                                      key=f"convbench-{run}-{i}", priority=-i): t
                   for i, t in enumerate(tasks)}
        try:
            for future in as_completed(futures):
                task = futures.pop(future)
                if future.status == "finished":
                    rows, fingerprint = future.result()
                    yield task, rows, fingerprint
                elif future.status == "error":
                    e = future.exception()
                    status = "crashed" if isinstance(e, KilledWorker) else "error"
                    yield task, task.rows(status, f"dask: {type(e).__name__}: {e}"[:500]), None
                else:
                    raise FleetError(f"lost the Dask cluster ({future.status} task {future.key}); "
                                     "the rows that arrived are kept: --resume runs the rest")
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

"""The harness's worker process: ``python -m harness.worker READ_FD WRITE_FD``.

Started by ``harness.isolate.RowPool``, it reads pickled messages from READ_FD and answers
on WRITE_FD (``multiprocessing.connection`` framing): first ``(cores, worker name)``
and an ``isolate.Setup``, answered by ``("ready", fingerprint)`` or ``("failed", text)``; then one
``Task`` at a time, answered by ``("rows", rows)``; ``None`` or the end of the pipe ends it.

Its standard output goes to its standard error (a kernel's print cannot break the
protocol), which the pool keeps in a log.  ``faulthandler`` writes the Python stack there
on a fatal signal, and on SIGUSR1 (which the pool sends to a worker it is about to kill
for running too long), so a crashed or stuck row can say where it was.  Ctrl-C is the
parent's to handle; a worker whose parent is gone exits.
"""
from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection


def _exit_with_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(70)


def main(argv=None) -> int:
    read_fd, write_fd = (int(a) for a in (argv or sys.argv[1:]))
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.enable(all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    cores, name = inbox.recv()              # plain data: nothing of ours imported yet
    if cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)      # before numba and torch size their thread pools
    try:
        from harness import job
        from harness.rows import stamp
        setup = inbox.recv()
        setup.preload_modules()
        fingerprint = setup.fingerprint()
    except BaseException as e:  # noqa: B036 - reported to the parent, which stops
        outbox.send(("failed", f"{type(e).__name__}: {e}"))
        return 1
    outbox.send(("ready", fingerprint))
    while True:
        try:
            task = inbox.recv()
        except EOFError:
            return 0
        if task is None:
            return 0
        try:
            rows = stamp(job.run_task(task, fingerprint), fingerprint, name)
        except Exception as e:  # a harness fault, not a kernel's: the rows say so
            rows = stamp(task.rows("error", f"harness: {job.describe_error(e)}"), fingerprint, name)
        outbox.send(("rows", rows))


if __name__ == "__main__":
    sys.exit(main())

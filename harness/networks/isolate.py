"""Run a function in a fresh worker process: a crash (a segfault, ``os.abort``), a hang or an
exception there becomes a status here.  Kept free of heavy imports, since the worker
imports this module before anything else."""
from __future__ import annotations

import multiprocessing
import traceback


def _child(fn, args, conn):
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as e:  # noqa: BLE001 -- reported by the parent
        traceback.print_exc()
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def isolated(fn, *args, timeout: float | None = None):
    """``("ok", fn(*args))`` computed in a spawned process, or (status, reason) with status
    ``error`` (it raised), ``crashed`` (the process died) or ``timeout`` (killed after
    ``timeout`` seconds).  ``fn`` must be importable by name (module level)."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, args, send), daemon=True)
    proc.start()
    send.close()
    outcome = None
    if receive.poll(timeout):
        try:
            outcome = receive.recv()
        except EOFError:  # the worker died before it sent anything
            pass
    elif proc.is_alive():
        outcome = ("timeout", f"no result within {timeout:g} s")
    proc.join(5)
    if proc.is_alive():
        proc.kill()
        proc.join()
    return outcome or ("crashed", f"the worker process died (exit code {proc.exitcode})")

"""Run tasks in a worker process, so that nothing a kernel does ends the run.

``RowPool(setup, limit).run(task)`` hands the task to a worker process
(``python -m harness.worker``) and returns its rows, or, when the worker dies (a
segfault, ``os.abort``, ``os._exit``) the task's rows with status ``crashed``, or, when
it is still running after ``limit`` seconds, with status ``timeout``; either way the next
task gets a fresh worker.  The worker's last words (the Python stack that ``faulthandler``
wrote on the fatal signal, or on the SIGUSR1 sent before a timed-out worker is killed) go
into the reason.  The worker is a fresh interpreter (not a fork: Numba's and torch's
thread pools do not survive ``fork``), which imports ``kernels`` and the setup's
``preload`` modules, so algorithms registered at run time elsewhere must be named there.

The same pool runs the tasks of a Dask worker (``harness.fleet``), one per worker process.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from harness import host, machine, timing
from harness.rows import Task, stamp

STARTUP_TIMEOUT = 600.0                 # imports, and the GEMM peak measured under the lock


@dataclass(frozen=True)
class Setup:
    """How a process that runs tasks is set up, and what its fingerprint measures."""
    threads: int | None = None
    seed: int = 0
    gemm_n: int = 1024                  # size of the GEMM that measures the peak
    copy_mib: int = 256                 # size of the copy that measures the bandwidth
    preload: tuple = ()                 # "module" or "module:function", imported first
    measured: dict = field(default_factory=dict)   # host -> figures measured before

    def preload_modules(self) -> None:
        for item in self.preload:
            module, _, function = item.partition(":")
            loaded = importlib.import_module(module)
            if function:
                getattr(loaded, function)()

    def fingerprint(self) -> dict:
        """Set the threads (torch and Numba), describe this process's machine and measure
        its GEMM peak and copy bandwidth (unless this host measured them before)."""
        threads = timing.set_threads(self.threads)
        fp = machine.describe(threads, self.seed)
        before = self.measured.get(fp["host"]) or {}
        if before.get("peak_gflops") and before.get("bandwidth_gbs"):
            fp.update(before)
            return fp
        with host.timing_lock():
            fp.update(timing.gemm_peak_gflops(self.gemm_n))
            fp.update(timing.copy_bandwidth_gbs(self.copy_mib))
        return fp


class WorkerStartError(RuntimeError):
    """The worker process could not start (its preload failed, or it died at once)."""


class RowPool:
    def __init__(self, setup: Setup, limit: float | None = None, name: str = "local",
                 cores: list | None = None):
        self.setup, self.limit, self.name, self.cores = setup, limit, name, cores
        self.fingerprint: dict | None = None
        self.proc = None
        self.starts = 0                   # worker processes started so far
        self._lock = threading.Lock()

    # -- the worker process ----------------------------------------------------------
    def start(self) -> dict:
        """Start a worker; returns its fingerprint (raises WorkerStartError)."""
        to_child, from_parent = os.pipe()
        from_child, to_parent = os.pipe()
        self.log = tempfile.TemporaryFile(prefix="convbench-worker-")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(_search_path()))
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "harness.worker", str(to_child), str(to_parent)],
                pass_fds=(to_child, to_parent), stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=self.log, env=env, cwd=os.getcwd())
        finally:
            os.close(to_child)
            os.close(to_parent)
        self.inbox = Connection(from_child, writable=False)
        self.outbox = Connection(from_parent, readable=False)
        self.starts += 1
        try:
            self.outbox.send((self.cores, self.name))
            self.outbox.send(self.setup)
            ready = self.inbox.poll(STARTUP_TIMEOUT)
            kind, payload = self.inbox.recv() if ready else ("failed", f"no answer in {STARTUP_TIMEOUT:g} s")
        except (EOFError, OSError) as e:
            kind, payload = "failed", f"it died ({e}); {self._tail(0)}"
        if kind != "ready":
            self._stop()
            raise WorkerStartError(f"the worker process could not start: {payload}")
        self.fingerprint = payload
        # a worker started again after a crash keeps the figures measured by the first
        self.setup = dataclasses.replace(
            self.setup, measured={**self.setup.measured, payload["host"]: machine.measured(payload)})
        return payload

    def run(self, task: Task) -> list[dict]:
        """The task's rows: as computed by the worker, or crashed, or timed out."""
        with self._lock:
            if self.proc is not None and self.proc.poll() is not None:
                self._stop()                 # it died between two tasks
            if self.proc is None:
                self.start()
            mark = os.fstat(self.log.fileno()).st_size
            try:
                self.outbox.send(task)
                if not self.inbox.poll(self.limit):
                    return self._timed_out(task, mark)
                return self.inbox.recv()[1]
            except (EOFError, OSError):
                return self._crashed(task, mark)

    def close(self) -> None:
        with self._lock:
            if self.proc is not None:
                try:
                    self.outbox.send(None)
                    self.proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    pass
                self._stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- what went wrong -------------------------------------------------------------
    def _crashed(self, task, mark) -> list[dict]:
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            code = None
        words = self._tail(mark)
        self._stop()
        reason = f"the worker process died ({_exit_text(code)}) running this row" + (
            f"; {words}" if words else "")
        return stamp(task.rows("crashed", reason[:500]), self.fingerprint, self.name)

    def _timed_out(self, task, mark) -> list[dict]:
        if hasattr(signal, "SIGUSR1"):
            try:
                self.proc.send_signal(signal.SIGUSR1)      # faulthandler: where it is
                self.proc.wait(timeout=1.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        words = self._tail(mark)
        self._stop()
        reason = f"still running after {self.limit:g} s (--row-timeout): the worker was killed" + (
            f"; {words}" if words else "")
        return stamp(task.rows("timeout", reason[:500]), self.fingerprint, self.name)

    def _tail(self, mark) -> str:
        """What the worker wrote since ``mark`` that says where it was: the fatal error
        and the innermost frame of the current thread."""
        try:
            self.log.seek(mark)
            text = self.log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        return last_words(text)

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for c in (getattr(self, "inbox", None), getattr(self, "outbox", None)):
            if c is not None:
                c.close()
        if getattr(self, "log", None) is not None:
            self.log.close()
        self.proc = self.inbox = self.outbox = self.log = None


FRAME = re.compile(r'\s*File "([^"]+)", line (\d+) in (\S+)')


def last_words(text: str, frames: int = 4) -> str:
    """From a worker's standard error: its fatal error line and, from a faulthandler
    dump, the innermost frames of the current thread as ``function (file:line)``, callers
    after ``<`` (else the last line written)."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    fatal = next((ln for ln in lines if ln.startswith("Fatal Python error")), "")
    stack = []
    for i, ln in enumerate(lines):
        if ln.startswith(("Current thread", "Thread 0x")) and "most recent call first" in ln:
            stack = []
            for f in lines[i + 1:]:
                m = FRAME.match(f)
                if not m:
                    break
                path = "/".join(m.group(1).split(os.sep)[-2:])
                stack.append(f"{m.group(3)} ({path}:{m.group(2)})")
            if ln.startswith("Current thread"):
                break
    if not (fatal or stack):
        return f"last output: {lines[-1]}" if lines else ""
    where = " < ".join(stack[:frames])
    return "; ".join(p for p in (fatal, f"at {where}" if where else "") if p)


def _exit_text(code) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _search_path() -> list[str]:
    """This process's module search path, for the worker (modules added at run time, such
    as a test's folder, are found there too)."""
    return [os.path.abspath(p or os.getcwd()) for p in sys.path
            if re.match(r".*\.(zip|egg)$", p or "") or os.path.isdir(p or os.getcwd())]

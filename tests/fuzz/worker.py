"""Calls in a child process with a time limit: whatever a call does (a signal, a hang, memory
exhausted), the test process goes on and records what happened.

``Worker().run(call, timeout)`` sends a picklable call to a long-lived child (``python -m
tests.fuzz.worker``), which builds the arguments, runs the function the call names and
answers with an ``Outcome``; a child that died or ran past the limit is replaced by a fresh
one.  The child limits its address space (``MEMORY_LIMIT``), so an allocation that cannot
exist fails in it instead of swapping the machine.
"""
from __future__ import annotations

import os
import pickle
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass

MEMORY_LIMIT = 8 << 30
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Outcome:
    """``kind``: "returned" (``value`` is what the function returned), "raised" (``error``
    is the exception's type name, ``message`` its text), "signal" (the child died of
    ``message``), "timeout", or "lost" (the child exited without answering)."""
    kind: str
    value: object = None
    error: str = ""
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Probe:
    """A call that does one thing in the child (tests of the worker itself): "return",
    "raise", "segfault", "hang" or "exit"."""
    action: str

    def run(self):
        if self.action == "raise":
            raise IndexError("probe")
        if self.action == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if self.action == "hang":
            time.sleep(3600)
        if self.action == "exit":
            os._exit(3)
        return self.action


def _send(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _receive(stream):
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    (n,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(n))


class Worker:
    """One child process at a time; ``run`` restarts it after a death or a timeout."""

    def __init__(self, env: dict | None = None):
        self.env = {**os.environ, **(env or {})}
        self.proc = None
        self.started = 0

    def _start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.worker"], cwd=ROOT, env=self.env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.started += 1
        ready = self._wait(120)
        if ready != "ready":
            self.close()
            raise RuntimeError(f"the fuzz worker did not start: {ready!r}")

    def _wait(self, timeout):
        import selectors
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                return None
        try:
            return _receive(self.proc.stdout)
        except (EOFError, pickle.UnpicklingError):
            return EOFError

    def run(self, call, timeout: float) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        t0 = time.perf_counter()
        try:
            _send(self.proc.stdin, call)
        except BrokenPipeError:
            pass
        answer = self._wait(timeout)
        seconds = time.perf_counter() - t0
        if isinstance(answer, Outcome):
            answer.seconds = seconds
            return answer
        if answer is None:
            self.close()
            return Outcome("timeout", message=f"no answer within {timeout:g} s", seconds=seconds)
        code = self.proc.wait()
        self.proc = None
        if code < 0:
            return Outcome("signal", message=signal.Signals(-code).name, seconds=seconds)
        return Outcome("lost", message=f"the child exited with status {code}", seconds=seconds)

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def _serve():
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    sys.path.insert(0, ROOT)
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr       # prints of the code under test must not corrupt the channel
    from kernels import _cuda
    from tests.fuzz import calls  # noqa: F401  (imports kernels, torch: before "ready")
    if _cuda.SIMULATED:   # as tests/conftest.py does: small blocks keep the simulator fast
        _cuda.TPB, _cuda.REDUCE_THREADS = 16, 256
    _send(stdout, "ready")
    while True:
        try:
            call = _receive(stdin)
        except EOFError:
            return
        try:
            outcome = Outcome("returned", value=call.run())
        except BaseException as e:  # noqa: BLE001  (MemoryError, RecursionError... are outcomes too)
            outcome = Outcome("raised", error=type(e).__name__, message=str(e)[:2000])
        _send(stdout, outcome)


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    from tests.fuzz.worker import _serve as serve  # Outcome pickled under its module's name
    serve()

"""The child-process runner: every way a call can end is recorded, and the next call runs."""
import pytest

from tests.fuzz.worker import Probe, Worker


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


@pytest.mark.parametrize("action,kind,detail", [
    ("return", "returned", "return"), ("raise", "raised", "IndexError"), ("segfault", "signal", "SIGSEGV"),
    ("hang", "timeout", "no answer"), ("exit", "lost", "status 3")])
def test_outcome_then_the_next_call_runs(worker, action, kind, detail):
    outcome = worker.run(Probe(action), timeout=5.0 if action != "hang" else 1.0)
    assert outcome.kind == kind
    assert detail in f"{outcome.value} {outcome.error} {outcome.message}"
    assert worker.run(Probe("return"), timeout=60.0).value == "return"

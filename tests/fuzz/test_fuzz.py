"""Bad inputs, fuzzed (issue 15): for every op and each of its arguments, hypothesis draws
calls of a good case with that argument made wrong (tests/fuzz/calls.py) and runs each in
a child process with a time limit (tests/fuzz/worker.py).  Every call must end in one of:

- a ValueError or TypeError whose message names the argument (the one made wrong where
  nothing else can be the culprit: a wrong type, dtype, rank or kind of array; any of the
  op's arguments where the value only conflicts with the others);
- a result equal to torch's for the same call (``supports`` answers True or False);

never a signal, a hang, another exception, or a result where torch refuses.

CI draws ``EXAMPLES`` calls per argument, the same ones every run, without shrinking;
``CONVBENCH_FUZZ=long`` draws ``LONG_EXAMPLES`` (``CONVBENCH_FUZZ_EXAMPLES``, default 40) and
shrinks each failure to a minimal call.
The figures of a run (calls, ops, algorithms, outcomes, duration) are printed at the end and
written to ``$CONVBENCH_FUZZ_REPORT`` (JSON) when it is set.  Known failures are listed in
tests/fuzz/known_failures.py (strict).
"""
import os
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings

import kernels
from tests.fuzz import calls as fuzz
from tests.fuzz.known_failures import KNOWN_FAILURES
from tests.fuzz.stats import STATS
from tests.fuzz.worker import Worker

LONG = os.environ.get("CONVBENCH_FUZZ") == "long"
EXAMPLES = 2
LONG_EXAMPLES = int(os.environ.get("CONVBENCH_FUZZ_EXAMPLES", 40))
TIMEOUT = 45.0    # seconds per call (a first call compiles the kernels it runs)


class Memo:
    """The worker, remembering outcomes: hypothesis replays a failing call to report it, and
    a call that hangs is waited for once."""

    def __init__(self):
        self.worker, self.seen = Worker(), {}

    def run(self, call, timeout):
        key = repr(call)
        if key not in self.seen:
            self.seen[key] = self.worker.run(call, timeout)
        return self.seen[key]


@pytest.fixture(scope="session")
def worker():
    w = Memo()
    yield w
    w.worker.close()


def _params():
    for op_name in kernels.ops():
        for target in fuzz.targets(op_name):
            key = f"{op_name}-{target}"
            marks = ()
            if key in KNOWN_FAILURES:
                marks = pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[key])
            yield pytest.param(op_name, target, id=key, marks=marks)


def judge(call, outcome) -> str | None:
    """None if the outcome keeps the promise, else what broke it."""
    if outcome.kind in ("signal", "timeout", "lost"):
        return f"{outcome.kind}: {outcome.message}"
    m = call.mutation
    if outcome.kind == "raised":
        said = f"{outcome.error}: {outcome.message}"
        if call.api == "supports":
            return f"supports raised {said}"
        if outcome.error not in ("ValueError", "TypeError"):
            return f"raised {said}"
        names = [m.target] if m.kind in fuzz.OWN else fuzz.targets(call.op)[:-1]
        if not any(re.search(rf"\b{re.escape(n)}\b", outcome.message) for n in names):
            return f"the message does not name {' or '.join(names)}: {said}"
        return None
    ours = outcome.value["ours"]
    if call.api in fuzz.SHAPE_APIS:
        negative = m.kind == "shape" and m.value[1] < 0
        if call.api == "supports":
            return None if ours in ("True", "False") and not (negative and ours == "True") else \
                f"supports answered {ours}"
        return f"{call.api} answered {ours} for a negative size" if negative else None
    torch = outcome.value["torch"]
    return None if torch in ("agrees", "torch runs out of memory") else torch


@pytest.mark.parametrize("op_name,target", list(_params()))
def test_bad_calls(op_name, target, worker):
    recorded = set()
    @settings(max_examples=LONG_EXAMPLES if LONG else EXAMPLES, derandomize=True, database=None,
              deadline=None, phases=[Phase.generate, Phase.shrink] if LONG else [Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(call=fuzz.bad_calls(op_name, target))
    def check(call):
        outcome = worker.run(call, TIMEOUT)
        verdict = judge(call, outcome)
        if repr(call) not in recorded:
            recorded.add(repr(call))
            STATS.record(call, outcome, verdict)
        assert verdict is None, f"{call.describe()}: {verdict}"

    check()

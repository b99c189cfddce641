"""The figures of a fuzz run: calls, ops, algorithms, outcomes, failures and duration."""
import collections
import json
import os
import time

KINDS = (("the message does not name", "message names no argument"),
         ("torch refuses", "computes where torch refuses"),
         ("differs from torch", "differs from torch"),
         ("answered", "shape-only call accepts a negative size"))


def kind_of(verdict: str) -> str:
    for prefix, kind in KINDS:
        if prefix in verdict:
            return kind
    return verdict.split(":")[0]


class Stats:
    def __init__(self):
        self.start = time.time()
        self.calls = 0
        self.ops, self.algos = set(), set()
        self.outcomes = collections.Counter()
        self.failures = collections.Counter()

    def record(self, call, outcome, verdict):
        self.calls += 1
        self.ops.add(call.op)
        self.algos.add((call.op, call.algo))
        kind = outcome.kind if outcome.kind != "raised" else outcome.error
        self.outcomes[kind] += 1
        if verdict is not None:
            self.failures[kind_of(verdict)] += 1
        if self.calls % 50 == 0:
            self.write()    # a long run cut short still leaves its figures

    def summary(self) -> dict:
        return {"calls": self.calls, "ops": len(self.ops), "op_algorithms": len(self.algos),
                "outcomes": dict(self.outcomes.most_common()),
                "failures": dict(self.failures.most_common()),
                "seconds": round(time.time() - self.start, 1)}

    def lines(self) -> list[str]:
        s = self.summary()
        return [f"fuzz: {s['calls']} calls over {s['ops']} ops and {s['op_algorithms']} "
                f"(op, algorithm) pairs in {s['seconds']} s",
                "outcomes: " + ", ".join(f"{k} {v}" for k, v in s["outcomes"].items()),
                "failing calls by kind: "
                + (", ".join(f"{k} {v}" for k, v in s["failures"].items()) or "none")]

    def write(self):
        path = os.environ.get("CONVBENCH_FUZZ_REPORT")
        if path and self.calls:
            with open(path, "w") as f:
                json.dump(self.summary(), f, indent=1)


STATS = Stats()

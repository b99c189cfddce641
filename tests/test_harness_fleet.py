"""A suite run through a Dask LocalCluster of two worker processes: every row once, each
with its worker's fingerprint and cores, timed sections never overlapping on the host,
the same statuses as a plain run; a worker killed mid-run loses nothing; two "machines"
(workers on 127.0.0.1 and 127.0.0.2, named by $CONVBENCH_HOST) each run every task
through ``run_bench.py --scheduler``, and the run compares them."""
import logging
import os
import signal
from collections import defaultdict

import pytest

from harness import cli, compare, journal, machine, runner, suites, timing
from harness.fleet import Fleet
from harness.suites import Entry, Suite
from tests import harness_algos

FAST = dict(budget=timing.Budget(min_repeats=2, min_time=0.0, max_time=0.05, warmup_time=0.0),
            gemm_n=64, copy_mib=1, progress=False, threads=1)
SMALL = Suite("fleet", "fleet test", [
    Entry("conv_transpose1d", "small", (("N", 2, 9), (2, 3, 3), (3,)), dict(padding=1)),
    Entry("conv2d", "small", (("N", 2, 6, 6), (3, 2, 3, 3), None), dict(padding=1)),
])


@pytest.fixture(scope="module")
def lock_dir(tmp_path_factory):
    """The host's lock files of these tests only (the clusters' workers inherit the
    variable), so that another test session on the machine does not hold the cores."""
    folder = tmp_path_factory.mktemp("locks")
    old = os.environ.get("CONVBENCH_LOCK_DIR")
    os.environ["CONVBENCH_LOCK_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("CONVBENCH_LOCK_DIR")
    else:
        os.environ["CONVBENCH_LOCK_DIR"] = old


@pytest.fixture(scope="module")
def fleet(lock_dir):
    """One LocalCluster of two worker processes for the tests of this module (its workers
    keep their harness worker processes from one test to the next)."""
    with Fleet.connect(local=2) as f:
        yield f


@pytest.fixture
def algos():
    made = harness_algos.register(("test_abort", "test_picky", "test_slow"))
    yield made
    harness_algos.unregister(made)


def _pool_here():
    """On a Dask worker: the fingerprint id and the cores of its harness worker process."""
    from harness import fleet, rows
    return {"id": fleet._pool.fingerprint["id"], "cores": rows.core_list(fleet._pool.cores)}


def _no_overlap(rows):
    spans = defaultdict(list)
    for r in rows:
        if r.get("timed_start") is not None:
            spans[r["host"]].append((r["timed_start"], r["timed_end"]))
    for host, s in spans.items():
        s = sorted(set(s))
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(s, s[1:])), (host, s)
    return sum(len(s) for s in spans.values())


def test_a_local_cluster_runs_the_suite_like_a_plain_run(tmp_path, fleet, algos):
    config = runner.Config(algos=("im2col", "numba", "test_abort", "test_picky"),
                           preload=(harness_algos.PRELOAD,), row_timeout=120, **FAST)
    outcome = runner.run(SMALL, str(tmp_path / "fleet"), config, executor=fleet)
    rows = outcome.rows
    keys = [runner.key(r) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * 2 + 2      # both ops x (im2col, numba) + ct1d's tests
    pools = {fleet.workers()[a]["name"]: p for a, p in fleet.client.run(_pool_here).items()}
    assert {r["worker"] for r in rows} == set(pools)     # both workers ran rows
    here = machine.identity(machine.describe(1, 0))      # this machine with one thread
    for r in rows:                                       # each row: its worker's fingerprint
        assert r["machine"] == pools[r["worker"]]["id"] == here and r["cores"] == pools[r["worker"]]["cores"]
    cores = [p["cores"] for p in pools.values()]          # one core each, not the same
    assert len(set(cores)) == 2 and all(c.isdigit() for c in cores)
    assert _no_overlap(rows) >= 4                        # timed sections, one at a time
    status = {runner.key(r): r["status"] for r in rows}
    assert status[("fleet", "conv_transpose1d", "test_abort", "small", "float32", "forward")] == "crashed"
    assert status[("fleet", "conv_transpose1d", "test_picky", "small", "float32", "forward")] == "unsupported"
    plain = runner.run(SMALL, str(tmp_path / "plain"), config)
    assert {runner.key(r): r["status"] for r in plain.rows} == status
    assert [m["id"] for m in journal.read(str(tmp_path / "fleet")).machines] == [rows[0]["machine"]]


def test_a_worker_killed_mid_run_loses_nothing(tmp_path, fleet, algos):
    """Each task takes 2 s (test_slow's supports); when the first rows arrive, a worker
    that is running a task is killed: its task goes to the other worker (or to the one
    its nanny starts again), and every row is there once, ok, with what arrived before
    the kill unchanged."""
    suite = Suite("kill", "", [Entry("conv_transpose1d", f"c{i}", (("N", 2, 9 + i), (2, 3, 3), (3,)),
                                     dict(padding=1)) for i in range(5)])
    config = runner.Config(algos=("test_slow",), preload=(harness_algos.PRELOAD,), row_timeout=120, **FAST)
    before, killed = [], []
    out = str(tmp_path / "run")

    def kill_a_busy_worker(rows):
        before.extend(rows)
        if killed:
            return
        busy = [a for a, keys in fleet.client.processing().items() if keys]
        if busy:
            pid = fleet.client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    outcome = runner.run(suite, out, config, executor=fleet, on_rows=kill_a_busy_worker)
    assert killed, "no worker was busy when the first rows arrived"
    rows = {runner.key(r): r for r in outcome.rows}
    assert len(rows) == len(outcome.rows) == 5
    assert {r["status"] for r in rows.values()} == {"ok"}
    for r in before:
        assert rows[runner.key(r)]["timed_start"] == r["timed_start"]   # kept as it arrived
    assert len(journal.read(out).rows) == 5


def test_todo_runs_on_each_machine_what_it_lacks():
    config = runner.Config(algos=("im2col", "numba"))
    tasks, _ = runner.plan_tasks(SMALL, config, {"conv2d": runner.kernels.OPS["conv2d"]})
    first, second = tasks
    rows = [{**t.base("forward"), "status": s, "host": h}
            for t, s, h in ((first, "ok", "alpha"), (second, "ok", "alpha"),
                            (first, "ok", "beta"), (second, "crashed", "beta"))]
    assert runner.todo(tasks, ["alpha", "beta"], rows) == []
    assert runner.todo(tasks, ["alpha", "beta"], rows, retry=("crashed",)) == [(second, "beta")]
    assert runner.todo(tasks, ["alpha", "gamma"], rows) == [(first, "gamma"), (second, "gamma")]
    assert runner.todo(tasks, None, rows) == []                   # once, anywhere
    assert runner.todo(tasks, None, rows[2:], retry=("crashed",)) == [(second, None)]
    unnamed = [{**r, "host": None} for r in rows[:2]]             # a run from before hosts
    assert runner.todo(tasks, ["gamma"], unnamed) == []


def test_every_machine_runs_every_task_and_the_run_compares_them(tmp_path, lock_dir, capsys):
    from distributed import Nanny, Scheduler, SpecCluster
    workers = {name: {"cls": Nanny, "options": {"host": ip, "nthreads": 1,
                                                 "env": {"CONVBENCH_HOST": name}}}
               for name, ip in (("alpha", "127.0.0.1"), ("beta", "127.0.0.2"))}
    out = str(tmp_path / "run")
    suites.SUITES["test-fleet"] = Suite("test-fleet", "", SMALL.entries[:1])
    try:
        with SpecCluster(workers=workers, silence_logs=logging.ERROR,
                         scheduler={"cls": Scheduler, "options": {
                             "dashboard": False, "dashboard_address": ":0", "host": "127.0.0.1"}}) as cluster:
            rc = cli.main(["--suite", "test-fleet", "--algos", "im2col", "--out", out,
                           "--scheduler", cluster.scheduler_address, "--threads", "1",
                           "--min-time", "0", "--max-time", "0.05", "--min-repeats", "5",
                           "--warmup-time", "0", "--no-progress"])
    finally:
        suites.SUITES.pop("test-fleet")
    assert rc == 0, capsys.readouterr().err
    rows = journal.read(out).rows
    assert sorted((r["host"], r["status"]) for r in rows) == [("alpha", "ok"), ("beta", "ok")]
    assert len({runner.key(r) for r in rows}) == 1 and _no_overlap(rows) == 2
    for host in ("alpha", "beta"):
        assert os.path.exists(os.path.join(out, "machines", host, "results.json"))
    text = open(os.path.join(out, "report.md")).read()
    assert "## Machines" in text and "| case | dtype | dir | algo | alpha | beta |" in text
    assert os.path.getsize(os.path.join(out, "report.html")) > 10000
    assert compare.main([out + "@alpha", out + "@beta"]) == 0
    assert "1 rows on both sides" in capsys.readouterr().out

"""Nothing one kernel does ends a run, and nothing that finished is lost.

Kernels that abort, segfault, call ``os._exit``, hang, or raise ``SystemExit``, and a
``supports`` that raises (tests/harness_algos.py), each become a row with its status
while the run goes on; ``--resume`` keeps such rows unless asked to retry them; a damaged
results.json or a torn journal line does not stop a resume; a folder that cannot be
written is found before any task runs, in one line."""
import json
import os
import subprocess
import sys

import pytest

from harness import cli, isolate, journal, runner, suites, timing
from harness.suites import Entry, Suite
from tests import harness_algos

FAST = dict(budget=timing.Budget(min_repeats=2, min_time=0.0, max_time=0.05, warmup_time=0.0),
            gemm_n=64, copy_mib=1, progress=False, threads=1)
CASE = Entry("conv_transpose1d", "small", (("N", 2, 9), (2, 3, 3), (3,)), dict(padding=1))
TINY = Suite("tiny", "isolation test", [CASE])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def bad_algos():
    made = harness_algos.register()
    yield made
    harness_algos.unregister(made)


def _by_algo(rows):
    return {r["algo"]: r for r in rows}


def test_crash_hang_and_exit_are_rows_and_the_run_goes_on(tmp_path, bad_algos):
    algos = ("im2col", "test_abort", "test_segfault", "test_hang", "test_exit", "test_os_exit",
             "test_supports_raises", "test_late")
    config = runner.Config(algos=algos, preload=(harness_algos.PRELOAD,), row_timeout=20, **FAST)
    outcome = runner.run(TINY, str(tmp_path), config)
    rows = _by_algo(outcome.rows)
    assert set(rows) == set(algos) and len(outcome.rows) == len(algos)
    assert rows["im2col"]["status"] == "ok" and rows["test_late"]["status"] == "ok"  # after them all
    assert rows["test_abort"]["status"] == "crashed" and "SIGABRT" in rows["test_abort"]["reason"]
    segv = rows["test_segfault"]
    assert segv["status"] == "crashed" and "SIGSEGV" in segv["reason"]
    assert "_segfault (tests/harness_algos.py:" in segv["reason"]  # where it was
    hang = rows["test_hang"]
    assert hang["status"] == "timeout" and "20 s" in hang["reason"]
    assert "_hang (tests/harness_algos.py:" in hang["reason"]
    assert rows["test_exit"]["status"] == "error" and "SystemExit" in rows["test_exit"]["reason"]
    assert rows["test_os_exit"]["status"] == "crashed" and "exit code 3" in rows["test_os_exit"]["reason"]
    sup = rows["test_supports_raises"]
    assert sup["status"] == "error" and sup["reason"].startswith("supports: RuntimeError")
    for r in outcome.rows:   # each carries the machine and worker, crashed or not
        assert r["host"] and r["machine"] == outcome.machine["id"] and r["worker"] == "local"
    data = json.loads((tmp_path / "results.json").read_text())
    assert {r["algo"]: r["status"] for r in data["rows"]} == {a: r["status"] for a, r in rows.items()}

    # --resume keeps the crashed and timed-out rows ...
    config.resume = True
    again = runner.run(TINY, str(tmp_path), config)
    assert again.ran == 0 and again.skipped == len(algos)
    # ... unless asked to run them again
    config.retry, config.algos = ("crashed",), ("test_os_exit", "test_hang")
    third = runner.run(TINY, str(tmp_path), config)
    assert third.ran == 1 and _by_algo(third.rows)["test_os_exit"]["status"] == "crashed"
    assert len(third.rows) == len(algos)


def test_a_torn_journal_line_or_a_damaged_results_json_does_not_stop_resume(tmp_path):
    config = runner.Config(algos=("im2col", "numba"), **FAST)
    first = runner.run(TINY, str(tmp_path), config)
    assert first.ran == 2
    path = tmp_path / journal.JOURNAL
    text = path.read_text()
    assert json.loads(text.splitlines()[-1])["algo"] == "numba"
    path.write_text(text[:len(text) - 40])                    # the last row torn by a crash
    config.resume = True
    again = runner.run(TINY, str(tmp_path), config)
    assert again.ran == 1 and again.skipped == 1
    assert [json.loads(ln)["record"] for ln in path.read_text().splitlines()].count("row") == 2
    assert {r["status"] for r in again.rows} == {"ok"}
    results = tmp_path / "results.json"
    results.write_text(results.read_text()[:200])            # truncated
    third = runner.run(TINY, str(tmp_path), config)
    assert third.ran == 0 and third.skipped == 2
    assert len(json.loads(results.read_text())["rows"]) == 2  # drawn whole from the journal


def test_resume_of_an_old_damaged_results_json_says_so(tmp_path, capsys):
    (tmp_path / "results.json").write_text('{"rows": [{"op": "conv')
    with pytest.raises(journal.ResultsError, match="results.json is damaged"):
        runner.run(TINY, str(tmp_path), runner.Config(resume=True, **FAST))
    suites.SUITES["test-tiny"] = TINY
    try:
        rc = cli.main(["--suite", "test-tiny", "--out", str(tmp_path), "--resume", "--no-progress"])
    finally:
        suites.SUITES.pop("test-tiny")
    err = capsys.readouterr().err
    assert rc == 2 and "results.json is damaged" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


class _Refuses:
    """An executor that must not be reached."""

    def hosts(self):
        raise AssertionError("the executor was asked before the output was checked")

    def results(self, jobs, setup, limit=None):
        raise AssertionError("a task ran before the output was checked")

    def close(self):
        pass


def test_an_unwritable_folder_is_found_before_any_task(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = str(blocker / "run")
    with pytest.raises(journal.OutputError, match="cannot create the results folder"):
        runner.run(TINY, out, runner.Config(**FAST), executor=_Refuses())
    rc = cli.main(["--suite", "quick", "--ops", "relu", "--out", out, "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("run_bench.py: cannot write results to") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_full_disk_is_found_before_any_task(tmp_path, monkeypatch):
    """Too little room, as the file system says; and a write that fails (the file size
    limit of a child process makes every write fail with EFBIG, as a full disk does with
    ENOSPC)."""
    usage = journal.shutil.disk_usage(str(tmp_path))
    monkeypatch.setattr(journal.shutil, "disk_usage", lambda p: usage._replace(free=2 ** 20))
    with pytest.raises(journal.OutputError, match="1.0 MiB free"):
        runner.run(TINY, str(tmp_path / "run"), runner.Config(**FAST), executor=_Refuses())
    monkeypatch.undo()
    resource = pytest.importorskip("resource")
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000)); from harness import cli; "
            f"sys.exit(cli.main(['--suite', 'quick', '--ops', 'relu', '--out', {str(tmp_path / 'full')!r}, "
            "'--no-progress']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("run_bench.py: cannot write") and "File too large" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and resource


def test_a_write_that_fails_mid_run_stops_it_in_one_line(tmp_path, monkeypatch, capsys):
    """The disk fills after the first rows: the run stops with one line, and the rows that
    were written stay in the journal for --resume."""
    written = []
    real = journal.Journal.rows

    def rows(self, new):
        if written:
            raise journal.OutputError(f"cannot write {self.path}: No space left on device")
        written.extend(new)
        real(self, new)

    monkeypatch.setattr(journal.Journal, "rows", rows)
    suites.SUITES["test-tiny"] = TINY
    try:
        rc = cli.main(["--suite", "test-tiny", "--algos", "im2col,numba", "--out", str(tmp_path),
                       "--no-progress", "--threads", "1", "--min-time", "0", "--max-time", "0.05",
                       "--min-repeats", "2", "--in-process"])
    finally:
        suites.SUITES.pop("test-tiny")
    err = capsys.readouterr().err
    assert rc == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1
    assert [r["algo"] for r in journal.read(str(tmp_path)).rows] == [written[0]["algo"]]


def test_last_words_name_the_fatal_error_and_the_frame():
    dump = ("Fatal Python error: Segmentation fault\n\nThread 0x7f (most recent call first):\n"
            '  File "/x/watch.py", line 3 in _watch\n\nCurrent thread 0x7e (most recent call first):\n'
            '  File "/x/algo.py", line 9 in _segfault\n  File "/x/job.py", line 40 in run\n')
    assert isolate.last_words(dump) == ("Fatal Python error: Segmentation fault; "
                                        "at _segfault (x/algo.py:9) < run (x/job.py:40)")
    assert isolate.last_words("warming up\nsomething odd\n") == "last output: something odd"
    assert isolate.last_words("") == ""


def test_a_worker_that_cannot_start_stops_the_run_in_one_line(tmp_path, capsys):
    config = runner.Config(algos=("im2col",), preload=("tests.no_such_module",), **FAST)
    with pytest.raises(isolate.WorkerStartError, match="No module named 'tests.no_such_module'"):
        runner.run(TINY, str(tmp_path / "run"), config)
    rc = cli.main(["--suite", "quick", "--ops", "relu", "--out", str(tmp_path / "cli"), "--no-progress",
                   "--preload", "tests.no_such_module"])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("run_bench.py: --preload tests.no_such_module: ModuleNotFoundError")
    assert len(err.strip().splitlines()) == 1

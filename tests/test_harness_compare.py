"""harness.compare on synthetic runs (a planted 30% regression among rows of pure noise),
the fingerprint check, two machines of one run, and the report of a run from several
machines: per-machine files, tables side by side, the self-contained HTML page."""
import csv
import re

import numpy as np
import pytest

from harness import compare, journal, machine, report

FP = {"host": "alpha", "cpu": "Test CPU 3000", "machine": "x86_64", "cores": 8, "threads": 4,
      "gpu": None, "versions": {"numpy": "2.4.6", "numba": "0.68.1", "torch": "2.13.0"},
      "peak_gflops": 200.0, "bandwidth_gbs": 30.0, "seed": 1}
CASES = [f"c{i:02d}" for i in range(12)]
NOISE = 0.03                            # relative spread of one timed call


def _fp(**changes):
    fp = {**FP, **changes}
    fp["id"] = machine.identity(fp)
    return fp


def _rows(rng, fp, slower=None, factor=1.3, repeats=15, status=None):
    rows = []
    for i, case in enumerate(CASES):
        base = 1e-3 * (1 + i)
        scale = factor if case == slower else 1.0
        times = list(base * scale * rng.lognormal(0.0, NOISE, repeats))
        torch_times = list(2 * base * rng.lognormal(0.0, NOISE, repeats))
        rows.append({"suite": "syn", "op": "conv2d", "algo": "numba", "case": case, "dtype": "float32",
                     "direction": "forward", "status": (status or {}).get(case, "ok"), "reason": "",
                     "time_median_s": float(np.median(times)), "times": times,
                     "torch_time_median_s": float(np.median(torch_times)), "torch_times": torch_times,
                     "speedup_vs_torch": float(np.median(torch_times) / np.median(times)),
                     "host": fp["host"], "machine": fp["id"], "worker": "local",
                     "params": "{}", "shape": "", "fwd_rel_err": 1e-7, "grad_rel_err": 1e-7, "tolerance": 1e-4})
    return rows


def _run(folder, rows, machines):
    book = journal.Journal(str(folder))
    book.start({"run_id": folder.name, "suite": "syn", "started": journal.now(), "note": "",
                "config": {"dtypes": ["float32"], "batch": 1, "budget": {}}}, resume=False)
    for m in machines:
        book.machine(m)
    book.rows(rows)
    journal.derive(str(folder))
    return str(folder)


@pytest.fixture
def runs(tmp_path):
    rng = np.random.default_rng(7)
    fp = _fp()
    return {"old": _run(tmp_path / "old", _rows(rng, fp), [fp]),
            "regressed": _run(tmp_path / "regressed", _rows(rng, fp, slower="c05"), [fp]),
            "noise": _run(tmp_path / "noise", _rows(rng, fp), [fp])}


def test_a_planted_regression_is_flagged_and_noise_is_not(runs, capsys):
    old, new = compare.load_side(runs["old"]), compare.load_side(runs["regressed"])
    changes, only = compare.compare(old, new)
    flagged = [c for c in changes if c.verdict in ("regression", "improvement", "broken")]
    assert [(c.verdict, c.row["case"]) for c in flagged] == [("regression", "c05")]
    assert 1.25 < flagged[0].ratio < 1.35 and flagged[0].p < 1e-4
    assert 0.97 < flagged[0].torch_ratio < 1.03          # torch did not move: the kernel did
    assert only == {"only_old": 0, "only_new": 0}
    assert compare.main([runs["old"], runs["regressed"], "--fail-above", "1.1"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"## Regressions\n\n.*\n.*\n\| conv2d \| c05 \| numba \|", out)
    assert compare.main([runs["old"], runs["regressed"], "--fail-above", "1.5"]) == 0
    changes, _ = compare.compare(old, compare.load_side(runs["noise"]))
    assert {c.verdict for c in changes} == {"unchanged"}
    assert compare.main([runs["old"], runs["noise"], "--fail-above", "1.1"]) == 0


def test_different_machines_are_refused_unless_allowed(tmp_path, runs, capsys):
    other = _fp(cpu="Other CPU 9000", versions={**FP["versions"], "numba": "0.69.0"})
    folder = _run(tmp_path / "other", _rows(np.random.default_rng(8), other, slower="c05"), [other])
    assert compare.main([runs["old"], folder, "--fail-above", "1.1"]) == 2
    err = capsys.readouterr().err
    assert "refusing" in err and "cpu: Test CPU 3000 != Other CPU 9000" in err
    assert "versions.numba: 0.68.1 != 0.69.0" in err
    assert compare.main([runs["old"], folder, "--fail-above", "1.1", "--allow-different-machines"]) == 1
    assert "Compared although the machines differ" in capsys.readouterr().out


def test_a_row_that_stopped_running_is_broken(tmp_path, runs):
    fp = _fp()
    folder = _run(tmp_path / "broken", _rows(np.random.default_rng(9), fp, status={"c03": "crashed"}), [fp])
    changes, _ = compare.compare(compare.load_side(runs["old"]), compare.load_side(folder))
    assert [(c.verdict, c.row["case"], c.new_status) for c in compare.failures(changes, 1.1)] == \
        [("broken", "c03", "crashed")]
    assert compare.main([runs["old"], folder, "--fail-above", "1.1"]) == 1


def test_too_few_repeats_are_undecided_not_failures(tmp_path):
    fp = _fp()
    rng = np.random.default_rng(10)
    old = _run(tmp_path / "o", _rows(rng, fp, repeats=3), [fp])
    new = _run(tmp_path / "n", _rows(rng, fp, slower="c01", factor=2.0, repeats=3), [fp])
    changes, _ = compare.compare(compare.load_side(old), compare.load_side(new))
    assert {c.row["case"] for c in changes if c.verdict == "undecided"} == {"c01"}
    assert compare.main([old, new, "--fail-above", "1.1"]) == 0
    assert compare.least_p(5, 5) == pytest.approx(2 / 252) and compare.least_p(3, 3) == 0.1


def test_two_machines_of_one_run_compare_and_report_side_by_side(tmp_path, capsys):
    """Hosts alpha and beta of one fingerprint (identical hardware); beta 30% slower on
    c05.  Their rows in one run folder: per-machine results, a report comparing them."""
    rng = np.random.default_rng(11)
    a, b = _fp(), _fp(host="beta")
    folder = _run(tmp_path / "fleet", _rows(rng, a) + _rows(rng, b, slower="c05"), [a, b])
    assert compare.main([folder, folder + "@alpha"]) == 2
    assert "name one as" in capsys.readouterr().err
    assert compare.main([folder + "@alpha", folder + "@beta", "--fail-above", "1.1"]) == 1
    for host in ("alpha", "beta"):
        with open(tmp_path / "fleet" / "machines" / host / "results.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == len(CASES) and {r["host"] for r in rows} == {host}
    report.write_report(folder)
    text = (tmp_path / "fleet" / "report.md").read_text()
    assert "## Machines" in text and "| alpha |" in text and "| beta |" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("| c05 | float32 | fwd | numba |"))
    assert re.search(r"\(1\.[23]\dx\) \|$", line), line
    assert (tmp_path / "fleet" / "plots" / "machines.png").stat().st_size > 1000
    assert (tmp_path / "fleet" / "plots" / "machines_conv2d.png").stat().st_size > 1000
    page = (tmp_path / "fleet" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.count('<table class="sortable">') >= 3
    assert "data:image/png;base64," in page and "function sortTable" in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)   # nothing fetched
    assert not re.search(r"""src=["'](?!data:)""", page)             # every image embedded,
    assert page.count("data:image/png") == len(set(re.findall(r"plots/[\w.-]+\.png", text)))  # once


def test_rows_keep_a_sample_of_their_timed_calls():
    from harness.job import kept_times
    times = [float(i) for i in range(1000)]
    kept = kept_times(times)
    assert len(kept) == 100 and kept[0] == 0.0 and kept[-1] == 990.0 and kept == sorted(kept)
    assert kept_times(times[:7]) == times[:7]

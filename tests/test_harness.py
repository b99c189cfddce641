"""The harness end to end on a tiny suite: files, columns, every status, resume, atomic
writes, the timer's sync hook and the device path.  Algorithms that fail or support
nothing are registered for the test only (tests/harness_algos.py; the worker process
registers them through ``preload``)."""
import csv
import dataclasses
import json
import os
import time

import numpy as np
import pytest

import kernels
from harness import cli, devices, files, goals_table, report, runner, suites, timing
from harness.suites import Entry, Suite
from kernels._registry import ALGORITHMS
from tests import harness_algos

FAST = dict(budget=timing.Budget(min_repeats=2, min_time=0.0, max_time=0.05, warmup_time=0.0),
            gemm_n=64, copy_mib=1, progress=False, threads=1)
CONTRACT_COLUMNS = ["op", "algo", "case", "dtype", "shape", "params", "time_median_s", "time_iqr_s",
            "gflops", "torch_time_median_s", "speedup_vs_torch", "fwd_rel_err", "grad_rel_err",
            "status", "compile_s", "direction", "reason"]

TINY = Suite("tiny", "a test suite", [
    Entry("conv_transpose1d", "small", (("N", 2, 9), (2, 3, 3), (3,)), dict(padding=1)),
    Entry("conv2d", "small", (("N", 2, 6, 6), (3, 2, 3, 3), None), dict(padding=1),
          sweep=("kernel_size", 3)),
    Entry("conv_transpose1d", "bad-shape", (("N", 2, 9), (5, 3, 3), None)),
    Entry("no_such_op", "x", (("N", 2),)),
])


@pytest.fixture
def test_algos():
    """conv_transpose1d gets three extra algorithms: one that raises, one that supports nothing,
    one whose answer is 1e-2 off.  They are unregistered after the test."""
    made = harness_algos.register(("test_broken", "test_picky", "test_sloppy"))
    yield {"broken": "test_broken", "picky": "test_picky", "sloppy": "test_sloppy"}
    harness_algos.unregister(made)


def _csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_run_writes_every_file_and_status(tmp_path, test_algos):
    out = str(tmp_path / "run")
    outcome = runner.run(TINY, out, runner.Config(slow_macs=1000, preload=(harness_algos.PRELOAD,), **FAST),
                         run_id="test")
    report.write_report(out)
    rows = _csv(os.path.join(out, "results.csv"))
    assert set(CONTRACT_COLUMNS) <= set(rows[0])
    status = {(r["op"], r["case"], r["algo"]): r for r in rows}
    small = {a: status[("conv_transpose1d", "small", a)] for a in ALGORITHMS["conv_transpose1d"]}
    assert small[test_algos["broken"]]["status"] == "error"
    assert "deliberate failure" in small[test_algos["broken"]]["reason"]
    assert small[test_algos["picky"]]["status"] == "unsupported"
    assert small[test_algos["picky"]]["reason"] == "supports nothing (test)"
    assert small[test_algos["sloppy"]]["status"] == "inaccurate"
    assert 0.005 < float(small[test_algos["sloppy"]]["fwd_rel_err"]) < 0.02
    assert json.loads(small[test_algos["sloppy"]]["phases"])["multiply"] == 3e-6
    for a in ("naive", "im2col", "numba"):
        r = small[a]
        assert r["status"] == "ok", r
        assert float(r["speedup_vs_torch"]) > 0 and float(r["time_median_s"]) > 0
        assert float(r["fwd_rel_err"]) < 1e-4 and float(r["grad_rel_err"]) < 1e-4
    # conv2d's case has 1944 MACs > slow_macs: the naive loops are skipped
    assert status[("conv2d", "small", "naive")]["status"] == "skipped-too-slow"
    bad = [r for r in rows if r["case"] == "bad-shape"]
    assert bad and all(r["status"] == "error" and r["reason"].startswith("case:") for r in bad)
    assert outcome.missing == {"no_such_op": ["x"]}
    with open(os.path.join(out, "results.json")) as f:
        data = json.load(f)
    assert data["machine"]["peak_gflops"] > 0 and data["machine"]["bandwidth_gbs"] > 0
    assert data["machine"]["threads"] >= 1 and data["machine"]["seed"] == runner.SEED
    assert "numba" in data["machine"]["versions"] and len(data["rows"]) == len(rows)
    text = open(os.path.join(out, "report.md")).read()
    assert "no_such_op" in text and "## conv_transpose1d" in text
    assert "plots/speedup_conv_transpose1d.png" in text
    for name in ("speedup", "roofline", "errors", "sweep_kernel_size", "sweep_input_size",
                 "phases", "speedup_conv_transpose1d", "speedup_conv2d"):
        path = os.path.join(out, "plots", f"{name}.png")
        assert os.path.getsize(path) > 1000, name
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_backward_rows_are_timed(tmp_path):
    suite = Suite("tiny", "", TINY.entries[:1])
    outcome = runner.run(suite, str(tmp_path), runner.Config(backward=True, algos=("im2col",), **FAST))
    by_dir = {r["direction"]: r for r in outcome.rows}
    assert set(by_dir) == {"forward", "backward"}
    assert all(r["status"] == "ok" and r["speedup_vs_torch"] > 0 for r in by_dir.values())


def test_resume_skips_rows_already_written(tmp_path):
    suite = Suite("tiny", "", TINY.entries[:1])
    config = runner.Config(algos=("im2col", "numba"), **FAST)
    first = runner.run(suite, str(tmp_path), config)
    assert first.ran == 2 and first.skipped == 0
    config.resume = True
    again = runner.run(suite, str(tmp_path), config)
    assert again.ran == 0 and again.skipped == 2
    assert [r["time_median_s"] for r in again.rows] == [r["time_median_s"] for r in first.rows]
    path = tmp_path / "journal.jsonl"                  # the source of truth: a row taken out
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(ln for ln in lines if '"algo": "numba"' not in ln))
    third = runner.run(suite, str(tmp_path), config)
    assert third.ran == 1 and {r["algo"] for r in third.rows} == {"im2col", "numba"}


def test_atomic_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "results.csv"
    files.write_text(path, "old\n")
    with pytest.raises(RuntimeError):
        with files.atomic_path(path) as tmp:
            with open(tmp, "w") as f:
                f.write("half a fi")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["results.csv"]
    files.write_text(path, "new\n")
    assert path.read_text() == "new\n"


def test_cli_writes_latest_style_output(tmp_path, capsys):
    suites.SUITES["test-tiny"] = Suite("test-tiny", "cli test", TINY.entries[:1])
    try:
        rc = cli.main(["--suite", "test-tiny", "--out", str(tmp_path), "--algos", "im2col",
                       "--min-time", "0", "--max-time", "0.05", "--min-repeats", "2",
                       "--no-progress", "--dtype", "float32,float64", "--threads", "1"])
    finally:
        suites.SUITES.pop("test-tiny")
    assert rc == 0
    rows = _csv(tmp_path / "results.csv")
    assert sorted(r["dtype"] for r in rows) == ["float32", "float64"]
    assert (tmp_path / "report.md").exists() and (tmp_path / "plots" / "roofline.png").exists()
    assert "conv_transpose1d" in capsys.readouterr().out


def test_suite_budget_then_command_line():
    args = cli.parser().parse_args(["--min-time", "0.3"])
    b = cli.budget([suites.get("quick")], args)
    assert (b.min_time, b.max_time, b.min_repeats) == (0.3, 0.5, 5)


def test_timing_budget():
    t = timing.measure(lambda: sum(range(100)), timing.Budget(min_repeats=7, min_time=0.0))
    assert t.repeats == 7 and t.median_s > 0 and t.iqr_s >= 0 and t.first_s > 0
    t = timing.measure(lambda: None, timing.Budget(repeats=3))
    assert t.repeats == 3


def test_timing_sync_hook_ends_every_call():
    """sync runs once before the first call and after every call (first, warm-up, timed),
    and the clock waits for it."""
    calls, syncs = [], []

    def sync():
        syncs.append(len(calls))
        time.sleep(0.002)

    t = timing.measure(lambda: calls.append(len(syncs)), timing.Budget(repeats=4, warmup_time=0.0),
                       sync=sync)
    assert t.repeats == 4 and len(calls) == 1 + 1 + 4
    assert syncs == list(range(len(calls) + 1))        # sync, call, sync, call, ..., sync
    assert calls == list(range(1, len(calls) + 1))
    assert t.first_s >= 0.002 and min(t.times) >= 0.002  # the wait is inside the clock


def test_warm_up_is_sized_by_time(monkeypatch):
    """Untimed calls after the first until warmup_time has passed (a fake clock: each call
    takes 0.25 s), at least one when warmup_time is 0."""
    now, calls = [0.0], []
    monkeypatch.setattr(timing.time, "perf_counter", lambda: now[0])

    def fn():
        calls.append(1)
        now[0] += 0.25

    t = timing.measure(fn, timing.Budget(repeats=3, warmup_time=1.0))
    assert len(calls) == 1 + 4 + 3 and t.times == [0.25] * 3 and t.first_s == 0.25
    calls.clear()
    timing.measure(fn, timing.Budget(repeats=3, warmup_time=0.0), first_s=0.25)
    assert len(calls) == 1 + 3


def test_device_algorithm_gets_device_arrays_and_a_synced_clock(tmp_path, monkeypatch):
    """cuda rows (under Numba's simulator here, on the GPU with CONVBENCH_REAL_GPU=1): the
    inputs are copied to the device before the calls, each call is synchronised, the
    outputs are checked on the host."""
    real = devices.cuda_place()
    puts, syncs = [], []

    def put(a):
        puts.append(a.shape)
        return real.put(a)

    def sync():
        syncs.append(1)
        real.sync()

    monkeypatch.setattr(devices, "cuda_place", lambda: dataclasses.replace(real, put=put, sync=sync))
    suite = Suite("tiny-gpu", "", [
        Entry("conv2d", "3x3", (("N", 2, 5, 5), (3, 2, 3, 3), (3,)), dict(padding=1)),
        Entry("depthwise_conv2d", "3x3-s2", (("N", 3, 5, 5), (3, 1, 3, 3), None),
              dict(stride=2, padding=1))])
    config = runner.Config(algos=("cuda",), backward=True, slow_macs=10 ** 6, isolate=False, **FAST)
    outcome = runner.run(suite, str(tmp_path), config)   # here: the patched device path
    assert len(outcome.rows) == 4
    for r in outcome.rows:
        assert r["status"] == "ok", r
        assert r["fwd_rel_err"] < 1e-5 and r["grad_rel_err"] < 1e-5 and r["time_median_s"] > 0
        assert ("on CUDA" in r["torch_impl"]) == devices.torch_has_gpu()
    assert (1, 2, 5, 5) in puts and (3, 1, 3, 3) in puts
    assert len(syncs) >= sum(r["repeats"] + 2 for r in outcome.rows)  # first, warm-up, timed


@pytest.mark.parametrize("name, op, case", [
    ("depthwise", "separable_conv2d", "dw384-pw64-14-s1"),
    ("gpu", "depthwise_conv2d", "mobilenetv2-block17-depthwise"),
])
def test_declared_suite_runs_one_entry(tmp_path, name, op, case):
    """The suites that replaced the side scripts: declared, and one entry of each runs
    (batch 1) with numba beside the cuda algorithm, which a machine without a GPU refuses
    with its reason."""
    s = suites.get(name)
    entry = next(e for e in s.entries if (e.op, e.id) == (op, case))
    outcome = runner.run(Suite(name, s.doc, [entry]), str(tmp_path),
                         runner.Config(algos=("numba", "cuda"), batch=1, **FAST))
    by_algo = {r["algo"]: r for r in outcome.rows}
    assert by_algo["numba"]["status"] == "ok" and by_algo["numba"]["suite"] == name
    if "cuda" in by_algo:  # without a GPU (the simulator: too large or too slow) it says why
        cuda = by_algo["cuda"]
        if devices.torch_has_gpu():
            assert cuda["status"] == "ok", cuda
        else:
            assert cuda["status"] in ("unsupported", "skipped-too-slow") and cuda["reason"], cuda


def test_report_is_drawn_again_from_results_json(tmp_path, capsys):
    out = tmp_path / "run"
    runner.run(Suite("tiny", "", TINY.entries[:1]), str(out),
               runner.Config(algos=("im2col",), **FAST), note="a note kept in results.json")
    assert not (out / "report.md").exists()
    assert report.main([str(out)]) == 0
    text = (out / "report.md").read_text()
    assert "> a note kept in results.json" in text and "## conv_transpose1d" in text
    assert (out / "plots" / "speedup_conv_transpose1d.png").stat().st_size > 1000
    assert report.main([str(tmp_path / "nothing")]) == 1


def test_goals_table_targets_are_goals_cases(tmp_path):
    """Every target of the README table names a case of the goals suite, and the table's
    speedup is the median over runs of the other side's time over ours."""
    goals = {(e.op, e.id) for e in suites.get("goals").entries}
    assert {(op, case) for _, op, case, *_ in goals_table.TARGETS} <= goals
    label, op, case, algo, direction, against, goal = goals_table.TARGETS[0]
    dirs = []
    for i, (ours, theirs) in enumerate([(1.0, 2.0), (1.0, 1.0), (2.0, 1.0)]):
        row = dict(op=op, case=case, algo=algo, direction=direction, dtype="float32",
                   status="ok", time_median_s=ours, torch_time_median_s=theirs)
        runner.write_results(str(tmp_path / f"r{i}"), {}, [row], {})
        dirs.append(tmp_path / f"r{i}")
    line = next(ln for ln in goals_table.table(dirs).splitlines() if ln.startswith(f"| {label} |"))
    assert "| 1.00 (2.00, 1.00, 0.50) |" in line


def test_every_suite_entry_names_a_contract_op_with_valid_shapes():
    """Declared entries resolve; those of registered ops also plan (valid shapes/params)."""
    for name, s in suites.load().items():
        for e in s.entries:
            op = kernels.OPS.get(e.op)
            if op is not None:
                shapes = e.resolve(op.inputs, s.batch)
                assert op.output_shape(**op.named(shapes), **e.params), (name, e.op, e.id)


def test_quick_suite_declares_every_contract_op():
    contract = {
        "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
        "depthwise_conv2d", "pointwise_conv2d", "separable_conv2d", "spatially_separable_conv2d",
        "unshared_conv2d", "deform_conv2d", "coord_conv2d", "max_pool1d", "max_pool2d",
        "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d",
        "sum_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "global_avg_pool2d",
        "spatial_pyramid_pool2d", "max_unpool2d", "pixel_shuffle", "pixel_unshuffle",
        "interpolate", "batch_norm", "layer_norm", "instance_norm", "group_norm",
        "local_response_norm", "weight_norm", "dropout", "dropout2d", "relu", "leaky_relu",
        "sigmoid", "tanh"}
    quick = suites.get("quick")
    assert contract <= set(quick.ops())
    assert set(kernels.ops()) <= set(quick.ops())
    assert np.all([e.sweep[0] in ("kernel_size", "input_size") for e in quick.entries if e.sweep])


def _sweep_row(k, algo, t, torch_t=None, status="ok"):
    return dict(op="conv2d", dtype="float32", direction="forward", sweep="kernel_size",
                sweep_x=str(k), algo=algo, status=status, time_median_s=t,
                torch_time_median_s=torch_t)


def test_crossover_is_the_start_of_the_last_winning_run():
    """fft wins at 5 (a fluke), loses at 7, wins from 9 on; torch is beaten from 11 on."""
    from harness.report import crossover, crossover_section
    times = {3: (9, 1, 2, 1), 5: (1, 2, 2, 1), 7: (3, 2, 2.5, 1), 9: (2, 3, 4, 1.5),
             11: (2, 5, 6, 3), 13: (2, 7, 9, 4)}
    rows = [r for k, (f, i, n, t) in times.items() for r in (
        _sweep_row(k, "fft", f, t), _sweep_row(k, "im2col", i, t), _sweep_row(k, "numba", n, t))]
    rows.append(_sweep_row(3, "winograd", 0.1, 1))          # not a rival
    rows.append(_sweep_row(15, "fft", 1, 1, status="error"))  # did not run: ignored
    found = crossover(rows)
    assert found[("conv2d", "float32", False)] == 9
    assert found[("conv2d", "float32", True)] == 11
    assert "| conv2d | float32 | 9 | 11 |" in crossover_section(rows)


def test_crossover_never():
    from harness.report import crossover
    rows = [_sweep_row(k, a, t) for k in (3, 5) for a, t in (("fft", 2), ("im2col", 1))]
    assert crossover(rows)[("conv2d", "float32", False)] is None

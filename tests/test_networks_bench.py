"""The networks suite's runner: rows, files, the per-layer table, isolation of a worker that
fails, and the command line (``run_bench.py --suite networks``)."""
import csv
import json
import os
import time

import pytest

import kernels
from harness import cli
from harness.networks import runner
from harness.networks.bench import Config
from tests import isolation_targets as targets


def test_isolated_turns_every_failure_into_a_status():
    assert runner.isolated(targets.double, 21, timeout=120) == ("ok", 42)
    status, reason = runner.isolated(targets.fail, timeout=120)
    assert status == "error" and "broken kernel" in reason
    status, reason = runner.isolated(targets.abort, timeout=120)
    assert status == "crashed" and "died" in reason
    t0 = time.perf_counter()
    status, reason = runner.isolated(targets.hang, timeout=3)
    assert status == "timeout" and time.perf_counter() - t0 < 30


def test_a_small_run_writes_every_row_and_file(tmp_path):
    config = Config(networks=("replknet_block",), small=True, batch=2, threads=1, repeats=5)
    data = runner.run(config, str(tmp_path), in_process=True, progress=lambda s: None)
    rows = {(r["mode"], r["impl"]): r for r in data["rows"]}
    assert set(rows) == {(m, i) for m in ("eval", "train")
                         for i in ("torch", "kernels-auto", "kernels-numba")}
    for (mode, impl), r in rows.items():
        assert r["status"] == "ok" and r["repeats"] == 5 and len(r["times"]) == 5
        assert r["q1_s"] <= r["median_s"] <= r["q3_s"] and r["first_s"] > 0
        assert r["out_rel_err"] < 1e-5, (mode, impl)            # float32 against torch float64
        assert r["speedup_vs_torch"] == pytest.approx(rows[(mode, "torch")]["median_s"] / r["median_s"])
        if mode == "train":
            assert r["grad_rel_err"] < 1e-3
    layers = data["layers"]
    assert len(layers) == 17 and [r["index"] for r in layers] == list(range(17))  # GELU included
    for r in layers:
        assert r["auto_algo"] in kernels.OPS[r["op"]].algos()
        assert r["torch_median_s"] > 0 and r["auto_median_s"] > 0 and r["numba_median_s"] > 0
    big = next(r for r in layers if r["layer"] == "lk.4.large.conv")
    assert big["type"] == "DepthwiseConv2d" and big["input_shape"] == "2x8x20x20"
    for name in ("networks.json", "networks.csv", "layers.csv", "report.md",
                 "plots/networks_speedup.png", "plots/replknet_block_float32_layers.png"):
        assert os.path.getsize(tmp_path / name) > 0, name
    assert json.loads((tmp_path / "networks.json").read_text())["rows"][0]["network"] == "replknet_block"
    with open(tmp_path / "layers.csv") as f:
        assert len(list(csv.DictReader(f))) == 17
    text = (tmp_path / "report.md").read_text()
    assert "lk.4.large.conv" in text and "kernels-numba" in text


def test_a_worker_failure_is_a_row_and_the_run_goes_on(tmp_path, monkeypatch):
    outcomes = iter([("crashed", "the worker process died (exit code -6)"), ("ok", None)])
    ok = runner.Result(rows=[{"network": "unet", "mode": "eval", "impl": "torch", "status": "ok"}])

    def fake(fn, name, config, timeout):
        status, _ = outcome = next(outcomes)
        return outcome if status != "ok" else ("ok", ok)
    monkeypatch.setattr(runner, "isolated", fake)
    monkeypatch.setattr(runner.report, "write", lambda out, data: None)
    config = Config(networks=("replknet_block", "unet"), small=True, threads=1)
    data = runner.run(config, str(tmp_path), progress=lambda s: None)
    assert [(r["network"], r["status"]) for r in data["rows"]] == [("replknet_block", "crashed"),
                                                                   ("unet", "ok")]


def test_command_line(capsys, tmp_path):
    assert cli.main(["--list"]) == 0
    assert "networks" in capsys.readouterr().out
    assert cli.main(["--suite", "networks", "--list"]) == 0
    assert "replknet_block" in capsys.readouterr().out
    assert cli.main(["--suite=networks", "--repeats", "3", "--out", str(tmp_path)]) == 2
    assert "repeats" in capsys.readouterr().err
    assert cli.main(["--suite", "networks", "--networks", "lenet", "--out", str(tmp_path)]) == 2

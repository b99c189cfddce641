"""Run the networks suite: one network at a time in a fresh worker process (a crash or a
hang in one is a row, not the end of the run), results written after each network.

Files in the output folder: ``networks.json`` (the machine, the configuration, every row,
the per-layer rows and convert's reports; the source of truth), ``networks.csv`` and
``layers.csv`` (derived), ``report.md`` and ``plots/``.
"""
from __future__ import annotations

import dataclasses
import os
import time

from harness import files, machine, timing
from harness.networks import report
from harness.networks.bench import Config, Result, bench_network, impl_name
from harness.networks.isolate import isolated

ROW_COLUMNS = ["network", "input", "dtype", "mode", "impl", "threads", "status", "median_s", "q1_s",
               "q3_s", "iqr_s", "repeats", "first_s", "speedup_vs_torch", "out_rel_err",
               "grad_rel_err", "converted", "error"]
LAYER_COLUMNS = ["network", "input", "dtype", "index", "layer", "type", "op", "input_shape",
                 "auto_algo", "torch_median_s", "torch_iqr_s"]  # then <algo>_median_s, <algo>_iqr_s


def network_result(name: str, config: Config, timeout: float | None) -> Result:
    """``bench_network`` in a worker process; a failure of the whole worker is one row."""
    status, payload = isolated(bench_network, name, config, timeout=timeout)
    if status == "ok":
        return payload
    return Result(rows=[{"network": name, "dtype": config.dtype, "mode": "all", "impl": "all",
                         "status": status, "error": payload}])


def run(config: Config, out: str, in_process: bool = False, timeout: float | None = None,
        note: str = "", progress=print) -> dict:
    """Run every network of ``config`` into ``out``; returns what networks.json holds."""
    os.makedirs(out, exist_ok=True)
    threads = timing.set_threads(config.threads)
    import numba
    header = {"run_id": os.path.basename(os.path.abspath(out)), "note": note,
              "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "config": dataclasses.asdict(config),
              "machine": {**machine.describe(threads, config.seed),
                          "numba_threading_layer": numba.config.THREADING_LAYER,
                          "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}}
    data = {**header, "rows": [], "layers": [], "reports": {}}
    for name in config.networks:
        progress(f"networks: {name} ({config.dtype}, batch {config.batch}) ...")
        t0 = time.perf_counter()
        result = bench_network(name, config) if in_process else network_result(name, config, timeout)
        data["rows"] += result.rows
        data["layers"] += result.layers
        data["reports"][name] = result.reports
        write(out, data)
        progress(f"networks: {name} done in {time.perf_counter() - t0:.0f} s: "
                 + ", ".join(f"{r['mode']} {r['impl']} {r['status']}" for r in result.rows))
    return data


def write(out: str, data: dict) -> None:
    files.write_json(os.path.join(out, "networks.json"), data)
    files.write_csv(os.path.join(out, "networks.csv"), data["rows"], ROW_COLUMNS)
    timed = [f"{a}_{k}" for a in data["config"]["algos"] for k in ("median_s", "iqr_s")]
    files.write_csv(os.path.join(out, "layers.csv"), data["layers"],
                    LAYER_COLUMNS + timed + ["speedup_vs_torch"])
    report.write(out, data)


__all__ = ["Config", "run", "isolated", "network_result", "impl_name"]

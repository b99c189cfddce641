"""Run a suite: for every (op, algorithm, case, dtype) check the forward and the gradients
against torch in float64, time ours and torch's on the same arrays, and write the results.

Nothing here names an op: everything comes from the registry (``kernels.OPS``,
``op.registered()``, ``why_not``, ``cost``, ``make_inputs``), the references
(``reference.forward``/``grad``) and the tolerance table, so a new op or algorithm is
benchmarked as soon as it is registered and a suite names it.  One failing kernel becomes
a row with status ``error``; the run goes on.
"""
from __future__ import annotations

import json
import os
import shlex
import sys
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

import kernels
from harness import devices, files, machine, timing
from harness.suites import Entry, Suite
from kernels import SLOW_MACS, poison
from kernels.tolerances import SEED, rel_err, tolerance

STATUSES = ("ok", "inaccurate", "unsupported", "error", "skipped-too-slow")
KEY = ("suite", "op", "algo", "case", "dtype", "direction")
COLUMNS = [
    "suite", "op", "algo", "case", "dtype", "direction", "status", "reason",
    "shape", "params", "time_median_s", "time_iqr_s", "repeats", "first_call_s", "compile_s",
    "gflops", "frac_peak", "gbytes_s", "frac_bandwidth", "arith_intensity",
    "macs", "flops", "bytes", "torch_time_median_s", "torch_time_iqr_s", "torch_impl",
    "speedup_vs_torch", "fwd_rel_err", "grad_rel_err", "tolerance", "phases",
    "sweep", "sweep_x", "seed", "threads",
]


@dataclass
class Config:
    dtypes: tuple = ("float32",)
    ops: tuple | None = None           # None: every op the suite names
    algos: tuple | None = None         # None: every registered algorithm
    batch: int | None = None           # None: the suite's batch
    backward: bool = False             # also time the backward pass (rows with direction=backward)
    budget: timing.Budget = field(default_factory=timing.Budget)
    seed: int = SEED
    slow_macs: int = SLOW_MACS
    threads: int | None = None
    resume: bool = False
    progress: bool = True
    gemm_n: int = 1024                 # size of the GEMM that measures the peak
    copy_mib: int = 256                # size of the copy that measures the bandwidth


@dataclass
class Outcome:
    rows: list
    machine: dict
    missing: dict                      # op name -> case ids of entries whose op is absent
    ran: int = 0
    skipped: int = 0                   # rows found in the output and not run again (--resume)


def key(row) -> tuple:
    return tuple(str(row.get(k)) for k in KEY)


def run(suite: Suite, out_dir: str, config: Config | None = None, run_id: str = "",
        note: str = "") -> Outcome:
    """Run ``suite`` into ``out_dir`` (results.csv and results.json are rewritten after
    every case, so an interrupted run can be resumed); returns the rows.  ``note``: a
    line for the top of the report, kept in results.json."""
    config = config or Config()
    threads = timing.set_threads(config.threads)
    done = load_rows(out_dir) if config.resume else []
    done_keys = {key(r) for r in done}
    jobs, missing = plan_jobs(suite, config, kernels.OPS)
    todo = sum(1 for j in jobs for r in j.keys() if r not in done_keys)
    mach = describe_machine(out_dir, config, threads, done if config.resume else None)
    header = {"run_id": run_id, "suite": suite.name, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": shlex.join([os.path.basename(sys.executable), *sys.argv]), "note": note,
              "config": _config_dict(config, suite), "machine": mach}
    rows = {key(r): r for r in done}
    outcome = Outcome([], mach, missing)
    bar = _progress(todo, config.progress)
    for job in jobs:
        wanted = [k for k in job.keys() if k not in done_keys]
        outcome.skipped += len(job.keys()) - len(wanted)
        if not wanted:
            continue
        for row in job.execute(config, mach, threads, bar, wanted):
            rows[key(row)] = row
            outcome.ran += 1
        write_results(out_dir, header, list(rows.values()), missing)
    bar.close()
    outcome.rows = list(rows.values())
    write_results(out_dir, header, outcome.rows, missing)
    return outcome


# ---- planning --------------------------------------------------------------------------

def plan_jobs(suite: Suite, config: Config, registry) -> tuple[list, dict]:
    jobs, missing = [], {}
    for entry in suite.entries:
        if config.ops and entry.op not in config.ops:
            continue
        op = registry.get(entry.op)
        if op is None:
            missing.setdefault(entry.op, []).append(entry.id)
            continue
        algos = [a for a in op.registered() if not config.algos or a in config.algos]
        if not algos:
            continue
        for dt in config.dtypes:
            jobs.append(Job(suite, entry, op, np.dtype(dt), algos, config))
    return jobs, missing


class Job:
    """One case of one op in one dtype: inputs and the reference are made once and
    shared by every algorithm; torch is timed once."""

    def __init__(self, suite, entry: Entry, op, dtype, algos, config: Config):
        self.suite, self.entry, self.op, self.dtype, self.algos = suite, entry, op, dtype, algos
        self.directions = ("forward", "backward") if config.backward else ("forward",)
        self.batch = config.batch or suite.batch
        self.budget = config.budget
        self.seed = int(zlib.crc32(f"{config.seed}/{entry.op}/{entry.id}".encode()))
        self._ref = None
        self._torch = {}                # torch device -> ({direction: Timing}, error text)

    def keys(self) -> list[tuple]:
        return [key(self._base(a, d)) for a in self.algos for d in self.directions]

    def _base(self, algo, direction) -> dict:
        e = self.entry
        row = {"suite": self.suite.name, "op": e.op, "algo": algo, "case": e.id,
               "dtype": self.dtype.name, "direction": direction,
               "params": json.dumps(files.clean(e.params), sort_keys=True),
               "sweep": e.sweep[0] if e.sweep else None, "sweep_x": e.sweep[1] if e.sweep else None,
               "seed": self.seed}
        return row

    # -- the case ---------------------------------------------------------------------
    def prepare(self):
        """Shapes, plan and cost; raises (ValueError/TypeError) if the case is invalid."""
        self.shapes = self.entry.resolve(self.op.inputs, self.batch)
        self.plan = self.op.plan_for(self.shapes, self.dtype, dict(self.entry.params))
        try:
            self.cost = dict(self.op.cost_of(self.plan))
        except Exception:  # no cost: the row still runs, without GFLOP/s
            self.cost = {}
        names = [i.name for i in self.op.inputs]
        self.shape_text = " ".join(f"{n}={tuple(s)}".replace(" ", "") for n, s in zip(names, self.shapes)
                                   if s is not None)

    def arrays(self) -> list:
        if not hasattr(self, "_arrays"):
            rng = np.random.default_rng(self.seed)
            made = self.op.make_inputs(self.shapes, dict(self.entry.params), rng)
            self._arrays = [None if a is None else np.asarray(a, self.dtype)
                            if np.issubdtype(np.asarray(a).dtype, np.floating) else np.asarray(a)
                            for a in made]
            self.grad_out = rng.standard_normal(self.plan.out_shape).astype(self.dtype)
        return _copies(self._arrays)

    def reference(self):
        """(output, gradients for grad_out) of torch in float64 on the same values."""
        if self._ref is None:
            import reference
            arrays, params = self.arrays(), self.entry.params
            out = reference.forward(self.op.name, *_copies(arrays), **params)
            grads = reference.grad(self.op.name, self.grad_out, *_copies(arrays), **params)
            self._ref = (out, grads)
        return self._ref

    # -- the rows ---------------------------------------------------------------------
    def execute(self, config, mach, threads, bar, wanted):
        try:
            self.prepare()
        except Exception as e:  # an invalid declared case: every row says why
            for algo in self.algos:
                for d in self.directions:
                    if key(self._base(algo, d)) in wanted:
                        bar.update(1)
                        yield {**self._base(algo, d), "status": "error", "reason": f"case: {_err(e)}",
                               "threads": threads}
            return
        for algo in self.algos:
            if not any(key(self._base(algo, d)) in wanted for d in self.directions):
                continue
            bar.set_postfix_str(f"{self.op.name}/{self.entry.id} {algo} {self.dtype.name}", refresh=True)
            for row in self.algo_rows(algo, config, mach, threads):
                if key(row) in wanted:
                    bar.update(1)
                    yield row

    def algo_rows(self, algo, config, mach, threads):
        a = self.op.registered()[algo]
        common = {"shape": self.shape_text, "threads": threads, "macs": self.cost.get("macs"),
                  "flops": self.cost.get("flops"), "bytes": self.cost.get("bytes"),
                  "arith_intensity": _ratio(self.cost.get("flops"), self.cost.get("bytes"))}
        common["tolerance"] = tolerance(algo, self.dtype)
        rows = {d: {**self._base(algo, d), **common} for d in self.directions}
        why = a.why_not(self.plan)
        if why is not None:
            return _finish(rows, "unsupported", why)
        if a.slow and (self.cost.get("macs") or 0) > config.slow_macs:
            return _finish(rows, "skipped-too-slow",
                           f"slow algorithm: {self.cost.get('macs')} MACs > budget {config.slow_macs}")
        return self.measure(algo, a, rows, config, mach)

    def measure(self, algo, a, rows, config, mach):
        op, params, problems = self.op, self.entry.params, []
        place = devices.for_algorithm(a)
        fwd = rows["forward"]
        try:
            ref_out, ref_grads = self.reference()
        except Exception as e:
            ref_out = ref_grads = None
            problems.append(f"reference: {_err(e)}")

        def forward(xs):
            return lambda: op(**op.named(xs), algo=algo, **params)

        def backward(xs):
            gy = place.put(self.grad_out)
            return lambda: op.backward(gy, **op.named(xs), algo=algo, **params)

        results = {}
        # forward: the first call (compile) checked against the reference, then timed
        try:
            out, first = self.first_call(forward, place)
            if ref_out is not None:
                fwd["fwd_rel_err"] = output_error(out, ref_out, rel_err)
            results["forward"], fwd["phases"] = self.time_calls(a, forward, place, config.budget, first)
        except Exception as e:
            problems.append(f"forward: {_err(e)}")
        # backward: gradients checked, timed if asked for
        if "forward" in results:
            try:
                grads, first = self.first_call(backward, place)
                if ref_grads is not None:
                    fwd["grad_rel_err"] = gradient_error(op, grads, ref_grads, rel_err)
                if "backward" in rows:
                    results["backward"], rows["backward"]["phases"] = self.time_calls(
                        a, backward, place, config.budget, first)
            except Exception as e:
                problems.append(f"backward: {_err(e)}")
        self.fill_times(rows, results, mach, place)
        for d in rows:
            rows[d]["fwd_rel_err"], rows[d]["grad_rel_err"] = fwd.get("fwd_rel_err"), fwd.get("grad_rel_err")
        status, reason = judge(fwd, problems)
        return _finish(rows, status, reason)

    def first_call(self, make, place):
        """The first call (compile included) on fresh inputs, outputs poisoned with NaN:
        (its outputs, on the host; seconds).  ``make(inputs)`` gives the function to call."""
        with poison():
            out, first = timing.call(make(place.put_all(self.arrays())), place.sync)
        return devices.to_host(out), first

    def time_calls(self, a, make, place, budget, first):
        """(Timing of the steady calls, the algorithm's phase times of the last one)."""
        a.phases.clear()
        t = timing.measure(make(place.put_all(self.arrays())), budget, first, place.sync)
        return t, json.dumps(dict(a.phases)) if a.phases else None

    def fill_times(self, rows, results, mach, place=devices.HOST):
        torch_times, torch_error = self.torch_timings(rows, place)
        impl = torch_impl(self.op.name) + (" on CUDA, TF32 off" if place.torch_device == "cuda" else "")
        for d, row in rows.items():
            row["torch_impl"] = (impl + " " + torch_error).strip()
            scale = 2 if d == "backward" else 1   # backward ~ grad input + grad weight
            t = results.get(d)
            tt = torch_times.get(d)
            if tt is not None:
                row["torch_time_median_s"], row["torch_time_iqr_s"] = tt.median_s, tt.iqr_s
            if t is None:
                continue
            row.update(time_median_s=t.median_s, time_iqr_s=t.iqr_s, repeats=t.repeats,
                       first_call_s=t.first_s, compile_s=t.compile_s)
            flops, nbytes = self.cost.get("flops"), self.cost.get("bytes")
            host = place is devices.HOST  # the measured peak and bandwidth are the CPU's
            if flops:
                row["gflops"] = scale * flops / t.median_s / 1e9
                row["frac_peak"] = _ratio(row["gflops"], mach.get("peak_gflops")) if host else None
            if nbytes:
                row["gbytes_s"] = scale * nbytes / t.median_s / 1e9
                row["frac_bandwidth"] = _ratio(row["gbytes_s"], mach.get("bandwidth_gbs")) if host else None
            if tt is not None:
                row["speedup_vs_torch"] = tt.median_s / t.median_s

    def torch_timings(self, rows, place) -> tuple[dict, str]:
        """torch on tensors made from the same arrays, on the place's torch device; once
        per case and device: ({direction: Timing}, what failed)."""
        dev = place.torch_device
        if dev not in self._torch:
            times, error = {}, ""
            for d in ("forward", "backward") if "backward" in rows else ("forward",):
                try:
                    times[d] = time_torch(self.op, self.arrays(), self.entry.params,
                                          self.grad_out if d == "backward" else None, self.budget,
                                          dev, place.torch_sync)
                except Exception as e:
                    error += f"torch {d} failed: {_err(e)} "
            self._torch[dev] = (times, error)
        return self._torch[dev]


# ---- torch ---------------------------------------------------------------------------

def torch_impl(name: str) -> str:
    import torch.nn.functional as F
    import reference
    if name not in reference.REFERENCES:
        return ""
    return f"torch.nn.functional.{name}" if hasattr(F, name) else "reference (torch primitives)"


def time_torch(op, arrays, params, gy, budget, device="cpu", sync=None):
    """Time the reference function on tensors of the run's dtype on ``device``; with
    ``gy``, time the backward (autograd through the same graph, retained between calls)."""
    import torch
    import reference
    fn = reference.REFERENCES[op.name]
    specs = op.inputs
    ts = [None if a is None else torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in arrays]
    if gy is None:
        with torch.no_grad():
            return timing.measure(lambda: fn(**op.named(ts), **params), budget, sync=sync)
    for t, s in zip(ts, specs):
        if t is not None and s.differentiable and not s.index and t.is_floating_point():
            t.requires_grad_(True)
    wrt = [t for t in ts if t is not None and t.requires_grad]
    out = fn(**op.named(ts), **params)
    main = out[0] if isinstance(out, (tuple, list)) else out
    g = torch.from_numpy(gy).to(device)
    return timing.measure(lambda: torch.autograd.grad(main, wrt, g, retain_graph=True,
                                                      allow_unused=True), budget, sync=sync)


# ---- correctness ---------------------------------------------------------------------

def output_error(out, ref, rel_err) -> float:
    """Largest relative error over the outputs; an integer output (indices) that differs
    from torch's counts as 1.0."""
    if isinstance(ref, (tuple, list)):
        if not isinstance(out, (tuple, list)) or len(out) != len(ref):
            raise ValueError(f"returned {type(out).__name__}, torch gives {len(ref)} outputs")
        return max(output_error(o, r, rel_err) for o, r in zip(out, ref))
    out, ref = np.asarray(out), np.asarray(ref)
    if out.shape != ref.shape:
        raise ValueError(f"output shape {out.shape}, torch gives {ref.shape}")
    if not np.issubdtype(ref.dtype, np.floating):
        return 0.0 if np.array_equal(out, ref) else 1.0
    return rel_err(out, ref)


def gradient_error(op, grads, ref_grads, rel_err) -> float:
    if len(grads) != len(ref_grads):
        raise ValueError(f"backward returned {len(grads)} gradients, expected {len(ref_grads)}")
    errs = [0.0]
    for spec, g, r in zip(op.inputs, grads, ref_grads):
        if r is None:
            continue
        if g is None:
            raise ValueError(f"no gradient for {spec.name}")
        errs.append(output_error(g, r, rel_err))
    return max(errs)


def judge(row, problems) -> tuple[str, str]:
    if problems:
        return "error", "; ".join(problems)
    tol = row.get("tolerance")
    if tol is None:
        return "error", f"no tolerance for ({row['algo']}, {row['dtype']}) in kernels/tolerances.py"
    over = [f"{k} {row[k]:.3g} > {tol:g}" for k in ("fwd_rel_err", "grad_rel_err")
            if row.get(k) is not None and not row[k] <= tol]
    return ("inaccurate", "; ".join(over)) if over else ("ok", "")


def _finish(rows, status, reason):
    for r in rows.values():
        r["status"], r["reason"] = status, reason
    return list(rows.values())


# ---- files ---------------------------------------------------------------------------

def write_results(out_dir, header, rows, missing) -> None:
    os.makedirs(out_dir, exist_ok=True)
    files.write_csv(os.path.join(out_dir, "results.csv"), rows, COLUMNS)
    files.write_json(os.path.join(out_dir, "results.json"),
                     {**header, "missing_ops": missing, "columns": COLUMNS, "rows": rows})


def load_rows(out_dir) -> list[dict]:
    """Rows already written to ``out_dir`` (for --resume); none if there are no results."""
    path = os.path.join(out_dir, "results.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f).get("rows", [])


def load_header(out_dir) -> dict:
    path = os.path.join(out_dir, "results.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        data = json.load(f)
    data.pop("rows", None)
    return data


def describe_machine(out_dir, config, threads, resumed) -> dict:
    """The machine, with the GEMM peak and copy bandwidth measured once per run (a resumed
    run keeps the figures it measured first)."""
    old = load_header(out_dir).get("machine", {}) if resumed is not None else {}
    mach = machine.describe(threads, config.seed)
    if old.get("peak_gflops") and old.get("bandwidth_gbs"):
        mach.update({k: v for k, v in old.items() if k.startswith(("peak", "gemm", "bandwidth", "copy"))})
        return mach
    mach.update(timing.gemm_peak_gflops(config.gemm_n))
    mach.update(timing.copy_bandwidth_gbs(config.copy_mib))
    return mach


def _config_dict(config, suite) -> dict:
    return {"dtypes": list(config.dtypes), "ops": config.ops and list(config.ops),
            "algos": config.algos and list(config.algos), "batch": config.batch or suite.batch,
            "backward": config.backward, "budget": vars(config.budget), "seed": config.seed,
            "slow_macs": config.slow_macs, "threads": config.threads}


# ---- small helpers ---------------------------------------------------------------------

def _copies(arrays):
    return [None if a is None else a.copy() for a in arrays]


def _ratio(a, b):
    return a / b if a is not None and b else None


def _err(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


class _NoBar:
    def update(self, n=1): pass
    def set_postfix_str(self, s, refresh=True): pass
    def close(self): pass


def _progress(total, on):
    if not on:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, unit="row", file=sys.stderr, dynamic_ncols=True, desc="bench")

"""Run one task where it stands: check the forward and the gradients against torch in
float64, then time ours and torch's on the same arrays, holding the host's timing lock.

This is the code every executor runs (in this process, in the harness's worker process,
on a Dask worker).  Nothing here names an op: everything comes from the registry
(``kernels.OPS``, ``op.registered()``, ``why_not``, ``cost``, ``make_inputs``), the
references (``reference.forward``/``grad``) and the tolerance table.  Whatever a kernel
raises (``SystemExit`` included) becomes a row with status ``error``; what it does to the
process (a crash, a hang) is the executor's to catch.

Tasks of one case follow each other, so the last case's inputs, reference and torch
times are kept (``run_task``) and shared by its algorithms.
"""
from __future__ import annotations

import json

import numpy as np

from harness import devices, host, timing
from harness.rows import Task
from kernels import poison
from kernels.tolerances import rel_err, tolerance

_last_case = None
KEPT_TIMES = 100                         # timed calls kept per row (for harness.compare)


def run_task(task: Task, fingerprint: dict) -> list[dict]:
    """The task's rows (one per direction), computed here."""
    global _last_case
    if _last_case is None or _last_case.key != task.case:
        _last_case = None                     # let the previous case's arrays go first
        _last_case = Case(task)
    return _last_case.rows(task, fingerprint)


class Case:
    """One case of one op in one dtype: inputs and the reference are made once and shared
    by every algorithm; torch is timed once per device."""

    def __init__(self, task: Task):
        self.key, self.entry, self.batch = task.case, task.entry, task.batch
        self.dtype, self.seed, self.budget = np.dtype(task.dtype), task.seed, task.budget
        self._prepared = None                 # None, True, or the exception that stopped it
        self._ref = None
        self._torch = {}                      # torch device -> ({direction: Timing}, error text)

    # -- the case ---------------------------------------------------------------------
    def prepare(self):
        """Shapes, plan and cost; raises (ValueError/TypeError) if the case is invalid."""
        if self._prepared is None:
            try:
                self._prepare()
                self._prepared = True
            except Exception as e:
                self._prepared = e
        if self._prepared is not True:
            raise self._prepared

    def _prepare(self):
        import kernels
        if self.entry.op not in kernels.OPS:
            raise ValueError(f"op {self.entry.op!r} is not registered in this process")
        self.op = kernels.OPS[self.entry.op]
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
    def rows(self, task: Task, mach: dict) -> list[dict]:
        try:
            self.prepare()
        except Exception as e:  # an invalid declared case: every row says why
            return task.rows("error", f"case: {describe_error(e)}")
        a = self.op.registered().get(task.algo)
        if a is None:
            return task.rows("error", f"algorithm {task.algo!r} of {self.op.name} is not registered "
                                      "in this process (one defined outside kernels/: name its module "
                                      "with --preload)")
        common = {"shape": self.shape_text, "macs": self.cost.get("macs"),
                  "flops": self.cost.get("flops"), "bytes": self.cost.get("bytes"),
                  "arith_intensity": _ratio(self.cost.get("flops"), self.cost.get("bytes")),
                  "tolerance": tolerance(task.algo, self.dtype)}
        rows = {d: {**task.base(d), **common} for d in task.directions}
        try:
            why = a.why_not(self.plan)
        except (Exception, SystemExit) as e:
            return _finish(rows, "error", f"supports: {describe_error(e)}")
        if why is not None:
            return _finish(rows, "unsupported", why)
        if a.slow and (self.cost.get("macs") or 0) > task.slow_macs:
            return _finish(rows, "skipped-too-slow",
                           f"slow algorithm: {self.cost.get('macs')} MACs > budget {task.slow_macs}")
        return self.measure(task.algo, a, rows, mach)

    def measure(self, algo, a, rows, mach):
        """First calls (compile included) checked against the reference, outside the lock;
        then, holding the host's timing lock, the steady calls of ours and of torch."""
        op, params, problems = self.op, self.entry.params, []
        place = devices.for_algorithm(a)
        fwd = rows["forward"]
        try:
            ref_out, ref_grads = self.reference()
        except Exception as e:
            ref_out = ref_grads = None
            problems.append(f"reference: {describe_error(e)}")

        def forward(xs):
            return lambda: op(**op.named(xs), algo=algo, **params)

        def backward(xs):
            gy = place.put(self.grad_out)
            return lambda: op.backward(gy, **op.named(xs), algo=algo, **params)

        makers, firsts = {"forward": forward, "backward": backward}, {}
        try:
            out, firsts["forward"] = self.first_call(forward, place)
            if ref_out is not None:
                fwd["fwd_rel_err"] = output_error(out, ref_out, rel_err)
        except (Exception, SystemExit) as e:
            firsts.pop("forward", None)
            problems.append(f"forward: {describe_error(e)}")
        if "forward" in firsts:
            try:
                grads, firsts["backward"] = self.first_call(backward, place)
                if ref_grads is not None:
                    fwd["grad_rel_err"] = gradient_error(op, grads, ref_grads, rel_err)
            except (Exception, SystemExit) as e:
                firsts.pop("backward", None)
                problems.append(f"backward: {describe_error(e)}")
        results = {}
        with host.timing_lock() as span:
            for d in rows:
                if d not in firsts:
                    continue
                try:
                    results[d], rows[d]["phases"] = self.time_calls(a, makers[d], place, self.budget,
                                                                    firsts[d])
                except (Exception, SystemExit) as e:
                    problems.append(f"{d} (timed calls): {describe_error(e)}")
            self.torch_timings(rows, place)
        for r in rows.values():
            r["timed_start"], r["timed_end"] = span["start"], span["end"]
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
                row["torch_times"] = kept_times(tt.times)
            if t is None:
                continue
            row.update(time_median_s=t.median_s, time_iqr_s=t.iqr_s, repeats=t.repeats,
                       first_call_s=t.first_s, compile_s=t.compile_s, times=kept_times(t.times))
            flops, nbytes = self.cost.get("flops"), self.cost.get("bytes")
            on_host = place is devices.HOST  # the measured peak and bandwidth are the CPU's
            if flops:
                row["gflops"] = scale * flops / t.median_s / 1e9
                row["frac_peak"] = _ratio(row["gflops"], mach.get("peak_gflops")) if on_host else None
            if nbytes:
                row["gbytes_s"] = scale * nbytes / t.median_s / 1e9
                row["frac_bandwidth"] = _ratio(row["gbytes_s"], mach.get("bandwidth_gbs")) if on_host else None
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
                    error += f"torch {d} failed: {describe_error(e)} "
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


def kept_times(times, most: int = KEPT_TIMES) -> list:
    """At most ``most`` of the timed calls, evenly spaced in time order (a fast function
    makes thousands; a sample keeps the results small and the comparison's test sound)."""
    if len(times) <= most:
        return list(times)
    step = len(times) / most
    return [times[int(i * step)] for i in range(most)]


def _finish(rows, status, reason):
    for r in rows.values():
        r["status"], r["reason"] = status, reason
    return list(rows.values())


def _copies(arrays):
    return [None if a is None else a.copy() for a in arrays]


def _ratio(a, b):
    return a / b if a is not None and b else None


def describe_error(e: BaseException) -> str:
    """'Type: first line of the message', at most 300 characters."""
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:300]


"""Time whole networks: torch against the same model converted to kernels, in one process,
the same inputs and threads, steps interleaved.

For each network (``models.NETWORKS``):

- **eval**: a forward under ``no_grad``; the output's error against torch in float64;
- **train**: one step (forward, MSE loss against a fixed random target, backward, SGD);
  correctness from one step of each model and of float64 torch from the same weights,
  random layers off (``steps.step_errors``): the loss and the largest parameter gradient;
- **layers**: every kernels module alone on the input it received in the eval forward,
  against the torch module it replaced on the same input; the algorithm ``auto`` chose.

A first call of each model is timed on its own (``first_s``: Numba compiles and ``auto``
times its candidates there), then one untimed warm-up, then ``repeats`` rounds: in each
round every model runs once, in an order rotated from round to round.  Rows give the
median, the quartiles and the ratio of medians (``speedup_vs_torch`` = torch / ours).
"""
from __future__ import annotations

import copy
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
import torch

import kernels
from harness import timing
from harness.networks.models import NETWORKS
from harness.networks.steps import eval_forward, rel_err, step_errors, training_step
from kernels.torch import nn as knn

TORCH = "torch"


@dataclass(frozen=True)
class Config:
    networks: tuple = tuple(NETWORKS)
    dtype: str = "float32"
    batch: int = 1                    # (batch norm trains on 2 values per channel at least)
    size: int | None = None           # input height and width (default: the network's)
    threads: int | None = None        # torch and Numba alike (default: Numba's maximum)
    repeats: int = 5                  # timed rounds; at least 5
    algos: tuple = ("auto", "numba")  # convert(model, algo=...) for each
    modes: tuple = ("eval", "train")
    layers: bool = True
    small: bool = False               # the small variants (smoke runs, tests)
    seed: int = 0
    lr: float = 1e-3

    def __post_init__(self):
        if self.repeats < 5:
            raise ValueError(f"repeats must be at least 5 (medians of fewer mean little), got {self.repeats}")
        unknown = set(self.networks) - set(NETWORKS)
        if unknown:
            raise ValueError(f"networks: unknown {sorted(unknown)} (known: {', '.join(NETWORKS)})")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be float32 or float64, got {self.dtype!r}")


@dataclass
class Result:
    rows: list = field(default_factory=list)     # whole-model rows
    layers: list = field(default_factory=list)   # per-layer rows
    reports: dict = field(default_factory=dict)  # impl -> convert's report (text)


def impl_name(algo: str) -> str:
    return f"kernels-{algo}"


def main_algo(config) -> str:
    """The converted model of the per-layer table and plot: auto's when it runs."""
    return "auto" if "auto" in config.algos else config.algos[0]


def interleaved(fns: dict, repeats: int) -> dict:
    """{name: [seconds per call]}: ``repeats`` rounds, every function once per round, the
    order rotated by one each round so none always runs first (after the others' caches)."""
    names = list(fns)
    times = {n: [] for n in names}
    for r in range(repeats):
        for n in names[r % len(names):] + names[:r % len(names)]:
            times[n].append(timing.clock(fns[n]))
    return times


def summary(times) -> dict:
    q1, med, q3 = np.percentile(times, [25, 50, 75])
    return {"median_s": float(med), "q1_s": float(q1), "q3_s": float(q3), "iqr_s": float(q3 - q1),
            "repeats": len(times)}


def input_shape(net, config) -> tuple:
    c, h, w = net.small_input if config.small else net.input
    if config.size:
        h = w = config.size
    return (config.batch, c, h, w)


def bench_network(name: str, config: Config) -> Result:
    """Every row of one network (an impl that fails gets status ``error`` with the reason;
    the others go on)."""
    threads = timing.set_threads(config.threads)
    net = NETWORKS[name]
    dtype = getattr(torch, config.dtype)
    torch.manual_seed(config.seed)
    model = (net.small if config.small else net.build)().to(dtype)
    gen = torch.Generator().manual_seed(config.seed + 1)
    x = torch.randn(input_shape(net, config), generator=gen).to(dtype)
    ref = copy.deepcopy(model).double()
    models, result = {TORCH: model}, Result()
    base = {"network": name, "input": "x".join(map(str, x.shape)), "dtype": config.dtype,
            "threads": threads}
    failed = {}
    for algo in config.algos:
        try:
            models[impl_name(algo)] = knn.convert(model, algo=algo)
            result.reports[impl_name(algo)] = str(models[impl_name(algo)].kernels_report)
        except Exception as e:  # noqa: BLE001 -- a row with the reason, the run goes on
            failed[impl_name(algo)] = _error(e)
    converted = {n: m.kernels_report.summary() for n, m in models.items() if n != TORCH}
    for mode in config.modes:
        rows = (_eval_rows if mode == "eval" else _train_rows)(models, ref, x, config, failed)
        for impl, row in rows.items():
            result.rows.append({**base, "mode": mode, "impl": impl, **row,
                                "converted": converted.get(impl, "")})
    for impl, err in failed.items():
        if not any(r["impl"] == impl for r in result.rows):
            result.rows.append({**base, "mode": "convert", "impl": impl, "status": "error", "error": err})
    main = impl_name(main_algo(config))
    if config.layers and main in models and main not in failed:
        result.layers = layer_rows(models, main, x, config, base)
    return result


def _error(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}".splitlines()[0][:300]


def _first_calls(models, fn, failed) -> dict:
    """{impl: (output, seconds)} of each model's first call; failures go to ``failed``."""
    out = {}
    for n, m in models.items():
        if n in failed:
            continue
        try:
            t0 = time.perf_counter()
            y = fn(m)
            out[n] = (y, time.perf_counter() - t0)
        except Exception as e:  # noqa: BLE001
            failed[n] = _error(e)
            traceback.print_exc()
    return out


def _timed_rows(models, fn, first, config, failed, extra) -> dict:
    live = {n: m for n, m in models.items() if n not in failed}
    if not live:
        return {n: {"status": "error", "error": failed[n]} for n in models}
    for m in live.values():
        fn(m)                                    # one untimed warm-up
    times = interleaved({n: (lambda m=m: fn(m)) for n, m in live.items()}, config.repeats)
    stats = {n: summary(t) for n, t in times.items()}
    torch_median = stats.get(TORCH, {}).get("median_s")
    rows = {}
    for n in models:
        if n in failed:
            rows[n] = {"status": "error", "error": failed[n]}
            continue
        s = stats[n]
        rows[n] = {**s, "first_s": first[n][1], "status": "ok", "times": times[n],
                   "speedup_vs_torch": torch_median / s["median_s"] if torch_median else None,
                   **extra.get(n, {})}
    return rows


def _eval_rows(models, ref, x, config, failed) -> dict:
    fn = lambda m: eval_forward(m, x)  # noqa: E731
    first = _first_calls(models, fn, failed)
    expected = eval_forward(ref, x.double())
    extra = {n: {"out_rel_err": rel_err(y, expected)} for n, (y, _) in first.items()}
    return _timed_rows(models, fn, first, config, failed, extra)


def _train_rows(models, ref, x, config, failed) -> dict:
    gen = torch.Generator().manual_seed(config.seed + 2)
    target = torch.randn(eval_forward(ref, x.double()).shape, generator=gen).to(x.dtype)
    extra = {}
    for n, m in models.items():  # correctness first, from the same weights (deep copies)
        if n not in failed:
            try:
                e = step_errors(m, ref, x, target)
                extra[n] = {"out_rel_err": e["loss"], "grad_rel_err": e["grad"]}
            except Exception as e:  # noqa: BLE001
                failed[n] = _error(e)
    optimizers = {n: torch.optim.SGD(m.parameters(), lr=config.lr, momentum=0.9) for n, m in models.items()}
    fn = lambda m: training_step(m, x, target, optimizers[_name(models, m)])  # noqa: E731
    first = _first_calls(models, fn, failed)
    return _timed_rows(models, fn, first, config, failed, extra)


def _name(models, m) -> str:
    return next(n for n, v in models.items() if v is m)


# ---- layer by layer --------------------------------------------------------------------------
def layer_rows(models, main, x, config, base) -> list[dict]:
    """Each kernels module of the ``main`` converted model (auto's, when it ran) alone on its
    recorded input, against the torch module at the same path and the other converted
    models' (numba's), eval mode, no_grad; the algorithm ``auto`` chooses for it."""
    ours = models[main]
    inputs = {}
    names = {m: n for n, m in ours.named_modules()}

    def keep(module, args):  # returns None: the input goes on unchanged
        inputs.setdefault(names[module], args)

    hooks = [m.register_forward_pre_hook(keep) for m in ours.modules() if isinstance(m, knn.KernelsModule)]
    try:
        ours.eval()
        with knn.recording(ours) as calls, torch.no_grad():
            ours(x)
    finally:
        for h in hooks:
            h.remove()
    ops = {}
    for c in calls:
        ops.setdefault(c.module, c)
    rows = []
    for index, (path, args) in enumerate(inputs.items()):
        layers = {n: m.get_submodule(path) for n, m in models.items() if _has(m, path)}
        for m in layers.values():
            m.eval()
        row = {**base, "index": index, "layer": path, "type": type(layers[main]).__name__,
               "input_shape": "x".join(map(str, args[0].shape))}
        call = ops.get(path)
        if call is not None:
            row["op"] = call.op
            row["auto_algo"] = kernels.OPS[call.op].choose(dtype=np.dtype(call.dtype), **call.shapes,
                                                           **call.params)
        row.update(_time_layers(layers, args, config.repeats, main))
        rows.append(row)
    return rows


def _has(model, path) -> bool:
    try:
        model.get_submodule(path)
        return True
    except AttributeError:
        return False


def _time_layers(layers, args, repeats, main) -> dict:
    def call(m):
        with torch.no_grad():
            return m(*args)
    for m in layers.values():
        call(m)
    times = interleaved({n: (lambda m=m: call(m)) for n, m in layers.items()}, repeats)
    out = {}
    for n, t in times.items():
        s = summary(t)
        key = "torch" if n == TORCH else n.replace("kernels-", "")
        out[f"{key}_median_s"], out[f"{key}_iqr_s"] = s["median_s"], s["iqr_s"]
    ours = out.get(f"{main.replace('kernels-', '')}_median_s")
    if out.get("torch_median_s") and ours:
        out["speedup_vs_torch"] = out["torch_median_s"] / ours
    return out

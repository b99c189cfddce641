"""algo="auto": the fastest accurate algorithm for a case, found by timing once, cached on disk.

The first call for a new *key* (op, plan fields but a dropout seed, direction
forward/backward, Numba threads) tunes it on random inputs from ``op.make_inputs``:

1. candidates: every algorithm that supports the case, leaving out ``slow`` ones (plain
   loops; CUDA under Numba's simulator) unless nothing else supports it;
2. pruning by a cost model, before anything is compiled: of the variants of one method
   (``Algorithm.variant_of``: Winograd's tile sizes) only the one with the least
   ``estimate`` stays, and an algorithm whose declared ``estimate`` is more than ``PRUNE``
   times the direct method's multiply-adds (``op.cost``) cannot win and is dropped;
3. a warm-up run of each (JIT compilation happens here, untimed) whose output is checked
   against the most trusted candidate's (in float64 where the plan allows): a candidate
   past its declared tolerance (``kernels.tolerances``) is dropped;
4. interleaved rounds: one timed run of each survivor per round, in a rotating order, at
   least ``MIN_ROUNDS`` and at most ``ROUNDS`` rounds, fewer once ``BUDGET_S`` is spent; a
   candidate whose fastest run is ``CLEARLY`` times the best median is dropped early;
5. the least median wins; the runner-up and its ratio are kept; when the two are within
   noise (ratio under ``1 + TIE``, or the runner-up's fastest run beat the winner's
   median) the more trusted of the two is chosen.

The record (choice, runner-up, medians, runs, errors, pruned and rejected candidates with
reasons, warm-up seconds, tuning seconds, the load average) is kept in memory and in
``$CONVBENCH_CACHE_DIR/auto.json`` (default ``~/.cache/convbench``) under a *context*
naming the machine and the library versions; a later call, here or in another process,
reads it back without timing (the file: ``kernels._autocache``; a corrupt, oversized or
non-regular one is ignored with a warning).

``CONVBENCH_AUTO`` (comma-separated words) changes the policy: ``full`` times every
candidate (no pruning), ``retune`` ignores stored choices (each case is timed again once
per process and replaces the stored choice), ``cached`` never times (stored choices, else
the most trusted candidate left by the model; nothing stored).

``choose(op, plan, direction)`` is the entry point the ops call; ``kernels.auto`` is the
public interface (reports, re-tuning, tuning ahead of time).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
import warnings
from functools import lru_cache

import numpy as np

from kernels import _arrays, _autocache
from kernels._autocache import cache_file
from kernels.tolerances import SEED, rel_err, tolerance, trust

ENV = "CONVBENCH_AUTO"
WORDS = ("on", "full", "retune", "cached")
PRUNE = 2.0            # a declared estimate above PRUNE x the direct method's work cannot win
ROUNDS = 5             # at most this many timed runs per candidate, one per round
MIN_ROUNDS = 2         # at least this many (unless dropped as clearly slower)
BUDGET_S = 0.5         # after MIN_ROUNDS, no new round once the timed runs took this long
CLEARLY = 3.0          # dropped when even its fastest run took this many times the best median
CLEARLY_FIRST = 10.0   # ... or, after a single run (one hiccup must not drop a candidate), this
TIE = 0.05             # medians closer than this are within noise: trust decides
VOLATILE = ("seed",)   # plan fields left out of the key (a new dropout seed is the same case)
FAST_MAX = 4096        # entries of the in-memory shortcut before it is emptied

timed_keys: list[str] = []          # keys timed in this process (tests read it)
last_timings: dict[str, dict] = {}  # key -> the record of its latest tuning in this process
_memory: dict[str, dict[str, dict]] = {}  # cache file path -> key -> record
_mtimes: dict[str, int] = {}
_fast: dict[tuple, tuple] = {}      # (path, mode, op, plan, direction, threads) -> (algo, Algorithm)
_timed_at: set[str] = set()        # keys timed in this process (retune serves only these)
_state = {"defer": 0}               # open recordings that defer timing
_recorders: list[dict] = []         # active recordings: key -> Call
_lock = threading.RLock()


@dataclasses.dataclass(frozen=True)
class Call:
    """One case that ``algo="auto"`` resolved: enough to tune it again (``tune_call``)."""
    key: str
    op: object
    plan: object
    direction: str
    shapes: tuple | None
    params: dict | None


def threads() -> int:
    import numba
    return int(numba.get_num_threads())


def load() -> float | None:
    """The 1-minute load average (None where the system has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def key_of(op, plan, direction: str) -> str:
    """The case as a string: op, every plan field but volatile ones, direction, threads."""
    if dataclasses.is_dataclass(plan):
        fields = {f.name: getattr(plan, f.name) for f in dataclasses.fields(plan)
                  if f.name not in VOLATILE}
        body = ",".join(f"{k}={_plain(v)}" for k, v in fields.items())
    else:
        body = repr(plan)
    return f"{op.name}|{direction}|threads={threads()}|{body}"


def _plain(v):
    return v.name if isinstance(v, np.dtype) else repr(v)


@lru_cache(maxsize=16)
def _parse_mode(raw: str) -> frozenset:
    words = frozenset(w.strip().lower() for w in raw.split(",") if w.strip()) - {"on"}
    if not words <= set(WORDS):
        raise ValueError(f"{ENV} must be a comma-separated list of {', '.join(WORDS)}, "
                         f"got {raw!r}")
    if {"cached", "retune"} <= words:
        raise ValueError(f"{ENV}: 'cached' (never time) and 'retune' (time again) contradict, "
                         f"got {raw!r}")
    return words


def mode() -> frozenset:
    """The words of ``CONVBENCH_AUTO`` in force (empty: the default policy)."""
    return _parse_mode(os.environ.get(ENV, ""))


# ---- the entry point ----------------------------------------------------------------------
def choose(op, plan, direction: str = "forward", shapes=None, params=None) -> str:
    """The algorithm ``algo="auto"`` runs for this plan (timing it once if new)."""
    words = mode()
    path = str(cache_file())
    try:
        fast_key = (path, words, op.name, plan, direction, threads())
        hit = _fast.get(fast_key)
    except TypeError:  # an unhashable plan: build the string key every time
        fast_key, hit = None, None
    # served while the algorithm it names is still the one registered (tests and tools
    # register and unregister algorithms): its answer to this plan cannot have changed
    if hit is not None and not _recorders and op.registered().get(hit[0]) is hit[1]:
        return hit[0]
    fast = _fast_candidates(op, plan, direction)
    if len(fast) == 1:
        if fast_key is not None:
            _serve_fast(op, fast_key, fast[0])
        return fast[0]
    key = key_of(op, plan, direction)
    with _lock:
        _note(Call(key, op, plan, direction, shapes, params))
        record = _lookup(path, key, fast)
        if record is not None:
            algo = _served(record, fast)
        elif shapes is None or params is None:
            return _untimed(op, fast)
        elif _state["defer"]:
            return _model_pick(op, plan, fast)
        elif "cached" in words:
            algo = _model_pick(op, plan, fast)
        else:
            record = _tune(op, plan, direction, fast, key, shapes, params, "full" not in words)
            _remember(path, key, record)
            algo = _served(record, fast)
        if fast_key is not None:
            _serve_fast(op, fast_key, algo)
    return algo


def _serve_fast(op, fast_key, algo: str) -> None:
    if len(_fast) > FAST_MAX:  # plans with a fresh seed per call would grow it forever
        _fast.clear()
    _fast[fast_key] = (algo, op.registered()[algo])


def tune_call(call: Call, retune: bool = False) -> dict:
    """Time ``call``'s case now unless a usable choice is stored (with ``retune``, time it
    again in any case); its record.  ``cached`` in ``CONVBENCH_AUTO`` does not apply."""
    fast = _fast_candidates(call.op, call.plan, call.direction)
    if len(fast) == 1:
        return {"key": call.key, "algo": fast[0], "only": True}
    if call.shapes is None or call.params is None:
        raise ValueError(f"{call.op.name}: a call without its input shapes and parameters "
                         f"cannot be timed")
    path = str(cache_file())
    with _lock:
        record = None if retune else _lookup(path, call.key, fast)
        if record is None:
            record = _tune(call.op, call.plan, call.direction, fast, call.key, call.shapes,
                           call.params, "full" not in mode())
            _remember(path, call.key, record)
            _fast.clear()
        return {"key": call.key, **record}


def _fast_candidates(op, plan, direction) -> list[str]:
    if direction not in ("forward", "backward"):
        raise ValueError(f"{op.name}: direction must be 'forward' or 'backward', got {direction!r}")
    names = op.candidates(plan)
    if not names:
        raise ValueError(f"{op.name}: no algorithm supports this case")
    return [n for n in names if not _slow(op.registered()[n])] or names


def _slow(algo) -> bool:
    """Plain loops, and CUDA kernels under Numba's simulator (Python threads: correct, but
    their timings mean nothing), are only used when nothing else supports the case."""
    if algo.slow:
        return True
    from numba import config
    return algo.name == "cuda" and bool(config.ENABLE_CUDASIM)


def _untimed(op, names) -> str:
    """Without the input shapes and parameters there is nothing to time: the most trusted
    candidate, with a warning; nothing is cached."""
    warnings.warn(f"convbench auto: {op.name} was resolved without its input shapes and "
                  f"parameters, so nothing was timed; pass them to Op.resolve", stacklevel=3)
    return _by_trust(names)[0]


def _by_trust(names) -> list[str]:
    return sorted(names, key=lambda n: (trust(n), n))


def _served(record: dict, names) -> str:
    """The stored choice, or its runner-up where the choice is no longer a candidate."""
    algo = record.get("algo")
    return algo if algo in names else record["runner_up"]


def _lookup(path: str, key: str, names) -> dict | None:
    """The usable stored record of ``key``: its choice (or runner-up) is a candidate, and
    with CONVBENCH_AUTO=retune, it was timed in this process."""
    if "retune" in mode() and key not in _timed_at:
        return None
    record = _memory.get(path, {}).get(key)
    if record is None:
        _reload(path)
        record = _memory.get(path, {}).get(key)
    if record is None:
        return None
    usable = record.get("algo") in names or record.get("runner_up") in names
    return record if usable else None


def _note(call: Call) -> None:
    for recording in _recorders:
        recording.setdefault(call.key, call)


def clear_memory() -> None:
    """Forget every in-memory choice (the disk cache stays)."""
    with _lock:
        _memory.clear()
        _mtimes.clear()
        _fast.clear()
        _timed_at.clear()


# ---- recording, records, forgetting (kernels.auto) -------------------------------------
@contextlib.contextmanager
def recording(defer: bool = False):
    """Collect the cases ``algo="auto"`` resolves inside (a dict key -> Call, in order).
    With ``defer``, a new case is not timed but served by the model (as with ``cached``)."""
    calls: dict[str, Call] = {}
    with _lock:
        _recorders.append(calls)
        _state["defer"] += bool(defer)
    try:
        yield calls
    finally:
        with _lock:
            _recorders.remove(calls)
            _state["defer"] -= bool(defer)


def records(path: str | None = None) -> dict[str, dict]:
    """Every stored record of this context, in memory and on disk: key -> record."""
    path = str(cache_file()) if path is None else path
    with _lock:
        _reload(path, force=True)
        return {k: dict(v) for k, v in _memory.get(path, {}).items()}


def forget(keep=lambda key, record: False, path: str | None = None) -> list[str]:
    """Remove the stored choices (of this context) for which ``keep`` is false, in memory
    and on disk; the keys removed.  Their cases are timed again when next met."""
    path = str(cache_file()) if path is None else path
    with _lock:
        _reload(path, force=True)
        gone = [k for k, r in _memory.get(path, {}).items() if not keep(k, r)]
        _update(path, lambda choices: [choices.pop(k, None) for k in gone])
        for k in gone:
            _memory.get(path, {}).pop(k, None)
            _timed_at.discard(k)
            last_timings.pop(k, None)
        _fast.clear()
        return gone


# ---- in memory and on disk -----------------------------------------------------------------------
def _reload(path: str, force: bool = False) -> None:
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return
    if _mtimes.get(path) == mtime and not force:
        return
    _mtimes[path] = mtime
    _memory.setdefault(path, {}).update(_autocache.choices(_autocache.read(path)))


def _remember(path: str, key: str, record: dict) -> None:
    _memory.setdefault(path, {})[key] = record
    _fast.clear()  # a new choice replaces what "cached" served for its case
    _update(path, lambda choices: choices.__setitem__(key, record))


def _update(path: str, change) -> None:
    """Change this context's choices in the file; learn what other processes added."""
    written = _autocache.update(path, change)
    if written is not None:
        data, _mtimes[path] = written
        _memory.setdefault(path, {}).update(_autocache.choices(data))


# ---- pruning by the cost model ------------------------------------------------------------
def prune(op, plan, names) -> tuple[list[str], dict[str, str]]:
    """(the candidates worth timing, {pruned candidate: reason}) by the declared estimates."""
    algos = op.registered()
    estimates = {n: algos[n].estimate_of(plan) for n in names}
    direct = float(op.cost_of(plan).get("macs", 0) or 0)
    work = {n: direct if e is None else e for n, e in estimates.items()}
    pruned = {}
    groups: dict[str, list[str]] = {}
    for n in names:
        if algos[n].variant_of is not None:
            groups.setdefault(algos[n].variant_of, []).append(n)
    for method, members in groups.items():
        best = min(members, key=lambda n: (work[n], trust(n), n))
        for n in members:
            if n != best:
                pruned[n] = (f"a variant of {method}: the model favours {best} "
                             f"({_ratio(work[n], work[best])} its estimated work)")
    if direct > 0:
        for n, e in estimates.items():
            if e is not None and e > PRUNE * direct and n not in pruned:
                pruned[n] = (f"estimated work {_ratio(e, direct)} the direct method's "
                             f"(more than {PRUNE:g}x cannot win)")
    kept = [n for n in names if n not in pruned]
    return (kept, pruned) if kept else (list(names), {})


def _ratio(a, b) -> str:
    return f"{a / b:.2f}x" if b > 0 else "inf x"


def _model_pick(op, plan, names) -> str:
    """No timing: the most trusted candidate the model keeps."""
    kept, _ = prune(op, plan, names) if "full" not in mode() else (names, {})
    return _by_trust(kept)[0]


# ---- timing -------------------------------------------------------------------------------
def _tune(op, plan, direction, names, key, shapes, params, pruning: bool = True) -> dict:
    """Prune, warm up and check accuracy, time in interleaved rounds, choose: the record."""
    started, load_at_start = time.perf_counter(), load()
    timed_keys.append(key)
    _timed_at.add(key)
    kept, pruned = prune(op, plan, names) if pruning else (list(names), {})
    rng = np.random.default_rng(SEED)
    inputs = _inputs(op, plan, shapes, params, rng)
    gy = rng.standard_normal(_first_shape(plan.out_shape)).astype(plan.dtype)
    run = _runner(direction, gy)
    ranked = _by_trust(kept)
    ref_name, ref_out, ref_dtype = _reference(op, plan, ranked, inputs, run)
    errors, rejected, warmup, accurate = {}, {}, {}, {}
    for name in ranked:
        algo = op.registered()[name]
        t0 = time.perf_counter()
        try:
            out = run(algo, _copies(inputs), plan)  # warm-up: JIT compiles here
        except Exception as e:  # a candidate that fails is not chosen; the case still runs
            rejected[name] = f"raised {type(e).__name__}: {e}"
            continue
        finally:
            warmup[name] = round(time.perf_counter() - t0, 6)
        err = _error(out, ref_out)
        errors[name] = err
        exact_ref = ref_dtype == np.float64 and plan.dtype != np.float64
        limit = tolerance(name, plan.dtype) + (0 if exact_ref else tolerance(ref_name, plan.dtype))
        if name != ref_name and not err <= limit:
            rejected[name] = f"relative error {err:.3g} > {limit:g} against {ref_name}"
            continue
        accurate[name] = algo
    if not accurate:
        raise ValueError(f"{op.name}: no algorithm computed this case accurately: {rejected}")
    runs, dropped = _rounds(run, accurate, inputs, plan)
    record = {**_decide(runs), "runs": runs, "errors": errors, "rejected": rejected,
              "dropped": dropped, "pruned": pruned, "reference": ref_name, "warmup": warmup,
              "seconds": round(time.perf_counter() - started, 4), "load": load_at_start,
              "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    last_timings[key] = record
    return record


def _rounds(run, algos: dict, inputs, plan) -> tuple[dict, dict]:
    """({name: [seconds of each timed run]}, {name dropped early: reason})."""
    runs = {n: [] for n in algos}
    dropped, spent = {}, 0.0
    for r in range(ROUNDS):
        live = [n for n in algos if n not in dropped]
        if r and (len(live) == 1 or r >= MIN_ROUNDS and spent > BUDGET_S):
            break
        for name in live[r % len(live):] + live[:r % len(live)]:  # rotated: none always first
            dt = float(_time(run, algos[name], inputs, plan, np.inf))
            runs[name].append(dt)
            spent += dt
        best = min(float(np.median(runs[n])) for n in live)
        for name in live:
            if min(runs[name]) > (CLEARLY if len(runs[name]) > 1 else CLEARLY_FIRST) * best:
                dropped[name] = (f"clearly slower: its fastest run took "
                                 f"{_ratio(min(runs[name]), best)} the best median")
    return runs, dropped


def _decide(runs: dict) -> dict:
    """The least median, its runner-up and their ratio; within noise, the more trusted."""
    medians = {n: float(np.median(t)) for n, t in runs.items() if t}
    order = sorted(medians, key=lambda n: (medians[n], trust(n), n))
    algo, runner = order[0], (order[1] if len(order) > 1 else None)
    tie = runner is not None and _within_noise(runs[algo], runs[runner])
    if tie and trust(runner) < trust(algo):
        algo, runner = runner, algo
    ratio = None
    if runner is not None and medians[algo] > 0:
        ratio = round(medians[runner] / medians[algo], 4)
    return {"algo": algo, "runner_up": runner, "ratio": ratio, "tie": tie, "times": medians}


def _within_noise(a: list, b: list) -> bool:
    """Whether runs ``b`` (the slower median) cannot be told from runs ``a``: medians
    within TIE of each other, or each median inside the other's range of runs."""
    ma, mb = float(np.median(a)), float(np.median(b))
    if ma > 0 and mb < (1 + TIE) * ma:
        return True
    return min(a) <= mb <= max(a) and min(b) <= ma <= max(b)


def _inputs(op, plan, shapes, params, rng):
    made = op.make_inputs(tuple(shapes), dict(params), rng)
    return [None if a is None else (np.ascontiguousarray(a, plan.dtype)
                                    if np.issubdtype(np.asarray(a).dtype, np.floating)
                                    else np.ascontiguousarray(a, np.int64)) for a in made]


def _first_shape(out_shape):
    if out_shape and isinstance(out_shape[0], (tuple, list)):
        return tuple(out_shape[0])
    return tuple(out_shape)


def _runner(direction, gy):
    if direction == "forward":
        def run(algo, arrays, plan):
            out = algo.run_forward(arrays, plan)
            return (out if isinstance(out, tuple) else (out,)) + tuple(arrays)
    else:
        def run(algo, arrays, plan):
            g = gy if gy.dtype == plan.dtype else gy.astype(plan.dtype)
            return tuple(algo.run_backward(g, arrays, plan))
    return run


def _reference(op, plan, ranked, inputs, run):
    """(name, outputs, dtype) of the most trusted candidate, in float64 when the plan allows.

    The float inputs of a float32 case are widened exactly, so the float64 run sees the same
    numbers and its error is negligible next to the float32 candidates' limits.
    """
    name = ranked[0]
    algo = op.registered()[name]
    if plan.dtype != np.float64 and dataclasses.is_dataclass(plan) and \
            any(f.name == "dtype" for f in dataclasses.fields(plan)):
        plan64 = dataclasses.replace(plan, dtype=np.dtype(np.float64))
        if algo.why_not(plan64) is None:
            wide = [a if a is None or a.dtype == np.int64 else a.astype(np.float64) for a in inputs]
            try:
                return name, run(algo, wide, plan64), np.float64
            except Exception:
                pass
    return name, run(algo, _copies(inputs), plan), plan.dtype


def _error(out, ref) -> float:
    worst = 0.0
    for o, r in zip(out, ref):
        if o is None or r is None:
            if (o is None) != (r is None):
                return float("inf")
            continue
        o, r = np.asarray(o), np.asarray(r)
        if o.shape != r.shape:
            return float("inf")
        if np.issubdtype(r.dtype, np.floating):
            worst = max(worst, rel_err(o, r))
        elif not np.array_equal(o, r):
            return float("inf")
    return worst


def _time(run, algo, inputs, plan, best=np.inf) -> float:
    """Seconds of one run on fresh copies of the inputs (outputs not poisoned)."""
    arrays = _copies(inputs)
    with _arrays.poison(False):
        t0 = time.perf_counter()
        run(algo, arrays, plan)
        return time.perf_counter() - t0


def _copies(arrays):
    return [None if a is None else a.copy() for a in arrays]

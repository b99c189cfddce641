"""algo="auto": the fastest accurate algorithm for a case, found by timing once, cached on disk.

The first call for a new *key* (op, input shapes, dtype, parameters of the plan, direction
forward/backward, Numba threads) runs every algorithm that supports the case on random
inputs from ``op.make_inputs``:

1. ``slow`` algorithms (plain loops; CUDA under Numba's simulator) are left out unless
   nothing else supports the case;
2. each candidate runs once (this is also the warm-up: JIT compilation is not timed) and its
   output is compared with the most trusted candidate's (lowest declared trust rank),
   computed in float64 where the plan allows; a candidate whose error exceeds its declared
   tolerance (``kernels.tolerances``) is dropped;
3. the rest are timed (a few repeats, bounded time) and the fastest is kept.

The choice is stored in memory and in ``$CONVBENCH_CACHE_DIR/auto.json`` (default
``~/.cache/convbench``), under a *context* naming the machine (CPU model, cores) and the
library versions (numpy, numba, convbench), so a choice made on another machine or with
other versions is not reused.  A later call, in this process or a new one, reads it back
without timing.  A corrupt or unwritable cache is ignored with a warning; writes are atomic
(temporary file + ``os.replace``) and merge with what other processes wrote meanwhile, under
an advisory lock (``auto.json.lock``) so that concurrent writers lose nothing.

``choose(op, plan, direction)`` is the entry point the ops call.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import tempfile
import threading
import time
import warnings
from functools import cache
from pathlib import Path

import numpy as np

from kernels import _arrays
from kernels.tolerances import SEED, rel_err, tolerance, trust

FORMAT = 1
FILE_NAME = "auto.json"
REPEATS = 3            # timed runs per candidate after the warm-up
BUDGET_S = 0.25        # a candidate stops repeating once its runs took this long
VOLATILE = ("seed",)   # plan fields left out of the key (a new dropout seed is the same case)
FAST_MAX = 4096        # entries of the in-memory shortcut before it is emptied

timed_keys: list[str] = []        # keys timed in this process (tests read it)
last_timings: dict[str, dict] = {}  # key -> {"times": {...}, "errors": {...}, "rejected": {...}}
_memory: dict[str, dict[str, str]] = {}   # cache file path -> key -> algo
_mtimes: dict[str, float] = {}
_fast: dict[tuple, str] = {}      # (path, op, plan, direction, threads) -> algo, no key building
_lock = threading.RLock()


# ---- where and under which context -------------------------------------------------------
def cache_dir() -> Path:
    return Path(os.environ.get("CONVBENCH_CACHE_DIR") or Path.home() / ".cache" / "convbench")


def cache_file() -> Path:
    return cache_dir() / FILE_NAME


@cache
def machine() -> dict:
    """What makes a timing from this machine and these libraries comparable."""
    import numba
    return {"cpu": _cpu_model(), "cores": os.cpu_count() or 0, "machine": platform.machine(),
            "numpy": np.__version__, "numba": numba.__version__, "convbench": _version()}


def context() -> str:
    m = machine()
    return "|".join(f"{k}={m[k]}" for k in sorted(m))


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("convbench")
    except Exception:  # not installed (run from a checkout): read pyproject.toml
        try:
            import tomllib
            with open(Path(__file__).resolve().parents[1] / "pyproject.toml", "rb") as f:
                return tomllib.load(f)["project"]["version"]
        except Exception:
            return "unknown"


def threads() -> int:
    import numba
    return int(numba.get_num_threads())


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


# ---- the entry point ----------------------------------------------------------------------
def choose(op, plan, direction: str = "forward", shapes=None, params=None) -> str:
    """The algorithm ``algo="auto"`` runs for this plan (timing it once if new)."""
    if direction not in ("forward", "backward"):
        raise ValueError(f"{op.name}: direction must be 'forward' or 'backward', got {direction!r}")
    names = op.candidates(plan)
    if not names:
        raise ValueError(f"{op.name}: no algorithm supports this case")
    fast = [n for n in names if not _slow(op.registered()[n])] or names
    if len(fast) == 1:
        return fast[0]
    path = str(cache_file())
    try:
        fast_key = (path, op.name, plan, direction, threads())
        hit = _fast.get(fast_key)
    except TypeError:  # an unhashable plan: build the string key every time
        fast_key, hit = None, None
    if hit is not None and hit in fast:
        return hit
    key = key_of(op, plan, direction)
    with _lock:
        algo = _lookup(path, key, fast)
        if algo is None:
            if shapes is None or params is None:
                return _untimed(op, fast)
            algo = _tune(op, plan, direction, fast, key, shapes, params)
            _memory.setdefault(path, {})[key] = algo
            _store(path, key, algo)
        if fast_key is not None:
            if len(_fast) > FAST_MAX:  # plans with a fresh seed per call would grow it forever
                _fast.clear()
            _fast[fast_key] = algo
    return algo


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


def _lookup(path: str, key: str, names) -> str | None:
    algo = _memory.get(path, {}).get(key)
    if algo is None:
        _reload(path)
        algo = _memory.get(path, {}).get(key)
    return algo if algo in names else None


def clear_memory() -> None:
    """Forget every in-memory choice (the disk cache stays)."""
    with _lock:
        _memory.clear()
        _mtimes.clear()
        _fast.clear()


# ---- the disk cache -----------------------------------------------------------------------
def _read(path: str) -> dict:
    """The whole cache file as a dict ({} if absent; a warning and {} if unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict) or data.get("format") != FORMAT \
                or not isinstance(data.get("contexts"), dict):
            raise ValueError("not a convbench auto cache (format 1)")
        return data
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, UnicodeDecodeError) as e:
        warnings.warn(f"convbench auto: ignoring the unreadable cache {path}: {e}", stacklevel=4)
        return {}


def _choices(data: dict) -> dict:
    entry = data.get("contexts", {}).get(context(), {})
    choices = entry.get("choices", {}) if isinstance(entry, dict) else {}
    return {k: v["algo"] for k, v in choices.items()
            if isinstance(v, dict) and isinstance(v.get("algo"), str)} if isinstance(choices, dict) else {}


def _reload(path: str) -> None:
    try:
        mtime = os.stat(path).st_mtime_ns
    except OSError:
        return
    if _mtimes.get(path) == mtime:
        return
    _mtimes[path] = mtime
    _memory.setdefault(path, {}).update(_choices(_read(path)))


def _store(path: str, key: str, algo: str) -> None:
    """Merge this choice into the file: read, add, write a temporary file, os.replace."""
    record = {"algo": algo, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              **last_timings.get(key, {})}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with _locked(path):
            data = _read(path) or {"format": FORMAT, "contexts": {}}
            entry = data["contexts"].get(context())
            if not isinstance(entry, dict) or not isinstance(entry.get("choices"), dict):
                entry = data["contexts"][context()] = {"choices": {}}
            entry["machine"] = machine()
            entry["choices"][key] = record
            fd, tmp = tempfile.mkstemp(prefix=".auto-", suffix=".json", dir=os.path.dirname(path))
            try:
                os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the cache from other users' reads
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                os.replace(tmp, path)
            except BaseException:
                _remove(tmp)
                raise
            _mtimes[path] = os.stat(path).st_mtime_ns
        _memory.setdefault(path, {}).update(_choices(data))  # what other processes added
    except OSError as e:
        warnings.warn(f"convbench auto: cannot write the cache {path}: {e}; "
                      f"the choice is kept in memory only", stacklevel=4)


@contextlib.contextmanager
def _locked(path: str):
    """Serialise read-merge-replace between processes (POSIX advisory lock on a side file);
    without fcntl, concurrent writers may drop an entry, which is then simply timed again."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path + ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


# ---- timing -------------------------------------------------------------------------------
def _tune(op, plan, direction, names, key, shapes, params) -> str:
    """Run each candidate once (warm-up + accuracy), time the accurate ones, pick the fastest."""
    timed_keys.append(key)
    rng = np.random.default_rng(SEED)
    inputs = _inputs(op, plan, shapes, params, rng)
    gy = rng.standard_normal(_first_shape(plan.out_shape)).astype(plan.dtype)
    run = _runner(direction, gy)
    ranked = _by_trust(names)
    ref_name, ref_out, ref_dtype = _reference(op, plan, ranked, inputs, run)
    errors, rejected, times = {}, {}, {}
    for name in ranked:
        algo = op.registered()[name]
        try:
            out = run(algo, _copies(inputs), plan)  # warm-up: JIT compiles here
        except Exception as e:  # a candidate that fails is not chosen; the case still runs
            rejected[name] = f"raised {type(e).__name__}: {e}"
            continue
        err = _error(out, ref_out)
        errors[name] = err
        limit = tolerance(name, plan.dtype) + (0.0 if ref_dtype == np.float64 and plan.dtype != np.float64
                                               else tolerance(ref_name, plan.dtype))
        if name != ref_name and not err <= limit:
            rejected[name] = f"relative error {err:.3g} > {limit:g} against {ref_name}"
            continue
        times[name] = _time(run, algo, inputs, plan, min(times.values(), default=np.inf))
    if not times:
        raise ValueError(f"{op.name}: no algorithm computed this case accurately: {rejected}")
    last_timings[key] = {"times": times, "errors": errors, "rejected": rejected,
                         "reference": ref_name}
    return min(times, key=times.get)


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


def _time(run, algo, inputs, plan, best) -> float:
    """Least of a few runs; stops early when over budget or already 4x the best so far."""
    fastest, spent = np.inf, 0.0
    for _ in range(REPEATS):
        arrays = _copies(inputs)
        with _arrays.poison(False):
            t0 = time.perf_counter()
            run(algo, arrays, plan)
            dt = time.perf_counter() - t0
        fastest, spent = min(fastest, dt), spent + dt
        if spent > BUDGET_S or fastest > 4 * best:
            break
    return fastest


def _copies(arrays):
    return [None if a is None else a.copy() for a in arrays]

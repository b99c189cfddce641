"""``algo="auto"`` for a library user: what it chose and why, re-tuning, tuning ahead of time.

    import kernels
    kernels.auto.tune(step, x)           # run step(x) once; time every auto case it meets
    print(kernels.auto.report())         # per case: choice, runner-up, ratio, tuning seconds
    kernels.auto.retune("conv2d")        # forget conv2d's choices: timed again when next met

For a torch model, ``kernels.torch.tune(model, x)`` runs one training step through ``tune``.
How a case is tuned and where choices are kept: ``kernels._auto`` and docs/library.md.
The environment variable ``CONVBENCH_AUTO`` sets the policy for a whole process: ``full``
(time every candidate, no pruning by the cost model), ``retune`` (ignore stored choices:
each case is timed again once per process), ``cached`` (never time: stored choices, else
the most trusted candidate the model keeps); words combine with commas (``retune,full``).
"""
from __future__ import annotations

from kernels import _auto
from kernels._auto import Call, mode, prune
from kernels._autocache import cache_file

__all__ = ["tune", "tune_calls", "recording", "retune", "choices", "report", "cache_file",
           "mode", "prune", "Call"]

SUMMARY = ("algo", "runner_up", "ratio", "tie", "seconds", "load", "when")


def recording(defer: bool = False):
    """A context manager collecting the cases ``algo="auto"`` resolves inside it, as a dict
    {key: Call} in the order first met (forward and backward, any op).  With ``defer=True``
    a case with no stored choice is not timed inside but served by the cost model (the most
    trusted candidate it keeps), so the cases can be timed together afterwards with
    ``tune_calls``."""
    return _auto.recording(defer)


def tune_calls(calls, retune: bool = False) -> list[dict]:
    """Time every recorded case (``Call``s, or the dict ``recording`` yields) that has no
    stored choice, or every one with ``retune=True``; one record per case, in order: its
    key, the choice, the runner-up and their ratio, the tuning seconds (0 for a case read
    from the cache, which is not timed again) and the rest of what is stored.  Timing
    happens even when ``CONVBENCH_AUTO`` says ``cached``: this is an explicit request."""
    out = []
    for call in (calls.values() if isinstance(calls, dict) else calls):
        before = len(_auto.timed_keys)
        record = _auto.tune_call(call, retune=retune)
        timed = len(_auto.timed_keys) > before
        out.append({**record, "timed": timed,
                    "seconds": record.get("seconds", 0.0) if timed else 0.0})
    return out


def tune(fn, *args, retune: bool = False, **kwargs) -> list[dict]:
    """Tune every ``algo="auto"`` case that ``fn(*args, **kwargs)`` meets, ahead of time.

    ``fn`` runs once; its new cases are served by the cost model while it runs and timed
    right after (with ``retune=True``, every case it meets is timed again and replaces the
    stored choice).  Returns ``tune_calls``'s records.  For a torch model, ``fn`` is one
    training step on an example batch (forward, loss, backward), so that the backward
    cases are tuned too."""
    with recording(defer=True) as calls:
        fn(*args, **kwargs)
    return tune_calls(calls, retune=retune)


def retune(op=None, *, loaded_above: float | None = None) -> list[str]:
    """Forget stored choices of this machine (all, or those of ``op``: a name or an op
    object; with ``loaded_above``, only those tuned while the load average exceeded it),
    in memory and on disk; the keys forgotten.  Each case is timed again when next met."""
    name = getattr(op, "name", op)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"retune: op must be an op, its name or None, got {type(op).__name__}")
    if loaded_above is not None and not isinstance(loaded_above, (int, float)):
        raise TypeError(f"retune: loaded_above must be a number, got {type(loaded_above).__name__}")

    def keep(key, record):
        if name is not None and key.split("|", 1)[0] != name:
            return True
        if loaded_above is None:
            return False
        level = record.get("load")
        return not (isinstance(level, (int, float)) and level > loaded_above)
    return _auto.forget(keep)


def choices(op=None) -> list[dict]:
    """Every stored choice of this machine (of ``op`` only if given), sorted by key: dicts
    with ``key``, ``op``, ``direction`` and the stored record (``algo``, ``runner_up``,
    ``ratio``, ``times``, ``seconds``, ``load``, ...)."""
    name = getattr(op, "name", op)
    rows = []
    for key, record in sorted(_auto.records().items()):
        op_name, direction = (key.split("|") + ["", ""])[:2]
        if name is None or op_name == name:
            rows.append({"key": key, "op": op_name, "direction": direction, **record})
    return rows


def report(rows=None, op=None) -> str:
    """A text table of choices (``choices(op)`` unless ``rows``, e.g. ``tune``'s records,
    are given): op, direction, choice, runner-up and how much slower it was, the tuning
    seconds, the part of them spent in warm-up runs (where Numba compiles each candidate)
    and the load average at tuning time; then the totals."""
    rows = choices(op) if rows is None else list(rows)
    lines = [f"{'op':<22} {'dir':<8} {'choice':<12} {'runner-up':<12} {'ratio':>6} "
             f"{'tuned s':>8} {'warm-up':>7} {'load':>5}  case"]
    total = warm_total = 0.0
    for r in rows:
        key = str(r.get("key", ""))
        parts = key.split("|")
        seconds = r.get("seconds") if isinstance(r.get("seconds"), (int, float)) else 0.0
        warm = r.get("warmup") if isinstance(r.get("warmup"), dict) else {}
        warm = sum(v for v in warm.values() if isinstance(v, (int, float))) if seconds else 0.0
        total, warm_total = total + seconds, warm_total + warm
        ratio = r.get("ratio")
        lines.append(
            f"{parts[0]:<22} {(parts[1] if len(parts) > 1 else ''):<8} {str(r.get('algo')):<12} "
            f"{str(r.get('runner_up') or '-'):<12} "
            f"{(f'{ratio:.2f}' if isinstance(ratio, (int, float)) else '-'):>6}"
            f"{'~' if r.get('tie') else ' '}{seconds:>7.2f} {warm:>7.2f} "
            f"{(str(r.get('load')) if r.get('load') is not None else '-'):>5}  "
            f"{_short('|'.join(parts[3:]))}")
    ties = any(r.get("tie") for r in rows)
    lines.append(f"{len(rows)} cases, {total:.1f} s of tuning, of which {warm_total:.1f} s of "
                 f"warm-up runs (Numba compiles there)"
                 + ("; ~ marks a tie within noise, settled by trust" if ties else ""))
    return "\n".join(lines)


def _short(case: str, width: int = 70) -> str:
    return case if len(case) <= width else case[:width - 3] + "..."

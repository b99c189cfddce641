"""The file behind ``algo="auto"``: where it is, under which context, reading and writing.

``$CONVBENCH_CACHE_DIR/auto.json`` (default ``~/.cache/convbench``) holds, per *context*
(the machine: CPU model, cores, architecture; the versions of numpy, numba and convbench),
the records of the cases tuned there.  Reading opens a regular file only (non-blocking,
so a FIFO cannot stall it; checked before reading, so a device is never read), of at most
``MAX_BYTES``, and keeps only well-formed parts of bounded depth; anything else is ignored
with a warning.  Writing reads, changes, writes a temporary file and renames it over the
file (``os.replace``), under an advisory lock on a regular side file, so concurrent
writers lose nothing; a lock held longer than ``LOCK_WAIT_S`` (a stopped process) is given
up on with a warning, the choice kept in memory.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import stat
import tempfile
import time
import warnings
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

FORMAT = 1
FILE_NAME = "auto.json"
MAX_BYTES = 16 * 2 ** 20  # a larger cache file is ignored (about 10^4 cases fit)
LOCK_WAIT_S = 10.0        # a writer gives up (keeping its choice in memory) after this


def cache_dir() -> Path:
    return _cache_file(os.environ.get("CONVBENCH_CACHE_DIR"), os.environ.get("HOME")).parent


def cache_file() -> Path:
    """Asked on every ``algo="auto"`` call: built once per value of the variables it reads
    (pathlib takes about 20 us to build it)."""
    return _cache_file(os.environ.get("CONVBENCH_CACHE_DIR"), os.environ.get("HOME"))


@lru_cache(maxsize=8)
def _cache_file(env_dir, home) -> Path:
    return Path(env_dir or Path.home() / ".cache" / "convbench") / FILE_NAME


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



def read(path: str) -> dict:
    """The whole cache file as a dict ({} if absent; a warning and {} if unreadable).

    Only a regular file of at most MAX_BYTES is read (opened non-blocking, so a FIFO does
    not wait for a writer, and checked before reading, so a device is never read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        return {}
    except OSError as e:
        return _unreadable(path, e)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"{info.st_size} bytes, more than the {MAX_BYTES} a cache may hold")
        with os.fdopen(fd, "rb") as f:
            fd = None
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ValueError(f"more than the {MAX_BYTES} bytes a cache may hold")
        return _checked(json.loads(raw.decode("utf-8")))
    except (OSError, ValueError, RecursionError, MemoryError) as e:  # UnicodeDecodeError too
        return _unreadable(path, e)
    finally:
        if fd is not None:
            os.close(fd)


def _unreadable(path, e) -> dict:
    reason = "nested too deeply" if isinstance(e, RecursionError) else str(e) or type(e).__name__
    warnings.warn(f"convbench auto: ignoring the unreadable cache {path}: {reason}", stacklevel=5)
    return {}


def _checked(data) -> dict:
    """The file's content with every malformed part left out (so that writing it back
    cannot fail): contexts hold dicts, choices hold records of bounded depth."""
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or not isinstance(data.get("contexts"), dict):
        raise ValueError(f"not a convbench auto cache (format {FORMAT})")
    contexts = {}
    for name, entry in data["contexts"].items():
        if isinstance(entry, dict) and isinstance(entry.get("choices"), dict):
            machine_ = entry.get("machine")
            contexts[name] = {"machine": machine_ if _flat(machine_) else {},
                              "choices": {k: r for k, r in entry["choices"].items()
                                          if _is_record(r)}}
    return {"format": FORMAT, "contexts": contexts}


def _is_record(r) -> bool:
    return isinstance(r, dict) and isinstance(r.get("algo"), str) and _depth(r) <= 3


def _flat(d) -> bool:
    return isinstance(d, dict) and _depth(d) <= 1


def _depth(obj, limit: int = 8) -> int:
    """Levels of nested dicts and lists in obj (0 for a scalar), up to limit + 1; a loop,
    not a recursion."""
    depth, level = 0, [obj]
    while depth <= limit:
        level = [o for o in level if isinstance(o, (dict, list))]
        if not level:
            break
        depth += 1
        level = [v for o in level for v in (o.values() if isinstance(o, dict) else o)]
    return depth


def choices(data: dict) -> dict:
    """This context's choices in the file's data: key -> record."""
    entry = data.get("contexts", {}).get(context(), {})
    return dict(entry.get("choices", {})) if isinstance(entry, dict) else {}


def update(path: str, change):
    """Apply ``change`` to this context's choices in the file: read, change, write a
    temporary file, os.replace, all under the lock (what other processes wrote survives).
    (the data written, the file's new mtime); None, with a warning, if it cannot be written."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with _locked(path):
            data = read(path) or {"format": FORMAT, "contexts": {}}
            entry = data["contexts"].setdefault(context(), {"choices": {}})
            entry["machine"] = machine()
            change(entry["choices"])
            fd, tmp = tempfile.mkstemp(prefix=".auto-", suffix=".json", dir=os.path.dirname(path))
            try:
                os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the cache from other users' reads
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                os.replace(tmp, path)
            except BaseException:
                _remove(tmp)
                raise
            return data, os.stat(path).st_mtime_ns
    except (OSError, ValueError, RecursionError) as e:
        warnings.warn(f"convbench auto: cannot write the cache {path}: {e}; "
                      f"the choice is kept in memory only", stacklevel=5)
        return None


@contextlib.contextmanager
def _locked(path: str):
    """Serialise read-change-replace between processes (POSIX advisory lock on a regular
    side file, opened non-blocking); without fcntl, concurrent writers may drop an entry,
    which is then simply timed again."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock = path + ".lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0), 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"the lock {lock} is not a regular file")
        _acquire(fcntl, fd, lock)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fcntl, fd: int, lock: str) -> None:
    """flock(LOCK_EX), giving up after LOCK_WAIT_S: a writer stuck while holding the lock
    (a stopped process) must not hang every other process's op calls."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise OSError(f"the lock {lock} was held by another process for more than "
                              f"{LOCK_WAIT_S:g} s") from None
            time.sleep(0.01)


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass

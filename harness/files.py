"""Atomic file writes: write a temporary file beside the target, then ``os.replace`` it,
so an interrupted run leaves every earlier file whole."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path in the target's folder; on success it replaces ``path``,
    on any exception it is removed and ``path`` is left as it was."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def clean(value):
    """JSON-safe: NaN and infinities become None, tuples lists, NumPy scalars Python's."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path, obj) -> None:
    write_text(path, json.dumps(clean(obj), indent=1, sort_keys=False) + "\n")


def write_csv(path, rows: list[dict], columns: list[str], exact=()) -> None:
    """Floats with 6 significant digits, but those of the ``exact`` columns (timestamps)
    whole."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _cell(row.get(k), k in exact) for k in columns})
    write_text(path, buf.getvalue())


def _cell(v, exact=False):
    v = clean(v)
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v) if exact else f"{v:.6g}"
    return v


def save_figure(fig, path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)


def copy_dir(src, dst) -> None:
    """Replace folder ``dst`` by a copy of ``src``: copy beside it, then swap."""
    parent = os.path.dirname(os.path.abspath(dst))
    tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(dst)}.", dir=parent)
    shutil.rmtree(tmp)
    shutil.copytree(src, tmp)
    old = None
    if os.path.exists(dst):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(dst)}.old.", dir=parent)
        os.rmdir(old)
        os.replace(dst, old)
    os.replace(tmp, dst)
    if old:
        shutil.rmtree(old, ignore_errors=True)

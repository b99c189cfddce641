"""The results of a run: one append-only journal, and the files derived from it.

``journal.jsonl`` is the one source of truth: a JSON object per line, appended and
flushed to disk (``fsync``) as each record arrives: first the run (its header), then the
machines (fingerprints) and rows as they come, and a line per ``--resume``.  A later row
with the same key replaces an earlier one.  A crash can only tear the last line, which a
reader ignores and the next writer cuts off.  A row is known by its key and its host:
a run on several machines holds one row per key and machine.  ``results.json``, ``results.csv`` and, when
the rows come from several hosts, ``machines/<host>/results.{json,csv}`` are derived from
it, each written whole to a temporary name and renamed; ``derive`` draws them again.

Runs from before the journal have only ``results.json``; they are read from it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field

from harness import files
from harness.rows import COLUMNS, machine_key
from harness.rows import hosts as row_hosts

JOURNAL = "journal.jsonl"
MIN_FREE_BYTES = 32 * 2 ** 20           # a run writes a few MiB of results and plots


class OutputError(Exception):
    """The run folder cannot be written (or read back): the message is one line."""


class ResultsError(ValueError):
    """A run folder holds no readable results: the message says which file and why."""


@dataclass
class Results:
    header: dict = field(default_factory=dict)
    machines: list = field(default_factory=list)      # fingerprints, one per (host, id)
    rows: list = field(default_factory=list)           # the latest row per key and host, in order

    def machine_of(self, row) -> dict:
        """The fingerprint of the machine that produced ``row`` ({} if unknown)."""
        for m in self.machines:
            if m.get("id") == row.get("machine") and m.get("host") == row.get("host"):
                return m
        return self.header.get("machine") or {}

    def hosts(self) -> list[str]:
        return row_hosts(self.rows)


# ---- reading --------------------------------------------------------------------------

def read(out_dir) -> Results:
    """The run in ``out_dir``: from its journal, else from results.json (older runs);
    ResultsError if neither can be read."""
    path = os.path.join(out_dir, JOURNAL)
    if os.path.exists(path):
        return _read_journal(path)[0]
    return _read_results_json(os.path.join(out_dir, "results.json"))


def _read_journal(path) -> tuple[Results, int]:
    """(the results, the length in bytes of the whole lines: a torn last line is left out)."""
    res, rows, whole = Results(), {}, 0
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    for n, line in enumerate(lines, 1):
        last = n == len(lines)
        if not line.strip():
            whole += len(line) + (0 if last else 1)
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            if last or all(not rest.strip() for rest in lines[n:]):
                break                                   # torn by a crash: ignored
            raise ResultsError(f"{path} line {n} is not JSON: the journal was damaged") from None
        if last:
            break                                       # no newline yet: not written whole
        whole += len(line) + 1
        kind = rec.pop("record", None)
        if kind == "run":
            res.header = rec
        elif kind == "resume":
            res.header.setdefault("resumed", []).append(rec)
        elif kind == "machine":
            res.machines = [m for m in res.machines
                            if (m.get("host"), m.get("id")) != (rec.get("host"), rec.get("id"))] + [rec]
        elif kind == "row":
            rows[machine_key(rec)] = rec
    if not res.header:
        raise ResultsError(f"{path} has no run record: not a convbench journal")
    res.rows = list(rows.values())
    if res.machines:
        res.header["machine"] = res.machines[0]
    return res, whole


def _read_results_json(path) -> Results:
    if not os.path.exists(path):
        raise ResultsError(f"no {JOURNAL} or results.json in {os.path.dirname(path) or '.'}")
    try:
        with open(path) as f:
            data = json.load(f)
    except ValueError as e:
        raise ResultsError(f"{path} is damaged ({e}) and there is no {JOURNAL} beside it") from None
    rows = data.pop("rows", [])
    machines = data.pop("machines", None) or ([data["machine"]] if data.get("machine") else [])
    for k in ("columns",):
        data.pop(k, None)
    return Results(data, machines, rows)


# ---- writing --------------------------------------------------------------------------

class Journal:
    """Appends records to ``out_dir/journal.jsonl``; every failure to write is an
    OutputError naming the folder."""

    def __init__(self, out_dir):
        self.out_dir = os.path.abspath(out_dir)
        self.path = os.path.join(self.out_dir, JOURNAL)
        self.seen = set()                                 # (host, id) of machines written

    def start(self, header: dict, resume: bool) -> Results:
        """Begin the run, or go on with the one in the folder (``resume``): returns what
        it holds already.  The header (or the resume line) is on disk when this returns,
        so a folder that cannot be written is found before any case runs."""
        try:
            os.makedirs(self.out_dir, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create the results folder {self.out_dir}: {e.strerror or e}") from None
        self._check_space()
        before = Results()
        if resume and os.path.exists(self.path):
            before, whole = _read_journal(self.path)
            self._write(lambda f: (f.truncate(whole), f.seek(whole)), mode="r+b")
            self.append({"record": "resume", "started": header["started"],
                         "command": header.get("command")})
        else:
            if resume and os.path.exists(os.path.join(self.out_dir, "results.json")):
                before = _read_results_json(os.path.join(self.out_dir, "results.json"))
            self._fresh({"record": "run", **header}, before)
        self.seen = {(m.get("host"), m.get("id")) for m in before.machines}
        return before

    def _fresh(self, header, before: Results) -> None:
        """A new journal (the run, and the rows of an older run being resumed), in place of
        any old one only once it is whole on disk."""
        lines = [header] + [{"record": "machine", **m} for m in before.machines] \
            + [{"record": "row", **r} for r in before.rows]
        text = "".join(json.dumps(files.clean(r)) + "\n" for r in lines)
        try:
            with files.atomic_path(self.path) as tmp, open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {e.strerror or e}") from None

    def machine(self, fingerprint: dict) -> None:
        k = (fingerprint.get("host"), fingerprint.get("id"))
        if k not in self.seen:
            self.append({"record": "machine", **fingerprint})
            self.seen.add(k)

    def rows(self, rows: list) -> None:
        self.append(*({"record": "row", **r} for r in rows))

    def append(self, *records) -> None:
        text = "".join(json.dumps(files.clean(r)) + "\n" for r in records)
        self._write(lambda f: f.write(text.encode("utf-8")))

    def _write(self, action, mode="ab") -> None:
        try:
            with open(self.path, mode) as f:
                action(f)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise OutputError(f"cannot write {self.path}: {e.strerror or e}") from None

    def _check_space(self) -> None:
        check_space(self.out_dir)


def check_space(out_dir) -> None:
    try:
        free = shutil.disk_usage(out_dir).free
    except OSError:
        return
    if free < MIN_FREE_BYTES:
        raise OutputError(f"only {free / 2 ** 20:.1f} MiB free for {out_dir}; a run needs "
                          f"{MIN_FREE_BYTES // 2 ** 20} MiB")


def check_writable(out_dir) -> None:
    """OutputError unless ``out_dir`` can be created and written and has room: a file is
    written there, flushed to disk and removed."""
    out_dir = os.path.abspath(out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".convbench-probe-", dir=out_dir)
        try:
            with open(fd, "wb") as f:
                f.write(b"convbench\n" * 1024)
                f.flush()
                os.fsync(f.fileno())
        finally:
            os.remove(probe)
    except OSError as e:
        raise OutputError(f"cannot write results to {out_dir}: {e.strerror or e}") from None
    check_space(out_dir)


# ---- the derived files ----------------------------------------------------------------

def derive(out_dir, results: Results | None = None) -> Results:
    """results.json and results.csv of the run (and per host, when there are several),
    from its journal; returns what they hold."""
    res = results or read(out_dir)
    write_results(out_dir, res.header, res.rows, res.header.get("missing_ops") or {}, res.machines)
    hosts = res.hosts()
    if len(hosts) > 1:
        for h in hosts:
            mine = [m for m in res.machines if m.get("host") == h]
            header = {**res.header, "machine": mine[0] if mine else {}, "host": h}
            write_results(os.path.join(out_dir, "machines", safe_name(h)), header,
                          [r for r in res.rows if r.get("host") == h], {}, mine)
    return res


def write_results(out_dir, header, rows, missing, machines=None) -> None:
    """results.csv and results.json of ``rows``, each written whole."""
    os.makedirs(out_dir, exist_ok=True)
    machines = machines if machines is not None else header.get("machines") or []
    head = {k: v for k, v in header.items() if k not in ("machines", "missing_ops", "columns", "rows")}
    if machines and not head.get("machine"):
        head["machine"] = machines[0]
    files.write_csv(os.path.join(out_dir, "results.csv"), rows, COLUMNS, exact=("timed_start", "timed_end"))
    files.write_json(os.path.join(out_dir, "results.json"),
                     {**head, "machines": machines, "missing_ops": missing, "columns": COLUMNS,
                      "rows": rows})


def safe_name(host: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", host) or "host"


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

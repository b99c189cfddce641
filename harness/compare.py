"""Compare two runs, or two machines of one run, row by row.

    python -m harness.compare OLD NEW [--fail-above 1.1] [--threshold 1.05] [--alpha 0.01]

OLD and NEW are run folders, or ``FOLDER@HOST`` for the rows of one machine of a run
(a run from several machines needs the ``@HOST``).  Rows are matched by (suite, op,
algorithm, case, dtype, direction).  For each row timed on both sides: the ratio of the
medians (NEW / OLD; above 1 is slower), torch's ratio beside it (if torch changed as
much, the machine did), and a two-sided Mann-Whitney U test on the individual times, as
asv does, so that noise is not called a change.  A row is a regression when NEW is slower
by more than ``--threshold`` and the test's p-value is below ``--alpha`` (an improvement,
the other way round); a row whose repeats are too few for any p-value below ``--alpha``
is listed as undecided.  A row that ran (ok) in OLD and no longer does in NEW (error,
crashed, timeout, inaccurate) is listed as broken.

``--fail-above FACTOR`` exits with status 1 on a regression larger than FACTOR or on a
broken row (for CI).  The machines' fingerprints must match (same CPU, cores, threads,
GPU, library versions; see ``harness.machine``): otherwise the comparison is refused
(status 2) with the differences, unless ``--allow-different-machines``.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
from dataclasses import dataclass

from harness import files, journal, machine
from harness.rows import RAN, key


class CompareError(Exception):
    """The comparison cannot be made (a missing run or machine, different machines)."""


@dataclass
class Side:
    name: str
    rows: dict                          # key -> row
    fingerprints: dict                  # fingerprint id -> fingerprint


@dataclass
class Change:
    row: dict                           # the NEW row (its key fields)
    verdict: str                        # regression, improvement, unchanged, not significant, undecided, broken, fixed
    old_s: float | None = None
    new_s: float | None = None
    ratio: float | None = None
    p: float | None = None
    torch_ratio: float | None = None
    old_status: str = ""
    new_status: str = ""


def load_side(spec: str) -> Side:
    """The rows of ``FOLDER`` or ``FOLDER@HOST``."""
    folder, host = spec, None
    if not os.path.isdir(spec) and "@" in spec:
        folder, host = spec.rsplit("@", 1)
    if not os.path.isdir(folder):
        raise CompareError(f"{folder}: no such run folder")
    try:
        res = journal.read(folder)
    except journal.ResultsError as e:
        raise CompareError(str(e)) from None
    hosts = res.hosts()
    if host is None and len(hosts) > 1:
        raise CompareError(f"{folder} holds rows of {len(hosts)} machines ({', '.join(hosts)}): "
                           f"name one as {folder}@HOST")
    if host is not None and host not in hosts:
        raise CompareError(f"{folder} has no rows of machine {host!r} (it has: {', '.join(hosts) or 'none named'})")
    rows = [r for r in res.rows if host is None or r.get("host") == host]
    fps = {}
    for r in rows:
        fp = res.machine_of(r)
        if fp:
            fps[fp.get("id") or machine.identity(fp)] = fp
    return Side(spec, {key(r): r for r in rows}, fps)


def machine_differences(old: Side, new: Side) -> list[str]:
    """Why the two sides' timings are not comparable (empty if they are)."""
    out = []
    for side in (old, new):
        if len(side.fingerprints) > 1:
            out.append(f"{side.name} mixes rows of {len(side.fingerprints)} different machines "
                       f"({', '.join(sorted(side.fingerprints))})")
    if out or not old.fingerprints or not new.fingerprints:
        return out
    (a_id, a), (b_id, b) = next(iter(old.fingerprints.items())), next(iter(new.fingerprints.items()))
    if a_id != b_id:
        out += machine.differences(a, b) or [f"fingerprint {a_id} != {b_id}"]
    return out


def compare(old: Side, new: Side, threshold: float = 1.05, alpha: float = 0.01) -> tuple[list, dict]:
    """(changes of the rows on both sides, {"only_old": n, "only_new": n})."""
    changes = []
    for k, n in new.rows.items():
        o = old.rows.get(k)
        if o is None:
            continue
        ran_o, ran_n = o.get("status") in RAN, n.get("status") in RAN
        if o.get("status") == "ok" and n.get("status") != "ok":
            changes.append(Change(n, "broken", old_status=o.get("status"), new_status=n.get("status")))
        elif not ran_o and ran_n:
            changes.append(Change(n, "fixed", old_status=o.get("status"), new_status=n.get("status")))
        elif ran_o and ran_n:
            changes.append(timed_change(o, n, threshold, alpha))
    only = {"only_old": len(set(old.rows) - set(new.rows)), "only_new": len(set(new.rows) - set(old.rows))}
    return changes, only


def timed_change(o: dict, n: dict, threshold: float, alpha: float) -> Change:
    a, b = _times(o), _times(n)
    old_s, new_s = _median(o, a), _median(n, b)
    ratio = new_s / old_s if old_s and new_s else None
    tr = _ratio(_median(o, _times(o, "torch_times"), "torch_time_median_s"),
                _median(n, _times(n, "torch_times"), "torch_time_median_s"))
    c = Change(n, "unchanged", old_s, new_s, ratio, None, tr, o.get("status"), n.get("status"))
    if ratio is None:
        c.verdict = "undecided"
        return c
    changed = ratio > threshold or ratio < 1 / threshold
    if len(a) < 2 or len(b) < 2 or least_p(len(a), len(b)) >= alpha:
        c.verdict = "undecided" if changed else "unchanged"
        return c
    from scipy.stats import mannwhitneyu
    c.p = float(mannwhitneyu(a, b, alternative="two-sided").pvalue)
    if changed:
        c.verdict = ("regression" if ratio > 1 else "improvement") if c.p < alpha else "not significant"
    return c


def least_p(n: int, m: int) -> float:
    """The smallest two-sided p-value of the exact Mann-Whitney U test with samples of n
    and m: every value of one sample below every value of the other."""
    return 2.0 / math.comb(n + m, n)


def _times(row, column="times") -> list:
    v = row.get(column)
    if isinstance(v, str):
        import json
        v = json.loads(v) if v else []
    return [float(t) for t in v or [] if t is not None]


def _median(row, times, column="time_median_s"):
    if times:
        return statistics.median(times)
    try:
        v = float(row.get(column))
    except (TypeError, ValueError):
        return None
    return v if v > 0 and math.isfinite(v) else None


def _ratio(a, b):
    return b / a if a and b else None


# ---- the report ------------------------------------------------------------------------

def render(old: Side, new: Side, changes, only, threshold, alpha, differences=()) -> str:
    by = {}
    for c in changes:
        by.setdefault(c.verdict, []).append(c)
    out = [f"# convbench: {new.name} against {old.name}", ""]
    if differences:
        out += ["Compared although the machines differ:", ""] + [f"- {d}" for d in differences] + [""]
    counts = ", ".join(f"{v} {len(by[v])}" for v in ("regression", "improvement", "broken", "fixed",
                       "not significant", "undecided", "unchanged") if by.get(v))
    out += [f"{len(changes)} rows on both sides: {counts or 'none'}; {only['only_old']} only in the old, "
            f"{only['only_new']} only in the new.", "",
            f"A change is a ratio of medians (new / old) beyond {threshold:g} either way with a "
            f"two-sided Mann-Whitney U p-value below {alpha:g} on the individual times. "
            "`torch` is torch's ratio on the same rows (if it moved as much, the machine did).", ""]
    for verdict, title, desc in (("regression", "Regressions", True), ("improvement", "Improvements", False),
                                 ("not significant", "Beyond the threshold but within the noise", True),
                                 ("undecided", "Too few repeats to tell (or none recorded)", True)):
        rows = sorted(by.get(verdict, []), key=lambda c: c.ratio or 0, reverse=desc)
        if rows:
            out += [f"## {title}", "", "| op | case | algo | dtype | dir | old | new | ratio | p | torch |",
                    "| --- " * 10 + "|"]
            out += [f"| {c.row['op']} | {c.row['case']} | {c.row['algo']} | {c.row['dtype']} | "
                    f"{_dir(c.row)} | {_t(c.old_s)} | {_t(c.new_s)} | {_f(c.ratio, '.3f')} | "
                    f"{_f(c.p, '.2g')} | {_f(c.torch_ratio, '.3f')} |" for c in rows] + [""]
    for verdict, title in (("broken", "Broken (ran before, not now)"), ("fixed", "Fixed (runs now)")):
        if by.get(verdict):
            out += [f"## {title}", "", "| op | case | algo | dtype | dir | old status | new status | reason |",
                    "| --- " * 8 + "|"]
            out += [f"| {c.row['op']} | {c.row['case']} | {c.row['algo']} | {c.row['dtype']} | {_dir(c.row)} | "
                    f"{c.old_status} | {c.new_status} | {(c.row.get('reason') or '').replace('|', '/')} |"
                    for c in by[verdict]] + [""]
    return "\n".join(out) + "\n"


def failures(changes, fail_above: float) -> list[Change]:
    """Regressions larger than ``fail_above`` and broken rows."""
    return [c for c in changes if c.verdict == "broken"
            or (c.verdict == "regression" and c.ratio is not None and c.ratio > fail_above)]


def _dir(row):
    return "fwd" if row.get("direction") == "forward" else "bwd"


def _t(s):
    from harness.report import fmt_time
    return fmt_time(s) if s else ""


def _f(v, spec):
    return format(v, spec) if v is not None else ""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m harness.compare", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("old", help="run folder, or FOLDER@HOST")
    p.add_argument("new", help="run folder, or FOLDER@HOST")
    p.add_argument("--fail-above", type=float, metavar="FACTOR",
                   help="exit 1 on a regression larger than FACTOR (e.g. 1.1) or a broken row")
    p.add_argument("--threshold", type=float, default=1.05,
                   help="smallest ratio of medians called a change (default %(default)s)")
    p.add_argument("--alpha", type=float, default=0.01,
                   help="p-value below which a difference is not noise (default %(default)s)")
    p.add_argument("--allow-different-machines", action="store_true",
                   help="compare although the machines' fingerprints differ")
    p.add_argument("--out", help="also write the comparison (Markdown) to this file")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.threshold < 1 or not 0 < args.alpha < 1 or (args.fail_above is not None and args.fail_above < 1):
        print("harness.compare: --threshold and --fail-above must be >= 1, --alpha in (0, 1)", file=sys.stderr)
        return 2
    try:
        old, new = load_side(args.old), load_side(args.new)
    except CompareError as e:
        print(f"harness.compare: {e}", file=sys.stderr)
        return 2
    diff = machine_differences(old, new)
    if diff and not args.allow_different_machines:
        print(f"harness.compare: refusing to compare rows of different machines "
              f"({'; '.join(diff)}); --allow-different-machines compares them anyway", file=sys.stderr)
        return 2
    changes, only = compare(old, new, args.threshold, args.alpha)
    text = render(old, new, changes, only, args.threshold, args.alpha, diff)
    print(text, end="")
    if args.out:
        files.write_text(args.out, text)
    if args.fail_above is not None:
        bad = failures(changes, args.fail_above)
        if bad:
            print(f"harness.compare: {len(bad)} rows regressed by more than {args.fail_above:g}x or broke",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

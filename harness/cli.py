"""The benchmark command line (``run_bench.py``): run suites, write results, report, plots.

With no arguments: the quick suite into results/<run-id>/ and a copy at results/latest/.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from harness import files, report, runner, suites, timing
from harness.networks import cli as networks_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_bench.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="quick",
                   help="suite name(s), comma-separated (see --list); default quick")
    p.add_argument("--ops", help="only these ops, comma-separated")
    p.add_argument("--algos", help="only these algorithms, comma-separated")
    p.add_argument("--dtype", default="float32", help="float32, float64 or both comma-separated")
    p.add_argument("--out", help="output folder (default results/<run-id>/ plus results/latest/)")
    p.add_argument("--repeats", type=int, help="fixed number of timed calls (default: by time budget)")
    p.add_argument("--min-time", type=float,
                   help="seconds of timed calls at least (default 0.2; the quick suite 0.05)")
    p.add_argument("--max-time", type=float,
                   help="a slow function stops after this many seconds (default 1.0; quick 0.5)")
    p.add_argument("--min-repeats", type=int, help="timed calls at least (default 5)")
    p.add_argument("--warmup-time", type=float,
                   help="seconds of untimed calls after the first, at least one call (default 0.05)")
    p.add_argument("--resume", action="store_true", help="keep the rows already in the output, run the rest")
    p.add_argument("--backward", action="store_true", help="also time the backward pass (direction column)")
    p.add_argument("--batch", type=int, help="batch size N (default: the suite's, 1 for real layers)")
    p.add_argument("--threads", type=int, help="threads for torch and Numba (default: Numba's maximum)")
    p.add_argument("--seed", type=int, default=runner.SEED)
    p.add_argument("--slow-macs", type=int, default=runner.SLOW_MACS,
                   help="plain-loop algorithms skip cases with more MACs (default %(default)s)")
    p.add_argument("--note", default="", help="a line for the top of report.md")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--list", action="store_true", help="list the suites and exit")
    return p


def _split(text):
    return tuple(t.strip() for t in text.split(",") if t.strip()) if text else None


def main(argv=None) -> int:
    if networks_cli.requested(sys.argv[1:] if argv is None else argv):  # whole models: its own runner
        return networks_cli.main(argv)
    args = parser().parse_args(argv)
    if args.list:
        for name, s in sorted(suites.load().items()):
            print(f"{name:<12} {len(s.entries):>3} cases  {s.doc.splitlines()[0]}")
        print(f"{networks_cli.NAME:<12} {len(networks_cli.NETWORKS):>3} models "
              f"whole networks, torch against kernels (--suite networks --list)")
        return 0
    names = _split(args.suite) or ("quick",)
    chosen = [suites.get(n) for n in names]
    run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + "+".join(names)
    out = args.out
    if out is None and args.resume:
        last = runner.load_header(os.path.join(ROOT, "results", "latest")).get("run_id")
        if not last:
            print("--resume without --out needs results/latest/ from an earlier run", file=sys.stderr)
            return 2
        run_id = last
    out = out or os.path.join(ROOT, "results", run_id)
    config = runner.Config(
        dtypes=_split(args.dtype), ops=_split(args.ops), algos=_split(args.algos), batch=args.batch,
        backward=args.backward, seed=args.seed, slow_macs=args.slow_macs, threads=args.threads,
        resume=args.resume, progress=not args.no_progress,
        budget=budget(chosen, args))
    declared = {e.op for s in chosen for e in s.entries}
    for op in set(config.ops or ()) - declared:
        print(f"warning: no suite of {', '.join(names)} declares op {op!r}", file=sys.stderr)
    outcome = run_suites(chosen, out, config, run_id, note=args.note)
    if args.out is None:
        files.copy_dir(out, os.path.join(ROOT, "results", "latest"))
    print(report.summary(outcome.rows, outcome.missing))
    print(f"\n{outcome.ran} rows run, {outcome.skipped} kept from before; results in {out}"
          + ("" if args.out else " and results/latest/"))
    return 0


def budget(chosen, args) -> timing.Budget:
    """Defaults, then what the (first) suite changes, then the command line."""
    fields = dict(chosen[0].budget)
    given = {"min_repeats": args.min_repeats, "min_time": args.min_time,
             "max_time": args.max_time, "repeats": args.repeats, "warmup_time": args.warmup_time}
    fields.update({k: v for k, v in given.items() if v is not None})
    return timing.Budget(**fields)


def run_suites(chosen, out, config, run_id, note=""):
    """Run each suite into ``out`` (one results file for all), then the report and plots."""
    suite = chosen[0] if len(chosen) == 1 else suites.Suite(
        "+".join(s.name for s in chosen), "several suites",
        [dataclasses.replace(e, id=f"{s.name}/{e.id}") for s in chosen for e in s.entries],
        chosen[0].batch)
    outcome = runner.run(suite, out, config, run_id, note)
    report.write_report(out)
    return outcome

"""The benchmark command line (``run_bench.py``): run suites, write results, report, plots.

With no arguments: the quick suite into results/<run-id>/ and a copy at results/latest/.
Each task runs in a worker process (a crash or a hang is a row, and the run goes on);
``--scheduler ADDRESS`` or ``--local-cluster N`` runs the tasks on a Dask cluster.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time

from harness import files, journal, report, runner, suites, timing
from harness.fleet import FleetError
from harness.isolate import Setup, WorkerStartError
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
    p.add_argument("--retry", default="",
                   help="with --resume, run rows with these statuses again, comma-separated "
                        "(e.g. crashed,timeout); by default a row that crashed or timed out is kept")
    p.add_argument("--row-timeout", type=float, default=600.0,
                   help="seconds a task (one case, dtype and algorithm) may run before its worker "
                        "is killed and its rows say timeout (default %(default)s; 0: no limit)")
    p.add_argument("--in-process", action="store_true",
                   help="run the tasks in this process (for a debugger; a crash ends the run)")
    p.add_argument("--preload", action="append", default=[], metavar="MODULE[:FUNCTION]",
                   help="import MODULE (and call FUNCTION) here and in every worker first: "
                        "algorithms defined outside kernels/ (repeatable)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the workers of a Dask cluster (e.g. tcp://10.0.0.5:8786)")
    p.add_argument("--local-cluster", type=int, metavar="N",
                   help="start a Dask LocalCluster of N worker processes here and run on it")
    p.add_argument("--spread", action="store_true",
                   help="on a cluster, run each task once on any worker (default: every machine "
                        "runs every task, to compare the machines)")
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
    try:
        return _main(args)
    except (UsageError, journal.OutputError, journal.ResultsError) as e:
        print(f"run_bench.py: {e}", file=sys.stderr)
        return 2
    except (WorkerStartError, FleetError) as e:
        print(f"run_bench.py: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("run_bench.py: interrupted; the rows that finished are in the output's journal.jsonl "
              "(--resume goes on)", file=sys.stderr)
        return 130


class UsageError(ValueError):
    """A command line that asks for something impossible."""


def _main(args) -> int:
    if args.scheduler and args.local_cluster:
        raise UsageError("--scheduler and --local-cluster: give one")
    if args.list:
        for name, s in sorted(suites.load().items()):
            print(f"{name:<12} {len(s.entries):>3} cases  {s.doc.splitlines()[0]}")
        print(f"{networks_cli.NAME:<12} {len(networks_cli.NETWORKS):>3} models "
              f"whole networks, torch against kernels (--suite networks --list)")
        return 0
    names = _split(args.suite) or ("quick",)
    try:
        chosen = [suites.get(n) for n in names]
    except ValueError as e:
        raise UsageError(f"--suite: {e}") from None
    run_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + "+".join(names)
    out = args.out
    if out is None and args.resume:
        last = runner.load_header(os.path.join(ROOT, "results", "latest")).get("run_id")
        if not last:
            raise UsageError("--resume without --out needs results/latest/ from an earlier run")
        run_id = last
    out = out or os.path.join(ROOT, "results", run_id)
    threads = args.threads
    if args.local_cluster and threads is None:      # the workers share this host's cores
        threads = max(1, (os.cpu_count() or 1) // args.local_cluster)
    config = runner.Config(
        dtypes=_split(args.dtype), ops=_split(args.ops), algos=_split(args.algos), batch=args.batch,
        backward=args.backward, seed=args.seed, slow_macs=args.slow_macs, threads=threads,
        resume=args.resume, retry=_split(args.retry) or (), progress=not args.no_progress,
        budget=budget(chosen, args), isolate=not args.in_process,
        row_timeout=args.row_timeout or None, preload=tuple(args.preload))
    bad = set(config.retry) - set(runner.STATUSES)
    if bad:
        raise UsageError(f"--retry must name statuses of {', '.join(runner.STATUSES)}, got {sorted(bad)}")
    journal.check_writable(out)
    for item in config.preload:
        try:
            Setup(preload=(item,)).preload_modules()
        except Exception as e:
            raise UsageError(f"--preload {item}: {type(e).__name__}: {e}") from None
    declared = {e.op for s in chosen for e in s.entries}
    for op in set(config.ops or ()) - declared:
        print(f"warning: no suite of {', '.join(names)} declares op {op!r}", file=sys.stderr)
    executor = None
    if args.scheduler or args.local_cluster:
        from harness.fleet import Fleet
        executor = Fleet.connect(scheduler=args.scheduler, local=args.local_cluster,
                                 each_machine=not args.spread)
    try:
        outcome = run_suites(chosen, out, config, run_id, note=args.note, executor=executor)
    finally:
        if executor is not None:
            executor.close()
    for host, n in (getattr(executor, "lost", None) or {}).items():
        print(f"warning: machine {host} left the cluster: {n} of its rows were not run "
              "(--resume runs them)", file=sys.stderr)
    if args.out is None:
        latest = os.path.join(ROOT, "results", "latest")
        try:
            files.copy_dir(out, latest)
        except OSError as e:
            raise journal.OutputError(f"cannot copy {out} to {latest}: {e}") from None
    print(report.summary(outcome.rows, outcome.missing))
    hosts = {r.get("host") for r in outcome.rows if r.get("host")}
    print(f"\n{outcome.ran} rows run, {outcome.skipped} kept from before"
          + (f", on {len(hosts)} machines" if len(hosts) > 1 else "") + f"; results in {out}"
          + ("" if args.out else " and results/latest/"))
    return 0


def budget(chosen, args) -> timing.Budget:
    """Defaults, then what the (first) suite changes, then the command line."""
    fields = dict(chosen[0].budget)
    given = {"min_repeats": args.min_repeats, "min_time": args.min_time,
             "max_time": args.max_time, "repeats": args.repeats, "warmup_time": args.warmup_time}
    fields.update({k: v for k, v in given.items() if v is not None})
    return timing.Budget(**fields)


def run_suites(chosen, out, config, run_id, note="", executor=None):
    """Run each suite into ``out`` (one results file for all), then the report and plots."""
    suite = chosen[0] if len(chosen) == 1 else suites.Suite(
        "+".join(s.name for s in chosen), "several suites",
        [dataclasses.replace(e, id=f"{s.name}/{e.id}") for s in chosen for e in s.entries],
        chosen[0].batch)
    outcome = runner.run(suite, out, config, run_id, note, executor=executor)
    try:
        report.write_report(out)
    except OSError as e:
        raise journal.OutputError(f"cannot write the report in {out}: {e}") from None
    return outcome

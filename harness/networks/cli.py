"""``run_bench.py --suite networks``: whole networks, torch against kernels.

    python run_bench.py --suite networks                              # every network, float32
    python run_bench.py --suite networks --networks resnet18,unet --threads 4 --batch 8
    python run_bench.py --suite networks --small --repeats 5 --out /tmp/smoke

The harness's command line hands every argument here when ``--suite`` is ``networks``
(``requested``): this suite times whole models, not the op cases of the other suites.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from harness.networks.bench import Config
from harness.networks.models import NETWORKS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAME = "networks"


def requested(argv) -> bool:
    """Whether the command line asks for this suite (``--suite networks``)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--suite")
    known, _ = pre.parse_known_args(argv)
    return known.suite == NAME


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_bench.py --suite networks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", choices=[NAME], default=NAME)
    p.add_argument("--networks", help=f"comma-separated, default all: {', '.join(NETWORKS)}")
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--batch", type=int, help="batch size (default 1; 2 with --small, whose last "
                                             "feature maps are 1x1 and batch norm trains on 2 values at least)")
    p.add_argument("--size", type=int, help="input height and width (default: each network's)")
    p.add_argument("--threads", type=int, help="threads for torch and Numba (default: Numba's maximum)")
    p.add_argument("--repeats", type=int, default=5, help="timed rounds, at least 5 (default 5)")
    p.add_argument("--algos", default="auto,numba", help="convert(model, algo=...) for each (default auto,numba)")
    p.add_argument("--modes", default="eval,train", help="eval, train or both (default)")
    p.add_argument("--no-layers", action="store_true", help="skip the per-layer table and plot")
    p.add_argument("--small", action="store_true", help="the small variants (a smoke run)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=3600, help="seconds per network (default 3600)")
    p.add_argument("--in-process", action="store_true", help="no worker process (debugging)")
    p.add_argument("--out", help="output folder (default results/<run-id>/)")
    p.add_argument("--note", default="", help="a line for the top of report.md")
    p.add_argument("--list", action="store_true", help="list the networks and exit")
    return p


def _split(text):
    return tuple(t.strip() for t in text.split(",") if t.strip())


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.list:
        for n in NETWORKS.values():
            print(f"{n.name:<16} {'x'.join(map(str, n.input)):<12} {n.doc}")
        return 0
    try:
        config = Config(networks=_split(args.networks) if args.networks else tuple(NETWORKS),
                        dtype=args.dtype, batch=args.batch or (2 if args.small else 1), size=args.size,
                        threads=args.threads,
                        repeats=args.repeats, algos=_split(args.algos), modes=_split(args.modes),
                        layers=not args.no_layers, small=args.small, seed=args.seed)
    except ValueError as e:
        print(f"run_bench.py --suite networks: {e}", file=sys.stderr)
        return 2
    out = args.out or os.path.join(ROOT, "results", time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-networks")
    from harness.networks import runner
    data = runner.run(config, out, in_process=args.in_process, timeout=args.timeout, note=args.note)
    bad = [r for r in data["rows"] if r["status"] != "ok"]
    print(f"\n{len(data['rows'])} rows ({len(bad)} not ok), {len(data['layers'])} layers; "
          f"results in {out} (report.md)")
    return 0

#!/usr/bin/env python
"""Benchmark every op and algorithm on a suite of layer shapes; see docs/harness.md.

    python run_bench.py                                   # quick suite -> results/latest/
    python run_bench.py --suite resnet50 --ops conv2d --dtype float32,float64 --backward
    python run_bench.py --suite quick --local-cluster 2   # on a Dask cluster of 2 workers here
"""
import sys

if __name__ == "__main__":
    # imported here only: the worker processes of a local Dask cluster import this file
    # again (as __mp_main__) and need none of it
    from harness.cli import main
    sys.exit(main())

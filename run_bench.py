#!/usr/bin/env python
"""Benchmark every op and algorithm on a suite of layer shapes; see docs/harness.md.

    python run_bench.py                                   # quick suite -> results/latest/
    python run_bench.py --suite resnet50 --ops conv2d --dtype float32,float64 --backward
"""
import sys

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main())

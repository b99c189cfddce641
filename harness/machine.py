"""What a result depends on: CPU, cores, threads, library versions, the measured GEMM
peak and copy bandwidth, the seed."""
from __future__ import annotations

import os
import platform
import sys


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict:
    import matplotlib
    import numba
    import numpy
    import scipy
    import torch
    return {"python": sys.version.split()[0], "numpy": numpy.__version__,
            "numba": numba.__version__, "torch": torch.__version__,
            "scipy": scipy.__version__, "matplotlib": matplotlib.__version__}


def describe(threads: int, seed: int) -> dict:
    import numba
    import torch
    return {"cpu": cpu_model(), "machine": platform.machine(), "system": platform.platform(),
            "cores": os.cpu_count(), "threads": threads,
            "numba_threads": numba.get_num_threads(), "torch_threads": torch.get_num_threads(),
            "seed": seed, "versions": versions()}

"""What a result depends on: CPU, cores, threads, the load when the run started, the GPU
(where torch sees one), library versions, the measured GEMM peak and copy bandwidth, the
seed."""
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


def load_average() -> float | None:
    """Runnable processes, averaged over the last minute: above the core count, other
    work competes for the cores and the timings mean little."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def gpu() -> dict | None:
    """The GPU torch sees (None without one; Numba's CUDA simulator is not one)."""
    import torch
    if not torch.cuda.is_available():
        return None
    major, minor = torch.cuda.get_device_capability()
    return {"name": torch.cuda.get_device_name(), "capability": f"{major}.{minor}",
            "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version()}


def describe(threads: int, seed: int) -> dict:
    import numba
    import torch
    return {"cpu": cpu_model(), "machine": platform.machine(), "system": platform.platform(),
            "cores": os.cpu_count(), "threads": threads, "load_average": load_average(),
            "numba_threads": numba.get_num_threads(), "torch_threads": torch.get_num_threads(),
            "gpu": gpu(), "seed": seed, "versions": versions()}

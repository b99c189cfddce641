"""What a result depends on: the machine's fingerprint.

A fingerprint describes the process that produced a row: CPU, cores (and those it was
pinned to), threads, the GPU torch sees, library versions, the convbench commit, the load
when it started, and the measured GEMM peak and copy bandwidth.  Its ``id`` hashes the
fields that decide whether two timings are comparable (``IDENTITY``: hardware, threads,
libraries); the host name, the load, the commit and the measured figures (which vary from
one measurement to the next) are recorded but left out, so two identical machines, or one
machine on two days, share an id and a commit can be compared with the one before it.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import subprocess
import sys

IDENTITY = ("cpu", "machine", "cores", "threads", "gpu", "versions")
MEASURED = ("peak_gflops", "gemm_n", "gemm_gflops_numpy", "gemm_gflops_torch", "bandwidth_gbs",
            "copy_mib")


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


def allowed_cores() -> list[int] | None:
    """The cores this process may run on (None where the system does not say)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:
        return None


def host() -> str:
    """The machine's name in the results: $CONVBENCH_HOST if set (to name a container, or
    a machine whose host name says nothing), else the host name."""
    return os.environ.get("CONVBENCH_HOST") or socket.gethostname() or platform.node() or "unknown"


def commit() -> str | None:
    """The git commit of the convbench checkout that runs (None outside a checkout)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(["git", "-C", root, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def describe(threads: int, seed: int) -> dict:
    """Everything but the measured figures (see ``timing.gemm_peak_gflops`` and
    ``timing.copy_bandwidth_gbs``), and the id."""
    import numba
    import torch
    m = {"host": host(), "cpu": cpu_model(), "machine": platform.machine(),
         "system": platform.platform(), "cores": os.cpu_count(), "pinned": allowed_cores(),
         "threads": threads, "load_average": load_average(),
         "numba_threads": numba.get_num_threads(), "torch_threads": torch.get_num_threads(),
         "gpu": gpu(), "seed": seed, "versions": versions(), "commit": commit()}
    m["id"] = identity(m)
    return m


def identity(fingerprint: dict) -> str:
    """12 hex digits hashing the IDENTITY fields of a fingerprint."""
    fields = {k: fingerprint.get(k) for k in IDENTITY}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:12]


def differences(a: dict, b: dict) -> list[str]:
    """The IDENTITY fields in which two fingerprints differ, as 'field: a != b' lines
    (versions and the GPU field by field)."""
    out = []
    for k in IDENTITY:
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += [f"{k}.{s}: {va.get(s)} != {vb.get(s)}" for s in sorted(set(va) | set(vb))
                    if va.get(s) != vb.get(s)]
        elif va != vb:
            out.append(f"{k}: {va} != {vb}")
    return out


def measured(fingerprint: dict) -> dict:
    """The measured figures of a fingerprint (to reuse them instead of measuring again)."""
    return {k: fingerprint[k] for k in MEASURED if fingerprint.get(k) is not None}

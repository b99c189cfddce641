"""convbench kernels: every op of a convolutional network, several algorithms each.

    import kernels
    y = kernels.conv2d(x, w, b, stride=2, padding="same", algo="im2col")
    gx, gw, gb = kernels.conv2d.backward(gy, x, w, b, stride=2, algo="im2col")

Ops live in family packages (``kernels/conv``, ...); each algorithm is one module that
registers itself on import.  Importing ``kernels`` imports every module below it, so a new
algorithm file is picked up with no other edit.
"""
import importlib
import pkgutil

from kernels import _numba_util  # noqa: F401  (first: under NUMBA_BOUNDSCHECK it moves the cache)
from kernels._arrays import poison
from kernels._registry import ALGORITHMS, OPS, SLOW_MACS, Algorithm, Input, Op, ops
from kernels._workspace import free_workspace

__all__ = ["ops", "Op", "Algorithm", "Input", "OPS", "ALGORITHMS", "SLOW_MACS", "poison",
           "free_workspace"]


def _import_all(path=__path__, prefix=__name__ + "."):
    # not pkgutil.walk_packages: it imports every package to recurse, kernels.torch included
    for info in pkgutil.iter_modules(path, prefix=prefix):
        leaf = info.name.rsplit(".", 1)[-1]
        if leaf.startswith("_") or info.name == __name__ + ".torch":
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            _import_all(module.__path__, info.name + ".")


_import_all()
globals().update(OPS)
__all__ += sorted(OPS)

from kernels.spatial_separable.factorize import factorize_separable  # noqa: E402  (not an op)

__all__ += ["factorize_separable"]


def __getattr__(name):
    if name == "torch":  # the bridge imports torch, so only on demand
        return importlib.import_module("kernels.torch")
    raise AttributeError(f"module 'kernels' has no attribute {name!r}")

"""The torch bridge: every op of ``kernels`` as an autograd-aware function of torch tensors.

    import kernels.torch as kt
    y = kt.conv2d(x, w, b, stride=2, padding=1, algo="numba")   # x, w, b: CPU tensors
    y.sum().backward()                                           # runs kernels.conv2d.backward

``kernels.torch.<op>`` takes the same arguments as ``kernels.<op>`` (torch's names, order
and defaults, plus ``algo=``), with CPU float32/float64 tensors in place of arrays.  Each is
one generic ``torch.autograd.Function`` (``_function.OpFunction``): its forward hands the
tensors' memory to the op without copying, its backward calls ``op.backward``.  Drop-in
modules live in ``kernels.torch.nn``.  Only imported on demand: ``import kernels`` stays light.
"""
import kernels
from kernels.torch._function import OpFunction, apply, bridge

__all__ = ["OpFunction", "apply", "bridge", *kernels.ops()]

globals().update({name: bridge(name) for name in kernels.ops()})


def __getattr__(name):
    if name in kernels.OPS:  # an op registered after this module was imported
        fn = globals()[name] = bridge(name)
        return fn
    raise AttributeError(f"module 'kernels.torch' has no attribute {name!r} "
                         f"(not an op of kernels: {', '.join(kernels.ops())})")

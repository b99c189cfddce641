"""The torch bridge: every op of ``kernels`` as an autograd-aware function of torch tensors.

    import kernels.torch as kt
    y = kt.conv2d(x, w, b, stride=2, padding=1, algo="numba")   # x, w, b: CPU tensors
    y.sum().backward()                                           # runs kernels.conv2d.backward
    kt.nn.Conv2d(3, 16, 3, algo="numba")                         # drop-in modules

``kernels.torch.<op>`` takes the same arguments as ``kernels.<op>`` (torch's names, order
and defaults, plus ``algo=``), with CPU float32/float64 tensors in place of arrays
(``kernels.torch.functional`` holds the same functions).  Eager calls hand the tensors'
memory to the op without copying and record one generic ``torch.autograd.Function``;
torch.compile, torch.export and other tracers see the custom operators of
``kernels.torch.library``; ``create_graph=True`` gives gradients that are differentiable
again (``kernels.torch.derivatives``).  ``kernels.torch.nn`` (drop-in modules) is
imported on first use, as ``torch.nn`` is reachable after ``import torch``.
``kernels.torch.tune(model, x)`` tunes a model's ``algo="auto"`` cases ahead of time
(``kernels.torch._tune``).  Only imported on demand: ``import kernels`` stays light.
"""
import kernels
from kernels.torch import functional
from kernels.torch._function import OpFunction, apply, bridge
from kernels.torch._tune import tune
from kernels.torch.functional import *  # noqa: F401,F403  (every op)

__all__ = ["OpFunction", "apply", "bridge", "functional", "nn", "tune", *kernels.ops()]  # noqa: F405 (nn: lazy)


def __getattr__(name):
    if name == "nn":  # imported on first use (not "from kernels.torch import nn": that asks here again)
        import kernels.torch.nn
        return kernels.torch.nn
    value = getattr(functional, name)  # an op registered after this module was imported
    globals()[name] = value
    return value

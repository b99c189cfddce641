"""Stand-ins for ops that kernels.torch.nn modules call but another branch registers
(relu6, hardswish, hardsigmoid, silu, gelu, linear, layer_norm2d), with the agreed names and
signatures.

``standins(*names)`` registers, for the duration of a ``with`` block, each named op that
kernels does *not* have, computed by torch.nn.functional (forward and autograd backward)
under the algorithm name ``standin``; ops kernels has are left alone, so once the real ops
are registered the same tests run on them.  What a test with a stand-in shows is the
wiring: the module passes the right arguments, by the op's declared names, and gets the
right shapes and gradients back -- not the accuracy of a kernel.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

import kernels
import kernels.torch as kt
from kernels import Algorithm, Input, Op


def _layer_norm2d(x, weight=None, bias=None, eps=1e-6):
    C = x.shape[1]
    y = F.layer_norm(x.permute(0, 2, 3, 1), (C,), weight, bias, eps)
    return y.permute(0, 3, 1, 2)


# op name -> (inputs, defaults in torch's order, torch function)
AGREED = {
    "relu6": ((Input("input"),), {"inplace": False}, lambda x, inplace: F.relu6(x)),
    "hardswish": ((Input("input"),), {"inplace": False}, lambda x, inplace: F.hardswish(x)),
    "hardsigmoid": ((Input("input"),), {"inplace": False}, lambda x, inplace: F.hardsigmoid(x)),
    "silu": ((Input("input"),), {"inplace": False}, lambda x, inplace: F.silu(x)),
    "gelu": ((Input("input"),), {"approximate": "none"},
             lambda x, approximate: F.gelu(x, approximate=approximate)),
    "linear": ((Input("input"), Input("weight"), Input("bias", optional=True)), {},
               lambda x, w, b: F.linear(x, w, b)),
    "layer_norm2d": ((Input("input"), Input("weight", optional=True), Input("bias", optional=True)),
                     {"eps": 1e-6}, _layer_norm2d),
}


@dataclass(frozen=True)
class Plan:
    op: str
    shapes: tuple
    params: tuple
    out_shape: tuple
    dtype: np.dtype


class StandinOp(Op):
    def __init__(self, name):
        self.inputs, self.defaults, self.fn = AGREED[name][0], dict(AGREED[name][1]), AGREED[name][2]
        super().__init__(name, f"stand-in for {name} (tests/standin.py)")

    def plan(self, shapes, dtype, params):
        fake = [None if s is None else torch.empty(s, dtype=torch.float64) for s in shapes]
        out = self.fn(*fake, **params)  # torch checks the shapes and gives the output's
        return Plan(self.name, shapes, tuple(params.items()), tuple(out.shape), dtype)

    def cost_of(self, plan):
        return {"params": 0, "macs": 0, "flops": 0, "bytes": 0}


@torch.enable_grad()  # the bridge calls backwards with grad mode off
def _run(plan, arrays, grad_out=None):
    op = kernels.OPS[plan.op]
    tensors = [None if a is None else torch.from_numpy(np.array(a)).requires_grad_() for a in arrays]
    out = op.fn(*tensors, **dict(plan.params))
    if grad_out is None:
        return out.detach().numpy()
    live = [t for t in tensors if t is not None]
    grads = iter(torch.autograd.grad(out, live, torch.from_numpy(np.array(grad_out))))
    return tuple(None if t is None else next(grads).numpy() for t in tensors)


@contextlib.contextmanager
def standins(*names):
    """Register stand-ins for those of ``names`` kernels lacks; yield the names stood in."""
    missing = [n for n in names if n not in kernels.OPS]
    if not missing:
        yield []
        return
    for name in missing:
        StandinOp(name)
    algo = Algorithm("standin", ops=tuple(missing), trust=1, tolerance={
        "float32": (1e-6, "torch.nn.functional itself"), "float64": (1e-12, "torch itself")})
    algo.forward(lambda *a: _run(a[-1], a[:-1]))
    algo.backward(lambda gy, *a: _run(a[-1], a[:-1], gy))
    try:
        yield missing
    finally:
        algo.unregister()
        for name in missing:
            del kernels.OPS[name]
            vars(kt).pop(name, None)

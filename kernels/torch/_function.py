"""One torch.autograd.Function for every op: forward and backward through kernels.

Inputs are classified by the op's declaration (``op.inputs``):

- differentiable float inputs (x, weights, offsets...) are saved for the backward;
- index inputs (pooling indices, int64) are passed as they are and get no gradient;
- other float inputs that are not differentiable are *state* (batch norm's running mean and
  variance): the op receives the tensor's own memory, so an in-place update by the op updates
  the module's buffer as torch does; the backward receives a copy taken before the update.
"""
from __future__ import annotations

import inspect

import numpy as np
import torch
from torch.autograd.function import once_differentiable

import kernels

SEED_MAX = 2 ** 31 - 1


def to_numpy(t, name: str, op: str):
    """The tensor's memory as a NumPy array (no copy for CPU tensors)."""
    if t is None:
        return None
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise TypeError(f"{op}: {name} must be a CPU tensor, got one on {t.device}")
    if t.dtype not in (torch.float32, torch.float64) and (t.dtype.is_floating_point or t.is_complex()):
        raise TypeError(f"{op}: {name} must be float32 or float64, got {t.dtype}")
    return t.detach().resolve_conj().resolve_neg().numpy()


def _is_state(spec) -> bool:
    return not spec.differentiable and not spec.index


def _fresh(a: np.ndarray, inputs) -> np.ndarray:
    """``a`` itself, or a copy where torch needs one: it shares memory with an input (the
    result must own its memory), is read-only, or has negative strides."""
    if not a.flags.writeable or any(s < 0 for s in a.strides) or \
            any(i is not None and np.may_share_memory(a, i) for i in inputs):
        return np.array(a, order="C", copy=True)
    return a


class OpFunction(torch.autograd.Function):
    """apply(op_name, algo, params, *tensors): op(*arrays, algo=algo, **params) with autograd."""

    @staticmethod
    def forward(ctx, op_name, algo, params, *tensors):
        op = kernels.OPS[op_name]
        arrays = [to_numpy(t, s.name, op_name) for t, s in zip(tensors, op.inputs)]
        state = [a.copy() if a is not None and _is_state(s) else None for a, s in zip(arrays, op.inputs)]
        passed = _contiguous_state(arrays, op.inputs)
        out = op(**op.named(passed), algo=algo, **params)
        for a, p in zip(arrays, passed):
            if p is not a:  # a state copy: write the op's update back into the tensor
                a[...] = p
        ctx.op_name, ctx.algo, ctx.params, ctx.state = op_name, algo, params, state
        ctx.save_for_backward(*[None if s is not None else t for s, t in zip(state, tensors)])
        outs = out if isinstance(out, tuple) else (out,)
        results = [torch.from_numpy(_fresh(np.asarray(o), arrays)) for o in outs]
        ctx.mark_non_differentiable(*[r for r in results if not r.is_floating_point()])
        return tuple(results) if isinstance(out, tuple) else results[0]

    @staticmethod
    @once_differentiable
    def backward(ctx, *grad_outputs):
        op = kernels.OPS[ctx.op_name]
        arrays = [s if s is not None else to_numpy(t, spec.name, ctx.op_name)
                  for s, t, spec in zip(ctx.state, ctx.saved_tensors, op.inputs)]
        gy = to_numpy(grad_outputs[0], "grad_output", ctx.op_name)
        grads = op.backward(gy, **op.named(arrays), algo=ctx.algo, **ctx.params)
        needs = ctx.needs_input_grad[3:]
        out = [None if g is None or not need else torch.from_numpy(_fresh(np.asarray(g), [gy, *arrays]))
               for g, need in zip(grads, needs)]
        return (None, None, None, *out)


def _contiguous_state(arrays, inputs):
    """The arrays, with each state array the op could not update in place (not C-contiguous)
    replaced by a contiguous copy, to be written back after the op ran."""
    return [np.ascontiguousarray(a) if a is not None and _is_state(s) and not a.flags.c_contiguous
            else a for a, s in zip(arrays, inputs)]


def apply(op_name: str, tensors, params: dict, algo: str = "auto"):
    """Run ``op_name`` on tensors (in the op's input order) with autograd."""
    return OpFunction.apply(op_name, algo, params, *tensors)


def bridge(op_name: str):
    """``kernels.torch.<op_name>``: same arguments as ``kernels.<op_name>``, tensors in and out.

    An op with a ``seed`` parameter (dropout) left at None gets one drawn from torch's
    generator, so that the backward reuses the forward's mask and ``torch.manual_seed``
    makes the mask reproducible.
    """
    op = kernels.OPS[op_name]

    def fn(*args, algo: str = "auto", **kwargs):
        tensors, params = op._bind(args, kwargs)
        if "seed" in params and params["seed"] is None:
            params["seed"] = int(torch.randint(0, SEED_MAX, ()).item())
        return apply(op_name, tensors, params, algo)

    fn.__name__ = fn.__qualname__ = op_name
    fn.__module__ = "kernels.torch"
    fn.__doc__ = (f"Autograd-aware {op_name} of CPU float32/float64 tensors "
                  f"(kernels.{op_name} forward, kernels.{op_name}.backward).\n\n{op.__doc__ or ''}")
    sig = op.__signature__
    fn.__signature__ = sig.replace(parameters=[*sig.parameters.values(), inspect.Parameter(
        "algo", inspect.Parameter.KEYWORD_ONLY, default="auto")])
    return fn

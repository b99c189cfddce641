"""The ops of ``kernels`` as torch custom operators, for torch.compile, torch.export and
every other tracer of the dispatcher (make_fx, FakeTensor, functionalization).

Three operators serve every op; the op is named by a string and its parameters travel
as one string (``_tensors.encode``), because a schema cannot express torch's
int-or-tuple-or-string parameters::

    convbench::forward(str op, str algo, str params, Tensor[] inputs, Tensor? seed) -> Tensor[]
    convbench::forward_state(str op, str algo, str params, Tensor[] inputs, Tensor[] state,
                             Tensor? seed) -> Tensor[]
    convbench::backward(str op, str algo, str params, Tensor grad, Tensor[] inputs,
                        Tensor? seed) -> Tensor[]

``inputs`` are the tensors given (the layout in ``params`` says which op inputs are
None).  ``forward_state`` serves ops that update state in place (``Op.writes``: batch
norm's running statistics, given in ``state``).  It is functional, as torch's
``_native_batch_norm_legit_functional``: it returns the outputs, then the updated state,
then a copy of the state as it was (what the backward reads); the caller copies the
updated state into its tensors (``kernels.torch._function``), which torch.compile and
torch.export record as buffer mutations.  ``seed`` is dropout's seed drawn as a tensor
from torch's generator (a traced graph draws it on each run).  ``backward`` returns one
gradient per given differentiable input.

The shape-only implementations (``register_fake``) compute the output shapes from the
op's plan, which works on shapes alone, so tracing runs no kernel.  The autograd of
``forward`` and ``forward_state`` is registered by ``kernels.torch._function``.
"""
from __future__ import annotations

import torch
from torch import Tensor

from kernels.torch import _tensors

NAMESPACE = "convbench"


def spread(layout, inputs, state=()):
    """The tensors in ``op.inputs`` order: the layout has one character per op input,
    ``t`` (next of ``inputs``), ``s`` (next of ``state``) or ``-`` (None)."""
    given, stated = iter(inputs), iter(state)
    return [None if c == "-" else next(stated if c == "s" else given) for c in layout]


@torch.library.custom_op(f"{NAMESPACE}::forward", mutates_args=())
def forward_op(op: str, algo: str, params: str, inputs: list[Tensor], seed: Tensor | None) -> list[Tensor]:
    o = _tensors.op_of(op)
    p, layout = _tensors.decode(params)
    return _tensors.forward(o, algo, _tensors.with_seed(p, seed), spread(layout, inputs))


@torch.library.custom_op(f"{NAMESPACE}::forward_state", mutates_args=())
def forward_state_op(op: str, algo: str, params: str, inputs: list[Tensor], state: list[Tensor],
                     seed: Tensor | None) -> list[Tensor]:
    o = _tensors.op_of(op)
    p, layout = _tensors.decode(params)
    new = [s.clone() for s in state]
    outs = _tensors.forward(o, algo, _tensors.with_seed(p, seed), spread(layout, inputs, new))
    return outs + new + [s.clone() for s in state]


@torch.library.custom_op(f"{NAMESPACE}::backward", mutates_args=())
def backward_op(op: str, algo: str, params: str, grad: Tensor, inputs: list[Tensor],
                seed: Tensor | None) -> list[Tensor]:
    o = _tensors.op_of(op)
    p, layout = _tensors.decode(params)
    tensors = spread(layout, inputs)
    grads = _tensors.backward(o, algo, _tensors.with_seed(p, seed), grad, tensors)
    return [g for g, s, t in zip(grads, o.inputs, tensors) if _tensors.gets_gradient(s, t)]


# ---- shapes only ---------------------------------------------------------------------------------
def _plan(o, algo, params, tensors):
    """The op's plan from the tensors' shapes (a symbolic size is specialised to its
    value: the kernels are compiled per shape anyway); a named algorithm must support it."""
    floats = [t for t, s in zip(tensors, o.inputs) if t is not None and not s.index]
    dtype = _numpy_dtype(floats[0].dtype) if floats else None
    shapes = [None if t is None else tuple(int(d) for d in t.shape) for t in tensors]
    plan = o.plan_for(shapes, dtype, params)
    if algo != "auto":
        reason = o.why_not(algo, plan)
        if reason is not None:
            raise ValueError(f"{o.name}: algo={algo!r} does not support this case: {reason}")
    return plan, floats[0] if floats else tensors[0]


def _numpy_dtype(dtype):
    for np_dtype, t in _tensors.FLOAT.items():
        if t == dtype:
            return np_dtype
    raise TypeError(f"dtype must be float32 or float64, got {dtype}")


def _empty_outputs(o, algo, params, tensors):
    plan, like = _plan(o, algo, params, tensors)
    return [like.new_empty(shape, dtype=_tensors.FLOAT[dtype]) for shape, dtype in o.outputs(plan)]


@forward_op.register_fake
def _(op, algo, params, inputs, seed):
    o = _tensors.op_of(op)
    p, layout = _tensors.decode(params)
    return _empty_outputs(o, algo, p, spread(layout, inputs))


@forward_state_op.register_fake
def _(op, algo, params, inputs, state, seed):
    o = _tensors.op_of(op)
    p, layout = _tensors.decode(params)
    outs = _empty_outputs(o, algo, p, spread(layout, inputs, state))
    return outs + [torch.empty_like(s) for s in state] + [torch.empty_like(s) for s in state]


@backward_op.register_fake
def _(op, algo, params, grad, inputs, seed):
    o = _tensors.op_of(op)
    p, layout = _tensors.decode(params)
    tensors = spread(layout, inputs)
    _plan(o, algo, p, tensors)
    return [torch.empty_like(t) for s, t in zip(o.inputs, tensors) if _tensors.gets_gradient(s, t)]

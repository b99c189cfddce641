"""One call of an op on tensors, with autograd, eager or traced.

- Eager calls on plain CPU tensors run the op directly: with no gradient to record, the
  forward alone; else one generic ``torch.autograd.Function`` (``OpFunction``).  This is
  the fast path: no dispatcher round trip, no parameter string.
- Anything else — torch.compile (Dynamo), torch.export, make_fx, FakeTensors, tensor
  subclasses, an active TorchDispatchMode — goes through the custom operators of
  ``kernels.torch.library``, whose autograd is registered here.
- fx.symbolic_trace and other ``__torch_function__`` users see the public function
  itself (``handle_torch_function``), as for ``torch.nn.functional``.

Both autograd paths share ``gradients``: with grad mode off during the backward (the usual
``.backward()``) it runs the op's fused backward kernel; with ``create_graph=True`` it
computes the gradients from differentiable pieces, following the op's second-order rule
(``RULES``, filled by ``kernels.torch.derivatives``), so that autograd records them.  An op
without a rule (``deform_conv2d``) returns its first-order gradients all the same, and
raises when a second derivative is asked of them.
"""
from __future__ import annotations

import inspect

import torch
from torch.overrides import handle_torch_function, has_torch_function
from torch.utils._python_dispatch import is_in_torch_dispatch_mode

import kernels
from kernels.torch import _tensors, library

# op name -> its second-order rule: rule(call, grad_out, tensors) -> gradients computed
# differentiably (kernels.torch.derivatives fills this), or a string: why there is none
RULES: dict = {}
_PLAIN = (torch.Tensor, torch.nn.Parameter)


class Call:
    """What a backward needs to know of one call: the op, the algorithm, the parameters
    and, on the traced path, the seed drawn as a tensor (else it is in ``params``)."""
    __slots__ = ("op", "algo", "params", "seed")

    def __init__(self, op, algo: str, params: dict, seed=None):
        self.op, self.algo, self.params, self.seed = op, algo, params, seed

    def resolved(self) -> dict:
        """The parameters with the seed as a number (what composing the op again needs)."""
        return _tensors.with_seed(self.params, self.seed)

    def __repr__(self):
        return f"Call({self.op.name}, algo={self.algo!r}, {self.params})"


def eager(tensors) -> bool:
    """Whether these tensors can go straight to NumPy: plain CPU tensors, nothing tracing."""
    if torch.compiler.is_compiling() or is_in_torch_dispatch_mode():
        return False
    for t in tensors:  # a loop, not all(): this runs on every call
        if t is not None and type(t) not in _PLAIN:
            return False
    return True


def _requires_grad(tensors) -> bool:
    if not torch.is_grad_enabled():
        return False
    for t in tensors:
        if t is not None and t.requires_grad:
            return True
    return False


def apply(op_name: str, tensors, params: dict, algo: str = "auto"):
    """Run ``op_name`` on tensors (in the op's input order, None where absent) with autograd.
    An op with a ``seed`` left at None gets one drawn from torch's generator; ``inplace=True``
    (activations, dropout) is computed out of place, as by ``kernels.torch.nn``'s modules."""
    op = kernels.OPS[op_name]
    if params.get("inplace"):  # computed out of place: writing into an input hides it from autograd
        params = {**params, "inplace": False}
    draw = params.get("seed", 0) is None
    if eager(tensors):
        if draw:
            params = {**params, "seed": int(_tensors.draw_seed())}
        if _requires_grad(tensors):
            return OpFunction.apply(op_name, algo, params, *tensors)
        outs = _tensors.forward(op, algo, params, tensors)
        return outs[0] if len(outs) == 1 else tuple(outs)
    _tensors.check_tensors(op, tensors)
    return _traced(op, algo, params, tensors, _tensors.draw_seed() if draw else None)


def _traced(op, algo, params, tensors, seed):
    if not isinstance(algo, str):
        raise TypeError(f"{op.name}: algo must be a string, got {type(algo).__name__}")
    state = [s.name in op.writes and t is not None for s, t in zip(op.inputs, tensors)]
    layout = "".join("-" if t is None else "s" if st else "t" for t, st in zip(tensors, state))
    text = _tensors.encode(params, layout)
    given = [t for t, st in zip(tensors, state) if t is not None and not st]
    if any(state):
        stated = [t for t, st in zip(tensors, state) if st]
        n = len(stated)
        outs = library.forward_state_op(op.name, algo, text, given, stated, seed)
        with torch.no_grad():
            for t, new in zip(stated, outs[len(outs) - 2 * n:len(outs) - n]):
                t.copy_(new)
        outs = outs[:len(outs) - 2 * n]
    else:
        outs = library.forward_op(op.name, algo, text, given, seed)
    return outs[0] if len(outs) == 1 else tuple(outs)


class OpFunction(torch.autograd.Function):
    """apply(op_name, algo, params, *tensors): the op on plain tensors, with autograd.  State
    inputs are copied before the forward updates them: the backward reads the old values."""

    @staticmethod
    def forward(ctx, op_name, algo, params, *tensors):
        op = kernels.OPS[op_name]
        saved, state = list(tensors), {}
        for i in _tensors.state_slots(op):
            if tensors[i] is not None:
                state[i], saved[i] = tensors[i].clone(), None
        outs = _tensors.forward(op, algo, params, tensors)
        ctx.call, ctx.state = Call(op, algo, params), state
        ctx.save_for_backward(*saved)
        if len(outs) > 1:
            ctx.mark_non_differentiable(*[o for o in outs if not o.is_floating_point()])
            return tuple(outs)
        return outs[0]

    @staticmethod
    def backward(ctx, *grad_outputs):
        tensors = list(ctx.saved_tensors)
        for i, s in ctx.state.items():
            tensors[i] = s
        grads = gradients(ctx.call, grad_outputs[0], tensors)
        needs = ctx.needs_input_grad
        return (None, None, None, *[g if needs[i] else None for i, g in enumerate(grads, 3)])


def gradients(call: Call, grad_out, tensors) -> list:
    """One gradient per input (None where there is none): the fused backward kernel when
    grad mode is off, else the op's second-order rule, which autograd can differentiate."""
    if not torch.is_grad_enabled():
        return fused(call, grad_out, tensors)
    rule = RULES.get(call.op.name)
    if callable(rule):
        return rule(call, grad_out, tensors)
    reason = rule or (f"no second-order rule is declared for {call.op.name} "
                      f"(kernels/torch/derivatives.py)")
    return first_order_only(fused(call, grad_out, tensors), [grad_out, *tensors],
                            f"{call.op.name} has no second derivative: {reason}")


def fused(call: Call, grad_out, tensors) -> list:
    """The op's backward kernel (``op.backward``): gradients that autograd does not record."""
    op = call.op
    if eager([grad_out, *tensors]):
        return _tensors.backward(op, call.algo, call.resolved(), grad_out, tensors)
    layout = _tensors.layout_of(tensors)
    given = library.backward_op(op.name, call.algo, _tensors.encode(call.params, layout), grad_out,
                                [t for t in tensors if t is not None], call.seed)
    it = iter(given)
    return [next(it) if _tensors.gets_gradient(s, t) else None for s, t in zip(op.inputs, tensors)]


def first_order_only(grads, inputs, message: str) -> list:
    """``grads``, which raise ``message`` when differentiated (as torch's once_differentiable
    does): the first derivative works, asking for the second raises."""
    if not any(isinstance(t, torch.Tensor) and t.requires_grad for t in inputs):
        return grads
    present = [g for g in grads if g is not None]
    if not present:
        return grads
    err = torch._C._functions.DelayedError(message.encode(), len(present))
    wrapped = err(*[g.detach().requires_grad_() for g in present])
    wrapped = iter((wrapped,) if isinstance(wrapped, torch.Tensor) else wrapped)
    return [None if g is None else next(wrapped) for g in grads]


# ---- autograd of the custom operators (the traced path) ----------------------------------------
def _setup_forward(ctx, inputs, output):
    op, algo, text, given, seed = inputs
    ctx.meta = (op, algo, text, 0)
    ctx.save_for_backward(seed, *given)


def _setup_forward_state(ctx, inputs, output):
    op, algo, text, given, state, seed = inputs
    n = len(state)
    ctx.meta = (op, algo, text, n)
    ctx.save_for_backward(seed, *given, *output[len(output) - n:])
    ctx.mark_non_differentiable(*output[len(output) - 2 * n:])  # the state, updated and before


def _custom_backward(ctx, grads):
    name, algo, text, n_state = ctx.meta
    seed, *saved = ctx.saved_tensors
    params, layout = _tensors.decode(text)
    call = Call(kernels.OPS[name], algo, params, seed)
    given, state = saved[:len(saved) - n_state], saved[len(saved) - n_state:]
    tensors = library.spread(layout, given, state)
    grads_all = gradients(call, grads[0], tensors)
    out = [g for g, c in zip(grads_all, layout) if c == "t"]
    if n_state:
        return None, None, None, out, [None] * n_state, None
    return None, None, None, out, None


library.forward_op.register_autograd(_custom_backward, setup_context=_setup_forward)
library.forward_state_op.register_autograd(_custom_backward, setup_context=_setup_forward_state)


# ---- the public functions ------------------------------------------------------------------------
def bridge(op_name: str):
    """``kernels.torch.<op_name>``: same arguments as ``kernels.<op_name>``, tensors in and out.

    An op with a ``seed`` parameter (dropout) left at None gets one drawn from torch's
    generator, so that the backward reuses the forward's mask and ``torch.manual_seed``
    makes the mask reproducible.
    """
    op = kernels.OPS[op_name]

    def fn(*args, algo: str = "auto", **kwargs):
        tensors, params = op._bind(args, kwargs)
        given = [t for t in tensors if t is not None]
        if has_torch_function(given):
            return handle_torch_function(fn, given, *args, algo=algo, **kwargs)
        return apply(op_name, tensors, params, algo)

    fn.__name__ = fn.__qualname__ = op_name
    fn.__module__ = "kernels.torch"
    fn.__doc__ = (f"Autograd-aware {op_name} of CPU float32/float64 tensors "
                  f"(kernels.{op_name} forward, kernels.{op_name}.backward).\n\n{op.__doc__ or ''}")
    sig = op.__signature__
    fn.__signature__ = sig.replace(parameters=[*sig.parameters.values(), inspect.Parameter(
        "algo", inspect.Parameter.KEYWORD_ONLY, default="auto")])
    return fn

"""Second derivatives through kernels.torch against torch's reference, for the tests.

``second_order(fn, arrays, specs, gy, vs)`` differentiates <grad(fn)(inputs; gy), v> with
respect to every differentiable input and gy (create_graph=True), for fn either our op or
the torch reference."""
import numpy as np
import torch

import kernels
import kernels.torch as kt
import reference


def _tensors(arrays, specs):
    return [None if a is None else torch.tensor(a).requires_grad_(
        bool(s.differentiable and not s.index)) if np.issubdtype(a.dtype, np.floating)
        else torch.tensor(a) for a, s in zip(arrays, specs)]


def second_order(fn, arrays, specs, gy, vs):
    """(first-order gradients, second-order gradients w.r.t. [*inputs, gy]) as float64
    arrays; zeros where autograd finds no dependence."""
    ts = _tensors([None if a is None else a.copy() for a in arrays], specs)
    gyt = torch.tensor(gy, requires_grad=True)
    out = fn(*ts)
    out = out[0] if isinstance(out, tuple) else out
    wrt = [t for t in ts if t is not None and t.requires_grad]
    g = torch.autograd.grad(out, wrt, gyt, create_graph=True, allow_unused=True)
    s = sum((gi * torch.tensor(v)).sum() for gi, v in zip(g, vs) if gi is not None and gi.requires_grad)
    h = torch.autograd.grad(s, [*wrt, gyt], allow_unused=True) if torch.is_tensor(s) else [None] * (len(wrt) + 1)
    first = [np.zeros(t.shape) if gi is None else gi.detach().numpy(force=True) for gi, t in zip(g, wrt)]
    second = [np.zeros(t.shape) if hi is None else hi.detach().numpy(force=True)
              for hi, t in zip(h, [*wrt, gyt])]
    return first, second


def ours(op_name, algo, params):
    fn = getattr(kt, op_name)
    return lambda *ts: fn(*ts, algo=algo, **params)


def theirs(op_name, params):
    names = [i.name for i in kernels.OPS[op_name].inputs]
    ref = SECOND_ORDER_REFERENCES.get(op_name, reference.REFERENCES[op_name])
    return lambda *ts: ref(**dict(zip(names, ts)), **params)


def _weight_norm(v, g, dim=0):
    """w = g * v / ||v|| written out: torch._weight_norm's fused kernel (dim 0 or the last)
    has a second derivative that fails torch.autograd.gradgradcheck in torch 2.13."""
    dims = list(range(v.dim())) if dim is None or dim == -1 else [d for d in range(v.dim()) if d != dim]
    return v * (g / torch.linalg.vector_norm(v, dim=dims, keepdim=True))


def _with_weight(name):
    """torch 2.13's batch/instance norm double backward fails ("Expected a proper Tensor
    but got None") with a bias but no weight; a weight of ones is the same function."""
    ref = reference.REFERENCES[name]

    def fn(input, running_mean, running_var, weight=None, bias=None, **params):
        if weight is None and bias is not None:
            weight = torch.ones(input.shape[1], dtype=input.dtype)
        return ref(input, running_mean, running_var, weight, bias, **params)
    return fn


def _hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6 is hardsigmoid: torch 2.13 has no second derivative of
    aten::hardsigmoid (its backward is not differentiable); ours is relu6's, scaled."""
    return torch.nn.functional.relu6(input + 3) / 6


SECOND_ORDER_REFERENCES = {"weight_norm": _weight_norm, "hardsigmoid": _hardsigmoid,
                           "batch_norm": _with_weight("batch_norm"),
                           "instance_norm": _with_weight("instance_norm")}

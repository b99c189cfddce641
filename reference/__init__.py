"""The PyTorch reference for every op: float64, with gradients from autograd.

``reference.conv2d(x, w, b, stride=2)`` returns torch's answer as a float64 NumPy array;
``reference.grad("conv2d", grad_out, x, w, b, stride=2)`` returns the gradient of every
array input (None where the input is absent or not differentiable).  Arrays are given in
the op's ``inputs`` order and passed to the reference function by name.
Each family's references live in a module of this package and register with ``@ref``.
"""
import importlib
import pkgutil

import numpy as np
import torch

REFERENCES = {}


def ref(name):
    """Register a function of torch tensors as the reference of op ``name``."""
    def deco(fn):
        REFERENCES[name] = fn
        return fn
    return deco


def tensor(a, requires_grad=False):
    if a is None:
        return None
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.integer):
        return torch.tensor(a, dtype=torch.int64)
    return torch.tensor(a.astype(np.float64)).requires_grad_(requires_grad)


def to_numpy(out):
    if isinstance(out, (tuple, list)):
        return type(out)(to_numpy(o) for o in out)
    return out.detach().numpy() if isinstance(out, torch.Tensor) else out


def _call(name, tensors, params):
    """Reference functions take the op's argument names; arrays come in ``inputs`` order."""
    import kernels
    names = [i.name for i in kernels.OPS[name].inputs]
    return _lookup(name)(**dict(zip(names, tensors)), **params)


def forward(name, *arrays, **params):
    with torch.no_grad():
        return to_numpy(_call(name, [tensor(a) for a in arrays], params))


def grad(op, grad_out, *arrays, **params):
    """Gradients of sum(out * grad_out) with respect to every array input, via autograd."""
    name = getattr(op, "name", op)
    import kernels
    inputs = kernels.OPS[name].inputs
    ts = [tensor(a, requires_grad=(a is not None and i.differentiable and not i.index))
          for a, i in zip(arrays, inputs)]
    out = _call(name, ts, params)
    if isinstance(out, (tuple, list)):
        out = out[0]
    wrt = [t for t in ts if t is not None and t.requires_grad]
    gs = iter(torch.autograd.grad(out, wrt, tensor(grad_out), allow_unused=True))
    result = []
    for t in ts:
        if t is not None and t.requires_grad:
            g = next(gs)
            result.append(np.zeros(t.shape) if g is None else g.numpy())
        else:
            result.append(None)
    return tuple(result)


def _lookup(name):
    try:
        return REFERENCES[name]
    except KeyError:
        raise ValueError(f"no reference for op {name!r}") from None


def __getattr__(name):
    if name in REFERENCES:
        return lambda *arrays, **params: forward(name, *arrays, **params)
    raise AttributeError(f"module 'reference' has no attribute {name!r}")


for _info in pkgutil.iter_modules(__path__, prefix=__name__ + "."):
    importlib.import_module(_info.name)

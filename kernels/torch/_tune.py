"""``kernels.torch.tune``: tune a torch model's ``algo="auto"`` cases ahead of time."""
from __future__ import annotations

import torch

from kernels import auto


def tune(model, *example_inputs, backward: bool = True, retune: bool = False) -> list[dict]:
    """Time every ``algo="auto"`` case that ``model(*example_inputs)`` meets, so that the
    calls that follow choose without timing; the records of ``kernels.auto.tune_calls``
    (print them with ``kernels.auto.report(records)``).

    ``model`` runs once, in its current mode (``train()`` or ``eval()``: the cases
    differ), its new cases served by the cost model, then each is timed.  With
    ``backward=True`` (the default) the run is a training step's: the gradients of every
    floating output with respect to the parameters and inputs that require them, with
    random output gradients, so that the backward cases are tuned too; nothing is
    accumulated into ``.grad``.  The model's buffers (batch norm's running statistics) and
    torch's random state are as they were before.  ``retune=True`` times every case met
    again, replacing the stored choices."""
    if not callable(model):
        raise TypeError(f"tune: model must be callable, got {type(model).__name__}")
    if not isinstance(backward, bool):
        raise TypeError(f"tune: backward must be a bool, got {type(backward).__name__}")
    buffers = list(model.buffers()) if isinstance(model, torch.nn.Module) else []
    saved = [b.detach().clone() for b in buffers]
    rng = torch.random.get_rng_state()
    try:
        return auto.tune(_step, model, example_inputs, backward, retune=retune)
    finally:
        torch.random.set_rng_state(rng)
        with torch.no_grad():
            for b, s in zip(buffers, saved):
                b.copy_(s)


def _step(model, example_inputs, backward: bool) -> None:
    if not backward:
        with torch.no_grad():
            model(*example_inputs)
        return
    with torch.enable_grad():
        outs = [t for t in _tensors(model(*example_inputs))
                if t.requires_grad and t.is_floating_point()]
        wrt = [t for t in _tensors(example_inputs) if t.requires_grad]
        if isinstance(model, torch.nn.Module):
            wrt += [p for p in model.parameters() if p.requires_grad]
        if outs and wrt:
            torch.autograd.grad(outs, wrt, [torch.randn_like(t) for t in outs],
                                allow_unused=True)


def _tensors(obj) -> list:
    """The tensors in a (nested) output: a tensor, tuple, list or dict."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []

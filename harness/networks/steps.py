"""What the suite and the tests do to a network: an eval forward, one training step, and the
errors of a model against torch in float64."""
from __future__ import annotations

import contextlib
import copy

import torch
import torch.nn.functional as F
from torch import nn

RANDOM_LAYERS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "StochasticDepth")


@contextlib.contextmanager
def no_randomness(*models: nn.Module):
    """Dropout and stochastic depth with p = 0 (restored afterwards): in training mode their
    masks come from different generators in torch and in kernels, so a step can be compared
    only without them."""
    saved = [(m, m.p) for model in models for m in model.modules()
             if type(m).__name__ in RANDOM_LAYERS and hasattr(m, "p")]
    for m, _ in saved:
        m.p = 0.0
    try:
        yield
    finally:
        for m, p in saved:
            m.p = p


def rel_err(a: torch.Tensor, ref: torch.Tensor) -> float:
    """max |a - ref| / max |ref| (the library's measure), in float64."""
    a, ref = a.detach().double(), ref.detach().double()
    return ((a - ref).abs().max() / ref.abs().max().clamp_min(1e-300)).item()


def grad_err(a: torch.Tensor, ref: torch.Tensor, floor: float) -> float:
    """``rel_err``, relative to at least ``floor`` (a thousandth of the network's largest
    gradient): a gradient that cancels to zero analytically (the bias of a convolution
    followed by batch norm) is rounding noise in torch and in kernels alike."""
    a, ref = a.detach().double(), ref.detach().double()
    return ((a - ref).abs().max() / max(ref.abs().max().item(), floor, 1e-300)).item()


def eval_forward(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x)


def loss_of(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(out, target)


def training_step(model: nn.Module, x, target, optimizer=None) -> torch.Tensor:
    """Forward in training mode, backward, and an SGD step when an optimiser is given (the
    gradients are left in ``.grad``).  Returns the loss."""
    model.train()
    if optimizer is not None:
        optimizer.zero_grad(set_to_none=True)
    else:
        model.zero_grad(set_to_none=True)
    loss = loss_of(model(x), target)
    loss.backward()
    if optimizer is not None:
        optimizer.step()
    return loss.detach()


def step_errors(model: nn.Module, ref: nn.Module, x, target) -> dict:
    """One training step of ``model`` and of ``ref`` (float64 torch, the same weights) from
    deep copies, without random layers: the relative error of the loss, of every parameter
    gradient and of the batch-norm buffers after the step (``grad_err``, each against a
    thousandth of the largest gradient or buffer at least), and the largest of each."""
    model, ref = copy.deepcopy(model), copy.deepcopy(ref)
    with no_randomness(model, ref):
        loss, ref_loss = training_step(model, x, target), training_step(ref, x.double(), target.double())
    pairs = [(n, p.grad, q.grad) for (n, p), q in zip(model.named_parameters(), ref.parameters())
             if q.grad is not None]
    scale = 1e-3 * max((g.abs().max().item() for _, _, g in pairs), default=0.0)
    grads = {n: grad_err(a, b, scale) for n, a, b in pairs}
    pairs = [(n, b, c) for (n, b), c in zip(model.named_buffers(), ref.buffers()) if b.is_floating_point()]
    scale = 1e-3 * max((c.abs().max().item() for _, _, c in pairs), default=0.0)
    buffers = {n: grad_err(b, c, scale) for n, b, c in pairs}  # a batch mean can cancel to 0 too
    return {"loss": rel_err(loss, ref_loss), "grads": grads, "buffers": buffers,
            "grad": max(grads.values(), default=0.0), "buffer": max(buffers.values(), default=0.0)}

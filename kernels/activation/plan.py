"""Activations (relu, leaky_relu, sigmoid, tanh) and dropout (dropout, dropout2d).

Activations are elementwise, on arrays of any shape:

    relu(x)       = max(x, 0)                 grad: grad_y * [x > 0]
    leaky_relu(x) = x if x > 0 else slope*x   grad: grad_y * (1 if x > 0 else slope)
    sigmoid(x)    = 1 / (1 + exp(-x))         grad: grad_y * s * (1 - s)
    tanh(x)                                   grad: grad_y * (1 - tanh(x)**2)

(at x = 0 the derivative of relu is 0 and of leaky_relu is slope, as torch has it).

Dropout (Srivastava et al. 2014), inverted: kept elements are scaled by 1/(1-p) in
training so that nothing changes at inference.  The mask is a documented function of the
seed, so that the backward (and anyone) can regenerate it::

    u = numpy.random.default_rng(seed).random(shape)   # float64 uniforms in [0, 1)
    keep = u >= p

with shape = input.shape for dropout and (N, C) for dropout2d (whole channels).  The same
seed gives the same mask in float32 and float64.  seed=None draws fresh entropy (torch's
behaviour); the backward then cannot regenerate the mask and raises ValueError.  p = 1
gives zeros, as torch does.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from kernels import _arrays
from kernels._params import check_flag, prod
from kernels._registry import Input, Op


@dataclass(frozen=True)
class ActivationPlan:
    kind: str              # "relu" (leaky with slope 0), "leaky_relu", "sigmoid", "tanh"
    out_shape: tuple
    slope: float
    dtype: np.dtype


@dataclass(frozen=True)
class DropoutPlan:
    out_shape: tuple
    p: float
    active: bool           # training and 0 < p: a mask is drawn
    seed: int | None
    mask_shape: tuple      # input.shape (dropout) or (N, C) (dropout2d)
    dtype: np.dtype

    @property
    def scale(self) -> float:
        """What a kept element is multiplied by (0 when p = 1: everything is dropped)."""
        return 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)

    @property
    def S(self) -> int:
        """Elements per mask entry: 1 (dropout) or the spatial size (dropout2d)."""
        return prod(self.out_shape) // max(prod(self.mask_shape), 1)


def keep_mask(p: DropoutPlan) -> np.ndarray:
    """The documented mask: default_rng(seed).random(mask_shape) >= p (all True if inactive)."""
    if not p.active:
        return np.ones(p.mask_shape, bool)
    return np.random.default_rng(p.seed).random(p.mask_shape) >= p.p


def activation_plan(op, shapes, dtype, negative_slope=0.0, inplace=False):
    (x,) = shapes
    check_flag(op, "inplace", inplace)
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real) \
            or not np.isfinite(negative_slope):
        raise TypeError(f"{op}: negative_slope must be a finite real number, got {negative_slope!r}")
    return ActivationPlan(op, tuple(x), float(negative_slope), dtype)


def dropout_plan(op, shapes, dtype, p, training, inplace, seed, channels):
    (x,) = shapes
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a real number in [0, 1], got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability p must be in [0, 1], got {p!r}")
    training, _ = check_flag(op, "training", training), check_flag(op, "inplace", inplace)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or seed < 0):
        raise TypeError(f"{op}: seed must be None or a non-negative int, got {seed!r}")
    if channels:
        if len(x) not in (3, 4):
            raise ValueError(f"{op}: input must be (N, C, H, W) or (N, C, L), got shape {tuple(x)}")
        mask_shape = tuple(x[:2])
    else:
        mask_shape = tuple(x)
    return DropoutPlan(tuple(x), float(p), training and p > 0, None if seed is None else int(seed),
                       mask_shape, dtype)


def elementwise_cost(p) -> dict:
    """One operation per element, counted as one MAC (compare, multiply, or one
    transcendental for sigmoid/tanh); no parameters; read input once, write output once."""
    n = prod(p.out_shape)
    return {"params": 0, "macs": n, "flops": 2 * n, "bytes": 2 * n * p.dtype.itemsize}


class ActivationOp(Op):
    """inplace=True writes the result into ``input`` and returns ``input`` (as torch does);
    the algorithms compute out of place and the result is copied in."""

    inputs = (Input("input"),)

    def __init__(self, name, defaults, doc=""):
        self.defaults = defaults
        super().__init__(name, doc)

    def __call__(self, *args, algo: str = "auto", **kwargs):
        arrays, params = self._bind(args, kwargs)
        out = super().__call__(*args, algo=algo, **kwargs)
        if params.get("inplace"):
            arrays[0][...] = out
            return arrays[0]
        return out

    def plan(self, shapes, dtype, params):
        if self.name == "relu":
            return activation_plan(self.name, shapes, dtype, 0.0, **params)
        return activation_plan(self.name, shapes, dtype, **params)

    def cost_of(self, plan):
        return elementwise_cost(plan)

    def make_inputs(self, shapes, params, rng):
        """Standard normals moved at least 0.05 away from 0: relu and leaky_relu have a kink
        there, where the derivative is only a convention and a finite-difference check
        (harness) would straddle it."""
        if self.name not in ("relu", "leaky_relu"):
            return super().make_inputs(shapes, params, rng)
        z = rng.standard_normal(shapes[0])
        return [z + np.where(z >= 0, 0.05, -0.05)]


class DropoutOp(ActivationOp):
    def __init__(self, name, channels, doc=""):
        self.channels = channels
        super().__init__(name, {"p": 0.5, "training": True, "inplace": False, "seed": None}, doc)

    def plan(self, shapes, dtype, params):
        return dropout_plan(self.name, shapes, dtype, channels=self.channels, **params)

    def backward(self, grad_out, *args, algo: str = "auto", **kwargs):
        arrays, params = self._bind(args, kwargs)
        arrays, dtype = _arrays.check_inputs(self.name, self.inputs, arrays, self._device(algo))
        plan = self._cached_plan((tuple(arrays[0].shape),), dtype, params)
        if plan.active and plan.seed is None and plan.p < 1:
            raise ValueError(f"{self.name}: backward needs the forward's seed to regenerate the "
                             f"mask; seed=None gives a fresh mask on every call")
        return super().backward(grad_out, *args, algo=algo, **kwargs)


_ACT = "{sig}\n\n{what}  inplace=True writes into input and returns it."
relu = ActivationOp("relu", {"inplace": False}, _ACT.format(
    sig='relu(input, inplace=False, algo="auto")', what="max(input, 0), elementwise."))
leaky_relu = ActivationOp("leaky_relu", {"negative_slope": 0.01, "inplace": False}, _ACT.format(
    sig='leaky_relu(input, negative_slope=0.01, inplace=False, algo="auto")',
    what="input where input > 0, else negative_slope * input."))
sigmoid = ActivationOp("sigmoid", {}, 'sigmoid(input, algo="auto")\n\n1 / (1 + exp(-input)).')
tanh = ActivationOp("tanh", {}, 'tanh(input, algo="auto")\n\nThe hyperbolic tangent, elementwise.')

_DROP = """{name}(input, p=0.5, training=True, inplace=False, seed=None, algo="auto")

Inverted dropout: {what} is zeroed with probability p, the rest scaled by 1/(1-p);
the identity when training=False.  The mask is default_rng(seed).random({shape}) >= p
(see kernels.activation.plan); ``backward`` regenerates it from the same seed."""
dropout = DropoutOp("dropout", False, _DROP.format(name="dropout", what="each element",
                                                   shape="input.shape"))
dropout2d = DropoutOp("dropout2d", True, _DROP.format(
    name="dropout2d", what="each whole channel (n, c) of input (N, C, H, W) or (N, C, L)",
    shape="(N, C)"))

ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh")
DROPOUTS = ("dropout", "dropout2d")

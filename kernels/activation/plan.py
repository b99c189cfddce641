"""Activations and dropout (dropout, dropout2d).

Activations are elementwise, on arrays of any shape (0-d included).  Each is written here
exactly as torch computes it, comparisons included, because that order decides the value
at the kinks, at +-inf and at NaN (g is grad_y):

    relu(x)        = 0 if x < 0 else x                         grad: 0 if x <= 0 else g
    leaky_relu(x)  = x if x > 0 else slope*x                   grad: g if x > 0 else g*slope
    relu6(x)       = 0 if x < 0 else (6 if x > 6 else x)       grad: g if 0 < x < 6 else 0
    hardsigmoid(x) = relu6(x + 3) / 6                          grad: g*SIXTH if -3 < x < 3 else 0
    hardswish(x)   = x * relu6(x + 3) / 6                      grad: 0 if x <= -3, g if x >= 3,
                                                                     else g*(x/3 + 1/2)
    silu(x)        = x / (1 + exp(-x))                         grad: g*s*(1 + x*(1 - s)),
                                                                     s = 1/(1 + exp(-x))
    gelu(x)        = x/2 * (1 + erf(x/sqrt(2)))                grad: g*(Phi + x*phi),
                                                                     Phi = (1 + erf(x/sqrt(2)))/2,
                                                                     phi = exp(-x*x/2)/sqrt(2 pi)
    gelu, tanh     = x/2 * (1 + tanh(u)),                      grad: g*((1 + t)/2 + x/2*(1 - t*t)
                     u = BETA*(x + KAPPA*x**3)                       *BETA*(1 + 3*KAPPA*x*x)), t = tanh(u)
    sigmoid(x)     = 1 / (1 + exp(-x))                         grad: g*s*(1 - s)
    tanh(x)                                                    grad: g*(1 - t*t)

BETA = sqrt(2/pi), KAPPA = 0.044715 (Hendrycks & Gimpel 2016, "Gaussian Error Linear
Units"); relu6 is Krizhevsky's capped relu, hardswish and hardsigmoid are MobileNetV3's
(Howard et al. 2019), silu is Elfwing et al. 2017's sigmoid-weighted linear unit.
Consequences, all torch's: relu(-0.0) is -0.0 and relu'(NaN) = 1; leaky_relu(-inf) with
slope 0 is NaN; hardswish(-inf), silu(-inf) and gelu(-inf) are NaN (-inf * 0); silu' and
gelu' are NaN at +-inf.  SIXTH is float32(1/6) = 0.16666667163..., the constant torch's
hardsigmoid backward uses in both dtypes.  Where torch itself disagrees with itself --
relu6' and hardswish' at NaN are 0 and NaN in its vectorised loop but g in its scalar tail
-- the vectorised loop's value is the one above.

Dropout (Srivastava et al. 2014), inverted: kept elements are scaled by 1/(1-p) in
training so that nothing changes at inference.  The mask is a documented function of the
seed, so that the backward (and anyone) can regenerate it::

    u = numpy.random.default_rng(seed).random(shape)   # float64 uniforms in [0, 1)
    keep = u >= p

with shape = input.shape for dropout and (N, C) for dropout2d (whole channels).  The same
seed gives the same mask in float32 and float64.  seed=None draws fresh entropy (torch's
behaviour); the backward then cannot regenerate the mask and raises ValueError.  p = 1
gives input * 0 (zeros, NaN where input is NaN or infinite), as torch does.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from kernels import _arrays
from kernels._params import check_bool, check_real, check_truth, prod
from kernels._registry import Input, Op

SIXTH = float(np.float32(1.0 / 6.0))  # torch's hardsigmoid backward constant (float32 1/6)
GELU_BETA = math.sqrt(2.0 / math.pi)
GELU_KAPPA = 0.044715
GELU_ALPHA = 1.0 / math.sqrt(2.0 * math.pi)   # the normal density's constant
KINKS = {"relu": (0.0,), "leaky_relu": (0.0,), "relu6": (0.0, 6.0),
         "hardsigmoid": (-3.0, 3.0), "hardswish": (-3.0, 3.0)}


@dataclass(frozen=True)
class ActivationPlan:
    kind: str              # the op's name; gelu with approximate="tanh" is "gelu_tanh"
    out_shape: tuple
    slope: float           # leaky_relu's negative_slope (0 for the others)
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


def activation_plan(op, shapes, dtype, negative_slope=0.0, inplace=False, approximate="none"):
    (x,) = shapes
    check_truth(op, "inplace", inplace)
    kind = op
    if op == "gelu":
        if not isinstance(approximate, str):
            raise TypeError(f"{op}: approximate must be a string, 'none' or 'tanh', got {approximate!r}")
        if approximate not in ("none", "tanh"):
            raise ValueError(f"{op}: approximate must be 'none' or 'tanh', got {approximate!r}")
        kind = "gelu_tanh" if approximate == "tanh" else "gelu"
    return ActivationPlan(kind, tuple(x), check_real(op, "negative_slope", negative_slope), dtype)


def dropout_plan(op, shapes, dtype, p, training, inplace, seed, channels):
    (x,) = shapes
    if not isinstance(p, numbers.Real):
        raise TypeError(f"{op}: p must be a real number in [0, 1], got {p!r}")
    if not 0.0 <= p <= 1.0:  # NaN fails too
        raise ValueError(f"{op}: dropout probability p must be in [0, 1], got {p!r}")
    training = check_bool(op, "training", training)
    check_truth(op, "inplace", inplace)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
                             or seed < 0):
        raise TypeError(f"{op}: seed must be None or a non-negative int, got {seed!r}")
    p = float(p)
    if channels:
        # torch checks the dims only where it draws a mask: otherwise it returns the input
        # (p = 0, evaluation), input * 0 (p = 1) or the empty input, whatever the rank
        if len(x) < 2 and training and 0 < p < 1 and prod(x) > 0:
            raise ValueError(f"{op}: input must have a channel dimension, (N, C, *spatial), "
                             f"got shape {tuple(x)}")
        mask_shape = tuple(x[:2])
    else:
        mask_shape = tuple(x)
    return DropoutPlan(tuple(x), p, training and p > 0, None if seed is None else int(seed),
                       mask_shape, dtype)


def elementwise_cost(p) -> dict:
    """One operation per element, counted as one MAC (compare, multiply, or one
    transcendental for sigmoid/tanh/silu/gelu); no parameters; read input once, write
    output once."""
    n = prod(p.out_shape)
    return {"params": 0, "macs": n, "flops": 2 * n, "bytes": 2 * n * p.dtype.itemsize}


class ActivationOp(Op):
    """inplace=True writes the result into ``input`` and returns ``input`` (as torch does);
    the algorithms compute out of place and the result is copied in."""

    inputs = (Input("input"),)

    def __init__(self, name, defaults, doc="", keyword_only=()):
        self.defaults = defaults
        self.keyword_only = keyword_only
        super().__init__(name, doc)

    def __call__(self, *args, algo: str = "auto", **kwargs):
        arrays, params = self._bind(args, kwargs)
        inplace = check_truth(self.name, "inplace", params.get("inplace", False))
        if inplace:  # before anything runs: a result that cannot be written back is an error
            _arrays.check_writeable(self.name, "input", arrays[0])
        out = super().__call__(*args, algo=algo, **kwargs)
        if inplace:
            arrays[0][...] = out
            return arrays[0]
        return out

    def plan(self, shapes, dtype, params):
        return activation_plan(self.name, shapes, dtype, **params)

    def cost_of(self, plan):
        return elementwise_cost(plan)

    def make_inputs(self, shapes, params, rng):
        """Standard normals moved at least 0.05 away from the kinks (relu's 0, relu6's 0
        and 6, hardswish's and hardsigmoid's -3 and 3), where the derivative is only a
        convention and a finite-difference check (harness) would straddle it."""
        z = rng.standard_normal(shapes[0]) * (3.0 if self.name in KINKS else 1.0)
        for k in KINKS.get(self.name, ()):
            near = np.abs(z - k) < 0.05
            z = np.where(near, np.where(z >= k, k + 0.05, k - 0.05), z)
        return [z]


class DropoutOp(ActivationOp):
    def __init__(self, name, channels, doc=""):
        self.channels = channels
        super().__init__(name, {"p": 0.5, "training": True, "inplace": False, "seed": None}, doc)

    def plan(self, shapes, dtype, params):
        return dropout_plan(self.name, shapes, dtype, channels=self.channels, **params)

    def make_inputs(self, shapes, params, rng):
        return [rng.standard_normal(shapes[0])]

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
relu6 = ActivationOp("relu6", {"inplace": False}, _ACT.format(
    sig='relu6(input, inplace=False, algo="auto")', what="min(max(input, 0), 6), elementwise."))
hardsigmoid = ActivationOp("hardsigmoid", {"inplace": False}, _ACT.format(
    sig='hardsigmoid(input, inplace=False, algo="auto")',
    what="relu6(input + 3) / 6 (MobileNetV3's piecewise-linear sigmoid)."))
hardswish = ActivationOp("hardswish", {"inplace": False}, _ACT.format(
    sig='hardswish(input, inplace=False, algo="auto")',
    what="input * relu6(input + 3) / 6 (MobileNetV3)."))
silu = ActivationOp("silu", {"inplace": False}, _ACT.format(
    sig='silu(input, inplace=False, algo="auto")', what="input * sigmoid(input) (swish)."))
gelu = ActivationOp("gelu", {"approximate": "none"}, """gelu(input, *, approximate="none", algo="auto")

input * Phi(input), Phi the standard normal CDF (through erf); approximate="tanh" uses
0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x**3))).  approximate is keyword-only, as
in torch.""", keyword_only=("approximate",))
sigmoid = ActivationOp("sigmoid", {}, 'sigmoid(input, algo="auto")\n\n1 / (1 + exp(-input)).')
tanh = ActivationOp("tanh", {}, 'tanh(input, algo="auto")\n\nThe hyperbolic tangent, elementwise.')

_DROP = """{name}(input, p=0.5, training=True, inplace=False, seed=None, algo="auto")

Inverted dropout: {what} is zeroed with probability p, the rest scaled by 1/(1-p);
the identity when training=False.  The mask is default_rng(seed).random({shape}) >= p
(see kernels.activation.plan); ``backward`` regenerates it from the same seed."""
dropout = DropoutOp("dropout", False, _DROP.format(name="dropout", what="each element",
                                                   shape="input.shape"))
dropout2d = DropoutOp("dropout2d", True, _DROP.format(
    name="dropout2d", what="each whole channel (n, c) of input (N, C, *spatial)",
    shape="(N, C)"))

ACTIVATIONS = ("relu", "leaky_relu", "relu6", "hardsigmoid", "hardswish", "silu", "gelu",
               "sigmoid", "tanh")
DROPOUTS = ("dropout", "dropout2d")

"""References for the activations (torch.nn.functional) and for dropout, which torch draws
from its own generator: here the mask is built from its documented definition,

    keep = numpy.random.default_rng(seed).random(shape) >= p   (shape (N, C) for dropout2d)

and applied with torch ops, so autograd gives the gradient.  inplace=True computes out of
place here: the values are the same, and autograd refuses in-place ops on a leaf that
requires grad (and in-place leaky_relu with a negative slope altogether)."""
import numpy as np
import torch
import torch.nn.functional as F

from reference import ref


def _functional(name):
    """The reference of an activation whose only argument besides the input is inplace:
    torch.nn.functional's own."""
    fn = getattr(F, name)

    def reference(input, inplace=False):
        return fn(input)
    reference.__name__ = name
    return ref(name)(reference)


relu, relu6, hardsigmoid, hardswish, silu = map(_functional, ("relu", "relu6", "hardsigmoid", "hardswish", "silu"))


@ref("leaky_relu")
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return F.leaky_relu(input, negative_slope)


@ref("gelu")
def gelu(input, approximate="none"):
    return F.gelu(input, approximate=approximate)


@ref("sigmoid")
def sigmoid(input):
    return torch.sigmoid(input)


@ref("tanh")
def tanh(input):
    return torch.tanh(input)


def _dropout(input, p, training, seed, mask_shape):
    if not training or p == 0:
        return input * 1.0
    keep = np.random.default_rng(seed).random(mask_shape) >= p
    keep = torch.tensor(keep.reshape(mask_shape + (1,) * (input.dim() - len(mask_shape))),
                        dtype=input.dtype)
    return input * keep * (0.0 if p == 1 else 1.0 / (1.0 - p))


@ref("dropout")
def dropout(input, p=0.5, training=True, inplace=False, seed=None):
    return _dropout(input, p, training, seed, tuple(input.shape))


@ref("dropout2d")
def dropout2d(input, p=0.5, training=True, inplace=False, seed=None):
    return _dropout(input, p, training, seed, tuple(input.shape[:2]))

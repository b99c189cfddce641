"""References for pixel_shuffle, pixel_unshuffle and interpolate: torch.nn.functional.

Empty inputs, where torch itself falls short:

- torch's backward fails on some (PixelShuffleBackward returns a gradient of the output's
  shape; adaptive_avg_pool2d_backward refuses C = 0), so for an input without elements the
  reference takes torch's forward of the detached input and gives the input its (empty,
  zero) gradient through ``0 * input.sum()``;
- F.pixel_unshuffle returns an empty input unchanged, in its own shape, where the op's
  shape is (*, C*r*r, H/r, W/r); the reference computes it as the reshape and permute that
  define it.
"""
import torch.nn.functional as F

from reference import ref


def _empty_safe(fn):
    def reference(input, *args, **kwargs):
        if input.numel() == 0 and input.requires_grad:
            return fn(input.detach(), *args, **kwargs) + 0 * input.sum()
        return fn(input, *args, **kwargs)
    reference.__name__ = fn.__name__
    return reference


def _unshuffle(input, downscale_factor):
    if input.numel():
        return F.pixel_unshuffle(input, downscale_factor)
    *lead, C, H, W = input.shape
    r = downscale_factor
    x = input.reshape(*lead, C, H // r, r, W // r, r)
    n = len(lead)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, C * r * r, H // r, W // r)


ref("pixel_shuffle")(_empty_safe(F.pixel_shuffle))
ref("pixel_unshuffle")(_unshuffle)
ref("interpolate")(_empty_safe(F.interpolate))

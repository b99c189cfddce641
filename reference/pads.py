"""Padding arguments: (lo, hi) pairs per dimension for references built from primitives,
and the padding torch's conv takes; and ``batch_of_one`` for references of ops that take
an input without its batch axis.

torch's functional padding takes only symmetric ints; these ops also accept 'valid', 'same'
(the odd extra zero at the end, as torch's conv2d puts it) and 'full' ((k-1)*dilation each end).
"""


def pair(v):
    """An int or a 1- or 2-tuple as a 2-tuple."""
    return (v, v) if isinstance(v, int) else (tuple(v) * 2 if len(v) == 1 else tuple(v))


def pads2d(padding, kernel, dilation):
    span = [d * (k - 1) for k, d in zip(kernel, pair(dilation))]
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple((t // 2, t - t // 2) for t in span)
    if padding == "full":
        return tuple((t, t) for t in span)
    return tuple((p, p) for p in pair(padding))


def torch_padding(padding, weight, dilation):
    """conv's padding as torch takes it: torch has no 'full' mode, which is (k-1)*dilation
    zeros at each end."""
    if padding != "full":
        return padding
    nd = weight.dim() - 2
    d = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation) * (nd if len(dilation) == 1 else 1)
    return tuple((k - 1) * di for k, di in zip(weight.shape[2:], d))


def module_padding(padding, weight, dilation) -> list:
    """F.pad's argument for a Conv module's padding (``_reversed_padding_repeated_twice``):
    (lo, hi) of the last dimension first; 'same' puts the odd extra element at the end."""
    nd = weight.dim() - 2
    d = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation) * (nd if len(dilation) == 1 else 1)
    span = [di * (k - 1) for k, di in zip(weight.shape[2:], d)]
    if padding == "valid":
        pairs = [(0, 0)] * nd
    elif padding == "same":
        pairs = [(t // 2, t - t // 2) for t in span]
    elif padding == "full":
        pairs = [(t, t) for t in span]
    else:
        p = (padding,) * nd if isinstance(padding, int) else tuple(padding) * (nd if len(padding) == 1 else 1)
        pairs = [(q, q) for q in p]
    return [v for pair in reversed(pairs) for v in pair]


def batch_of_one(fn):
    """``fn`` (input first, 4-D) also for an unbatched (C, H, W) input, as torch's convs
    treat one: a batch of one, whose output loses the batch axis again."""
    def wrapped(input, *args, **kwargs):
        if input.dim() == 3:
            return fn(input.unsqueeze(0), *args, **kwargs).squeeze(0)
        return fn(input, *args, **kwargs)
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped

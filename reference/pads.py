"""Padding arguments: (lo, hi) pairs per dimension for references built from primitives,
and the padding torch's conv takes.

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

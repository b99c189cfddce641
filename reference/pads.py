"""Padding arguments as (lo, hi) pairs per dimension, for references built from primitives.

torch's functional padding takes only symmetric ints; these ops also accept 'valid', 'same'
(the odd extra zero at the end, as torch's conv2d puts it) and 'full' ((k-1)*dilation each end).
"""


def _pair(v):
    return (v, v) if isinstance(v, int) else (tuple(v) * 2 if len(v) == 1 else tuple(v))


def pads2d(padding, kernel, dilation):
    span = [d * (k - 1) for k, d in zip(kernel, _pair(dilation))]
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "same":
        return tuple((t // 2, t - t // 2) for t in span)
    if padding == "full":
        return tuple((t, t) for t in span)
    return tuple((p, p) for p in _pair(padding))

"""Convolutions: sizes per group (so groups always divide the channels), kernels up to and
beyond the input, every padding form and padding mode, strides beyond the kernel, empty
batch, channel and spatial dimensions, batch-less input."""
from functools import partial

from tests.parity.space import edge, positive, space

ND = {1: "L", 2: "HW", 3: "DHW"}
INPUT = {1: (7, 5, *edge(1, 0)), 2: (6, 5, *edge(1, 0)), 3: (4, 5, *edge(1, 0))}  # per dimension
KERNEL = (3, 1, 2, *edge(9))                                    # 9: longer than the input


def _spatial(f, nd, prefix):
    return tuple(getattr(f, f"{prefix}{i}") for i in range(nd))


def _sizes(nd, **more):
    sizes = dict(N=(2, 1, *edge(0)), Cg=(2, 1, *edge(0)), Kg=(2, 1, *edge(0)), bias=(True, False), **more)
    for i in range(nd):
        sizes[f"X{i}"] = INPUT[nd]
        sizes[f"R{i}"] = KERNEL
    return sizes


def _tuple(nd, v):
    return (v,) * nd if nd > 1 else (v,)


def _two(nd, a, b):
    return (a, b, a)[:nd] if nd > 1 else (a,)


def _shapes(f, nd, transposed):
    """(input, weight, bias): a convolution's weight is (K, C/groups, *kernel), a transposed
    convolution's (C, K/groups, *kernel)."""
    G = positive(f.groups)
    C, K = f.Cg * G, f.Kg * G
    weight = (C, f.Kg) if transposed else (K, f.Cg)
    return (f.N, C, *_spatial(f, nd, "X")), (*weight, *_spatial(f, nd, "R")), (K,) if f.bias else None


for _nd in (1, 2, 3):
    _stride = (1, 2, 3, _two(_nd, 2, 1), *edge(0))
    space(f"conv{_nd}d", partial(_shapes, nd=_nd, transposed=False), sizes=_sizes(_nd), batchless=("input",),
          params=dict(stride=_stride,
                      padding=(0, 1, "same", "valid", "full", _two(_nd, 1, 0), *edge(-1)),
                      dilation=(1, 2, _two(_nd, 1, 2), *edge(0)),
                      groups=(1, 2),
                      padding_mode=("zeros", "reflect", "replicate", "circular", *edge("mirror"))))
    space(f"conv_transpose{_nd}d", partial(_shapes, nd=_nd, transposed=True), sizes=_sizes(_nd),
          batchless=("input",),
          params=dict(stride=_stride,
                      padding=(0, 1, 2, _two(_nd, 1, 0), *edge(-1, 5)),
                      output_padding=(0, 1, _two(_nd, 0, 1), *edge(2)),
                      groups=(1, 2),
                      dilation=(1, 2, _two(_nd, 1, 2))))

N, C, K = (2, 1, *edge(0)), (3, 1, *edge(0)), (2, 1, *edge(0))
PLANE = dict(X0=INPUT[2], X1=INPUT[2])
KERNEL2D = dict(R0=KERNEL, R1=KERNEL)
BIAS = (True, False)
CONV2D = dict(stride=(1, 2, 3, (2, 1), *edge(0)), padding=(0, 1, "same", "valid", "full", (1, 0), *edge(-1)),
              dilation=(1, 2, (1, 2), *edge(0)))

space("depthwise_conv2d",
      lambda f: ((f.N, f.C, f.X0, f.X1), (f.C * f.m, 1, f.R0, f.R1), (f.C * f.m,) if f.bias else None),
      sizes=dict(N=N, C=C, m=(1, 2), **PLANE, **KERNEL2D, bias=BIAS),
      batchless=("input",), params=CONV2D)

space("pointwise_conv2d",
      lambda f: ((f.N, f.C, f.X0, f.X1), (f.K, f.C, 1, 1), (f.K,) if f.bias else None),
      sizes=dict(N=N, C=C, K=K, **PLANE, bias=BIAS),
      batchless=("input",))

space("separable_conv2d",
      lambda f: ((f.N, f.C, f.X0, f.X1), (f.C * f.m, 1, f.R0, f.R1), (f.K, f.C * f.m, 1, 1),
                 (f.K,) if f.bias else None),
      sizes=dict(N=N, C=C, m=(1, 2), K=K, **PLANE, **KERNEL2D, bias=BIAS),
      batchless=("input",), params=CONV2D)

space("spatially_separable_conv2d",
      lambda f: ((f.N, f.C, f.X0, f.X1), (f.K, f.C, f.R0), (f.K, f.C, f.R1), (f.K,) if f.bias else None),
      sizes=dict(N=N, C=C, K=K, **PLANE, **KERNEL2D, bias=BIAS),
      batchless=("input",), params=CONV2D)


def out_len(size, k, stride, padding, dilation, i):
    """Torch's convolution output length along dimension i (0 where it cannot exist)."""
    def pick(v):
        return v[i] if isinstance(v, tuple) else v
    s, d = positive(pick(stride)), positive(pick(dilation))
    span = d * (k - 1)
    pad = {"valid": 0, "same": None, "full": 2 * span}.get(padding) if isinstance(padding, str) \
        else 2 * max(pick(padding), 0)
    if pad is None:
        return size
    return max((size + pad - span - 1) // s + 1, 0)


def _unshared_shapes(f):
    P = out_len(f.X0, f.R0, f.stride, f.padding, f.dilation, 0)
    Q = out_len(f.X1, f.R1, f.stride, f.padding, f.dilation, 1)
    return ((f.N, f.C, f.X0, f.X1), (P, Q, f.K, f.C, f.R0, f.R1), (f.K, P, Q) if f.bias else None)


space("unshared_conv2d", _unshared_shapes,
      sizes=dict(N=N, C=(2, 1, *edge(0)), K=K, **PLANE, **KERNEL2D, bias=BIAS),
      batchless=("input",), params=CONV2D)


def _coord_shapes(f):
    G = positive(f.groups)
    extra = 3 if f.with_r is True else 2
    C = max(f.Cg * G - extra, 0)
    return ((f.N, C, f.X0, f.X1), (f.Kg * G, f.Cg, f.R0, f.R1), (f.Kg * G,) if f.bias else None)


space("coord_conv2d", _coord_shapes,
      sizes=dict(N=N, Cg=(3, 4, *edge(2)), Kg=K, **PLANE, **KERNEL2D, bias=BIAS),
      batchless=("input",), params=dict(**CONV2D, groups=(1, 2), with_r=(False, True)))


def _deform_shapes(f):
    P = out_len(f.X0, f.R0, f.stride, f.padding, f.dilation, 0)
    Q = out_len(f.X1, f.R1, f.stride, f.padding, f.dilation, 1)
    C = f.Cg * f.G * f.og      # divisible by the groups G and the offset groups og
    taps = f.og * f.R0 * f.R1
    return ((f.N, C, f.X0, f.X1), (f.N, 2 * taps, P, Q), (f.K * f.G, f.Cg * f.og, f.R0, f.R1),
            (f.K * f.G,) if f.bias else None, (f.N, taps, P, Q) if f.mask else None)


# torchvision's deform_conv2d takes no 'same'/'full' padding strings and no batch-less input:
# the reference (torch primitives) refuses what it cannot express.  Finite values only: the
# reference multiplies samples outside the image by 0 (NaN there reaches the gradient of a
# clamped border pixel) where torchvision's kernels skip them, and torchvision's C++ ops,
# the oracle for NaN and infinities, do not load here.
space("deform_conv2d", _deform_shapes, specials=("finite",),
      sizes=dict(N=(2, 1, *edge(0)), Cg=(2, 1), G=(1, 2), og=(1, 2), K=(2, 1), X0=(5, 6, *edge(1)), X1=(5, 6),
                 R0=(3, 1, 2), R1=(3, 2), bias=(True, False), mask=(False, True)),
      params=dict(stride=(1, 2, (2, 1)), padding=(0, 1, (1, 0), "valid"), dilation=(1, 2, (1, 2))))

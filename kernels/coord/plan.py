"""CoordConv (Liu et al. 2018, "An intriguing failing of convolutional neural networks and
the CoordConv solution"): append coordinate channels, then an ordinary conv2d.

After the input's own C channels come, in this order: the row coordinate linspace(-1, 1, H)
along the height, the column coordinate linspace(-1, 1, W) along the width, and with
``with_r`` the radius sqrt(row**2 + col**2).  The weight's input channels count them:
weight (K, (C + 2 + with_r) / groups, R, S).

Each algorithm appends the channels and runs the conv2d algorithm of the same name on the
result; the input gradient is the first C channels of that convolution's input gradient.
An unbatched input (C, H, W) is a batch of one; an input with no channel of its own still
convolves its coordinate channels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kernels._arrays import check_dtype
from kernels._params import check_flag, check_ndim, prod
from kernels._registry import ALGORITHMS, Algorithm, Input, core
from kernels.conv.plan import Conv2dVariantOp, ConvPlan, conv_cost, conv_plan


@dataclass(frozen=True)
class CoordPlan:
    conv: ConvPlan       # the convolution of the input with its coordinate channels
    C: int               # the input's own channels
    with_r: bool

    @property
    def out_shape(self) -> tuple:
        return self.conv.out_shape

    @property
    def dtype(self) -> np.dtype:
        return self.conv.dtype


def coord_plan(op, shapes, dtype, stride, padding, dilation, groups, with_r) -> CoordPlan:
    x, w, b = shapes
    with_r = check_flag(op, "with_r", with_r)
    check_ndim(op, "input", x, 4, "(N, C, H, W)")
    check_ndim(op, "weight", w, 4, "(K, (C + coordinate channels)/groups, R, S)")
    extra = 3 if with_r else 2
    C_all = x[1] + extra
    if isinstance(groups, (int, np.integer)) and not isinstance(groups, bool) and groups >= 1:
        if C_all % groups:
            raise ValueError(f"{op}: input channels plus {extra} coordinate channels ({C_all}) "
                             f"must be divisible by groups ({groups})")
        if w[1] * groups != C_all:
            raise ValueError(f"{op}: weight must have (C + {extra} coordinate channels)/groups = "
                             f"{C_all // groups} input channels, got shape {tuple(w)} for input "
                             f"channels {x[1]}, with_r={with_r} and groups {groups}")
    conv = conv_plan(op, 2, ((x[0], C_all, *x[2:]), w, b), dtype, stride, padding, dilation, groups)
    return CoordPlan(conv, x[1], with_r)


class CoordConvOp(Conv2dVariantOp):
    inputs = (Input("input"), Input("weight"), Input("bias", optional=True))
    defaults = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "with_r": False}
    batched_plan = staticmethod(coord_plan)

    def cost_of(self, plan):
        """The convolution's cost; the coordinate channels are generated, not read."""
        p = core(plan)
        c = conv_cost(p.conv)
        coords = p.conv.N * (p.conv.C - p.C) * prod(p.conv.size)
        return c | {"bytes": c["bytes"] - coords * p.dtype.itemsize}


def coordinates(H: int, W: int, with_r: bool, dtype) -> np.ndarray:
    """The coordinate channels (2 or 3, H, W): row, column and radius."""
    row = np.broadcast_to(np.linspace(-1.0, 1.0, H)[:, None], (H, W))
    col = np.broadcast_to(np.linspace(-1.0, 1.0, W)[None, :], (H, W))
    chans = [row, col] + ([np.sqrt(row ** 2 + col ** 2)] if with_r else [])
    return np.stack(chans).astype(check_dtype("coordinates", dtype))


def with_coordinates(x: np.ndarray, p: CoordPlan) -> np.ndarray:
    N, _, H, W = x.shape
    coords = coordinates(H, W, p.with_r, x.dtype)
    return np.concatenate([x, np.broadcast_to(coords, (N, *coords.shape))], axis=1)


def coord_algorithm(name: str) -> Algorithm:
    """CoordConv through conv2d's algorithm ``name`` (never another: an unsupported case of
    that algorithm is unsupported here too)."""
    conv = ALGORITHMS["conv2d"][name]
    algo = Algorithm(name, ops=COORD_OPS, slow=conv.slow, available=conv.available,
                     doc=f"coordinate channels, then conv2d[{name}]")
    algo.supports(lambda p: conv.why_not(p.conv))

    @algo.forward
    def forward(x, w, b, p):
        return conv.run_forward((with_coordinates(x, p), w, b), p.conv)

    @algo.backward
    def backward(gy, x, w, b, p):
        gxc, gw, gb = conv.run_backward(gy, (with_coordinates(x, p), w, b), p.conv)
        return np.ascontiguousarray(gxc[:, :p.C]), gw, gb

    return algo


coord_conv2d = CoordConvOp(
    "coord_conv2d",
    """coord_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, with_r=False, algo="auto")

CoordConv of input (N, C, H, W) or (C, H, W): appends the row coordinate linspace(-1, 1, H), the column coordinate
linspace(-1, 1, W) and, with ``with_r``, the radius sqrt(row**2 + col**2) after the input's
C channels, then conv2d with weight (K, (C + 2 + with_r)/groups, R, S).  ``backward``
returns (grad_input, grad_weight, grad_bias), grad_input of the input's own channels.""")
COORD_OPS = ("coord_conv2d",)

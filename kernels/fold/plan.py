"""Plans of unfold (im2col) and fold (col2im), as torch.nn.functional.unfold and fold.

unfold cuts every sliding kernel_size block out of the zero-padded image (N, C, H, W) and
stacks each as a column: (N, C*kh*kw, L), row c*kh*kw + i*kw + j, column bh*bw_count + bw
holding x[n, c, bh*sh - ph + i*dh, bw*sw - pw + j*dw] (0 where that lies in the padding).
The block grid has ``(size + 2*pad - dil*(k - 1) - 1) // stride + 1`` positions per axis
and L is their product.  fold is its adjoint: it adds every column entry back onto the
image position it came from (entries that came from the padding are dropped), so
overlapping blocks sum.  Each is the other's gradient.  Both take batch-less input
(unfold (C, H, W), fold (C*kh*kw, L)), as torch does.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from kernels._params import check_output_size, prod
from kernels._registry import REQUIRED, Input, Op


@dataclass(frozen=True)
class FoldPlan:
    batch: tuple          # (N,), or () for batch-less input
    C: int
    size: tuple           # (H, W): the image (unfold's input, fold's output)
    kernel: tuple
    dilation: tuple
    padding: tuple
    stride: tuple
    blocks: tuple         # the sliding-block grid (bh, bw)
    unfold: bool          # image -> columns (unfold) or columns -> image (fold)
    dtype: np.dtype

    @property
    def image_shape(self) -> tuple:
        return (*self.batch, self.C, *self.size)

    @property
    def cols_shape(self) -> tuple:
        return (*self.batch, self.C * prod(self.kernel), prod(self.blocks))

    @property
    def out_shape(self) -> tuple:
        return self.cols_shape if self.unfold else self.image_shape

    @property
    def image4(self) -> tuple:
        """The image as (B, C, H, W), B = 1 for batch-less input: a reshape, no copy."""
        return (prod(self.batch), self.C, *self.size)

    @property
    def cols6(self) -> tuple:
        """The columns as (B, C, kh, kw, bh, bw): a reshape, no copy."""
        return (prod(self.batch), self.C, *self.kernel, *self.blocks)

    def window(self, i: int, j: int):
        """Tap (i, j) of every block that reads inside the image: (the slices of those
        blocks in the block grid, the strided slices of the image they read)."""
        rows, cols = self.valid(0, i), self.valid(1, j)
        if not rows or not cols:
            return None
        image = []
        for axis, tap, r in ((0, i, rows), (1, j, cols)):
            start = r.start * self.stride[axis] - self.padding[axis] + tap * self.dilation[axis]
            image.append(slice(start, start + self.stride[axis] * (len(r) - 1) + 1, self.stride[axis]))
        return (slice(rows.start, rows.stop), slice(cols.start, cols.stop)), tuple(image)

    def valid(self, axis: int, tap: int) -> range:
        """The block positions along ``axis`` whose tap ``tap`` lies inside the image."""
        n, d, p, s = self.size[axis], self.dilation[axis], self.padding[axis], self.stride[axis]
        offset = tap * d - p              # image index of block 0's tap
        lo = max(0, -(offset // s))       # first block with offset + b*s >= 0
        hi = min(self.blocks[axis], (n - 1 - offset) // s + 1) if offset < n else 0
        return range(lo, max(lo, hi))


def pair(op: str, name: str, value, minimum: int) -> tuple[int, int]:
    """torch's _pair: an int for both axes, or a sequence of exactly two ints."""
    values = list(value) if isinstance(value, (tuple, list)) else [value, value]
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)) for v in values):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if len(values) != 2:
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        bound = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{op}: {name} must be {bound}, got {value!r}")
    return int(values[0]), int(values[1])


class _SlidingBlocksOp(Op):
    inputs = (Input("input"),)
    unfold = True

    def geometry(self, params):
        op = self.name
        kernel = pair(op, "kernel_size", params["kernel_size"], 1)
        dilation = pair(op, "dilation", params["dilation"], 1)
        padding = pair(op, "padding", params["padding"], 0)
        stride = pair(op, "stride", params["stride"], 1)
        return kernel, dilation, padding, stride

    @staticmethod
    def grid(size, kernel, dilation, padding, stride) -> tuple:
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))

    def cost_of(self, p):
        """unfold moves data (0 macs); fold adds each column entry that lands on the image."""
        inside = prod(sum(len(p.valid(a, t)) for t in range(p.kernel[a])) for a in range(2))
        macs = 0 if p.unfold else prod(p.batch) * p.C * inside
        elems = prod(p.image_shape) + prod(p.cols_shape)
        return {"params": 0, "macs": macs, "flops": 2 * macs, "bytes": elems * p.dtype.itemsize}


class UnfoldOp(_SlidingBlocksOp):
    """unfold(input, kernel_size, dilation=1, padding=0, stride=1, algo="auto")

    Every sliding block of the zero-padded (N, C, H, W) (or batch-less (C, H, W)) input as a
    column: (N, C*kh*kw, L), as torch.nn.functional.unfold (im2col)."""

    defaults = {"kernel_size": REQUIRED, "dilation": 1, "padding": 0, "stride": 1}

    def plan(self, shapes, dtype, params):
        op, x = self.name, shapes[0]
        kernel, dilation, padding, stride = self.geometry(params)
        if x is None or len(x) not in (3, 4) or min(x) < 0:
            raise ValueError(f"{op}: input must be (N, C, H, W) or (C, H, W), got "
                             f"{'nothing' if x is None else f'shape {tuple(x)}'}")
        *batch, C, H, W = x
        if min(C, H, W) < 1:
            raise ValueError(f"{op}: input must have non-empty C, H and W (only the batch may "
                             f"be empty), got shape {tuple(x)}")
        blocks = self.grid((H, W), kernel, dilation, padding, stride)
        if min(blocks) < 1:
            raise ValueError(f"{op}: kernel_size {kernel} with dilation {dilation} does not fit "
                             f"the input {H}x{W} padded by {padding}: the block grid {blocks} "
                             f"would be empty")
        p = FoldPlan(tuple(batch), C, (H, W), kernel, dilation, padding, stride, blocks, True, dtype)
        check_output_size(op, "kernel_size, padding and stride", p.out_shape, dtype)
        return p


class FoldOp(_SlidingBlocksOp):
    """fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1, algo="auto")

    The columns (N, C*kh*kw, L) (or batch-less (C*kh*kw, L)) added back onto an image of
    size output_size, overlapping blocks summed: torch.nn.functional.fold (col2im), the
    adjoint of unfold."""

    defaults = {"output_size": REQUIRED, "kernel_size": REQUIRED, "dilation": 1, "padding": 0,
                "stride": 1}
    unfold = False

    def plan(self, shapes, dtype, params):
        op, x = self.name, shapes[0]
        kernel, dilation, padding, stride = self.geometry(params)
        size = pair(op, "output_size", params["output_size"], 1)
        if x is None or len(x) not in (2, 3) or min(x) < 0:
            raise ValueError(f"{op}: input must be (N, C*kh*kw, L) or (C*kh*kw, L), got "
                             f"{'nothing' if x is None else f'shape {tuple(x)}'}")
        *batch, CK, L = x
        if min(CK, L) < 1:
            raise ValueError(f"{op}: input must have non-empty C*kh*kw and L (only the batch "
                             f"may be empty), got shape {tuple(x)}")
        if CK % prod(kernel):
            raise ValueError(f"{op}: input's dimension {len(batch)} ({CK}) must be divisible by "
                             f"the product of kernel_size {kernel}")
        blocks = self.grid(size, kernel, dilation, padding, stride)
        if min(blocks) < 1 or prod(blocks) != L:
            raise ValueError(f"{op}: output_size {size} with kernel_size {kernel}, dilation "
                             f"{dilation}, padding {padding} and stride {stride} has a block grid "
                             f"{blocks}, which must match the input's {L} blocks")
        p = FoldPlan(tuple(batch), CK // prod(kernel), size, kernel, dilation, padding, stride,
                     blocks, False, dtype)
        check_output_size(op, "output_size", p.out_shape, dtype)
        return p


unfold = UnfoldOp("unfold")
fold = FoldOp("fold")
FOLD_OPS = ("unfold", "fold")


def declare(algorithm, im2col, col2im):
    """Declare an algorithm's unfold (im2col) and fold (col2im), each the other's gradient:
    unfold's backward is fold of the output gradient and fold's is unfold of it."""
    @algorithm.forward
    def forward(x, p):
        return im2col(x, p) if p.unfold else col2im(x, p)

    @algorithm.backward
    def backward(gy, x, p):
        return (col2im(gy, p) if p.unfold else im2col(gy, p),)


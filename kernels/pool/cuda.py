"""Max and average pooling in Numba CUDA kernels, forward and backward.

Every pool runs on 5-D arrays (N, C, D, H, W) (1D/2D pools add unit dimensions, as in
``numba.py``), one thread per output element forward and one per input element backward,
so no two threads write the same element: no atomics, deterministic results.  Windows are
computed from the plan's kernel, stride, padding and dilation; each thread loops over
the taps of its window that lie inside the input only.

- max forward: each thread scans its window in torch's order (d, h, w) and keeps, after
  the first tap, any greater or NaN value (torch's rule: a window holding NaN gives NaN,
  the index of its last NaN); its flat index within the (n, c) plane, d*H*W + h*W + w,
  is torch's index.
- avg forward: the window sum divided by torch's divisor, computed per dimension in the
  kernel: the window clipped to the padded input (count_include_pad), its count of real
  elements (not count_include_pad), or divisor_override.
- backward, in gather form: an input element (z, h, w) lies in the windows of the
  outputs o with o*stride - pad + t*dilation = z for a tap t; its gradient sums, over
  those outputs, grad_y / divisor (avg) or grad_y where that output's index is this
  element (max, with the indices of a recomputed forward).
"""
import math

import numpy as np
from numba import cuda as nbcuda

from kernels import _cuda
from kernels._registry import Algorithm

OPS = ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d")

cuda = Algorithm("cuda", ops=OPS, available=_cuda.available, device=True,
                slow=_cuda.SIMULATED,  # under the simulator every thread is Python
                doc="Numba CUDA: a thread per output (forward) or input element (gather backward)")

INCLUDE_PAD, EXCLUDE_PAD, OVERRIDE = 0, 1, 2  # how the average's divisor is counted


@cuda.supports
def supports(p):
    if any(q > n for n, q in zip(p.size3, p.pad)):
        return "padding larger than the input: the backward's threads would scan it whole"
    return _cuda.simulator_limit(p.N * p.C * int(np.prod(p.size)))


@nbcuda.jit(device=True)
def taps(o, n, k, s, p, d):
    """The taps t of output o whose input position o*s - p + t*d lies in [0, n)."""
    f = o * s - p
    t0 = 0 if f >= 0 else (d - 1 - f) // d
    t1 = (n - 1 - f) // d + 1
    return t0, (t1 if t1 < k else k)


@nbcuda.jit(device=True)
def taps_of(z, k, s, p, d, o):
    """The taps t through which input position z is read by one of the outputs 0..o-1
    (z = j*s - p + t*d with 0 <= j < o); the caller checks divisibility by s."""
    a = z + p
    lo = a - (o - 1) * s
    t0 = 0 if lo <= 0 else (lo + d - 1) // d
    t1 = a // d + 1
    return t0, (t1 if t1 < k else k)


@nbcuda.jit(device=True)
def axis_divisor(o, n, k, s, p, mode):
    """Divisor factor of output o along one dimension (dilation 1, as avg pools)."""
    f = o * s - p
    if mode == INCLUDE_PAD:
        e = f + k
        lim = n + p
        return (e if e < lim else lim) - f
    a = f if f > 0 else 0
    e = f + k
    e = e if e < n else n
    return e - a


@nbcuda.jit(device=True)
def divisor(od, oh, ow, D, H, W, ker, st, pad, mode, override):
    """torch's divisor of the average at output (od, oh, ow)."""
    if mode == OVERRIDE:
        return override
    return (axis_divisor(od, D, ker[0], st[0], pad[0], mode)
            * axis_divisor(oh, H, ker[1], st[1], pad[1], mode)
            * axis_divisor(ow, W, ker[2], st[2], pad[2], mode))


@_cuda.per_dtype
def max_forward_kernel(dt):
    @nbcuda.jit
    def max_forward(x, y, idx, ker, st, pad, dil, want_idx):
        i = nbcuda.grid(1)
        if i >= y.size:
            return
        D, H, W = x.shape[2], x.shape[3], x.shape[4]
        n, c, od, oh, ow = _cuda.unravel5(i, y.shape)
        best = dt(-math.inf)
        bi = -1
        d0, d1 = taps(od, D, ker[0], st[0], pad[0], dil[0])
        h0, h1 = taps(oh, H, ker[1], st[1], pad[1], dil[1])
        w0, w1 = taps(ow, W, ker[2], st[2], pad[2], dil[2])
        for td in range(d0, d1):
            z = od * st[0] - pad[0] + td * dil[0]
            for th in range(h0, h1):
                h = oh * st[1] - pad[1] + th * dil[1]
                for tw in range(w0, w1):
                    w = ow * st[2] - pad[2] + tw * dil[2]
                    v = x[n, c, z, h, w]
                    # torch's rule: the first tap, then any greater or NaN one (so a
                    # window holding NaN gives NaN and the index of its last NaN)
                    if bi < 0 or v > best or v != v:
                        best = v
                        bi = (z * H + h) * W + w
        y[n, c, od, oh, ow] = best
        if want_idx:
            idx[n, c, od, oh, ow] = bi
    return max_forward


@_cuda.per_dtype
def avg_forward_kernel(dt):
    @nbcuda.jit
    def avg_forward(x, y, ker, st, pad, mode, override):
        i = nbcuda.grid(1)
        if i >= y.size:
            return
        D, H, W = x.shape[2], x.shape[3], x.shape[4]
        n, c, od, oh, ow = _cuda.unravel5(i, y.shape)
        acc = dt(0)
        d0, d1 = taps(od, D, ker[0], st[0], pad[0], 1)
        h0, h1 = taps(oh, H, ker[1], st[1], pad[1], 1)
        w0, w1 = taps(ow, W, ker[2], st[2], pad[2], 1)
        for td in range(d0, d1):
            z = od * st[0] - pad[0] + td
            for th in range(h0, h1):
                h = oh * st[1] - pad[1] + th
                for tw in range(w0, w1):
                    acc += x[n, c, z, h, ow * st[2] - pad[2] + tw]
        y[n, c, od, oh, ow] = acc / dt(divisor(od, oh, ow, D, H, W, ker, st, pad, mode,
                                               override))
    return avg_forward


@_cuda.per_dtype
def backward_kernel(dt):
    @nbcuda.jit
    def backward(gy, idx, gx, ker, st, pad, dil, is_max, mode, override):
        """gx = the sum of the output gradients whose window holds each input element: all
        of them divided by the divisor (avg), or those whose index is this element (max)."""
        i = nbcuda.grid(1)
        if i >= gx.size:
            return
        D, H, W = gx.shape[2], gx.shape[3], gx.shape[4]
        OD, OH, OW = gy.shape[2], gy.shape[3], gy.shape[4]
        n, c, z, h, w = _cuda.unravel5(i, gx.shape)
        me = (z * H + h) * W + w
        acc = dt(0)
        d0, d1 = taps_of(z, ker[0], st[0], pad[0], dil[0], OD)
        h0, h1 = taps_of(h, ker[1], st[1], pad[1], dil[1], OH)
        w0, w1 = taps_of(w, ker[2], st[2], pad[2], dil[2], OW)
        for td in range(d0, d1):
            a = z + pad[0] - td * dil[0]
            if a < 0 or a % st[0] != 0 or a // st[0] >= OD:
                continue
            od = a // st[0]
            for th in range(h0, h1):
                b = h + pad[1] - th * dil[1]
                if b < 0 or b % st[1] != 0 or b // st[1] >= OH:
                    continue
                oh = b // st[1]
                for tw in range(w0, w1):
                    e = w + pad[2] - tw * dil[2]
                    if e < 0 or e % st[2] != 0 or e // st[2] >= OW:
                        continue
                    ow = e // st[2]
                    if is_max:
                        if idx[n, c, od, oh, ow] == me:
                            acc += gy[n, c, od, oh, ow]
                    else:
                        div = divisor(od, oh, ow, D, H, W, ker, st, pad, mode, override)
                        acc += gy[n, c, od, oh, ow] / dt(div)
        gx[n, c, z, h, w] = acc
    return backward


def _as5d(a, p, out=False):
    return a.reshape((p.N, p.C) + tuple(p.out3 if out else p.size3))


def divisor_mode(p):
    """(mode, override) of the average's divisor, from the plan's flags."""
    if p.divisor_override is not None:
        return OVERRIDE, p.divisor_override
    return (INCLUDE_PAD if p.count_include_pad else EXCLUDE_PAD), 1


def _geometry(p):
    return tuple(p.kernel), tuple(p.stride), tuple(p.pad), tuple(p.step)


def _max(x5, p, want_idx):
    y = _cuda.empty((p.N, p.C) + tuple(p.out3), p.dtype)
    idx = (nbcuda.device_array(y.shape, np.int64) if want_idx
           else nbcuda.device_array((1, 1, 1, 1, 1), np.int64))  # a stand-in never written
    max_forward_kernel(p.dtype)[_cuda.blocks(y.size), _cuda.TPB](
        x5, y, idx, *_geometry(p), want_idx)
    return y, idx


@cuda.forward
def forward(x, p):
    (x,), host = _cuda.device_arrays(x)
    x5 = _as5d(x, p)
    if p.kind == "max":
        y, idx = _max(x5, p, p.return_indices)
        y = _cuda.result(y.reshape(p.out_shape), host)
        if p.return_indices:
            return y, _cuda.result(idx.reshape(p.out_shape), host)
        return y
    y = _cuda.empty((p.N, p.C) + tuple(p.out3), p.dtype)
    mode, override = divisor_mode(p)
    ker, st, pad, _ = _geometry(p)
    avg_forward_kernel(p.dtype)[_cuda.blocks(y.size), _cuda.TPB](
        x5, y, ker, st, pad, mode, override)
    return _cuda.result(y.reshape(p.out_shape), host)


@cuda.backward
def backward(gy, x, p):
    (gy, x), host = _cuda.device_arrays(gy, x)
    x5, g5 = _as5d(x, p), _as5d(gy, p, out=True)
    gx = _cuda.empty((p.N, p.C) + tuple(p.size3), p.dtype)
    if p.kind == "max":
        _, idx = _max(x5, p, True)
        mode, override = INCLUDE_PAD, 1
    else:
        idx = nbcuda.device_array((1, 1, 1, 1, 1), np.int64)
        mode, override = divisor_mode(p)
    backward_kernel(p.dtype)[_cuda.blocks(gx.size), _cuda.TPB](
        g5, idx, gx, *_geometry(p), p.kind == "max", mode, override)
    return (_cuda.result(gx.reshape(p.in_shape), host),)

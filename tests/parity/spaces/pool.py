"""Pooling: kernels from 1 to beyond the input, strides beyond the kernel, padding up to and
past half the kernel, dilation, ceil_mode, indices, divisors; empty and batch-less input."""
import numpy as np
import torch
import torch.nn.functional as F

from tests.parity.space import Derived, edge, positive, space

SIZES = {1: (6, 7, *edge(1, 0)), 2: (5, 6, *edge(1, 0)), 3: (4, 5, *edge(1, 0))}


def _input(nd):
    def shapes(f):
        return ((f.N, f.C, *(getattr(f, f"X{i}") for i in range(nd))),)
    return shapes


def _sizes(nd):
    return dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)), **{f"X{i}": SIZES[nd] for i in range(nd)})


def _two(nd, a, b):
    return (a, b, a)[:nd] if nd > 1 else (a,)


def _kernel(nd):
    return (2, 3, 1, _two(nd, 2, 3), *edge(8, 0))


def _stride(nd):
    return (None, 1, 2, 3, _two(nd, 1, 2), *edge(0))


PADDING = (0, 1, *edge(2, -1))

for _nd in (1, 2, 3):
    space(f"max_pool{_nd}d", _input(_nd), sizes=_sizes(_nd), batchless=("input",),
          params=dict(kernel_size=_kernel(_nd), stride=_stride(_nd), padding=PADDING,
                      dilation=(1, 2, _two(_nd, 2, 1), *edge(0)), ceil_mode=(False, True),
                      return_indices=(False, True)))
    avg = dict(kernel_size=_kernel(_nd), stride=_stride(_nd), padding=PADDING, ceil_mode=(False, True),
               count_include_pad=(True, False))
    if _nd > 1:
        avg["divisor_override"] = (None, 3, 1, *edge(0, -2))
    space(f"avg_pool{_nd}d", _input(_nd), sizes=_sizes(_nd), batchless=("input",), params=avg)

for _nd in (1, 2):
    space(f"lp_pool{_nd}d", _input(_nd), sizes=_sizes(_nd), batchless=("input",),
          params=dict(norm_type=(2, 1, 3.0, 0.5, *edge(float("inf"), 0, -1)), kernel_size=_kernel(_nd),
                      stride=_stride(_nd), ceil_mode=(False, True)))

space("sum_pool2d", _input(2), sizes=_sizes(2), batchless=("input",),
      params=dict(kernel_size=_kernel(2), stride=_stride(2), padding=PADDING, ceil_mode=(False, True)))

OUTPUT_SIZE = (3, 1, (2, 4), (None, 2), 7, *edge((0, 2), -1))
space("adaptive_avg_pool2d", _input(2), sizes=_sizes(2), batchless=("input",),
      params=dict(output_size=OUTPUT_SIZE))
space("adaptive_max_pool2d", _input(2), sizes=_sizes(2), batchless=("input",),
      params=dict(output_size=OUTPUT_SIZE, return_indices=(False, True)))
space("global_avg_pool2d", _input(2), sizes=_sizes(2), batchless=("input",))
space("spatial_pyramid_pool2d", _input(2), sizes=_sizes(2), batchless=("input",),
      params=dict(levels=((1, 2, 4), (1,), (3,), (2, 7), *edge((), (0,), (1, 9))), mode=("max", "avg")))


def _unpool_in(f):
    """The max pool whose output and indices max_unpool2d takes: window of the unpool's
    parameters over a plane of (X0, X1)."""
    return F.max_pool2d(torch.zeros(1, 1, f.X0, f.X1), f.kernel_size, f.stride, f.padding).shape[2:]


def _unpool_shapes(f):
    try:
        h, w = _unpool_in(f)
    except RuntimeError:           # no such pool: the unpool sees a 1x1 plane
        h, w = 1, 1
    return (f.N, f.C, h, w), (f.N, f.C, h, w)


def _unpool_make(f, shapes, rng):
    """Values and indices from torch's own max_pool2d over a random plane, as in a network."""
    N, C = shapes[0][:2]
    x = torch.from_numpy(rng.standard_normal((N, C, f.X0, f.X1)))
    try:
        values, indices = F.max_pool2d(x, f.kernel_size, f.stride, f.padding, return_indices=True)
    except RuntimeError:
        return [rng.standard_normal(shapes[0]), np.zeros(shapes[1], np.int64)]
    return [values.numpy(), indices.numpy()]


def _default_size(f):
    k, s, p = (v if isinstance(v, tuple) else (v, v)
               for v in (f.kernel_size, f.stride or f.kernel_size, f.padding))
    h, w = _unpool_shapes(f)[0][2:]
    return tuple((n - 1) * si - 2 * pi + ki for n, si, pi, ki in zip((h, w), s, p, k))


space("max_unpool2d", _unpool_shapes, make=_unpool_make, sizes=dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)),
                                                                     X0=(4, 5, 2), X1=(6, 3, 7)),
      batchless=("input", "indices"), specials=("finite", "nan", "inf"),
      params=dict(kernel_size=(2, 3, (2, 1)), stride=(None, 1, 2, (1, 2)), padding=(0, 1),
                  output_size=(None, Derived("default", _default_size),
                               Derived("default+1", lambda f: tuple(d + 1 for d in _default_size(f))),
                               Derived("N,C,default", lambda f: (f.N, f.C, *_default_size(f))),
                               *edge(Derived("default+stride", lambda f: tuple(d + positive(f.stride, 3)
                                                                              for d in _default_size(f)))))))

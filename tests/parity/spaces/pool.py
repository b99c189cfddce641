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

for _nd in (1, 2, 3):
    space(f"lp_pool{_nd}d", _input(_nd), sizes=_sizes(_nd), batchless=("input",),
          params=dict(norm_type=(2, 1, 3.0, 0.5, *edge(float("inf"), 0, -1)), kernel_size=_kernel(_nd),
                      stride=_stride(_nd), ceil_mode=(False, True)))

space("sum_pool2d", _input(2), sizes=_sizes(2), batchless=("input",),
      params=dict(kernel_size=_kernel(2), stride=_stride(2), padding=PADDING, ceil_mode=(False, True)))

# adaptive output sizes: an int for every dimension, one per dimension (None keeps the
# input's, in 2-D and 3-D), larger than the input, empty (an edge)
OUTPUT_SIZE = {1: (3, 1, (2,), 7, *edge((0,), -1, (None,))),
               2: (3, 1, (2, 4), (None, 2), 7, *edge((0, 2), -1)),
               3: (3, 1, (2, 1, 3), (None, 2, None), 5, *edge((0, 2, 1), -1))}
for _nd in (1, 2, 3):
    space(f"adaptive_avg_pool{_nd}d", _input(_nd), sizes=_sizes(_nd), batchless=("input",),
          params=dict(output_size=OUTPUT_SIZE[_nd]))
    space(f"adaptive_max_pool{_nd}d", _input(_nd), sizes=_sizes(_nd), batchless=("input",),
          params=dict(output_size=OUTPUT_SIZE[_nd], return_indices=(False, True)))
space("global_avg_pool2d", _input(2), sizes=_sizes(2), batchless=("input",))
space("spatial_pyramid_pool2d", _input(2), sizes=_sizes(2), batchless=("input",),
      params=dict(levels=((1, 2, 4), (1,), (3,), (2, 7), *edge((), (0,), (1, 9))), mode=("max", "avg")))


_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}


def _plane(f, nd):
    return tuple(getattr(f, f"X{i}") for i in range(nd))


def _unpool_in(f, nd):
    """The spatial size of the max pool whose output and indices max_unpool takes: window
    of the unpool's parameters over (X0, ...)."""
    return _POOL[nd](torch.zeros(1, 1, *_plane(f, nd)), f.kernel_size, f.stride, f.padding).shape[2:]


def _unpool_shapes(nd):
    def shapes(f):
        try:
            size = tuple(_unpool_in(f, nd))
        except RuntimeError:           # no such pool: the unpool sees a single element
            size = (1,) * nd
        return (f.N, f.C, *size), (f.N, f.C, *size)
    return shapes


def _unpool_make(nd):
    def make(f, shapes, rng):
        """Values and indices from torch's own max pool over a random input, as in a network."""
        N, C = shapes[0][:2]
        x = torch.from_numpy(rng.standard_normal((N, C, *_plane(f, nd))))
        try:
            values, indices = _POOL[nd](x, f.kernel_size, f.stride, f.padding, return_indices=True)
        except RuntimeError:
            return [rng.standard_normal(shapes[0]), np.zeros(shapes[1], np.int64)]
        return [values.numpy(), indices.numpy()]
    return make


def _default_size(nd):
    def size(f):
        k, s, p = (v if isinstance(v, tuple) else (v,) * nd
                   for v in (f.kernel_size, f.stride or f.kernel_size, f.padding))
        n = _unpool_shapes(nd)(f)[0][2:]
        return tuple((ni - 1) * si - 2 * pi + ki for ni, si, pi, ki in zip(n, s, p, k))
    return size


UNPOOL_SIZES = {1: dict(X0=(5, 8, 2)), 2: dict(X0=(4, 5, 2), X1=(6, 3, 7)),
                3: dict(X0=(4, 3), X1=(4, 2, 5), X2=(3, 4))}
for _nd in (1, 2, 3):
    _size = _default_size(_nd)
    space(f"max_unpool{_nd}d", _unpool_shapes(_nd), make=_unpool_make(_nd),
          sizes=dict(N=(2, 1, *edge(0)), C=(2, 1, *edge(0)), **UNPOOL_SIZES[_nd]),
          batchless=("input", "indices"), specials=("finite", "nan", "inf"),
          params=dict(kernel_size=(2, 3, _two(_nd, 2, 1)), stride=(None, 1, 2, _two(_nd, 1, 2)), padding=(0, 1),
                      output_size=(None, Derived("default", _size),
                                   Derived("default+1", lambda f, s=_size: tuple(d + 1 for d in s(f))),
                                   Derived("N,C,default", lambda f, s=_size: (f.N, f.C, *s(f))),
                                   *edge(Derived("default+stride",
                                                 lambda f, s=_size: tuple(d + positive(f.stride, 3)
                                                                          for d in s(f)))))))

"""What torch does with a call: its output, its gradients, the inputs it writes, or its
refusal.

Ops with a torch twin are computed by ``torch.nn.functional`` itself (not by ``reference``,
which could share a mistake with the code under test); ``padding="full"``, which torch
lacks, is translated to its integer padding.  Ops torch lacks (composite convolutions and
pools, deform_conv2d without torchvision's C++ ops) are computed by ``reference`` (torch
primitives); those that follow torch's convolution and pooling convention for an input
without its batch dimension compute it as a batch of one, as torch does.  Dropout draws
a random mask in torch, so torch decides what it accepts and ``reference`` (the seeded
mask, documented in reference/activation.py) gives the values.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

import kernels
import reference
from tests.parity import differences

# composite ops whose input may lack the batch dimension, as torch's conv and pool inputs
BATCHLESS_REFERENCES = {"separable_conv2d", "spatially_separable_conv2d", "unshared_conv2d",
                        "coord_conv2d", "sum_pool2d", "global_avg_pool2d", "spatial_pyramid_pool2d"}
RANK = {"unshared_conv2d": 4, "coord_conv2d": 4, "separable_conv2d": 4, "spatially_separable_conv2d": 4,
        "sum_pool2d": 4, "global_avg_pool2d": 4, "spatial_pyramid_pool2d": 4}


def _full(padding, weight, dilation):
    """torch's integer padding for ``"full"``: (k-1)*dilation at each end."""
    if not (isinstance(padding, str) and padding == "full"):
        return padding
    nd = weight.dim() - 2
    d = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation) * (nd if len(dilation) == 1 else 1)
    return tuple((k - 1) * di for k, di in zip(weight.shape[2:], d))


def _conv(nd):
    fn = getattr(F, f"conv{nd}d")
    module = getattr(torch.nn, f"Conv{nd}d")

    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
        padding = _full(padding, weight, dilation)
        if padding_mode == "zeros":
            return fn(input, weight, bias, stride, padding, dilation, groups)
        # torch's Conv module does the padding modes (F.pad, then the convolution): its own
        # forward, on a module of this geometry whose parameters are never used
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = module(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]), stride, padding,
                       dilation, groups, bias is not None, padding_mode, device="meta")
        return m._conv_forward(input, weight, bias)
    return conv


def _conv_transpose(nd):
    fn = getattr(F, f"conv_transpose{nd}d")

    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                       dilation=1):
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return conv_transpose


def _depthwise(input, weight, bias=None, stride=1, padding=0, dilation=1):
    return F.conv2d(input, weight, bias, stride, _full(padding, weight, dilation), dilation,
                    input.shape[-3] if input.dim() >= 3 else 1)


def _group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    return F.group_norm(input, num_groups, weight, bias, eps)


def _group_norm_grad(input, num_groups, weight=None, bias=None, eps=1e-5):
    if weight is None and bias is not None:
        # torch 2.13's group_norm backward fails ("tensor does not have a device") with a
        # bias and no weight: a weight of ones is the same function of input and bias
        weight = torch.ones(input.shape[1], dtype=input.dtype)
    return F.group_norm(input, num_groups, weight, bias, eps)


def _weight_norm(v, g, dim=0):
    return torch._weight_norm(v, g, -1 if dim is None else dim)


TWINS = {
    **{f"conv{nd}d": _conv(nd) for nd in (1, 2, 3)},
    **{f"conv_transpose{nd}d": _conv_transpose(nd) for nd in (1, 2, 3)},
    "depthwise_conv2d": _depthwise,
    "pointwise_conv2d": lambda input, weight, bias=None: F.conv2d(input, weight, bias),
    **{n: getattr(F, n) for n in (
        "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
        "lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
        "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
        "max_unpool1d", "max_unpool2d", "max_unpool3d", "pixel_shuffle", "pixel_unshuffle",
        "interpolate", "fold", "unfold", "relu", "leaky_relu", "relu6", "hardsigmoid", "hardswish",
        "silu", "gelu", "linear", "batch_norm", "instance_norm", "layer_norm", "local_response_norm")},
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "group_norm": _group_norm,
    "weight_norm": _weight_norm,
}
GRAD_TWINS = {"group_norm": _group_norm_grad}
RANDOM = {"dropout": F.dropout, "dropout2d": F.dropout2d}   # torch refuses, reference computes


def _batchless(name, fn):
    """``fn`` of a batch of one when the input lacks the batch dimension."""
    def call(input, *args, **kw):
        if input.dim() == RANK[name] - 1:
            out = fn(input.unsqueeze(0), *args, **kw)
            return out.squeeze(0)
        return fn(input, *args, **kw)
    return call


# composite convolutions pad with F.pad, which crops where torch's convolutions refuse
CONV_LIKE = {"coord_conv2d", "unshared_conv2d", "spatially_separable_conv2d", "deform_conv2d"}


def _refuse_negative_padding(fn):
    def call(*args, padding=0, **kw):
        values = padding if isinstance(padding, tuple) else (padding,)
        if any(isinstance(v, int) and v < 0 for v in values):
            raise RuntimeError("negative padding is not supported")   # as F.conv2d says
        return fn(*args, padding=padding, **kw)
    return call


def _conv2d_shape_rules(name, fn):
    """The shape rules of the torch function a composite convolution stands for, which its
    reference (F.pad, then F.conv2d or einsum) would not apply: coord_conv2d is F.conv2d of
    the input with coordinate channels (no 'same' padding with strides, no empty image in a
    non-empty batch); deform_conv2d is torchvision's (an output of at least one pixel)."""
    from reference.pads import pads2d

    def call(input, weight, *args, stride=1, padding=0, dilation=1, **kw):
        st = (stride,) * 2 if isinstance(stride, int) else tuple(stride)
        if name == "coord_conv2d":
            if padding == "same" and any(s != 1 for s in st):
                raise ValueError("padding='same' is not supported for strided convolutions")
            if input.dim() == 4 and input.shape[0] and input.shape[1] and 0 in input.shape[2:]:
                raise RuntimeError("Only zero batch or zero channel inputs are supported")
        if name == "deform_conv2d":
            pads = pads2d(padding, weight.shape[2:], dilation)
            dil = (dilation,) * 2 if isinstance(dilation, int) else tuple(dilation)
            for n, (lo, hi), k, d, s in zip(input.shape[2:], pads, weight.shape[2:], dil, st):
                if (n + lo + hi - d * (k - 1) - 1) // s + 1 < 1:
                    raise RuntimeError("Calculated output size too small")
        return fn(input, *args, weight=weight, stride=stride, padding=padding, dilation=dilation, **kw)
    return call


def torch_function(name: str, grad: bool = False):
    if grad and name in GRAD_TWINS:
        return GRAD_TWINS[name]
    if name in TWINS:
        return TWINS[name]
    if name in RANDOM:
        return reference.REFERENCES[name]
    fn = reference.REFERENCES[name]
    fn = _refuse_negative_padding(fn) if name in CONV_LIKE else fn
    fn = _conv2d_shape_rules(name, fn) if name in ("coord_conv2d", "deform_conv2d") else fn
    return _batchless(name, fn) if name in BATCHLESS_REFERENCES else fn


@dataclass
class Verdict:
    """torch's answer for one call: ``error`` (its refusal) or the outputs, the gradients of
    every differentiable input (None where absent or not differentiable), and the inputs it
    wrote: name -> "output" (an in-place op) or the array it left there."""
    error: str | None = None
    out: object = None
    grads: tuple = ()
    grad_error: str | None = None
    writes: dict | None = None
    gy: np.ndarray | None = None


def _tensors(op, arrays, requires_grad=False):
    out = {}
    for spec, a in zip(op.inputs, arrays):
        if a is None:
            out[spec.name] = None
        elif spec.index:
            out[spec.name] = torch.from_numpy(np.array(a, np.int64))
        else:
            t = torch.from_numpy(np.array(a, np.float64))
            out[spec.name] = t.requires_grad_(requires_grad and spec.differentiable)
    return out


def _numpy(out):
    if isinstance(out, (tuple, list)):
        return tuple(_numpy(o) for o in out)
    return out.detach().numpy().copy() if isinstance(out, torch.Tensor) else out


def _same(a, b) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def verdict(op, arrays, params, gy_seed) -> Verdict:
    """Call torch: the forward (which may refuse), the inputs it wrote, then the gradients of
    sum(out * gy) with gy drawn from ``gy_seed`` (what ``grad_out`` the test passes too);
    where torch is wrong and the ops differ on purpose, what they compute instead
    (tests/parity/differences.py)."""
    refused = differences.refusal(op, arrays, params)
    if refused:     # torch is not even called: its backward writes out of bounds there
        return Verdict(error=refused)
    return differences.apply(op, arrays, params, _torch_verdict(op, arrays, params, gy_seed))


def _torch_verdict(op, arrays, params, gy_seed) -> Verdict:
    name = op.name
    call_params = {k: v for k, v in params.items() if not (name in RANDOM and k == "seed")}
    tensors = _tensors(op, arrays)
    before = {k: t.clone() for k, t in tensors.items() if t is not None}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            check = RANDOM.get(name) or torch_function(name)
            out = check(**tensors, **call_params)
            if name in RANDOM:
                tensors = _tensors(op, arrays)
                out = torch_function(name)(**tensors, **params)
    except Exception as e:  # torch's refusals are RuntimeError, ValueError, TypeError, IndexError...
        return Verdict(error=f"{type(e).__name__}: {e}".splitlines()[0])
    result = Verdict(out=_numpy(out), writes={})
    main = out[0] if isinstance(out, (tuple, list)) else out
    for k, t in before.items():
        if name in RANDOM:   # the reference computes out of place: torch's dropout writes in place
            if params.get("inplace") and params.get("training", True) and t.numel():
                result.writes[k] = "output"
        elif not _same(t.numpy(), tensors[k].numpy()):
            result.writes[k] = "output" if tensors[k] is main else tensors[k].numpy().copy()
    gy = np.random.default_rng(gy_seed).standard_normal(tuple(main.shape))
    result.gy = gy
    try:
        result.grads = _grads(op, arrays, params, gy)
    except Exception as e:
        result.grad_error = f"{type(e).__name__}: {e}".splitlines()[0]
    return result


def _grads(op, arrays, params, gy):
    """Autograd of the same function; in-place ops computed out of place (the same values:
    autograd refuses in-place ops on leaves, and in-place leaky_relu with a negative slope)."""
    tensors = _tensors(op, arrays, requires_grad=True)
    params = {**params, "inplace": False} if "inplace" in params else params
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = torch_function(op.name, grad=True)(**tensors, **params)
    main = out[0] if isinstance(out, (tuple, list)) else out
    wrt = [t for t in tensors.values() if t is not None and t.requires_grad]
    if not wrt or not main.requires_grad:
        gs = [None] * len(wrt)
    else:
        gs = list(torch.autograd.grad(main, wrt, torch.from_numpy(gy), allow_unused=True))
    gs = iter(gs)
    grads = []
    for spec in op.inputs:
        t = tensors[spec.name]
        if t is not None and t.requires_grad:
            g = next(gs)
            grads.append(np.zeros(tuple(t.shape)) if g is None else g.numpy().copy())
        else:
            grads.append(None)
    return tuple(grads)


_VERDICTS: dict = {}


def for_case(g):
    """The (arrays, verdict) of a generated case, computed once per session; the arrays are
    the caller's to change."""
    from tests.parity.space import SEED, load
    op = kernels.OPS[g.op]
    if g.id not in _VERDICTS:
        arrays = g.arrays(op, load()[g.op])
        _VERDICTS[g.id] = arrays, verdict(op, [None if a is None else a.copy() for a in arrays],
                                          g.params, (SEED, g.index))
    arrays, v = _VERDICTS[g.id]
    return [None if a is None else a.copy() for a in arrays], v

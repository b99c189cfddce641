"""Drop-in torch modules computed by kernels: torch's constructor, parameters and state dict.

    from kernels.torch import nn as knn
    conv = knn.Conv2d(3, 16, 3, padding=1, algo="numba")      # every torch.nn.Conv2d argument
    conv.load_state_dict(torch_conv.state_dict())               # same keys: weight, bias

Each module subclasses its torch.nn twin (so ``__init__``, ``reset_parameters``, the
parameter names, buffers and state-dict keys are torch's own) and overrides ``forward`` to
call ``kernels.torch.<op>`` with ``algo`` (default ``"auto"``; also settable later as
``module.algo``).  Two modules have no torch.nn twin:

- ``DepthwiseSeparableConv2d``: a depthwise convolution then a 1x1 convolution, computed in
  one ``separable_conv2d`` call.  Its state dict is that of
  ``torch.nn.Sequential(OrderedDict(depthwise=Conv2d(C, C*m, k, groups=C, bias=False),
  pointwise=Conv2d(C*m, K, 1, bias=bias)))``: ``depthwise.weight`` (C*m, 1, kh, kw),
  ``pointwise.weight`` (K, C*m, 1, 1), ``pointwise.bias`` (K,).
- ``DeformConv2d``: torchvision.ops.DeformConv2d's constructor, ``weight``, ``bias`` and
  ``forward(input, offset, mask=None)``.

Routed modules: ``DepthwiseConv2d`` (groups = in_channels, the ``depthwise_conv2d`` op) and
``PointwiseConv2d`` (1x1, stride 1, no padding: ``pointwise_conv2d``) are
``torch.nn.Conv2d`` subclasses with Conv2d's parameters and state dict, ``GlobalAvgPool2d``
an ``AdaptiveAvgPool2d(1)`` computed by ``global_avg_pool2d``; ``convert`` picks them for
such layers.  ``LayerNorm2d`` is torchvision's ConvNeXt ``LayerNorm2d``
(an ``nn.LayerNorm`` over the channels of an NCHW tensor at each pixel).

``convert(model, algo="auto", inplace=False)`` (from ``kernels.torch.convert``) swaps
every module of a torch model that has a twin here for it; each twin is declared to it
beside its class (``declare``).

``inplace=True`` (ReLU, Dropout...) is accepted and computed out of place.  A module whose
op is not registered in ``kernels`` raises NotImplementedError when called.
"""
from __future__ import annotations

import contextlib
import inspect
import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

import kernels
from kernels.torch import functional as kt
from kernels.torch.convert import ConversionReport, Twin, convert, declare

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "DepthwiseSeparableConv2d", "DeformConv2d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "GroupNorm", "LayerNorm",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
    "LocalResponseNorm", "Dropout", "Dropout2d", "ReLU", "LeakyReLU", "Sigmoid", "Tanh",
    "PixelShuffle", "PixelUnshuffle", "Upsample", "Fold", "Unfold",
    "DepthwiseConv2d", "PointwiseConv2d", "Linear", "ReLU6", "Hardswish", "Hardsigmoid", "SiLU",
    "GELU", "LayerNorm2d", "GlobalAvgPool2d", "convert", "ConversionReport", "recording", "OpCall",
]


def op(name: str):
    """``kernels.torch.<name>``, or NotImplementedError if kernels has no such op."""
    if name not in kernels.OPS:
        raise NotImplementedError(f"op {name} is not registered in kernels "
                                  f"(available: {', '.join(kernels.ops())})")
    if _recorder is not None:
        return _recorder.wrap(name, getattr(kt, name))
    return getattr(kt, name)


# ---- recording the op calls of a forward (for per-layer reports) ---------------------------
@dataclass(frozen=True)
class OpCall:
    """One op call made by a module's forward: enough to ask ``kernels.<op>.choose`` what
    ``auto`` runs (``op.choose(dtype=dtype, **shapes, **params)``)."""
    module: str          # the module's name in the recorded model ("" for the model itself)
    op: str
    shapes: dict         # input name -> shape (None where absent)
    dtype: str
    params: dict
    algo: str


class _Recorder:
    def __init__(self, names: dict):
        self.names, self.calls, self.current = names, [], []

    def wrap(self, name, fn):
        def recorded(*args, algo="auto", **kwargs):
            op_ = kernels.OPS[name]
            bound = op_.__signature__.bind(*args, **kwargs)
            bound.apply_defaults()
            inputs = {i.name for i in op_.inputs}
            shapes = {k: None if v is None else tuple(v.shape)
                      for k, v in bound.arguments.items() if k in inputs}
            dtype = next(str(v.dtype).replace("torch.", "") for k, v in bound.arguments.items()
                         if k in inputs and v is not None)
            params = {k: v for k, v in bound.arguments.items() if k not in inputs}
            module = self.names.get(id(self.current[-1]), "?") if self.current else ""
            self.calls.append(OpCall(module, name, shapes, dtype, params, algo))
            return fn(*args, algo=algo, **kwargs)
        return recorded


_recorder: _Recorder | None = None


@contextlib.contextmanager
def recording(model: nn.Module):
    """Record every op call the kernels modules of ``model`` make, in order::

        with recording(model) as calls:
            model(x)
        for c in calls: print(c.module, c.op, c.shapes, kernels.OPS[c.op].choose(...))

    For reports and the benchmark harness; calls are slower while recording."""
    global _recorder
    if _recorder is not None:
        raise RuntimeError("recording() is already active")
    names = {id(m): n for n, m in model.named_modules()}
    rec = _Recorder(names)

    def enter(module, args):
        rec.current.append(module)

    def leave(module, args, output):
        rec.current.pop()

    hooks = []
    for m in model.modules():
        if isinstance(m, KernelsModule):
            hooks += [m.register_forward_pre_hook(enter), m.register_forward_hook(leave)]
    _recorder = rec
    try:
        yield rec.calls
    finally:
        _recorder = None
        for h in hooks:
            h.remove()


class KernelsModule:
    """Mixin: the ``algo`` attribute, shown by ``repr``."""

    algo: str = "auto"

    def extra_repr(self) -> str:
        base = super().extra_repr()
        return f"{base}, algo={self.algo!r}" if base else f"algo={self.algo!r}"


def _with_algo(sig):
    """torch's constructor signature plus the keyword ``algo="auto"`` (before any **kwargs)."""
    params = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    extra = [p for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD]
    algo = inspect.Parameter("algo", inspect.Parameter.KEYWORD_ONLY, default="auto")
    return sig.replace(parameters=[*params, algo, *extra])


def drop_in(torch_cls, forward, op_name: str, name: str | None = None, twin_of="same"):
    """A subclass of ``torch_cls`` whose constructor also takes ``algo`` and whose forward
    (running the op ``op_name``) is ours.  ``twin_of``: the torch type (or its qualified
    name) that ``convert`` replaces by it (default ``torch_cls``; None: none)."""
    def __init__(self, *args, algo: str = "auto", **kwargs):
        torch_cls.__init__(self, *args, **kwargs)
        self.algo = algo

    __init__.__signature__ = _with_algo(inspect.signature(torch_cls.__init__))

    name = name or torch_cls.__name__
    cls = type(name, (KernelsModule, torch_cls),
               {"__init__": __init__, "forward": forward, "__module__": __name__,
                "__qualname__": name,
                "__doc__": f"torch.nn.{torch_cls.__name__} computed by kernels ({op_name}); "
                           f"extra argument algo='auto'."})
    twin_of = torch_cls if twin_of == "same" else twin_of
    if twin_of is not None:
        declare(twin_of, lambda module: Twin(cls, op_name))
    return cls


# ---- convolutions ---------------------------------------------------------------------------
def _conv_forward(nd):
    def forward(self, input):
        return op(f"conv{nd}d")(input, self.weight, self.bias, stride=self.stride,
                                padding=self.padding, dilation=self.dilation, groups=self.groups,
                                padding_mode=self.padding_mode, algo=self.algo)
    return forward


def _conv_transpose_forward(nd):
    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for ConvTranspose{nd}d")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding,
                                              self.kernel_size, nd, self.dilation)
        return op(f"conv_transpose{nd}d")(
            input, self.weight, self.bias, stride=self.stride, padding=self.padding,
            output_padding=tuple(output_padding), groups=self.groups, dilation=self.dilation,
            algo=self.algo)
    return forward


def _depthwise_forward(self, input):
    if self.padding_mode != "zeros":  # depthwise_conv2d pads with zeros; convert routes only those
        raise ValueError(f"DepthwiseConv2d pads with zeros, got padding_mode={self.padding_mode!r} "
                         f"(Conv2d takes every padding mode)")
    return op("depthwise_conv2d")(input, self.weight, self.bias, stride=self.stride,
                                  padding=self.padding, dilation=self.dilation, algo=self.algo)


def _pointwise_forward(self, input):
    return op("pointwise_conv2d")(input, self.weight, self.bias, algo=self.algo)


class DepthwiseConv2d(KernelsModule, nn.Conv2d):
    """A depthwise ``torch.nn.Conv2d`` (groups = in_channels; out_channels a multiple of it)
    computed by ``depthwise_conv2d``: Conv2d's parameters, state dict and repr."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, algo="auto"):
        if out_channels % in_channels:
            raise ValueError(f"out_channels ({out_channels}) must be a multiple of in_channels "
                             f"({in_channels}) for a depthwise convolution")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups=in_channels, bias=bias, padding_mode=padding_mode, device=device,
                         dtype=dtype)
        self.algo = algo

    forward = _depthwise_forward


class PointwiseConv2d(KernelsModule, nn.Conv2d):
    """A 1x1 ``torch.nn.Conv2d`` (stride 1, no padding, groups 1) computed by
    ``pointwise_conv2d``, one GEMM: Conv2d's parameters, state dict and repr."""

    def __init__(self, in_channels, out_channels, bias=True, device=None, dtype=None, algo="auto"):
        super().__init__(in_channels, out_channels, 1, bias=bias, device=device, dtype=dtype)
        self.algo = algo

    forward = _pointwise_forward


def route_conv2d(module: nn.Conv2d) -> Twin:
    """Conv2d -> DepthwiseConv2d when groups = in_channels (> 1) and it pads with zeros,
    PointwiseConv2d when it is a plain 1x1 (stride 1, no padding, groups 1), else Conv2d."""
    m = module
    if m.groups == m.in_channels > 1 and m.out_channels % m.in_channels == 0 and \
            m.padding_mode == "zeros":
        return Twin(DepthwiseConv2d, "depthwise_conv2d")
    if m.kernel_size == (1, 1) and m.stride == (1, 1) and m.groups == 1 and \
            m.padding in ((0, 0), "valid"):
        return Twin(PointwiseConv2d, "pointwise_conv2d")
    return Twin(Conv2d, "conv2d")


Conv1d = drop_in(nn.Conv1d, _conv_forward(1), "conv1d")
Conv2d = drop_in(nn.Conv2d, _conv_forward(2), "conv2d", twin_of=None)
declare(nn.Conv2d, route_conv2d)
Conv3d = drop_in(nn.Conv3d, _conv_forward(3), "conv3d")
ConvTranspose1d = drop_in(nn.ConvTranspose1d, _conv_transpose_forward(1), "conv_transpose1d")
ConvTranspose2d = drop_in(nn.ConvTranspose2d, _conv_transpose_forward(2), "conv_transpose2d")
ConvTranspose3d = drop_in(nn.ConvTranspose3d, _conv_transpose_forward(3), "conv_transpose3d")


class DepthwiseSeparableConv2d(KernelsModule, nn.Module):
    """Depthwise k x k convolution (``depth_multiplier`` filters per input channel, no bias)
    then a 1x1 convolution to ``out_channels`` (with bias), in one ``separable_conv2d`` call.

    State dict: ``depthwise.weight`` (C*m, 1, kh, kw), ``pointwise.weight`` (K, C*m, 1, 1),
    ``pointwise.bias`` (K,) -- the keys of ``nn.Sequential(OrderedDict(depthwise=
    nn.Conv2d(C, C*m, k, stride, padding, dilation, groups=C, bias=False),
    pointwise=nn.Conv2d(C*m, K, 1, bias=bias)))``, which computes the same function
    (see ``torch_equivalent``).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 depth_multiplier=1, bias=True, device=None, dtype=None, algo="auto"):
        super().__init__()
        self.algo = algo
        self.depthwise = nn.Conv2d(in_channels, in_channels * depth_multiplier, kernel_size,
                                   stride, padding, dilation, groups=in_channels, bias=False,
                                   device=device, dtype=dtype)
        self.pointwise = nn.Conv2d(in_channels * depth_multiplier, out_channels, 1, bias=bias,
                                   device=device, dtype=dtype)

    def forward(self, input):
        dw = self.depthwise
        return op("separable_conv2d")(input, dw.weight, self.pointwise.weight, self.pointwise.bias,
                                      stride=dw.stride, padding=dw.padding, dilation=dw.dilation,
                                      algo=self.algo)

    def torch_equivalent(self) -> nn.Sequential:
        """The same layer in plain torch.nn (same state-dict keys), e.g. to check results."""
        dw, pw = self.depthwise, self.pointwise
        seq = nn.Sequential(OrderedDict(
            depthwise=nn.Conv2d(dw.in_channels, dw.out_channels, dw.kernel_size, dw.stride,
                                dw.padding, dw.dilation, groups=dw.groups, bias=False),
            pointwise=nn.Conv2d(pw.in_channels, pw.out_channels, 1, bias=pw.bias is not None)))
        return seq.to(dw.weight.dtype)


class DeformConv2d(KernelsModule, nn.Module):
    """torchvision.ops.DeformConv2d: ``weight`` (out, in/groups, kh, kw), ``bias`` (out,);
    ``forward(input, offset, mask=None)`` with offset (N, 2*G_off*kh*kw, P, Q)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, algo="auto"):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError("in_channels and out_channels must be divisible by groups")
        pair = torch.nn.modules.utils._pair
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.dilation = pair(padding), pair(dilation)
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.algo = algo
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, input, offset, mask=None):
        return op("deform_conv2d")(input, offset, self.weight, self.bias, stride=self.stride,
                                   padding=self.padding, dilation=self.dilation, mask=mask,
                                   algo=self.algo)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}, "
                f"groups={self.groups}, bias={self.bias is not None}, algo={self.algo!r}")


# ---- pooling and resampling -----------------------------------------------------------------
def _max_pool_forward(nd):
    def forward(self, input):
        return op(f"max_pool{nd}d")(input, kernel_size=self.kernel_size, stride=self.stride,
                                    padding=self.padding, dilation=self.dilation,
                                    ceil_mode=self.ceil_mode, return_indices=self.return_indices,
                                    algo=self.algo)
    return forward


def _avg_pool_forward(nd):
    def forward(self, input):
        extra = {} if nd == 1 else {"divisor_override": self.divisor_override}
        return op(f"avg_pool{nd}d")(input, kernel_size=self.kernel_size, stride=self.stride,
                                    padding=self.padding, ceil_mode=self.ceil_mode,
                                    count_include_pad=self.count_include_pad, algo=self.algo,
                                    **extra)
    return forward


def _adaptive_avg_forward(nd):
    def forward(self, input):
        return op(f"adaptive_avg_pool{nd}d")(input, output_size=self.output_size, algo=self.algo)
    return forward


def _adaptive_max_forward(nd):
    def forward(self, input):
        return op(f"adaptive_max_pool{nd}d")(input, output_size=self.output_size,
                                             return_indices=self.return_indices, algo=self.algo)
    return forward


def _lp_pool_forward(nd):
    def forward(self, input):
        return op(f"lp_pool{nd}d")(input, norm_type=self.norm_type, kernel_size=self.kernel_size,
                                   stride=self.stride, ceil_mode=self.ceil_mode, algo=self.algo)
    return forward


def _max_unpool_forward(nd):
    def forward(self, input, indices, output_size=None):
        return op(f"max_unpool{nd}d")(input, indices, kernel_size=self.kernel_size,
                                      stride=self.stride, padding=self.padding,
                                      output_size=output_size, algo=self.algo)
    return forward


MaxPool1d = drop_in(nn.MaxPool1d, _max_pool_forward(1), "max_pool1d")
MaxPool2d = drop_in(nn.MaxPool2d, _max_pool_forward(2), "max_pool2d")
MaxPool3d = drop_in(nn.MaxPool3d, _max_pool_forward(3), "max_pool3d")
AvgPool1d = drop_in(nn.AvgPool1d, _avg_pool_forward(1), "avg_pool1d")
AvgPool2d = drop_in(nn.AvgPool2d, _avg_pool_forward(2), "avg_pool2d")
AvgPool3d = drop_in(nn.AvgPool3d, _avg_pool_forward(3), "avg_pool3d")
LPPool1d = drop_in(nn.LPPool1d, _lp_pool_forward(1), "lp_pool1d")
LPPool2d = drop_in(nn.LPPool2d, _lp_pool_forward(2), "lp_pool2d")
LPPool3d = drop_in(nn.LPPool3d, _lp_pool_forward(3), "lp_pool3d")
MaxUnpool1d = drop_in(nn.MaxUnpool1d, _max_unpool_forward(1), "max_unpool1d")
MaxUnpool2d = drop_in(nn.MaxUnpool2d, _max_unpool_forward(2), "max_unpool2d")
MaxUnpool3d = drop_in(nn.MaxUnpool3d, _max_unpool_forward(3), "max_unpool3d")
AdaptiveAvgPool1d = drop_in(nn.AdaptiveAvgPool1d, _adaptive_avg_forward(1), "adaptive_avg_pool1d")
AdaptiveAvgPool2d = drop_in(nn.AdaptiveAvgPool2d, _adaptive_avg_forward(2), "adaptive_avg_pool2d",
                            twin_of=None)
AdaptiveAvgPool3d = drop_in(nn.AdaptiveAvgPool3d, _adaptive_avg_forward(3), "adaptive_avg_pool3d")


def _global_avg_forward(self, input):
    if self.output_size not in (1, (1, 1)):
        raise ValueError(f"GlobalAvgPool2d pools to output_size 1, got {self.output_size!r} "
                         f"(AdaptiveAvgPool2d computes other sizes)")
    if input.dim() == 3:  # (C, H, W), as AdaptiveAvgPool2d takes it
        return op("global_avg_pool2d")(input.unsqueeze(0), algo=self.algo).squeeze(0)
    return op("global_avg_pool2d")(input, algo=self.algo)


# AdaptiveAvgPool2d(1): the mean over H and W, by its own op
GlobalAvgPool2d = drop_in(nn.AdaptiveAvgPool2d, _global_avg_forward, "global_avg_pool2d",
                          name="GlobalAvgPool2d", twin_of=None)


def route_adaptive_avg_pool2d(module: nn.AdaptiveAvgPool2d) -> Twin:
    """AdaptiveAvgPool2d(1) -> GlobalAvgPool2d, else AdaptiveAvgPool2d."""
    if module.output_size in (1, (1, 1)):
        return Twin(GlobalAvgPool2d, "global_avg_pool2d")
    return Twin(AdaptiveAvgPool2d, "adaptive_avg_pool2d")


declare(nn.AdaptiveAvgPool2d, route_adaptive_avg_pool2d)


AdaptiveMaxPool1d = drop_in(nn.AdaptiveMaxPool1d, _adaptive_max_forward(1), "adaptive_max_pool1d")
AdaptiveMaxPool2d = drop_in(nn.AdaptiveMaxPool2d, _adaptive_max_forward(2), "adaptive_max_pool2d")
AdaptiveMaxPool3d = drop_in(nn.AdaptiveMaxPool3d, _adaptive_max_forward(3), "adaptive_max_pool3d")


def _pixel_shuffle_forward(self, input):
    return op("pixel_shuffle")(input, upscale_factor=self.upscale_factor, algo=self.algo)


def _pixel_unshuffle_forward(self, input):
    return op("pixel_unshuffle")(input, downscale_factor=self.downscale_factor, algo=self.algo)


def _upsample_forward(self, input):
    params = {"size": self.size, "scale_factor": self.scale_factor, "mode": self.mode,
              "align_corners": self.align_corners}
    if self.recompute_scale_factor is not None:
        params["recompute_scale_factor"] = self.recompute_scale_factor
    return op("interpolate")(input, algo=self.algo, **params)


def _fold_forward(self, input):
    return op("fold")(input, output_size=self.output_size, kernel_size=self.kernel_size,
                      dilation=self.dilation, padding=self.padding, stride=self.stride, algo=self.algo)


def _unfold_forward(self, input):
    return op("unfold")(input, kernel_size=self.kernel_size, dilation=self.dilation,
                        padding=self.padding, stride=self.stride, algo=self.algo)


PixelShuffle = drop_in(nn.PixelShuffle, _pixel_shuffle_forward, "pixel_shuffle")
PixelUnshuffle = drop_in(nn.PixelUnshuffle, _pixel_unshuffle_forward, "pixel_unshuffle")
Upsample = drop_in(nn.Upsample, _upsample_forward, "interpolate", twin_of=None)


def route_upsample(module: nn.Upsample) -> Twin | str:
    """Upsample, or the reason interpolate refuses its mode (asked of the op on a small
    NCHW shape: the plan validates the mode and flags before any input exists)."""
    if "interpolate" in kernels.OPS:
        try:
            kernels.OPS["interpolate"].output_shape(
                (1, 1, 4, 4), size=module.size, scale_factor=module.scale_factor,
                mode=module.mode, align_corners=module.align_corners)
        except (ValueError, TypeError) as e:
            return str(e)
    return Twin(Upsample, "interpolate")


declare(nn.Upsample, route_upsample)
Fold = drop_in(nn.Fold, _fold_forward, "fold")
Unfold = drop_in(nn.Unfold, _unfold_forward, "unfold")


# ---- normalisation ----------------------------------------------------------------------------
def _batch_norm_forward(self, input):
    """torch's _BatchNorm.forward, step for step: num_batches_tracked, momentum None as a
    cumulative average, batch statistics in training and when there are no buffers."""
    self._check_input_dim(input)
    factor = 0.0 if self.momentum is None else self.momentum
    if self.training and self.track_running_stats and self.num_batches_tracked is not None:
        self.num_batches_tracked.add_(1)
        factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
    use_batch = self.training or (self.running_mean is None and self.running_var is None)
    track = not self.training or self.track_running_stats
    flat = input.dim() == 2  # BatchNorm1d on (N, C): as (N, C, 1)
    out = op("batch_norm")(input.unsqueeze(-1) if flat else input,
                           running_mean=self.running_mean if track else None,
                           running_var=self.running_var if track else None,
                           weight=self.weight, bias=self.bias, training=use_batch,
                           momentum=factor, eps=self.eps, algo=self.algo)
    return out.squeeze(-1) if flat else out


def _instance_norm_forward(self, input):
    self._check_input_dim(input)
    single = input.dim() == self._get_no_batch_dim()
    x = input.unsqueeze(0) if single else input
    out = op("instance_norm")(x, running_mean=self.running_mean, running_var=self.running_var,
                              weight=self.weight, bias=self.bias,
                              use_input_stats=self.training or not self.track_running_stats,
                              momentum=self.momentum if self.momentum is not None else 0.0,
                              eps=self.eps, algo=self.algo)
    return out.squeeze(0) if single else out


def _group_norm_forward(self, input):
    return op("group_norm")(input, num_groups=self.num_groups, weight=self.weight, bias=self.bias,
                            eps=self.eps, algo=self.algo)


def _layer_norm_forward(self, input):
    return op("layer_norm")(input, normalized_shape=self.normalized_shape, weight=self.weight,
                            bias=self.bias, eps=self.eps, algo=self.algo)


def _lrn_forward(self, input):
    return op("local_response_norm")(input, size=self.size, alpha=self.alpha, beta=self.beta,
                                     k=self.k, algo=self.algo)


BatchNorm1d = drop_in(nn.BatchNorm1d, _batch_norm_forward, "batch_norm")
BatchNorm2d = drop_in(nn.BatchNorm2d, _batch_norm_forward, "batch_norm")
BatchNorm3d = drop_in(nn.BatchNorm3d, _batch_norm_forward, "batch_norm")
InstanceNorm1d = drop_in(nn.InstanceNorm1d, _instance_norm_forward, "instance_norm")
InstanceNorm2d = drop_in(nn.InstanceNorm2d, _instance_norm_forward, "instance_norm")
InstanceNorm3d = drop_in(nn.InstanceNorm3d, _instance_norm_forward, "instance_norm")
GroupNorm = drop_in(nn.GroupNorm, _group_norm_forward, "group_norm")
LayerNorm = drop_in(nn.LayerNorm, _layer_norm_forward, "layer_norm")
LocalResponseNorm = drop_in(nn.LocalResponseNorm, _lrn_forward, "local_response_norm")


def _layer_norm2d_forward(self, input):
    if input.dim() != 4 or tuple(self.normalized_shape) != (input.shape[1],):
        raise ValueError(f"LayerNorm2d({tuple(self.normalized_shape)}) normalises the channels "
                         f"of an (N, C, H, W) input with C = {tuple(self.normalized_shape)}, "
                         f"got input of shape {tuple(input.shape)}")
    return op("layer_norm2d")(input, self.weight, self.bias, eps=self.eps, algo=self.algo)


# torchvision's ConvNeXt LayerNorm2d: an nn.LayerNorm over the channels of an NCHW tensor at
# each pixel (its forward permutes to NHWC, layer-norms the last axis, permutes back).  It
# subclasses nn.LayerNorm, so only its exact type is its twin, never nn.LayerNorm's.
LayerNorm2d = drop_in(nn.LayerNorm, _layer_norm2d_forward, "layer_norm2d", name="LayerNorm2d",
                      twin_of="torchvision.models.convnext.LayerNorm2d")


# ---- regularisation and activations -------------------------------------------------------
def _dropout_forward(name):
    def forward(self, input):  # the seed is drawn from torch's generator by kernels.torch
        if (not self.training or self.p == 0) and 0 <= self.p <= 1 and isinstance(input, torch.Tensor):
            return input  # torch's Dropout returns its input itself when it drops nothing
        return op(name)(input, p=self.p, training=self.training, algo=self.algo)
    return forward


def _activation_forward(name, **attrs):
    def forward(self, input):
        return op(name)(input, algo=self.algo, **{k: getattr(self, a) for k, a in attrs.items()})
    return forward


Dropout = drop_in(nn.Dropout, _dropout_forward("dropout"), "dropout")
Dropout2d = drop_in(nn.Dropout2d, _dropout_forward("dropout2d"), "dropout2d")
ReLU = drop_in(nn.ReLU, _activation_forward("relu"), "relu")
LeakyReLU = drop_in(nn.LeakyReLU, _activation_forward("leaky_relu", negative_slope="negative_slope"),
                    "leaky_relu")
Sigmoid = drop_in(nn.Sigmoid, _activation_forward("sigmoid"), "sigmoid")
Tanh = drop_in(nn.Tanh, _activation_forward("tanh"), "tanh")
ReLU6 = drop_in(nn.ReLU6, _activation_forward("relu6"), "relu6")
Hardswish = drop_in(nn.Hardswish, _activation_forward("hardswish"), "hardswish")
Hardsigmoid = drop_in(nn.Hardsigmoid, _activation_forward("hardsigmoid"), "hardsigmoid")
SiLU = drop_in(nn.SiLU, _activation_forward("silu"), "silu")
GELU = drop_in(nn.GELU, _activation_forward("gelu", approximate="approximate"), "gelu")


# ---- fully connected --------------------------------------------------------------------------
def _linear_forward(self, input):
    return op("linear")(input, self.weight, self.bias, algo=self.algo)


Linear = drop_in(nn.Linear, _linear_forward, "linear")

# the op behind each module, for tests and docs
OP_OF = {
    "Conv1d": "conv1d", "Conv2d": "conv2d", "Conv3d": "conv3d",
    "ConvTranspose1d": "conv_transpose1d", "ConvTranspose2d": "conv_transpose2d",
    "ConvTranspose3d": "conv_transpose3d", "DepthwiseSeparableConv2d": "separable_conv2d",
    "DeformConv2d": "deform_conv2d", "MaxPool1d": "max_pool1d", "MaxPool2d": "max_pool2d",
    "MaxPool3d": "max_pool3d", "AvgPool1d": "avg_pool1d", "AvgPool2d": "avg_pool2d",
    "AvgPool3d": "avg_pool3d", "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
    "AdaptiveMaxPool2d": "adaptive_max_pool2d", "BatchNorm1d": "batch_norm",
    "BatchNorm2d": "batch_norm", "BatchNorm3d": "batch_norm", "GroupNorm": "group_norm",
    "LayerNorm": "layer_norm", "InstanceNorm1d": "instance_norm", "InstanceNorm2d": "instance_norm",
    "InstanceNorm3d": "instance_norm", "LPPool1d": "lp_pool1d", "LPPool2d": "lp_pool2d",
    "LPPool3d": "lp_pool3d", "MaxUnpool1d": "max_unpool1d", "MaxUnpool2d": "max_unpool2d",
    "MaxUnpool3d": "max_unpool3d", "AdaptiveAvgPool1d": "adaptive_avg_pool1d",
    "AdaptiveAvgPool3d": "adaptive_avg_pool3d", "AdaptiveMaxPool1d": "adaptive_max_pool1d",
    "AdaptiveMaxPool3d": "adaptive_max_pool3d",
    "LocalResponseNorm": "local_response_norm", "Dropout": "dropout", "Dropout2d": "dropout2d",
    "ReLU": "relu", "LeakyReLU": "leaky_relu", "Sigmoid": "sigmoid", "Tanh": "tanh",
    "PixelShuffle": "pixel_shuffle", "PixelUnshuffle": "pixel_unshuffle", "Upsample": "interpolate",
    "Fold": "fold", "Unfold": "unfold",
    "DepthwiseConv2d": "depthwise_conv2d", "PointwiseConv2d": "pointwise_conv2d",
    "Linear": "linear", "ReLU6": "relu6", "Hardswish": "hardswish", "Hardsigmoid": "hardsigmoid",
    "SiLU": "silu", "GELU": "gelu", "LayerNorm2d": "layer_norm2d",
    "GlobalAvgPool2d": "global_avg_pool2d",
}

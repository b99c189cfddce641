"""References for depthwise, depthwise-separable and spatially separable convolutions,
built from torch.nn.functional.conv2d so that autograd gives every gradient."""
import torch
import torch.nn.functional as F

from reference import ref
from reference.pads import torch_padding


def _conv2d(x, w, b, stride, padding, dilation, groups=1):
    return F.conv2d(x, w, b, stride, torch_padding(padding, w, dilation), dilation, groups)


@ref("depthwise_conv2d")
def depthwise_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    return _conv2d(input, weight, bias, stride, padding, dilation, groups=input.shape[-3])


@ref("separable_conv2d")
def separable_conv2d(input, weight_depthwise, weight_pointwise, bias=None, stride=1, padding=0,
                     dilation=1):
    mid = depthwise_conv2d(input, weight_depthwise, None, stride, padding, dilation)
    return F.conv2d(mid, weight_pointwise, bias)


@ref("spatially_separable_conv2d")
def spatially_separable_conv2d(input, col, row, bias=None, stride=1, padding=0, dilation=1):
    weight = torch.einsum("kcr,kcs->kcrs", col, row)  # the outer-product kernel
    return _conv2d(input, weight, bias, stride, padding, dilation)

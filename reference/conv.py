"""References for conv1d/2d/3d and the 1x1 convolution: torch.nn.functional itself, with
``padding_mode`` done as torch's Conv modules do it (``_ConvNd._conv_forward``): F.pad in
that mode, then the convolution with padding 0."""
import torch.nn.functional as F

from reference import ref
from reference.pads import module_padding, torch_padding

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _conv(nd):
    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
             padding_mode="zeros"):
        if padding_mode != "zeros":
            pads = module_padding(padding, weight, dilation)
            return _CONV[nd](F.pad(input, pads, mode=padding_mode), weight, bias, stride, 0,
                             dilation, groups)
        return _CONV[nd](input, weight, bias, stride, torch_padding(padding, weight, dilation),
                         dilation, groups)
    return conv


for _nd in (1, 2, 3):
    ref(f"conv{_nd}d")(_conv(_nd))


@ref("pointwise_conv2d")
def pointwise_conv2d(input, weight, bias=None):
    return F.conv2d(input, weight, bias)

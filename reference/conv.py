"""References for conv1d/2d/3d and the 1x1 convolution: torch.nn.functional itself."""
import torch.nn.functional as F

from reference import ref
from reference.pads import torch_padding

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _conv(nd):
    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return _CONV[nd](input, weight, bias, stride, torch_padding(padding, weight, dilation), dilation, groups)
    return conv


for _nd in (1, 2, 3):
    ref(f"conv{_nd}d")(_conv(_nd))


@ref("pointwise_conv2d")
def pointwise_conv2d(input, weight, bias=None):
    return F.conv2d(input, weight, bias)

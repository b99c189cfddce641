"""References for conv1d/2d/3d and the 1x1 convolution: torch.nn.functional itself."""
import torch.nn.functional as F

from reference import ref

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _padding(padding, weight, dilation):
    """torch has no 'full' mode: it is (k-1)*dilation zeros at each end."""
    if padding != "full":
        return padding
    nd = weight.dim() - 2
    d = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation) * (nd if len(dilation) == 1 else 1)
    return tuple((k - 1) * di for k, di in zip(weight.shape[2:], d))


def _conv(nd):
    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return _CONV[nd](input, weight, bias, stride, _padding(padding, weight, dilation), dilation, groups)
    return conv


for _nd in (1, 2, 3):
    ref(f"conv{_nd}d")(_conv(_nd))


@ref("pointwise_conv2d")
def pointwise_conv2d(input, weight, bias=None):
    return F.conv2d(input, weight, bias)

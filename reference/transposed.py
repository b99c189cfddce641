"""References for conv_transpose1d/2d/3d: torch.nn.functional itself."""
import torch.nn.functional as F

from reference import ref

_FN = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _conv_transpose(nd):
    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
        return _FN[nd](input, weight, bias, stride, padding, output_padding, groups, dilation)
    return conv_transpose


for _nd in (1, 2, 3):
    ref(f"conv_transpose{_nd}d")(_conv_transpose(_nd))

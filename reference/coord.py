"""Reference for coord_conv2d: torch builds the coordinate channels, then F.conv2d."""
import torch
import torch.nn.functional as F

from reference import ref
from reference.pads import batch_of_one, pads2d


@ref("coord_conv2d")
@batch_of_one
def coord_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, with_r=False):
    N, _, H, W = input.shape
    row = torch.linspace(-1, 1, H, dtype=input.dtype)[:, None].expand(H, W)
    col = torch.linspace(-1, 1, W, dtype=input.dtype)[None, :].expand(H, W)
    chans = [row, col] + ([torch.sqrt(row ** 2 + col ** 2)] if with_r else [])
    x = torch.cat([input, torch.stack(chans).expand(N, len(chans), H, W)], dim=1)
    (top, bottom), (left, right) = pads2d(padding, weight.shape[2:], dilation)
    x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, weight, bias, stride, 0, dilation, groups)

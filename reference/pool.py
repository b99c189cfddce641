"""References for the pooling ops: torch.nn.functional, or built from it where torch has none."""
import torch
import torch.nn.functional as F

from reference import ref

for _name in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
              "lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
              "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
              "adaptive_max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"):
    ref(_name)(getattr(F, _name))


@ref("sum_pool2d")
def sum_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False):
    """Window sums: average pooling whose divisor is overridden to 1."""
    return F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, divisor_override=1)


@ref("global_avg_pool2d")
def global_avg_pool2d(input):
    return F.adaptive_avg_pool2d(input, 1)


@ref("spatial_pyramid_pool2d")
def spatial_pyramid_pool2d(input, levels=(1, 2, 4), mode="max"):
    """He et al. 2014: one adaptive pool per level, each flattened, concatenated; an input
    (C, H, W) as a batch of one, without the batch dimension."""
    if input.dim() == 3:
        return spatial_pyramid_pool2d(input[None], levels, mode)[0]
    pool = F.adaptive_max_pool2d if mode == "max" else F.adaptive_avg_pool2d
    return torch.cat([pool(input, level).flatten(1) for level in levels], dim=1)

"""The networks of the suite: torchvision's definitions (random init, no downloads), a U-Net
and a RepLKNet-style stage, each in a full size for the benchmark and a small one for tests.

The small variants keep every module type and code path of the full one (so that a test
of the small one covers what convert does to the big one) at a fraction of the cost:
fewer blocks and channels, where the torchvision class lets us say so.
"""
from __future__ import annotations

import sys
import types
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn


def torchvision():
    """torchvision's pure-Python parts.  Its wheel here is a CUDA build whose compiled ops do
    not load beside the CPU torch, and ``import torchvision`` fails while registering them;
    stubbing those two registration modules lets the model definitions import."""
    if "torchvision.models" not in sys.modules:
        for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
            sys.modules.setdefault(name, types.ModuleType(name))
    import torchvision as tv
    import torchvision.models  # noqa: F401
    return tv


# ---- networks of our own -----------------------------------------------------------------
def _conv_bn_relu(c_in, c_out):
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class UNet(nn.Module):
    """U-Net (Ronneberger, Fischer and Brox 2015, arXiv:1505.04597) with padded convolutions
    and batch norm: ``depth`` levels of two 3x3 conv-BN-ReLU, max pooling down, transposed
    2x2 convolutions up, skip connections concatenated, a 1x1 convolution to the classes."""

    def __init__(self, in_channels=3, classes=2, base=32, depth=4):
        super().__init__()
        widths = [base * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        c = in_channels
        for w in widths:
            self.down.append(nn.Sequential(*_conv_bn_relu(c, w), *_conv_bn_relu(w, w)))
            c = w
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(nn.ConvTranspose2d(w * 2, w, 2, stride=2) for w in reversed(widths[:-1]))
        self.merge = nn.ModuleList(nn.Sequential(*_conv_bn_relu(w * 2, w), *_conv_bn_relu(w, w))
                                   for w in reversed(widths[:-1]))
        self.head = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else self.pool(x))
            skips.append(x)
        for up, merge, skip in zip(self.up, self.merge, reversed(skips[:-1])):
            x = merge(torch.cat([up(x), skip], dim=1))
        return self.head(x)


class ReparamLargeKernel(nn.Module):
    """RepLKNet's large depthwise kernel (Ding et al. 2022, arXiv:2203.06717, section 3): a
    K x K depthwise conv-BN in parallel with a small 5x5 one, summed (before
    re-parameterisation merges them into one)."""

    def __init__(self, channels, kernel=31, small=5):
        super().__init__()
        self.large = nn.Sequential(OrderedDict(
            conv=nn.Conv2d(channels, channels, kernel, padding=kernel // 2, groups=channels, bias=False),
            bn=nn.BatchNorm2d(channels)))
        self.small = nn.Sequential(OrderedDict(
            conv=nn.Conv2d(channels, channels, small, padding=small // 2, groups=channels, bias=False),
            bn=nn.BatchNorm2d(channels)))

    def forward(self, x):
        return self.large(x) + self.small(x)


class RepLKBlock(nn.Module):
    """RepLKNet block: BN, 1x1 conv-BN-ReLU, large-kernel depthwise, ReLU, 1x1 conv-BN,
    residual; then the ConvFFN: BN, 1x1 expand x4, GELU, 1x1 back, residual."""

    def __init__(self, channels=128, kernel=31, ffn_ratio=4):
        super().__init__()
        c, h = channels, channels * ffn_ratio
        self.lk = nn.Sequential(
            nn.BatchNorm2d(c), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
            ReparamLargeKernel(c, kernel), nn.ReLU(),
            nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))
        self.ffn = nn.Sequential(
            nn.BatchNorm2d(c), nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.GELU(),
            nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        x = x + self.lk(x)
        return x + self.ffn(x)


# ---- the suite -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Network:
    name: str
    doc: str
    build: Callable[[], nn.Module]        # the full network, random init
    input: tuple                          # its input (C, H, W)
    small: Callable[[], nn.Module]        # a small one with the same module types (tests)
    small_input: tuple


def _resnet(depth):
    return lambda: getattr(torchvision().models, f"resnet{depth}")(weights=None)


def _small_resnet50():
    """resnet50's Bottleneck blocks, one per stage, at a quarter of the inner width."""
    rn = torchvision().models.resnet
    return rn.ResNet(rn.Bottleneck, [1, 1, 1, 1], num_classes=10, width_per_group=16)


def _small_mobilenet():
    return torchvision().models.mobilenet_v2(weights=None, width_mult=0.25, num_classes=10)


def _vgg16_bn():
    return torchvision().models.vgg16_bn(weights=None)


def _small_vgg():
    """torchvision's VGG features (make_layers, config D) at 1/8 of the channels, with VGG's
    head (adaptive pool, Linear-ReLU-Dropout twice, Linear) made small too."""
    vgg = torchvision().models.vgg
    cfg = [v if v == "M" else v // 8 for v in vgg.cfgs["D"]]
    return nn.Sequential(OrderedDict(
        features=vgg.make_layers(cfg, batch_norm=True), avgpool=nn.AdaptiveAvgPool2d((2, 2)),
        flatten=nn.Flatten(), classifier=nn.Sequential(
            nn.Linear(64 * 4, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 32), nn.ReLU(True),
            nn.Dropout(), nn.Linear(32, 10))))


def _small_convnext():
    cv = torchvision().models.convnext
    return cv.ConvNeXt([cv.CNBlockConfig(16, 32, 2), cv.CNBlockConfig(32, None, 1)],
                       stochastic_depth_prob=0.1, layer_scale=0.5, num_classes=10)


def _small_efficientnet():
    ef = torchvision().models.efficientnet
    setting = [ef.MBConvConfig(1, 3, 1, 16, 8, 1), ef.MBConvConfig(6, 3, 2, 8, 16, 2),
               ef.MBConvConfig(6, 5, 2, 16, 24, 1)]
    return ef.EfficientNet(setting, dropout=0.2, num_classes=10)


NETWORKS = {n.name: n for n in [
    Network("resnet18", "torchvision resnet18", _resnet(18), (3, 224, 224),
            _resnet(18), (3, 32, 32)),
    Network("resnet50", "torchvision resnet50", _resnet(50), (3, 224, 224),
            _small_resnet50, (3, 32, 32)),
    Network("mobilenet_v2", "torchvision mobilenet_v2", lambda: torchvision().models.mobilenet_v2(weights=None),
            (3, 224, 224), _small_mobilenet, (3, 32, 32)),
    Network("vgg16_bn", "torchvision vgg16_bn", _vgg16_bn, (3, 224, 224), _small_vgg, (3, 32, 32)),
    Network("convnext_tiny", "torchvision convnext_tiny",
            lambda: torchvision().models.convnext_tiny(weights=None), (3, 224, 224),
            _small_convnext, (3, 32, 32)),
    Network("efficientnet_b0", "torchvision efficientnet_b0",
            lambda: torchvision().models.efficientnet_b0(weights=None), (3, 224, 224),
            _small_efficientnet, (3, 32, 32)),
    Network("unet", "U-Net, 4 levels, base width 32", lambda: UNet(3, 2, 32, 4), (3, 256, 256),
            lambda: UNet(3, 2, 4, 2), (3, 16, 16)),
    Network("replknet_block", "RepLKNet-31B stage-1 block (31x31 depthwise), 128 channels",
            lambda: RepLKBlock(128, 31), (128, 56, 56), lambda: RepLKBlock(8, 31), (8, 20, 20)),
]}

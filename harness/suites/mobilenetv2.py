"""MobileNetV2 (Sandler et al. 2018): the stem, the inverted residual blocks' 3x3
depthwise layers (as depthwise_conv2d and as conv2d with groups=C) and their 1x1
expansion and projection layers."""
from harness.suites import BATCH as N
from harness.suites import Entry, conv, suite

_DEPTHWISE = [  # (C, H, stride)
    (32, 112, 1), (96, 112, 2), (144, 56, 1), (144, 56, 2), (192, 28, 1),
    (384, 14, 1), (576, 14, 1), (576, 14, 2), (960, 7, 1),
]
_POINTWISE = [  # (C, K, H)
    (32, 16, 112), (16, 96, 112), (96, 24, 56), (24, 144, 56), (144, 32, 28),
    (192, 64, 14), (384, 64, 14), (576, 160, 7), (960, 320, 7), (320, 1280, 7),
]


def _dw(C, H, s):
    return Entry("depthwise_conv2d", f"dw{C}-{H}-s{s}", ((N, C, H, H), (C, 1, 3, 3), None),
                 dict(stride=s, padding=1))


suite("mobilenetv2", __doc__, [
    conv("conv2d", "stem-3x3s2", N, 3, 224, 32, 3, stride=2, padding=1, bias=False),
    *[_dw(C, H, s) for C, H, s in _DEPTHWISE],
    *[conv("conv2d", f"dw{C}-{H}-s{s}", N, C, H, C, 3, stride=s, padding=1, bias=False, groups=C)
      for C, H, s in _DEPTHWISE],
    *[Entry("pointwise_conv2d", f"pw{C}-{K}-{H}", ((N, C, H, H), (K, C, 1, 1), None))
      for C, K, H in _POINTWISE],
    Entry("separable_conv2d", "block1-dw32-pw16-112",
          ((N, 32, 112, 112), (32, 1, 3, 3), (16, 32, 1, 1), None), dict(padding=1)),
    Entry("global_avg_pool2d", "head-pool", ((N, 1280, 7, 7),)),
])

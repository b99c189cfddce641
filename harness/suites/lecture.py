"""The worked examples of the lecture notes: AlexNet's first layer (11x11, stride 4 on a
227x227 image), the 1x1 bottleneck (256 -> 64 channels at 56x56), the depthwise-separable
layer (3x3 depthwise on 32 channels at 112x112, then 1x1 to 64) and its parts, and a 3x3
kernel factored into a column and a row (spatially separable)."""
from harness.suites import BATCH as N
from harness.suites import Entry, conv, suite

suite("lecture", __doc__, [
    conv("conv2d", "alexnet-conv1", N, 3, 227, 96, 11, stride=4),
    conv("conv2d", "bottleneck-1x1-256-64", N, 256, 56, 64, 1, bias=False),
    Entry("pointwise_conv2d", "bottleneck-1x1-256-64", ((N, 256, 56, 56), (64, 256, 1, 1), None)),
    Entry("separable_conv2d", "dw-separable-32-64",
          ((N, 32, 112, 112), (32, 1, 3, 3), (64, 32, 1, 1), (64,)), dict(padding=1)),
    Entry("depthwise_conv2d", "dw-separable-32-64", ((N, 32, 112, 112), (32, 1, 3, 3), None),
          dict(padding=1)),
    conv("conv2d", "dw-separable-32-64-as-groups", N, 32, 112, 32, 3, padding=1, bias=False, groups=32),
    Entry("pointwise_conv2d", "dw-separable-32-64", ((N, 32, 112, 112), (64, 32, 1, 1), (64,))),
    conv("conv2d", "dw-separable-as-full-3x3", N, 32, 112, 64, 3, padding=1),
    Entry("spatially_separable_conv2d", "3x1-1x3-64-56",
          ((N, 64, 56, 56), (64, 64, 3), (64, 64, 3), (64,)), dict(padding=1)),
])

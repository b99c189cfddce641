"""Depthwise and depthwise-separable layers of MobileNetV2's kind (3x3, stride 1 and 2,
batch 4): ``depthwise_conv2d`` against torch's grouped conv2d, and the fused
``separable_conv2d`` (``numba``) against the two-step ``im2col`` and torch's two convs.
Add ``--backward`` for the gradients (torch's through autograd)::

    python run_bench.py --suite depthwise --algos numba,im2col --backward"""
from harness.suites import BATCH as N
from harness.suites import Entry, suite

LAYERS = [  # (C, H, stride, K of the pointwise step)
    (96, 56, 1, 24), (96, 56, 2, 24), (144, 56, 1, 24), (192, 28, 1, 32), (384, 14, 1, 64),
]


def _depthwise(C, H, s, K):
    return Entry("depthwise_conv2d", f"dw{C}-{H}-s{s}", ((N, C, H, H), (C, 1, 3, 3), (C,)),
                 dict(stride=s, padding=1))


def _separable(C, H, s, K):
    return Entry("separable_conv2d", f"dw{C}-pw{K}-{H}-s{s}",
                 ((N, C, H, H), (C, 1, 3, 3), (K, C, 1, 1), (K,)), dict(stride=s, padding=1))


suite("depthwise", __doc__, [*[_depthwise(*layer) for layer in LAYERS],
                             *[_separable(*layer) for layer in LAYERS]], batch=4)

"""VGG-16 (Simonyan & Zisserman 2015): every distinct 3x3 convolution (pad 1) and the 2x2
max pooling between the stages."""
from harness.suites import BATCH as N
from harness.suites import Entry, conv, suite

_LAYERS = [  # (name, C, K, H)
    ("conv1_1", 3, 64, 224), ("conv1_2", 64, 64, 224),
    ("conv2_1", 64, 128, 112), ("conv2_2", 128, 128, 112),
    ("conv3_1", 128, 256, 56), ("conv3_2", 256, 256, 56),
    ("conv4_1", 256, 512, 28), ("conv4_2", 512, 512, 28),
    ("conv5_1", 512, 512, 14),
]

suite("vgg16", __doc__, [
    *[conv("conv2d", name, N, C, H, K, 3, padding=1) for name, C, K, H in _LAYERS],
    Entry("relu", "relu1_2", ((N, 64, 224, 224),)),
    Entry("max_pool2d", "pool1", ((N, 64, 224, 224),), dict(kernel_size=2, stride=2)),
    Entry("max_pool2d", "pool5", ((N, 512, 14, 14),), dict(kernel_size=2, stride=2)),
])

"""GPU layers: ResNet-50's and MobileNetV2's convolutions at 224x224 input, batch 8, as
``conv2d`` (depthwise ones with groups = C), and MobileNetV2's depthwise layers again
through ``depthwise_conv2d``.  Meant for the ``cuda`` algorithm against torch on the GPU
(cuDNN, TF32 off); on a machine without a GPU its rows are ``unsupported``::

    python run_bench.py --suite gpu --algos cuda --dtype float32,float64 --backward"""
from harness.suites import BATCH as N
from harness.suites import Entry, conv, suite

RESNET50 = [  # (name, C, H, K, kernel, stride, padding)
    ("conv1", 3, 224, 64, 7, 2, 3),
    ("layer1-1x1-reduce", 256, 56, 64, 1, 1, 0),
    ("layer1-3x3", 64, 56, 64, 3, 1, 1),
    ("layer1-1x1-expand", 64, 56, 256, 1, 1, 0),
    ("layer2-3x3s2", 128, 56, 128, 3, 2, 1),
    ("layer2-3x3", 128, 28, 128, 3, 1, 1),
    ("layer2-1x1-expand", 128, 28, 512, 1, 1, 0),
    ("layer3-3x3", 256, 14, 256, 3, 1, 1),
    ("layer3-1x1-reduce", 1024, 14, 256, 1, 1, 0),
    ("layer4-3x3", 512, 7, 512, 3, 1, 1),
    ("layer4-1x1-expand", 512, 7, 2048, 1, 1, 0),
]
MOBILENETV2 = [  # (name, C, H, K, kernel, stride, padding, groups)
    ("conv0-3x3s2", 3, 224, 32, 3, 2, 1, 1),
    ("block1-depthwise", 32, 112, 32, 3, 1, 1, 32),
    ("block1-project", 32, 112, 16, 1, 1, 0, 1),
    ("block2-expand", 16, 112, 96, 1, 1, 0, 1),
    ("block2-depthwise-s2", 96, 112, 96, 3, 2, 1, 96),
    ("block3-depthwise", 144, 56, 144, 3, 1, 1, 144),
    ("block3-project", 144, 56, 24, 1, 1, 0, 1),
    ("block10-depthwise", 384, 14, 384, 3, 1, 1, 384),
    ("block10-project", 384, 14, 64, 1, 1, 0, 1),
    ("block17-depthwise", 960, 7, 960, 3, 1, 1, 960),
    ("block17-project", 960, 7, 320, 1, 1, 0, 1),
    ("conv-last", 320, 7, 1280, 1, 1, 0, 1),
]

suite("gpu", __doc__, [
    *[conv("conv2d", f"resnet50-{name}", N, C, H, K, k, stride=s, padding=p)
      for name, C, H, K, k, s, p in RESNET50],
    *[conv("conv2d", f"mobilenetv2-{name}", N, C, H, K, k, stride=s, padding=p, groups=g)
      for name, C, H, K, k, s, p, g in MOBILENETV2],
    *[Entry("depthwise_conv2d", f"mobilenetv2-{name}", ((N, C, H, H), (C, 1, k, k), (C,)),
            dict(stride=s, padding=p))
      for name, C, H, K, k, s, p, g in MOBILENETV2 if g > 1],
], batch=8)

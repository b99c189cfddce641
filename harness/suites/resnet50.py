"""ResNet-50 (He et al. 2016, torchvision's v1.5: the stride sits on the 3x3 of each
first bottleneck): the stem, every distinct 3x3 and 1x1 layer, the stride-2 downsampling
shortcuts, and the stem's pooling, normalisation and activation."""
from harness.suites import BATCH as N
from harness.suites import Entry, conv, suite

suite("resnet50", __doc__, [
    conv("conv2d", "conv1-7x7s2", N, 3, 224, 64, 7, stride=2, padding=3, bias=False),
    Entry("batch_norm", "bn1", ((N, 64, 112, 112), (64,), (64,), (64,), (64,)), dict(training=False)),
    Entry("relu", "relu1", ((N, 64, 112, 112),)),
    Entry("max_pool2d", "maxpool-3x3s2", ((N, 64, 112, 112),), dict(kernel_size=3, stride=2, padding=1)),
    # layer1, 56x56
    conv("conv2d", "res2-1x1-64-64", N, 64, 56, 64, 1, bias=False),
    conv("conv2d", "res2-3x3-64", N, 64, 56, 64, 3, padding=1, bias=False),
    conv("conv2d", "res2-1x1-64-256", N, 64, 56, 256, 1, bias=False),
    conv("conv2d", "res2-1x1-256-64", N, 256, 56, 64, 1, bias=False),
    # layer2: stride 2 on the 3x3 and on the 1x1 shortcut
    conv("conv2d", "res3-3x3s2-128", N, 128, 56, 128, 3, stride=2, padding=1, bias=False),
    conv("conv2d", "res3-down-1x1s2-256-512", N, 256, 56, 512, 1, stride=2, bias=False),
    conv("conv2d", "res3-3x3-128", N, 128, 28, 128, 3, padding=1, bias=False),
    conv("conv2d", "res3-1x1-512-128", N, 512, 28, 128, 1, bias=False),
    # layer3
    conv("conv2d", "res4-3x3s2-256", N, 256, 28, 256, 3, stride=2, padding=1, bias=False),
    conv("conv2d", "res4-down-1x1s2-512-1024", N, 512, 28, 1024, 1, stride=2, bias=False),
    conv("conv2d", "res4-3x3-256", N, 256, 14, 256, 3, padding=1, bias=False),
    conv("conv2d", "res4-1x1-1024-256", N, 1024, 14, 256, 1, bias=False),
    conv("conv2d", "res4-1x1-256-1024", N, 256, 14, 1024, 1, bias=False),
    # layer4
    conv("conv2d", "res5-3x3s2-512", N, 512, 14, 512, 3, stride=2, padding=1, bias=False),
    conv("conv2d", "res5-down-1x1s2-1024-2048", N, 1024, 14, 2048, 1, stride=2, bias=False),
    conv("conv2d", "res5-3x3-512", N, 512, 7, 512, 3, padding=1, bias=False),
    conv("conv2d", "res5-1x1-2048-512", N, 2048, 7, 512, 1, bias=False),
    # the stride-1 1x1 layers again, through the dedicated 1x1 op
    Entry("pointwise_conv2d", "res2-1x1-64-256", ((N, 64, 56, 56), (256, 64, 1, 1), None)),
    Entry("pointwise_conv2d", "res4-1x1-1024-256", ((N, 1024, 14, 14), (256, 1024, 1, 1), None)),
    Entry("pointwise_conv2d", "res5-1x1-512-2048", ((N, 512, 7, 7), (2048, 512, 1, 1), None)),
    Entry("adaptive_avg_pool2d", "avgpool", ((N, 2048, 7, 7),), dict(output_size=1)),
])

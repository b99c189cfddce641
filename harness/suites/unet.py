"""U-Net decoder (Ronneberger et al. 2015) for a 256x256 input: the 2x2 stride-2
transposed convolutions that double the resolution, the 3x3 convolutions after each skip
concatenation, the 1x1 classifier, and bilinear upsampling as the alternative to the
transposed convolution."""
from harness.suites import BATCH as N
from harness.suites import Entry, conv, suite

_STAGES = [(1024, 16), (512, 32), (256, 64), (128, 128)]  # (channels in, resolution in)

suite("unet", __doc__, [
    *[Entry("conv_transpose2d", f"up{C}-{H}", ((N, C, H, H), (C, C // 2, 2, 2), (C // 2,)),
            dict(stride=2)) for C, H in _STAGES],
    *[conv("conv2d", f"dec{C}-{2 * H}", N, C, 2 * H, C // 2, 3, padding=1) for C, H in _STAGES],
    Entry("pointwise_conv2d", "classifier-64-2", ((N, 64, 256, 256), (2, 64, 1, 1), (2,))),
    Entry("interpolate", "bilinear-up1024-16", ((N, 1024, 16, 16),),
          dict(scale_factor=2, mode="bilinear", align_corners=False)),
])

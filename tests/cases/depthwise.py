"""depthwise_conv2d cases: MobileNet-like layers (tiny) and every parameter edge."""
from tests.cases import Case, cases

cases("depthwise_conv2d",
      Case("3x3-pad1", ((2, 3, 6, 7), (3, 1, 3, 3), (3,)), dict(padding=1)),
      Case("mobilenet-stride2", ((2, 8, 9, 9), (8, 1, 3, 3), (8,)), dict(stride=2, padding=1)),
      Case("multiplier2", ((1, 3, 7, 6), (6, 1, 3, 3), (6,)), dict(padding="same")),
      Case("multiplier3-valid", ((2, 2, 6, 6), (6, 1, 2, 3), None), dict(padding="valid")),
      Case("dilation-with-padding", ((1, 4, 9, 8), (4, 1, 3, 3), (4,)), dict(dilation=2, padding=2)),
      Case("same-even-kernel", ((1, 2, 7, 8), (2, 1, 4, 2), None), dict(padding="same")),
      Case("full", ((1, 2, 5, 4), (4, 1, 3, 2), (4,)), dict(padding="full")),
      Case("rect-stride-gt-kernel", ((2, 3, 10, 11), (3, 1, 2, 2), (3,)), dict(stride=(3, 4), padding=(1, 0))),
      Case("5x5-pad-gt-kernel", ((1, 3, 4, 5), (3, 1, 5, 5), (3,)), dict(padding=3, stride=2)),
      Case("1x1", ((1, 4, 3, 3), (8, 1, 1, 1), None)),
      Case("batch1-big-channels", ((1, 32, 8, 8), (32, 1, 3, 3), (32,)), dict(padding=1)))

"""spatially_separable_conv2d cases: Sobel-sized kernels, long 1xn/nx1 pairs, every edge."""
from tests.cases import Case, cases

cases("spatially_separable_conv2d",
      Case("3x3-pad1", ((2, 3, 6, 7), (4, 3, 3), (4, 3, 3), (4,)), dict(padding=1)),
      Case("7x1-1x7-inception", ((1, 4, 9, 9), (3, 4, 7), (3, 4, 7), (3,)), dict(padding=3)),
      Case("rect-stride", ((2, 2, 9, 10), (3, 2, 3), (3, 2, 2), None), dict(stride=(2, 3), padding=(1, 0))),
      Case("dilation-with-padding", ((1, 2, 9, 8), (2, 2, 3), (2, 2, 3), (2,)), dict(dilation=(2, 1), padding=2)),
      Case("same-even", ((1, 3, 7, 8), (2, 3, 4), (2, 3, 2), None), dict(padding="same")),
      Case("full", ((1, 2, 5, 4), (3, 2, 3), (3, 2, 2), (3,)), dict(padding="full")),
      Case("stride-gt-kernel", ((2, 3, 11, 11), (2, 3, 2), (2, 3, 2), (2,)), dict(stride=4)),
      Case("1x1", ((1, 4, 3, 5), (5, 4, 1), (5, 4, 1), (5,))))

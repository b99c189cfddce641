"""unshared_conv2d cases: tiny (the naive loops run on them), every geometry parameter."""
from tests.cases import Case, cases

cases("unshared_conv2d",
      Case("3x3", ((2, 3, 5, 6), (3, 4, 4, 3, 3, 3), (4, 3, 4))),
      Case("pad1-no-bias", ((1, 2, 4, 4), (4, 4, 3, 2, 3, 3), None), dict(padding=1)),
      Case("stride-dil", ((2, 2, 7, 8), (3, 2, 3, 2, 2, 3), (3, 3, 2)), dict(stride=(2, 3), dilation=2)),
      Case("same-even", ((1, 2, 4, 5), (4, 5, 2, 2, 2, 2), (2, 4, 5)), dict(padding="same")),
      Case("1x1", ((2, 3, 3, 4), (3, 4, 5, 3, 1, 1), (5, 3, 4))),
      Case("full", ((1, 2, 3, 3), (5, 4, 2, 2, 3, 2), None), dict(padding="full")))

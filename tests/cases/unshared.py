"""unshared_conv2d cases: tiny (the naive loops run on them), every geometry parameter, and
the calls it refuses."""
from tests.cases import Bad, Case, cases, refuses
from tests.cases.conv import nonfinite

cases("unshared_conv2d",
      Case("3x3", ((2, 3, 5, 6), (3, 4, 4, 3, 3, 3), (4, 3, 4))),
      Case("pad1-no-bias", ((1, 2, 4, 4), (4, 4, 3, 2, 3, 3), None), dict(padding=1)),
      Case("stride-dil", ((2, 2, 7, 8), (3, 2, 3, 2, 2, 3), (3, 3, 2)), dict(stride=(2, 3), dilation=2)),
      Case("same-even", ((1, 2, 4, 5), (4, 5, 2, 2, 2, 2), (2, 4, 5)), dict(padding="same")),
      Case("1x1", ((2, 3, 3, 4), (3, 4, 5, 3, 1, 1), (5, 3, 4))),
      Case("full", ((1, 2, 3, 3), (5, 4, 2, 2, 3, 2), None), dict(padding="full")),
      Case("unbatched", ((3, 5, 6), (3, 4, 4, 3, 3, 3), (4, 3, 4))),
      Case("batch0", ((0, 3, 5, 6), (3, 4, 4, 3, 3, 3), (4, 3, 4))),
      Case("no-output-channels", ((2, 3, 5, 6), (3, 4, 0, 3, 3, 3), (0, 3, 4))),
      Case("nan-inf", ((2, 3, 5, 6), (3, 4, 4, 3, 3, 3), (4, 3, 4)),
           make=nonfinite((2, 3, 5, 6), (3, 4, 4, 3, 3, 3), (4, 3, 4))))


# Each bad call changes the first case: x (2, 3, 5, 6), w (3, 4, 4, 3, 3, 3) (a 3 x 4
# output), b (4, 3, 4).
refuses("unshared_conv2d",
        Bad("weight-output-width", ValueError, "weight", shapes=dict(weight=(3, 3, 4, 3, 3, 3))),
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(3, 4, 4, 2, 3, 3))),
        Bad("weight-shared", ValueError, "weight", shapes=dict(weight=(4, 3, 3, 3))),
        Bad("weight-for-another-stride", ValueError, "weight", params=dict(stride=2)),
        Bad("bias-shared", ValueError, "bias", shapes=dict(bias=(4,))),
        Bad("bias-output-size", ValueError, "bias", shapes=dict(bias=(4, 3, 3))),
        Bad("padding-negative", ValueError, "padding", params=dict(padding=-1)),
        Bad("groups-not-an-argument", TypeError, "groups", params=dict(groups=1)),
        Bad("no-channels", ValueError, "input", shapes=dict(input=(2, 0, 5, 6), weight=(3, 4, 4, 0, 3, 3))),
        Bad("height0-with-batch", ValueError, "input", shapes=dict(input=(2, 3, 0, 6), weight=(1, 4, 4, 3, 3, 3),
            bias=None), params=dict(padding=2), match="empty"))

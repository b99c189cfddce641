"""coord_conv2d cases: the weight's input channels include 2 (or 3 with with_r) coordinates;
and the calls it refuses."""
from tests.cases import Bad, Case, cases, refuses
from tests.cases.conv import SPREADING, nonfinite

cases("coord_conv2d",
      Case("3x3-pad1", ((2, 3, 5, 6), (4, 5, 3, 3), (4,)), dict(padding=1)),
      Case("with_r", ((1, 2, 6, 5), (3, 5, 3, 3), None), dict(with_r=True, stride=2)),
      Case("groups-with_r", ((2, 3, 4, 4), (4, 3, 3, 3), (4,)), dict(groups=2, with_r=True, padding="same")),
      Case("1x1", ((1, 4, 3, 7), (5, 6, 1, 1), (5,))),
      Case("dilated-full", ((1, 1, 5, 4), (2, 3, 2, 2), None), dict(dilation=2, padding="full")),
      Case("one-row", ((2, 2, 1, 6), (3, 4, 1, 3), (3,))),
      Case("unbatched", ((3, 5, 6), (4, 5, 3, 3), (4,)), dict(padding=1)),
      Case("batch0", ((0, 3, 5, 6), (4, 5, 3, 3), (4,)), dict(padding=1)),
      Case("no-own-channels", ((2, 0, 4, 5), (3, 2, 3, 3), (3,)), dict(padding=1)),
      Case("nan-inf", ((2, 3, 5, 6), (4, 5, 3, 3), (4,)), dict(padding=1),
           make=nonfinite((2, 3, 5, 6), (4, 5, 3, 3), (4,)), exclude=SPREADING))


# Each bad call changes the first case: x (2, 3, 5, 6), w (4, 5, 3, 3), b (4,), padding 1.
refuses("coord_conv2d",
        Bad("weight-without-coordinates", ValueError, "weight", shapes=dict(weight=(4, 3, 3, 3))),
        Bad("with-r-needs-a-channel-more", ValueError, "weight", params=dict(with_r=True)),
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(4, 6, 3, 3))),
        Bad("groups-not-dividing-C-plus-2", ValueError, "groups", params=dict(groups=2)),
        Bad("with-r-int", TypeError, "with_r", params=dict(with_r=1)),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(3,))),
        Bad("height0-with-batch", ValueError, "input", shapes=dict(input=(2, 3, 0, 6)), params=dict(padding=2),
            match="empty"))

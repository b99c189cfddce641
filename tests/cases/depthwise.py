"""depthwise_conv2d cases: MobileNet-like layers (tiny) and every parameter edge, and the
calls it refuses."""
from tests.cases import Bad, Case, cases, refuses
from tests.cases.conv import SPREADING, nonfinite

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
      Case("batch1-big-channels", ((1, 32, 8, 8), (32, 1, 3, 3), (32,)), dict(padding=1)),
      Case("unbatched", ((3, 6, 7), (6, 1, 3, 3), (6,)), dict(padding=1, stride=2)),
      Case("batch0", ((0, 3, 6, 7), (3, 1, 3, 3), (3,)), dict(padding=1)),
      Case("batch0-height0-padded", ((0, 2, 0, 5), (4, 1, 3, 3), None), dict(padding=2)),
      Case("long-stride", ((1, 2, 4, 5), (2, 1, 2, 2), (2,)), dict(stride=10 ** 6)),
      Case("nan-inf", ((2, 3, 6, 7), (3, 1, 3, 3), (3,)), dict(padding=1),
           make=nonfinite((2, 3, 6, 7), (3, 1, 3, 3), (3,)), exclude=SPREADING))


# Each bad call changes the first case: x (2, 3, 6, 7), w (3, 1, 3, 3), b (3,), padding 1.
refuses("depthwise_conv2d",
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 6, 7))),
        Bad("weight-not-one-channel", ValueError, "weight", shapes=dict(weight=(3, 2, 3, 3))),
        Bad("weight-not-a-multiple-of-C", ValueError, "weight", shapes=dict(weight=(4, 1, 3, 3))),
        Bad("weight-fewer-than-C", ValueError, "weight", shapes=dict(weight=(2, 1, 3, 3))),
        Bad("weight-larger-than-input", ValueError, "weight", shapes=dict(weight=(3, 1, 9, 3))),
        Bad("weight-empty-kernel", ValueError, "weight", shapes=dict(weight=(3, 1, 0, 3))),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(4,))),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0)),
        Bad("dilation-negative", ValueError, "dilation", params=dict(dilation=-1)),
        Bad("same-strided", ValueError, "padding", params=dict(padding="same", stride=2), match="same"),
        Bad("padding-3-values", ValueError, "padding", params=dict(padding=(1, 2, 3))),
        Bad("groups-not-an-argument", TypeError, "groups", params=dict(groups=3)),
        Bad("unbatched-no-channels", ValueError, "input", shapes=dict(input=(0, 6, 7), weight=(0, 1, 3, 3))),
        Bad("height0-with-batch", ValueError, "input", shapes=dict(input=(2, 3, 0, 7)), params=dict(padding=2),
            match="empty"),
        # issue 15's segfault: the padded input (1, 1, 2**32, 2**32 - 12) wrapped a buffer size
        Bad("padded-beyond-int32", ValueError, "padding", shapes=dict(input=(1, 1, 4, 4), weight=(1, 1, 2, 2),
            bias=None), params=dict(padding=(2 ** 31 - 2, 2 ** 31 - 8), dilation=(2 ** 32 - 4, 2 ** 32 - 16))),
        Bad("padding-2-62", ValueError, "padding", params=dict(padding=2 ** 62)))

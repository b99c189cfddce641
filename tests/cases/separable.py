"""separable_conv2d cases: MobileNet blocks (tiny) and every parameter edge, and the calls
it refuses."""
from tests.cases import Bad, Case, cases, refuses
from tests.cases.conv import nonfinite

cases("separable_conv2d",
      Case("3x3-pad1", ((2, 3, 6, 7), (3, 1, 3, 3), (5, 3, 1, 1), (5,)), dict(padding=1)),
      Case("mobilenet-stride2", ((2, 8, 9, 9), (8, 1, 3, 3), (16, 8, 1, 1), (16,)), dict(stride=2, padding=1)),
      Case("multiplier2-same", ((1, 3, 7, 6), (6, 1, 3, 3), (4, 6, 1, 1), None), dict(padding="same")),
      Case("dilated-rect", ((2, 2, 9, 8), (4, 1, 3, 2), (3, 4, 1, 1), (3,)),
           dict(dilation=(2, 1), padding=(2, 0), stride=(1, 2))),
      Case("full", ((1, 2, 4, 5), (2, 1, 2, 3), (3, 2, 1, 1), (3,)), dict(padding="full")),
      Case("stride-gt-kernel", ((1, 3, 11, 10), (3, 1, 2, 2), (2, 3, 1, 1), None), dict(stride=3)),
      Case("1x1-depthwise", ((2, 4, 3, 5), (4, 1, 1, 1), (6, 4, 1, 1), (6,))),
      Case("taller-than-a-tile", ((1, 6, 21, 5), (6, 1, 3, 3), (7, 6, 1, 1), (7,)), dict(padding=1)),
      Case("unbatched", ((3, 6, 7), (3, 1, 3, 3), (5, 3, 1, 1), (5,)), dict(padding=1)),
      Case("batch0", ((0, 3, 6, 7), (3, 1, 3, 3), (5, 3, 1, 1), (5,)), dict(padding=1)),
      Case("long-stride", ((1, 2, 4, 4), (2, 1, 2, 2), (3, 2, 1, 1), (3,)), dict(stride=2 ** 62)),
      Case("nan-inf", ((2, 3, 6, 7), (3, 1, 3, 3), (5, 3, 1, 1), (5,)), dict(padding=1),
           make=nonfinite((2, 3, 6, 7), (3, 1, 3, 3), (5, 3, 1, 1), (5,))))


# Each bad call changes the first case: x (2, 3, 6, 7), depthwise (3, 1, 3, 3), pointwise
# (5, 3, 1, 1), b (5,), padding 1.
WD, WP = "weight_depthwise", "weight_pointwise"
refuses("separable_conv2d",
        Bad("depthwise-not-one-channel", ValueError, WD, shapes={WD: (3, 3, 3, 3)}),
        Bad("depthwise-not-a-multiple-of-C", ValueError, WD, shapes={WD: (4, 1, 3, 3)}),
        Bad("depthwise-larger-than-input", ValueError, WD, shapes={WD: (3, 1, 9, 9)}),
        Bad("pointwise-rank2", ValueError, WP, shapes={WP: (5, 3)}),
        Bad("pointwise-channels", ValueError, WP, shapes={WP: (5, 2, 1, 1)}),
        Bad("pointwise-not-1x1", ValueError, WP, shapes={WP: (5, 3, 3, 3)}),
        Bad("pointwise-no-filters", ValueError, WP, shapes={WP: (0, 3, 1, 1)}),
        Bad("bias-of-the-depthwise-step", ValueError, "bias", shapes=dict(bias=(3,))),
        Bad("stride-0", ValueError, "stride", params=dict(stride=(1, 0))),
        Bad("padding-reflect", ValueError, "padding", params=dict(padding="reflect")),
        Bad("batch-of-channels-but-height0", ValueError, "input", shapes=dict(input=(2, 3, 0, 7)),
            params=dict(padding=2), match="empty"),
        Bad("padded-beyond-int32", ValueError, "padding",
            shapes={"input": (1, 1, 4, 4), WD: (1, 1, 2, 2), WP: (1, 1, 1, 1), "bias": None},
            params=dict(padding=(2 ** 31 - 2, 2 ** 31 - 8), dilation=(2 ** 32 - 4, 2 ** 32 - 16))))

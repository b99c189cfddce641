"""conv_transpose1d/2d/3d cases: the upsampling layers of decoders and every parameter edge,
and the calls they refuse."""
from tests.cases import Bad, Case, cases, refuses
from tests.cases.conv import SPREADING, nonfinite

cases("conv_transpose1d",
      Case("basic", ((2, 3, 7), (3, 4, 3), (4,))),
      Case("stride2-pad1-outpad1", ((2, 4, 6), (4, 3, 3), (3,)), dict(stride=2, padding=1, output_padding=1)),
      Case("groups2-dil2", ((1, 4, 6), (4, 3, 3), None), dict(groups=2, dilation=2, padding=2)),
      Case("outpad-by-dilation", ((1, 2, 5), (2, 3, 1), (3,)), dict(dilation=3, output_padding=2)),
      Case("stride-gt-kernel", ((2, 3, 5), (3, 2, 2), None), dict(stride=3)),
      Case("unbatched", ((3, 5), (3, 2, 3), (2,)), dict(stride=2, padding=1)),
      Case("batch0", ((0, 3, 5), (3, 2, 3), (2,)), dict(stride=2)),
      Case("one-position-long-stride", ((1, 2, 1), (2, 3, 3), (3,)), dict(stride=2 ** 31 - 1)))

cases("conv_transpose2d",
      Case("upsample2x", ((2, 4, 5, 5), (4, 3, 4, 4), (3,)), dict(stride=2, padding=1)),
      Case("3x3-stride2-outpad", ((1, 3, 4, 5), (3, 2, 3, 3), (2,)), dict(stride=2, padding=1, output_padding=1)),
      Case("rect-groups", ((2, 6, 4, 3), (6, 2, 2, 3), None), dict(stride=(2, 1), padding=(0, 1), groups=3)),
      Case("dilated-outpad-gt-stride", ((1, 2, 4, 4), (2, 2, 3, 2), (2,)),
           dict(dilation=(3, 2), output_padding=(2, 1), padding=(1, 0))),
      Case("1x1", ((1, 5, 3, 4), (5, 3, 1, 1), (3,))),
      Case("dcgan-layer", ((2, 16, 4, 4), (16, 8, 4, 4), (8,)), dict(stride=2, padding=1)),
      Case("unbatched", ((3, 3, 4), (3, 2, 3, 3), (2,)), dict(stride=(2, 1), padding=1)),
      Case("batch0", ((0, 3, 3, 4), (3, 2, 3, 3), (2,)), dict(stride=2)),
      Case("batch0-height0", ((0, 3, 0, 4), (3, 2, 3, 3), None)),
      Case("batch0-output0", ((0, 2, 1, 3), (2, 3, 2, 2), (3,)), dict(padding=(1, 0))),
      Case("nan-inf", ((2, 3, 4, 5), (3, 2, 3, 3), (2,)), dict(stride=2, padding=1, output_padding=1),
           make=nonfinite((2, 3, 4, 5), (3, 2, 3, 3), (2,)), exclude=SPREADING))

cases("conv_transpose3d",
      Case("stride2", ((1, 2, 3, 3, 4), (2, 3, 2, 2, 2), (3,)), dict(stride=2)),
      Case("mixed", ((2, 4, 3, 4, 3), (4, 1, 3, 2, 3), None),
           dict(stride=(1, 2, 2), padding=(1, 0, 1), output_padding=(0, 1, 1), groups=2, dilation=(1, 1, 2))),
      Case("unbatched", ((2, 2, 3, 2), (2, 2, 2, 2, 2), (2,)), dict(stride=2)),
      Case("batch0", ((0, 2, 2, 3, 2), (2, 2, 2, 2, 2), None)))


# Each bad call changes the op's first case: conv_transpose1d x (2, 3, 7), w (3, 4, 3);
# conv_transpose2d x (2, 4, 5, 5), w (4, 3, 4, 4), b (3,), stride 2, padding 1;
# conv_transpose3d x (1, 2, 3, 3, 4), w (2, 3, 2, 2, 2), stride 2.
refuses("conv_transpose1d",
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(2, 4, 3)), torch=True),
        Bad("output-padding-not-below-stride", ValueError, "output_padding", params=dict(output_padding=1),
            torch=True),
        Bad("padding-same", TypeError, "padding", params=dict(padding="same"), torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(3,)), torch=True),
        Bad("no-channels", ValueError, "input", shapes=dict(input=(2, 0, 7), weight=(0, 4, 3)), torch=True),
        Bad("no-filters", ValueError, "weight", shapes=dict(weight=(3, 0, 3), bias=(0,)), torch=True),
        Bad("length0-with-batch", ValueError, "input", shapes=dict(input=(2, 3, 0)), match="empty", torch=True),
        Bad("stride-2-31", ValueError, "stride", shapes=dict(input=(1, 3, 1)), params=dict(stride=2 ** 31),
            torch=True),
        Bad("dilation-2-31", ValueError, "dilation", shapes=dict(input=(1, 3, 1), weight=(3, 4, 1)),
            params=dict(dilation=2 ** 31), torch=True),
        Bad("output-beyond-int32", ValueError, "stride", shapes=dict(input=(1, 3, 3)), params=dict(stride=2 ** 30)),
        Bad("padding-mode-not-an-argument", TypeError, "padding_mode", params=dict(padding_mode="zeros"),
            torch=True))

refuses("conv_transpose2d",
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(3, 3, 4, 4)), torch=True),
        Bad("groups-not-dividing-C", ValueError, "groups", params=dict(groups=3), torch=True),
        Bad("groups-0", ValueError, "groups", params=dict(groups=0), torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0), torch=True),
        Bad("dilation-0", ValueError, "dilation", params=dict(dilation=(1, 0)), torch=True),
        Bad("padding-negative", ValueError, "padding", params=dict(padding=-1), torch=True),
        Bad("padding-same", TypeError, "padding", params=dict(padding="same"), torch=True),
        Bad("padding-beyond-output", ValueError, "padding", params=dict(padding=7), torch=True),
        Bad("output-padding-negative", ValueError, "output_padding", params=dict(output_padding=-1),
            torch=True),
        Bad("output-padding-at-stride", ValueError, "output_padding", params=dict(output_padding=2),
            torch=True),
        Bad("output-padding-unstrided", ValueError, "output_padding", params=dict(stride=1,
            output_padding=(0, 1)), torch=True),
        Bad("output-padding-3-values", ValueError, "output_padding", params=dict(output_padding=(1, 1, 1)),
            torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(4,)), torch=True),
        Bad("output-0", ValueError, "padding", shapes=dict(input=(2, 4, 1, 5), weight=(4, 3, 2, 4)),
            params=dict(padding=(1, 1), stride=1), match="too large", torch=True),
        Bad("batch0-output-negative", ValueError, "padding", shapes=dict(input=(0, 4, 1, 5), weight=(4, 3, 1, 4)),
            params=dict(padding=(1, 1), stride=1), match="too large", torch=True))

refuses("conv_transpose3d",
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(3, 3, 2, 2, 2)), torch=True),
        Bad("output-padding-at-stride", ValueError, "output_padding", params=dict(output_padding=(0, 2, 0)),
            torch=True),
        Bad("stride-2-values", ValueError, "stride", params=dict(stride=(2, 2)), torch=True))

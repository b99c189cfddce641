"""spatially_separable_conv2d cases: Sobel-sized kernels, long 1xn/nx1 pairs, every edge, and
the calls it refuses."""
from tests.cases import Bad, Case, cases, refuses
from tests.cases.conv import nonfinite

cases("spatially_separable_conv2d",
      Case("3x3-pad1", ((2, 3, 6, 7), (4, 3, 3), (4, 3, 3), (4,)), dict(padding=1)),
      Case("7x1-1x7-inception", ((1, 4, 9, 9), (3, 4, 7), (3, 4, 7), (3,)), dict(padding=3)),
      Case("rect-stride", ((2, 2, 9, 10), (3, 2, 3), (3, 2, 2), None), dict(stride=(2, 3), padding=(1, 0))),
      Case("dilation-with-padding", ((1, 2, 9, 8), (2, 2, 3), (2, 2, 3), (2,)), dict(dilation=(2, 1), padding=2)),
      Case("same-even", ((1, 3, 7, 8), (2, 3, 4), (2, 3, 2), None), dict(padding="same")),
      Case("full", ((1, 2, 5, 4), (3, 2, 3), (3, 2, 2), (3,)), dict(padding="full")),
      Case("stride-gt-kernel", ((2, 3, 11, 11), (2, 3, 2), (2, 3, 2), (2,)), dict(stride=4)),
      Case("1x1", ((1, 4, 3, 5), (5, 4, 1), (5, 4, 1), (5,))),
      Case("unbatched", ((3, 6, 7), (4, 3, 3), (4, 3, 2), (4,)), dict(padding=1)),
      Case("batch0", ((0, 3, 6, 7), (4, 3, 3), (4, 3, 3), (4,)), dict(padding=1)),
      Case("no-channels", ((2, 0, 6, 7), (4, 0, 3), (4, 0, 3), (4,)), dict(padding=1)),
      # the two-pass algorithms group the sums by column pass: an infinity minus another
      # may fall elsewhere than in torch's sums (their docs say so); NaN propagates alike
      Case("nan-inf", ((2, 3, 6, 7), (4, 3, 3), (4, 3, 3), (4,)), dict(padding=1),
           make=nonfinite((2, 3, 6, 7), (4, 3, 3), (4, 3, 3), (4,)), exclude=("numpy", "numba")),
      Case("nan", ((2, 3, 6, 7), (4, 3, 3), (4, 3, 2), (4,)), dict(padding=(1, 0)),
           make=nonfinite((2, 3, 6, 7), (4, 3, 3), (4, 3, 2), (4,), infinities=False)))


# Each bad call changes the first case: x (2, 3, 6, 7), col (4, 3, 3), row (4, 3, 3), b (4,),
# padding 1.
refuses("spatially_separable_conv2d",
        Bad("col-channels", ValueError, "col", shapes=dict(col=(4, 2, 3))),
        Bad("col-empty", ValueError, "col", shapes=dict(col=(4, 3, 0))),
        Bad("col-longer-than-input", ValueError, "col", shapes=dict(col=(4, 3, 9))),
        Bad("row-filters", ValueError, "row", shapes=dict(row=(5, 3, 3))),
        Bad("row-channels", ValueError, "row", shapes=dict(row=(4, 2, 3))),
        Bad("row-longer-than-input", ValueError, "row", shapes=dict(row=(4, 3, 10))),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(3,))),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0)),
        Bad("same-strided", ValueError, "padding", params=dict(padding="same", stride=2), match="same"),
        Bad("height0-with-batch-and-channels", ValueError, "input", shapes=dict(input=(2, 3, 0, 7)),
            params=dict(padding=2), match="empty"),
        Bad("padding-beyond-int32", ValueError, "padding", params=dict(padding=2 ** 31)))

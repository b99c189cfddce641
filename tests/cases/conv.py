"""conv1d/2d/3d and pointwise cases: real shapes and every edge case of the parameters (torch's
unbatched inputs, empty sizes, padding modes, NaN and infinities included), and the calls
they refuse."""
import numpy as np

from tests.cases import Bad, Case, cases, refuses

# FFT and Winograd spread a NaN or an infinity over a whole tile or transform (their docs say
# so): they do not run on the cases with such inputs
SPREADING = ("fft", "winograd", "winograd_f2", "winograd_f4", "winograd_f6")


def nonfinite(*shapes, index=0, infinities=True):
    """Random inputs with NaN (and +Inf and -Inf) in input ``index`` (the op's first by
    default): every plain algorithm must put NaN and infinities exactly where torch does."""
    def make(rng):
        arrays = [None if s is None else rng.standard_normal(s) for s in shapes]
        flat = arrays[index].reshape(-1)
        n = flat.size
        flat[[1, n // 2]] = np.nan
        if infinities:
            flat[[3 % n, (n // 2 + 4) % n]] = np.inf
            flat[[(n // 3) % n]] = -np.inf
        return arrays
    return make

cases("conv1d",
      Case("basic", ((2, 3, 11), (4, 3, 3), (4,))),
      Case("stride2-pad1-dil2", ((2, 4, 13), (6, 4, 3), (6,)), dict(stride=2, padding=1, dilation=2)),
      Case("same-even-kernel", ((1, 2, 10), (3, 2, 4), None), dict(padding="same")),
      Case("full", ((2, 3, 7), (2, 3, 3), None), dict(padding="full", dilation=2)),
      Case("groups3", ((2, 6, 9), (9, 2, 3), (9,)), dict(groups=3, padding="valid")),
      Case("stride-gt-kernel", ((1, 3, 16), (2, 3, 2), None), dict(stride=5)),
      Case("wav-layer", ((2, 16, 64), (32, 16, 5), (32,)), dict(stride=2, padding=2)),
      # 3-tap cases for Winograd F(m, 3): lengths that no tile size divides, padding > 2
      Case("3tap-same-odd", ((2, 5, 17), (3, 5, 3), (3,)), dict(padding="same")),
      Case("3tap-pad3", ((1, 2, 9), (2, 2, 3), None), dict(padding=3)),
      # a long kernel for FFT
      Case("long-kernel", ((1, 3, 40), (2, 3, 15), (2,)), dict(padding=7)),
      # torch's other inputs: unbatched, empty, padding modes, NaN and infinities
      Case("unbatched", ((3, 9), (4, 3, 3), (4,)), dict(padding=1)),
      Case("batch0", ((0, 3, 9), (4, 3, 3), (4,))),
      Case("no-channels", ((2, 0, 9), (4, 0, 3), (4,)), dict(stride=2)),
      Case("batch0-length0-padded", ((0, 3, 0), (4, 3, 3), None), dict(padding=2)),
      Case("reflect-stride-dil", ((2, 3, 9), (4, 3, 3), (4,)),
           dict(padding=2, stride=2, dilation=2, padding_mode="reflect")),
      Case("replicate-same-even", ((1, 2, 7), (3, 2, 4), None), dict(padding="same", padding_mode="replicate")),
      Case("circular-pad-is-size", ((1, 2, 4), (2, 2, 3), (2,)), dict(padding=4, padding_mode="circular")),
      Case("unbatched-circular-3tap", ((2, 6), (3, 2, 3), (3,)), dict(padding=(2,), padding_mode="circular")),
      Case("circular-negative-padding-crops", ((2, 3, 9), (4, 3, 2), (4,)), dict(padding=-2, padding_mode="circular")),
      Case("nan-inf", ((2, 3, 11), (4, 3, 3), (4,)), dict(padding=1),
           make=nonfinite((2, 3, 11), (4, 3, 3), (4,)), exclude=SPREADING))

cases("conv2d",
      Case("3x3-pad1", ((2, 3, 7, 8), (4, 3, 3, 3), (4,)), dict(padding=1)),
      Case("1x1", ((2, 5, 6, 6), (7, 5, 1, 1), None)),
      Case("rect-stride", ((1, 3, 9, 10), (4, 3, 3, 2), (4,)), dict(stride=(2, 3), padding=(1, 0))),
      Case("dilation-with-padding", ((2, 2, 9, 9), (3, 2, 3, 3), (3,)), dict(dilation=2, padding=2)),
      Case("groups2", ((1, 6, 6, 7), (4, 3, 3, 3), (4,)), dict(groups=2, padding=1)),
      Case("depthwise-x2", ((2, 4, 6, 6), (8, 1, 3, 3), None), dict(groups=4)),
      Case("same-even-dilated", ((1, 3, 8, 7), (2, 3, 4, 4), (2,)), dict(padding="same", dilation=(1, 2))),
      Case("full", ((1, 2, 5, 6), (3, 2, 3, 2), None), dict(padding="full")),
      Case("stride-gt-kernel", ((1, 3, 11, 11), (2, 3, 2, 2), (2,)), dict(stride=4)),
      Case("kernel-equals-input", ((1, 1, 5, 5), (1, 1, 5, 5), (1,)), dict(padding="valid")),
      Case("resnet-stride2", ((2, 16, 14, 14), (32, 16, 3, 3), (32,)), dict(stride=2, padding=1)),
      Case("alexnet-conv1-small", ((1, 3, 35, 35), (8, 3, 11, 11), (8,)), dict(stride=4, padding=2)),
      # 3x3 stride 1 for Winograd: sizes that 2, 4 and 6 do not divide, padding 0, 2 (full), 3
      Case("3x3-odd-valid", ((1, 5, 13, 11), (4, 5, 3, 3), (4,))),
      Case("3x3-full-rect", ((2, 3, 5, 9), (2, 3, 3, 3), None), dict(padding="full")),
      Case("3x3-pad3-groups", ((1, 4, 7, 6), (6, 2, 3, 3), (6,)), dict(padding=3, groups=2)),
      # large kernels for FFT (the kernel sizes where it beats direct methods)
      Case("9x7-kernel", ((1, 3, 20, 18), (4, 3, 9, 7), (4,)), dict(padding=(4, 3))),
      Case("large-kernel-strided-dilated", ((1, 2, 23, 21), (3, 2, 5, 5), None),
           dict(stride=2, dilation=(2, 3), padding=1)),
      # torch's other inputs: unbatched, empty, padding modes, NaN and infinities
      Case("unbatched", ((3, 6, 5), (4, 3, 3, 3), (4,)), dict(padding=1)),
      Case("unbatched-no-channels", ((0, 5, 5), (2, 0, 3, 3), (2,))),
      Case("batch0", ((0, 3, 6, 5), (4, 3, 3, 3), (4,)), dict(padding=1)),
      Case("no-channels-groups", ((2, 0, 5, 6), (4, 0, 3, 3), (4,)), dict(groups=2, padding="same")),
      Case("batch0-height0-padded", ((0, 3, 0, 5), (4, 3, 3, 3), None), dict(padding=2)),
      Case("no-channels-height0-padded", ((2, 0, 0, 5), (4, 0, 1, 1), (4,)), dict(padding=1)),
      Case("reflect-stride-dil", ((2, 3, 6, 7), (4, 3, 3, 3), (4,)),
           dict(padding=(1, 2), stride=(2, 1), dilation=(1, 2), padding_mode="reflect")),
      Case("replicate-beyond-size", ((1, 2, 3, 4), (3, 2, 3, 2), None),
           dict(padding=(4, 1), padding_mode="replicate")),
      Case("circular-same-groups", ((1, 4, 5, 4), (4, 2, 3, 3), (4,)),
           dict(padding="same", groups=2, padding_mode="circular")),
      Case("unbatched-reflect-full", ((2, 4, 5), (3, 2, 3, 2), (3,)),
           dict(padding="full", padding_mode="reflect")),
      Case("replicate-3x3", ((1, 3, 6, 5), (2, 3, 3, 3), (2,)), dict(padding=1, padding_mode="replicate")),
      Case("reflect-crops-one-pads-other", ((1, 2, 6, 5), (2, 2, 2, 2), (2,)),
           dict(padding=(-1, 2), padding_mode="reflect")),
      Case("nan-inf", ((2, 3, 7, 8), (4, 3, 3, 3), (4,)), dict(padding=1),
           make=nonfinite((2, 3, 7, 8), (4, 3, 3, 3), (4,)), exclude=SPREADING),
      Case("nan-inf-strided", ((1, 2, 9, 9), (3, 2, 3, 3), None), dict(stride=2, padding=1),
           make=nonfinite((1, 2, 9, 9), (3, 2, 3, 3), None), exclude=SPREADING))

cases("conv3d",
      Case("3x3x3-pad1", ((1, 2, 5, 6, 5), (3, 2, 3, 3, 3), (3,)), dict(padding=1)),
      Case("stride-dil-groups", ((2, 4, 7, 7, 7), (4, 2, 2, 3, 3), None),
           dict(stride=(1, 2, 2), dilation=(2, 1, 1), groups=2)),
      Case("same-even", ((1, 2, 4, 5, 6), (2, 2, 2, 3, 2), (2,)), dict(padding="same")),
      Case("5x5x5-for-fft", ((1, 2, 8, 9, 7), (2, 2, 5, 5, 5), (2,)), dict(padding=2)),
      Case("unbatched", ((2, 3, 4, 4), (3, 2, 2, 2, 2), (3,)), dict(padding=(1, 0, 1))),
      Case("batch0", ((0, 2, 3, 4, 4), (3, 2, 2, 2, 2), (3,))),
      Case("reflect-strided", ((1, 2, 3, 4, 4), (2, 2, 2, 3, 3), (2,)),
           dict(padding=1, stride=(1, 2, 1), padding_mode="reflect")),
      Case("replicate-dilated", ((1, 2, 3, 4, 3), (2, 2, 2, 2, 2), None),
           dict(padding=(2, 1, 1), dilation=(1, 2, 1), padding_mode="replicate")),
      Case("unbatched-circular", ((2, 3, 3, 4), (2, 2, 2, 3, 2), (2,)),
           dict(padding=(1, 1, 2), padding_mode="circular")),
      Case("nan-inf", ((1, 2, 4, 5, 4), (2, 2, 2, 3, 2), (2,)), dict(padding=1),
           make=nonfinite((1, 2, 4, 5, 4), (2, 2, 2, 3, 2), (2,)), exclude=SPREADING))

cases("pointwise_conv2d",
      Case("bottleneck", ((2, 6, 5, 5), (4, 6, 1, 1), (4,))),
      Case("no-bias", ((1, 8, 3, 7), (16, 8, 1, 1), None)),
      Case("unbatched", ((6, 4, 3), (4, 6, 1, 1), (4,))),
      Case("batch0", ((0, 6, 4, 3), (4, 6, 1, 1), (4,))),
      Case("no-channels", ((2, 0, 4, 3), (4, 0, 1, 1), (4,))),
      Case("nan-inf", ((2, 6, 4, 5), (4, 6, 1, 1), (4,)),
           make=nonfinite((2, 6, 4, 5), (4, 6, 1, 1), (4,)), exclude=SPREADING))


# Each bad call changes the op's first case (or the case it names): conv1d x (2, 3, 11),
# w (4, 3, 3); conv2d x (2, 3, 7, 8), w (4, 3, 3, 3), padding 1; conv3d x (1, 2, 5, 6, 5),
# w (3, 2, 3, 3, 3), padding 1.
refuses("conv1d",
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(4, 2, 3)), torch=True),
        Bad("weight-longer-than-input", ValueError, "weight", shapes=dict(weight=(4, 3, 12)),
            match="larger", torch=True),
        Bad("groups-not-dividing-C", ValueError, "groups", params=dict(groups=2), torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0), torch=True),
        Bad("padding-2-values", ValueError, "padding", params=dict(padding=(1, 1)), torch=True),
        Bad("same-strided", ValueError, "padding", params=dict(padding="same", stride=2), match="same",
            torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(3,)), torch=True),
        Bad("no-filters", ValueError, "weight", shapes=dict(weight=(0, 3, 3), bias=(0,)), torch=True),
        Bad("length0-with-batch-and-channels", ValueError, "input", shapes=dict(input=(2, 3, 0)),
            params=dict(padding=2), match="empty", torch=True),
        Bad("batch0-length0-unpadded", ValueError, "weight", shapes=dict(input=(0, 3, 0)), match="larger",
            torch=True),
        Bad("stride-beyond-int64", ValueError, "stride", params=dict(stride=2 ** 63), torch=True),
        Bad("padding-beyond-int32", ValueError, "padding", params=dict(padding=2 ** 31)),
        Bad("padding-mode-unknown", ValueError, "padding_mode", params=dict(padding_mode="mirror")),
        Bad("padding-mode-not-a-string", TypeError, "padding_mode", params=dict(padding_mode=1)),
        Bad("reflect-padding-at-size", ValueError, "padding", shapes=dict(input=(2, 3, 4)),
            params=dict(padding=4, padding_mode="reflect"), match="smaller"),
        Bad("circular-padding-beyond-size", ValueError, "padding", shapes=dict(input=(2, 3, 4)),
            params=dict(padding=5, padding_mode="circular"), match="wraps"),
        Bad("replicate-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 11), weight=(4, 0, 3)),
            params=dict(padding_mode="replicate")),
        Bad("reflect-batch0-length0", ValueError, "input", shapes=dict(input=(0, 3, 0)),
            params=dict(padding=2, padding_mode="reflect")),
        Bad("replicate-crops-everything", ValueError, "padding", shapes=dict(input=(2, 3, 4)),
            params=dict(padding=-2, padding_mode="replicate"), match="leaves no input"))

refuses("conv2d",
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(4, 2, 3, 3)), torch=True),
        Bad("groups-not-dividing-C", ValueError, "groups", params=dict(groups=2), torch=True),
        Bad("groups-0", ValueError, "groups", params=dict(groups=0), torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0), torch=True),
        Bad("stride-negative", ValueError, "stride", params=dict(stride=(1, -1)), torch=True),
        Bad("stride-True", TypeError, "stride", params=dict(stride=True), torch=True),
        Bad("stride-float", TypeError, "stride", params=dict(stride=1.0), torch=True),
        Bad("dilation-0", ValueError, "dilation", params=dict(dilation=0), torch=True),
        Bad("padding-negative", ValueError, "padding", params=dict(padding=-1), torch=True),
        Bad("padding-reflect", ValueError, "padding", params=dict(padding="reflect"), torch=True),
        Bad("padding-3-values", ValueError, "padding", params=dict(padding=(1, 1, 1)), torch=True),
        Bad("padding-float", TypeError, "padding", params=dict(padding=1.5), torch=True),
        Bad("same-strided", ValueError, "padding", params=dict(padding="same", stride=2), match="same",
            torch=True),
        Bad("weight-larger-than-input", ValueError, "weight", shapes=dict(weight=(4, 3, 11, 11)),
            match="larger", torch=True),
        Bad("dilated-larger-than-input", ValueError, "weight", params=dict(dilation=5), match="larger",
            torch=True),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(5,)), torch=True),
        Bad("strides-typo", TypeError, "strides", params=dict(strides=2), torch=True),
        Bad("no-filters", ValueError, "weight", shapes=dict(weight=(0, 3, 3, 3), bias=(0,)), torch=True),
        Bad("empty-kernel", ValueError, "weight", shapes=dict(weight=(4, 3, 0, 3)), torch=True),
        Bad("no-channels-weight-with-one", ValueError, "weight", shapes=dict(input=(2, 0, 7, 8)),
            torch=True),
        Bad("height0-with-batch-and-channels", ValueError, "input", shapes=dict(input=(2, 3, 0, 8)),
            params=dict(padding=2), match="empty", torch=True),
        Bad("unbatched-height0", ValueError, "input", shapes=dict(input=(3, 0, 8)), params=dict(padding=2),
            match="empty", torch=True),
        Bad("padding-2-62", ValueError, "padding", params=dict(padding=2 ** 62), torch=True),
        # padded input (1, 1, 2**32, 2**32 - 12): it segfaulted the depthwise Numba kernel
        Bad("padded-beyond-int32", ValueError, "padding", shapes=dict(input=(1, 1, 4, 4), weight=(1, 1, 2, 2),
            bias=None), params=dict(padding=(2 ** 31 - 2, 2 ** 31 - 8), dilation=(2 ** 32 - 4, 2 ** 32 - 16))),
        Bad("padded-beyond-the-element-limit", ValueError, "padding", shapes=dict(input=(1, 1, 1, 1),
            weight=(1, 1, 1, 1), bias=None), params=dict(padding=10 ** 9)),
        Bad("padding-mode-unknown", ValueError, "padding_mode", params=dict(padding_mode="reflection")),
        Bad("reflect-padding-at-size", ValueError, "padding", params=dict(padding=(1, 8), padding_mode="reflect"),
            match="smaller"),
        Bad("reflect-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 7, 8), weight=(4, 0, 3, 3)),
            params=dict(padding_mode="reflect")),
        Bad("circular-padding-beyond-size", ValueError, "padding",
            params=dict(padding=(8, 1), padding_mode="circular"), match="wraps"),
        Bad("circular-batch0-height0", ValueError, "padding", shapes=dict(input=(0, 3, 0, 8)),
            params=dict(padding=2, padding_mode="circular")))

refuses("conv3d",
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(3, 1, 3, 3, 3)), torch=True),
        Bad("groups-not-dividing-K", ValueError, "weight", shapes=dict(weight=(3, 1, 3, 3, 3)),
            params=dict(groups=2), match="divisible by groups", torch=True),
        Bad("dilation-2-values", ValueError, "dilation", params=dict(dilation=(1, 1)), torch=True),
        Bad("stride-0-in-one-axis", ValueError, "stride", params=dict(stride=(1, 0, 1)), torch=True),
        Bad("bias-rank", ValueError, "bias", shapes=dict(bias=(3, 1)), torch=True),
        Bad("no-filters", ValueError, "weight", shapes=dict(weight=(0, 2, 3, 3, 3), bias=(0,)), torch=True),
        Bad("depth0-with-batch-and-channels", ValueError, "input", shapes=dict(input=(1, 2, 0, 6, 5)),
            params=dict(padding=2), match="empty", torch=True),
        Bad("padding-mode-capitalised", ValueError, "padding_mode", params=dict(padding_mode="Reflect")),
        Bad("reflect-padding-at-size", ValueError, "padding", params=dict(padding=(5, 1, 1), padding_mode="reflect"),
            match="smaller"))

# pointwise: x (2, 6, 5, 5), w (4, 6, 1, 1), b (4,)
refuses("pointwise_conv2d",
        Bad("weight-3x3", ValueError, "weight", shapes=dict(weight=(4, 6, 3, 3))),
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(4, 5, 1, 1))),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(6,))),
        Bad("stride-not-an-argument", TypeError, "stride", params=dict(stride=2)),
        Bad("no-channels-weight-with-six", ValueError, "weight", shapes=dict(input=(2, 0, 5, 5))),
        Bad("height0", ValueError, "weight", shapes=dict(input=(2, 6, 0, 5)), match="larger"))

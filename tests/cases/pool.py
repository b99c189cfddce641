"""Pooling cases: real layer shapes and the edge cases of each parameter (tiny shapes), and
the calls the pools refuse."""
import numpy as np

from tests.cases import Bad, Case, cases, refuses


def _positive(shape):
    """lp pooling with a fractional root needs positive window sums for a defined gradient."""
    return lambda rng: [np.abs(rng.standard_normal(shape)) + 0.1]


cases("max_pool1d",
      Case("k3s2", ((2, 3, 11),), dict(kernel_size=3, stride=2)),
      Case("pad-dil-ceil-idx", ((2, 2, 10),), dict(kernel_size=3, stride=2, padding=1, dilation=2,
                                                  ceil_mode=True, return_indices=True)),
      Case("stride-gt-kernel", ((1, 2, 13),), dict(kernel_size=2, stride=3)),
      Case("unbatched-idx", ((3, 9),), dict(kernel_size=2, stride=2, return_indices=True)))

cases("max_pool2d",
      Case("resnet-3x3s2p1", ((2, 4, 12, 12),), dict(kernel_size=3, stride=2, padding=1)),
      Case("resnet-stem-32x32", ((1, 8, 32, 32),), dict(kernel_size=3, stride=2, padding=1)),
      Case("2x2-indices", ((2, 3, 6, 8),), dict(kernel_size=2, return_indices=True)),
      Case("rect-ceil-idx", ((1, 3, 9, 10),), dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1),
                                                  ceil_mode=True, return_indices=True)),
      Case("dilation", ((2, 2, 11, 9),), dict(kernel_size=3, stride=1, dilation=(2, 3), padding=1)),
      Case("ceil-drops-last", ((1, 2, 7, 7),), dict(kernel_size=2, stride=2, ceil_mode=True,
                                                   return_indices=True)),
      Case("whole-input", ((2, 3, 5, 5),), dict(kernel_size=5, return_indices=True)),
      Case("unbatched-idx", ((3, 7, 6),), dict(kernel_size=3, stride=2, padding=1, return_indices=True)),
      Case("ties", ((1, 2, 6, 6),), dict(kernel_size=3, stride=1, return_indices=True),
           make=lambda rng: [np.round(rng.standard_normal((1, 2, 6, 6)))]))

cases("max_pool3d",
      Case("k2", ((1, 2, 4, 6, 6),), dict(kernel_size=2, return_indices=True)),
      Case("pad-ceil-dil", ((2, 2, 5, 7, 6),), dict(kernel_size=(2, 3, 3), stride=2, padding=(1, 1, 0),
                                                   dilation=(1, 1, 2), ceil_mode=True, return_indices=True)),
      Case("unbatched", ((2, 4, 5, 6),), dict(kernel_size=2, stride=(1, 2, 2))))

cases("avg_pool1d",
      Case("k3s2", ((2, 3, 11),), dict(kernel_size=3, stride=2)),
      Case("pad-exclude-ceil", ((2, 2, 10),), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                                                  count_include_pad=False)),
      Case("pad-include-ceil", ((1, 2, 10),), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
      Case("unbatched", ((3, 9),), dict(kernel_size=2, stride=1, padding=1, count_include_pad=False)))

cases("avg_pool2d",
      Case("2x2", ((2, 3, 6, 8),), dict(kernel_size=2)),
      Case("3x3s2p1-include", ((2, 2, 9, 9),), dict(kernel_size=3, stride=2, padding=1)),
      Case("3x3s2p1-exclude-ceil", ((2, 2, 10, 9),), dict(kernel_size=3, stride=2, padding=1,
                                                          count_include_pad=False, ceil_mode=True)),
      Case("include-ceil-rect", ((1, 3, 8, 11),), dict(kernel_size=(2, 4), stride=(3, 3), padding=(1, 2),
                                                      ceil_mode=True)),
      Case("divisor-override", ((2, 2, 7, 7),), dict(kernel_size=3, stride=2, padding=1, divisor_override=5)),
      Case("inception-avg", ((1, 8, 7, 7),), dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
      Case("unbatched", ((3, 6, 7),), dict(kernel_size=3, stride=2, padding=1)))

cases("avg_pool3d",
      Case("k2", ((1, 2, 4, 6, 6),), dict(kernel_size=2)),
      Case("unbatched", ((2, 4, 5, 6),), dict(kernel_size=(2, 3, 3), stride=(2, 1, 2), padding=1)),
      Case("pad-exclude-ceil", ((2, 2, 5, 7, 6),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                       count_include_pad=False)),
      Case("override", ((1, 2, 4, 5, 5),), dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1),
                                               divisor_override=7)))

cases("sum_pool2d",
      Case("2x2", ((2, 3, 6, 8),), dict(kernel_size=2)),
      Case("3x3s2p1-ceil", ((2, 2, 10, 9),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
      Case("unbatched", ((3, 5, 6),), dict(kernel_size=2)))

cases("lp_pool1d",
      Case("p2-k3s2", ((2, 3, 11),), dict(norm_type=2, kernel_size=3, stride=2)),
      Case("p3-positive-ceil", ((2, 2, 10),), dict(norm_type=3, kernel_size=3, ceil_mode=True),
           make=_positive((2, 2, 10))),
      Case("p1.5-positive", ((1, 2, 9),), dict(norm_type=1.5, kernel_size=2), make=_positive((1, 2, 9))),
      Case("unbatched", ((3, 8),), dict(norm_type=2, kernel_size=2)))

cases("lp_pool2d",
      Case("p2-2x2", ((2, 3, 6, 8),), dict(norm_type=2, kernel_size=2)),
      Case("p2-rect-ceil", ((1, 2, 9, 10),), dict(norm_type=2.0, kernel_size=(3, 2), stride=2,
                                                 ceil_mode=True)),
      Case("p3-positive", ((2, 2, 7, 7),), dict(norm_type=3, kernel_size=3, stride=2),
           make=_positive((2, 2, 7, 7))),
      Case("p-inf-ceil", ((2, 2, 7, 8),), dict(norm_type=float("inf"), kernel_size=2, stride=2,
                                              ceil_mode=True)),
      Case("p-minus-inf", ((1, 2, 6, 6),), dict(norm_type=-float("inf"), kernel_size=3, stride=2)),
      Case("unbatched", ((2, 5, 6),), dict(norm_type=2, kernel_size=2, stride=1)))

cases("adaptive_avg_pool2d",
      Case("7x7-to-3x3", ((2, 3, 7, 7),), dict(output_size=3)),
      Case("uneven-rect", ((1, 2, 10, 7),), dict(output_size=(4, 5))),
      Case("none-entry", ((2, 2, 6, 9),), dict(output_size=(None, 4))),
      Case("upsample-bins", ((1, 2, 3, 4),), dict(output_size=(5, 6))),
      Case("unbatched", ((3, 7, 5),), dict(output_size=(3, 2))))

cases("adaptive_max_pool2d",
      Case("7x7-to-3x3-idx", ((2, 3, 7, 7),), dict(output_size=3, return_indices=True)),
      Case("uneven-rect", ((1, 2, 10, 7),), dict(output_size=(4, 5))),
      Case("none-entry-idx", ((2, 2, 6, 9),), dict(output_size=(3, None), return_indices=True)),
      Case("upsample-bins-idx", ((1, 2, 3, 4),), dict(output_size=(5, 6), return_indices=True)),
      Case("unbatched-idx", ((3, 7, 5),), dict(output_size=(3, 2), return_indices=True)))

cases("global_avg_pool2d",
      Case("resnet-head", ((2, 8, 7, 7),)),
      Case("rect", ((1, 3, 5, 9),)),
      Case("unbatched", ((3, 5, 4),)))

cases("spatial_pyramid_pool2d",
      Case("max-1-2-4", ((2, 3, 9, 11),)),
      Case("avg-1-2-3", ((1, 2, 7, 6),), dict(levels=(1, 2, 3), mode="avg")),
      Case("max-odd-levels", ((2, 2, 5, 5),), dict(levels=(3, 1), mode="max")))

cases("max_unpool2d",
      Case("2x2", ((2, 3, 3, 4), (2, 3, 3, 4)), dict(kernel_size=2)),
      Case("3x3s2p1-overlap", ((1, 2, 4, 4), (1, 2, 4, 4)), dict(kernel_size=3, stride=2, padding=1)),
      Case("output-size", ((1, 2, 3, 3), (1, 2, 3, 3)), dict(kernel_size=2, output_size=(7, 7))),
      Case("output-size-4d", ((2, 1, 3, 3), (2, 1, 3, 3)), dict(kernel_size=3, stride=2,
                                                                output_size=(2, 1, 8, 7))))


# Each bad call changes the op's first case (or the case it names).
LARGER = "larger than the padded"
refuses("max_pool1d",   # x (2, 3, 11), kernel 3, stride 2
        Bad("window-in-the-padding", ValueError, "padding", shapes=dict(input=(1, 2, 2)),
            params=dict(kernel_size=2, stride=None, padding=1, dilation=3), match="entirely in the padding",
            torch=False),   # torch returns -inf there
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=12),
            match=LARGER, torch=True))

refuses("max_pool2d",   # x (2, 4, 12, 12), kernel 3, stride 2, padding 1
        Bad("kernel-0", ValueError, "kernel_size", params=dict(kernel_size=0), torch=True),
        Bad("padding-over-half-kernel", ValueError, "padding", params=dict(padding=2), torch=True),
        Bad("padding-negative", ValueError, "padding", params=dict(padding=-1), torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0), torch=True),
        Bad("dilation-0", ValueError, "dilation", params=dict(dilation=0), torch=True),
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=15),
            match=LARGER, torch=True),
        Bad("dilated-larger-than-input", ValueError, "kernel_size", params=dict(dilation=7), match=LARGER,
            torch=True),
        Bad("kernel-3-values", ValueError, "kernel_size", params=dict(kernel_size=(3, 3, 3)), torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 12, 12)), torch=True),
        Bad("ceil-mode-string", TypeError, "ceil_mode", params=dict(ceil_mode="yes"), torch=True),
        Bad("return-indices-int", TypeError, "return_indices", params=dict(return_indices=1), torch=False),
        Bad("kernel-float", TypeError, "kernel_size", params=dict(kernel_size=2.5), torch=True))

refuses("max_pool3d",   # x (1, 2, 4, 6, 6), kernel 2
        Bad("kernel-0-in-one-axis", ValueError, "kernel_size", params=dict(kernel_size=(2, 0, 2)),
            torch=True),
        Bad("stride-2-values", ValueError, "stride", params=dict(stride=(1, 1)), torch=True))

refuses("avg_pool1d",   # x (2, 3, 11), kernel 3, stride 2
        Bad("divisor-override-not-an-argument", TypeError, "divisor_override",
            params=dict(divisor_override=2), torch=True),
        Bad("padding-over-half-kernel", ValueError, "padding", params=dict(padding=2), torch=True))

refuses("avg_pool2d",   # x (2, 3, 6, 8), kernel 2
        Bad("divisor-override-0", ValueError, "divisor_override", params=dict(divisor_override=0),
            torch=True),
        Bad("divisor-override-float", TypeError, "divisor_override", params=dict(divisor_override=1.5),
            torch=True),
        Bad("count-include-pad-None", TypeError, "count_include_pad", params=dict(count_include_pad=None),
            torch=True),
        Bad("padding-over-half-kernel", ValueError, "padding", params=dict(padding=2), torch=True))

refuses("avg_pool3d",   # x (1, 2, 4, 6, 6), kernel 2
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=(5, 2, 2)),
            match="smaller", torch=True),
        Bad("ceil-mode-int", TypeError, "ceil_mode", params=dict(ceil_mode=1), torch=True))

refuses("sum_pool2d",   # x (2, 3, 6, 8), kernel 2
        Bad("kernel-0", ValueError, "kernel_size", params=dict(kernel_size=0)),
        Bad("dilation-not-an-argument", TypeError, "dilation", params=dict(dilation=2)))

refuses("lp_pool1d",    # x (2, 3, 11), norm 2, kernel 3, stride 2
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=12),
            match=LARGER, torch=True),
        Bad("padding-not-an-argument", TypeError, "padding", params=dict(padding=1), torch=True))

refuses("lp_pool2d",    # x (2, 3, 6, 8), norm 2, kernel 2
        Bad("norm-0", ValueError, "norm_type", params=dict(norm_type=0), torch=True),
        Bad("norm-nan", ValueError, "norm_type", params=dict(norm_type=float("nan")), torch=False),
        Bad("norm-string", TypeError, "norm_type", params=dict(norm_type="2"), torch=True))

refuses("adaptive_avg_pool2d",   # x (2, 3, 7, 7), output 3
        Bad("output-size-0", ValueError, "output_size", params=dict(output_size=0), torch=False),
        Bad("output-size-3-values", ValueError, "output_size", params=dict(output_size=(1, 2, 3)),
            torch=True))

refuses("adaptive_max_pool2d",   # x (2, 3, 7, 7), output 3
        Bad("output-size-float", TypeError, "output_size", params=dict(output_size=2.5), torch=True),
        Bad("return-indices-string", TypeError, "return_indices", params=dict(return_indices="yes"),
            torch=False))

refuses("global_avg_pool2d",     # x (2, 8, 7, 7)
        Bad("input-empty-plane", ValueError, "input", shapes=dict(input=(2, 8, 0, 7))),
        Bad("output-size-not-an-argument", TypeError, "output_size", params=dict(output_size=1)))

refuses("spatial_pyramid_pool2d",   # x (2, 3, 9, 11), levels (1, 2, 4), max
        Bad("levels-empty", TypeError, "levels", params=dict(levels=())),
        Bad("level-0", ValueError, "levels", params=dict(levels=(1, 0))),
        Bad("mode-min", ValueError, "mode", params=dict(mode="min")))

refuses("max_unpool2d",   # x and indices (2, 3, 3, 4), kernel 2: output planes 6 x 8
        Bad("indices-shape", ValueError, "indices", shapes=dict(indices=(2, 3, 3, 3)), torch=True),
        Bad("indices-past-the-plane", ValueError, "indices", fill=dict(indices=48), torch=True),
        Bad("indices-negative", ValueError, "indices", fill=dict(indices=-1), torch=True),
        Bad("output-size-a-stride-away", ValueError, "output_size", params=dict(output_size=(8, 8)),
            torch=True),
        Bad("output-size-1-value", ValueError, "output_size", params=dict(output_size=(8,)), torch=True))

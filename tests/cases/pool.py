"""Pooling cases: real layer shapes and the edge cases of each parameter (tiny shapes), and
the calls the pools refuse."""
import numpy as np

from tests.cases import Bad, Case, cases, refuses


def _positive(shape):
    """lp pooling with a fractional root needs positive window sums for a defined gradient."""
    return lambda rng: [np.abs(rng.standard_normal(shape)) + 0.1]


def _nan(shape):
    """Zero-mean normals with NaNs sprinkled (several in some windows), a run of NaNs, a
    block of -inf and one of +inf: a window holding NaN gives NaN (index: its last NaN),
    an all -inf window -inf (index: its first tap)."""
    def make(rng):
        x = rng.standard_normal(shape)
        flat = x.reshape(shape[0], shape[1], -1)
        flat[rng.random(flat.shape) < 0.12] = np.nan
        flat[0, 0, 3:7] = np.nan
        x[(0, -1) + (slice(0, 3),) * (len(shape) - 2)] = -np.inf
        x[(-1, 0) + (slice(-2, None),) * (len(shape) - 2)] = np.inf
        return [x]
    return make




cases("max_pool1d",
      Case("k3s2", ((2, 3, 11),), dict(kernel_size=3, stride=2)),
      Case("pad-dil-ceil-idx", ((2, 2, 10),), dict(kernel_size=3, stride=2, padding=1, dilation=2,
                                                  ceil_mode=True, return_indices=True)),
      Case("stride-gt-kernel", ((1, 2, 13),), dict(kernel_size=2, stride=3)),
      Case("unbatched-idx", ((3, 9),), dict(kernel_size=2, stride=2, return_indices=True)),
      Case("nan-inf-idx", ((2, 2, 12),), dict(kernel_size=3, stride=2, padding=1, return_indices=True),
           make=_nan((2, 2, 12))),
      Case("nan-inf", ((2, 2, 12),), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
           make=_nan((2, 2, 12))),
      Case("kernel-far-beyond-input", ((1, 2, 6),), dict(kernel_size=2**20 - 1, padding=2**19 - 1,
                                                         return_indices=True)),
      Case("return-indices-1", ((1, 2, 7),), dict(kernel_size=2, return_indices=1)),
      Case("empty-batch", ((0, 2, 7),), dict(kernel_size=2, return_indices=True)))

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
           make=lambda rng: [np.round(rng.standard_normal((1, 2, 6, 6)))]),
      Case("nan-inf-idx", ((2, 2, 7, 8),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                               return_indices=True), make=_nan((2, 2, 7, 8))),
      Case("nan-inf", ((2, 2, 7, 8),), dict(kernel_size=3, stride=2, padding=1), make=_nan((2, 2, 7, 8))),
      Case("nan-inf-dilation-idx", ((1, 2, 9, 8),), dict(kernel_size=(2, 3), stride=1, dilation=(3, 2),
                                                        padding=1, return_indices=True),
           make=_nan((1, 2, 9, 8))),
      Case("empty-batch", ((0, 3, 6, 5),), dict(kernel_size=2, return_indices=True)))

cases("max_pool3d",
      Case("k2", ((1, 2, 4, 6, 6),), dict(kernel_size=2, return_indices=True)),
      Case("pad-ceil-dil", ((2, 2, 5, 7, 6),), dict(kernel_size=(2, 3, 3), stride=2, padding=(1, 1, 0),
                                                   dilation=(1, 1, 2), ceil_mode=True, return_indices=True)),
      Case("unbatched", ((2, 4, 5, 6),), dict(kernel_size=2, stride=(1, 2, 2))),
      Case("nan-inf-idx", ((2, 2, 3, 5, 4),), dict(kernel_size=2, stride=(1, 2, 2), padding=1,
                                                  return_indices=True), make=_nan((2, 2, 3, 5, 4))),
      Case("nan-inf", ((2, 2, 3, 5, 4),), dict(kernel_size=(2, 3, 2), stride=1), make=_nan((2, 2, 3, 5, 4))),
      Case("empty-batch", ((0, 2, 4, 4, 4),), dict(kernel_size=2)))

cases("avg_pool1d",
      Case("k3s2", ((2, 3, 11),), dict(kernel_size=3, stride=2)),
      Case("pad-exclude-ceil", ((2, 2, 10),), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True,
                                                  count_include_pad=False)),
      Case("pad-include-ceil", ((1, 2, 10),), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
      Case("unbatched", ((3, 9),), dict(kernel_size=2, stride=1, padding=1, count_include_pad=False)),
      Case("kernel-far-beyond-input", ((1, 2, 6),), dict(kernel_size=2**20 - 1, padding=2**19 - 1)),
      Case("empty-batch", ((0, 3, 9),), dict(kernel_size=2)))

cases("avg_pool2d",
      Case("2x2", ((2, 3, 6, 8),), dict(kernel_size=2)),
      Case("3x3s2p1-include", ((2, 2, 9, 9),), dict(kernel_size=3, stride=2, padding=1)),
      Case("3x3s2p1-exclude-ceil", ((2, 2, 10, 9),), dict(kernel_size=3, stride=2, padding=1,
                                                          count_include_pad=False, ceil_mode=True)),
      Case("include-ceil-rect", ((1, 3, 8, 11),), dict(kernel_size=(2, 4), stride=(3, 3), padding=(1, 2),
                                                      ceil_mode=True)),
      Case("divisor-override", ((2, 2, 7, 7),), dict(kernel_size=3, stride=2, padding=1, divisor_override=5)),
      Case("inception-avg", ((1, 8, 7, 7),), dict(kernel_size=3, stride=1, padding=1, count_include_pad=False)),
      Case("unbatched", ((3, 6, 7),), dict(kernel_size=3, stride=2, padding=1)),
      Case("nan-inf", ((2, 2, 7, 8),), dict(kernel_size=3, stride=2, padding=1), make=_nan((2, 2, 7, 8))),
      Case("divisor-override-negative", ((1, 2, 5, 5),), dict(kernel_size=2, divisor_override=-3)),
      Case("huge-window-ceil", ((1, 1, 3, 4),), dict(kernel_size=(2**20, 3), stride=(2**20, 2),
                                                    padding=(2**19, 1), ceil_mode=True)),
      Case("empty-batch", ((0, 3, 6, 8),), dict(kernel_size=2, divisor_override=3)))

cases("avg_pool3d",
      Case("k2", ((1, 2, 4, 6, 6),), dict(kernel_size=2)),
      Case("unbatched", ((2, 4, 5, 6),), dict(kernel_size=(2, 3, 3), stride=(2, 1, 2), padding=1)),
      Case("pad-exclude-ceil", ((2, 2, 5, 7, 6),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                       count_include_pad=False)),
      Case("override", ((1, 2, 4, 5, 5),), dict(kernel_size=(2, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1),
                                               divisor_override=7)),
      Case("empty-batch", ((0, 2, 4, 6, 6),), dict(kernel_size=2)))

cases("sum_pool2d",
      Case("2x2", ((2, 3, 6, 8),), dict(kernel_size=2)),
      Case("3x3s2p1-ceil", ((2, 2, 10, 9),), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
      Case("unbatched", ((3, 5, 6),), dict(kernel_size=2)),
      Case("empty-batch", ((0, 3, 6, 8),), dict(kernel_size=2)))

cases("lp_pool1d",
      Case("p2-k3s2", ((2, 3, 11),), dict(norm_type=2, kernel_size=3, stride=2)),
      Case("p3-positive-ceil", ((2, 2, 10),), dict(norm_type=3, kernel_size=3, ceil_mode=True),
           make=_positive((2, 2, 10))),
      Case("p1.5-positive", ((1, 2, 9),), dict(norm_type=1.5, kernel_size=2), make=_positive((1, 2, 9))),
      Case("unbatched", ((3, 8),), dict(norm_type=2, kernel_size=2)),
      Case("norm-nan", ((1, 2, 8),), dict(norm_type=float("nan"), kernel_size=2)),
      Case("norm-minus-1-positive", ((1, 2, 9),), dict(norm_type=-1, kernel_size=3, stride=2),
           make=_positive((1, 2, 9))),
      Case("empty-batch", ((0, 3, 11),), dict(norm_type=2, kernel_size=3)))

cases("lp_pool2d",
      Case("p2-2x2", ((2, 3, 6, 8),), dict(norm_type=2, kernel_size=2)),
      Case("p2-rect-ceil", ((1, 2, 9, 10),), dict(norm_type=2.0, kernel_size=(3, 2), stride=2,
                                                 ceil_mode=True)),
      Case("p3-positive", ((2, 2, 7, 7),), dict(norm_type=3, kernel_size=3, stride=2),
           make=_positive((2, 2, 7, 7))),
      Case("p-inf-ceil", ((2, 2, 7, 8),), dict(norm_type=float("inf"), kernel_size=2, stride=2,
                                              ceil_mode=True)),
      Case("p-minus-inf", ((1, 2, 6, 6),), dict(norm_type=-float("inf"), kernel_size=3, stride=2)),
      Case("unbatched", ((2, 5, 6),), dict(norm_type=2, kernel_size=2, stride=1)),
      Case("p-inf-nan", ((2, 2, 7, 8),), dict(norm_type=float("inf"), kernel_size=2, stride=2,
                                             ceil_mode=True), make=_nan((2, 2, 7, 8))),
      Case("norm-nan", ((1, 2, 6, 6),), dict(norm_type=float("nan"), kernel_size=2)),
      Case("empty-batch", ((0, 3, 6, 8),), dict(norm_type=2, kernel_size=2)))

cases("lp_pool3d",
      Case("p2-k2", ((1, 2, 4, 6, 6),), dict(norm_type=2, kernel_size=2)),
      Case("p3-positive-ceil", ((2, 2, 4, 5, 5),), dict(norm_type=3, kernel_size=(2, 3, 2), stride=2,
                                                       ceil_mode=True), make=_positive((2, 2, 4, 5, 5))),
      Case("p-inf-ceil", ((1, 2, 3, 5, 5),), dict(norm_type=float("inf"), kernel_size=2, stride=2,
                                                 ceil_mode=True)),
      Case("p-inf-input-below-kernel", ((1, 2, 2, 5, 5),), dict(norm_type=float("inf"), kernel_size=3,
                                                               stride=2, ceil_mode=True)),
      Case("unbatched", ((2, 3, 4, 4),), dict(norm_type=2, kernel_size=(1, 2, 2))),
      Case("empty-batch", ((0, 2, 4, 4, 4),), dict(norm_type=2, kernel_size=2)))

cases("adaptive_avg_pool1d",
      Case("10-to-4", ((2, 3, 10),), dict(output_size=4)),
      Case("upsample-bins", ((1, 2, 3),), dict(output_size=(5,))),
      Case("unbatched", ((3, 7),), dict(output_size=3)),
      Case("unbatched-no-channels", ((0, 7),), dict(output_size=3)),
      Case("empty-batch", ((0, 3, 7),), dict(output_size=2)))

cases("adaptive_avg_pool2d",
      Case("7x7-to-3x3", ((2, 3, 7, 7),), dict(output_size=3)),
      Case("uneven-rect", ((1, 2, 10, 7),), dict(output_size=(4, 5))),
      Case("none-entry", ((2, 2, 6, 9),), dict(output_size=(None, 4))),
      Case("upsample-bins", ((1, 2, 3, 4),), dict(output_size=(5, 6))),
      Case("unbatched", ((3, 7, 5),), dict(output_size=(3, 2))),
      Case("nan-inf", ((2, 2, 7, 8),), dict(output_size=(3, 5)), make=_nan((2, 2, 7, 8))),
      Case("unbatched-no-channels", ((0, 7, 5),), dict(output_size=2)),
      Case("one-bin-of-empty-plane-is-nan", ((2, 3, 0, 4),), dict(output_size=(1, 1))),
      Case("empty-batch", ((0, 3, 7, 7),), dict(output_size=3)))

cases("adaptive_avg_pool3d",
      Case("uneven", ((1, 2, 5, 7, 6),), dict(output_size=(2, 3, 4))),
      Case("none-entry", ((2, 2, 3, 6, 5),), dict(output_size=(None, 2, 3))),
      Case("upsample-bins", ((1, 1, 2, 3, 2),), dict(output_size=3)),
      Case("unbatched", ((2, 4, 5, 3),), dict(output_size=2)),
      Case("unbatched-no-channels", ((0, 4, 5, 3),), dict(output_size=2)),
      Case("empty-batch", ((0, 2, 4, 4, 4),), dict(output_size=2)))

cases("adaptive_max_pool1d",
      Case("10-to-4-idx", ((2, 3, 10),), dict(output_size=4, return_indices=True)),
      Case("upsample-bins", ((1, 2, 3),), dict(output_size=5)),
      Case("nan-inf-idx", ((2, 2, 12),), dict(output_size=5, return_indices=True), make=_nan((2, 2, 12))),
      Case("unbatched-idx", ((3, 7),), dict(output_size=(3,), return_indices=True)),
      Case("empty-batch", ((0, 3, 7),), dict(output_size=2, return_indices=True)))

cases("adaptive_max_pool2d",
      Case("7x7-to-3x3-idx", ((2, 3, 7, 7),), dict(output_size=3, return_indices=True)),
      Case("uneven-rect", ((1, 2, 10, 7),), dict(output_size=(4, 5))),
      Case("none-entry-idx", ((2, 2, 6, 9),), dict(output_size=(3, None), return_indices=True)),
      Case("upsample-bins-idx", ((1, 2, 3, 4),), dict(output_size=(5, 6), return_indices=True)),
      Case("unbatched-idx", ((3, 7, 5),), dict(output_size=(3, 2), return_indices=True)),
      Case("nan-inf-idx", ((2, 2, 7, 8),), dict(output_size=(3, 5), return_indices=True),
           make=_nan((2, 2, 7, 8))),
      Case("nan-inf", ((2, 2, 7, 8),), dict(output_size=(2, 3)), make=_nan((2, 2, 7, 8))),
      Case("unbatched-no-channels", ((0, 7, 5),), dict(output_size=2, return_indices=True)),
      Case("empty-batch", ((0, 3, 7, 7),), dict(output_size=3, return_indices=True)))

cases("adaptive_max_pool3d",
      Case("uneven-idx", ((1, 2, 5, 7, 6),), dict(output_size=(2, 3, 4), return_indices=True)),
      Case("none-entry", ((2, 2, 3, 6, 5),), dict(output_size=(None, 2, 3))),
      Case("nan-inf-idx", ((2, 2, 3, 5, 4),), dict(output_size=(2, 2, 3), return_indices=True),
           make=_nan((2, 2, 3, 5, 4))),
      Case("unbatched-idx", ((2, 4, 5, 3),), dict(output_size=2, return_indices=True)),
      Case("empty-batch", ((0, 2, 4, 4, 4),), dict(output_size=2, return_indices=True)))

cases("global_avg_pool2d",
      Case("resnet-head", ((2, 8, 7, 7),)),
      Case("rect", ((1, 3, 5, 9),)),
      Case("unbatched", ((3, 5, 4),)),
      Case("unbatched-no-channels", ((0, 5, 4),)),
      Case("empty-plane-is-nan", ((2, 8, 0, 7),)),
      Case("empty-batch", ((0, 8, 7, 7),)))

cases("spatial_pyramid_pool2d",
      Case("max-1-2-4", ((2, 3, 9, 11),)),
      Case("avg-1-2-3", ((1, 2, 7, 6),), dict(levels=(1, 2, 3), mode="avg")),
      Case("max-odd-levels", ((2, 2, 5, 5),), dict(levels=(3, 1), mode="max")),
      Case("max-nan-inf", ((2, 2, 7, 8),), dict(levels=(1, 3)), make=_nan((2, 2, 7, 8))),
      Case("unbatched-avg", ((3, 6, 5),), dict(levels=(2, 3), mode="avg")),
      Case("empty-batch", ((0, 3, 9, 11),)))

cases("max_unpool1d",
      Case("k2", ((2, 3, 4), (2, 3, 4)), dict(kernel_size=2)),
      Case("k3s2p1-output-size", ((1, 2, 5), (1, 2, 5)), dict(kernel_size=3, stride=2, padding=1,
                                                              output_size=(10,))),
      Case("unbatched", ((3, 4), (3, 4)), dict(kernel_size=2, stride=3)),
      Case("empty-batch", ((0, 3, 4), (0, 3, 4)), dict(kernel_size=2)))

cases("max_unpool2d",
      Case("2x2", ((2, 3, 3, 4), (2, 3, 3, 4)), dict(kernel_size=2)),
      Case("3x3s2p1-overlap", ((1, 2, 4, 4), (1, 2, 4, 4)), dict(kernel_size=3, stride=2, padding=1)),
      Case("output-size", ((1, 2, 3, 3), (1, 2, 3, 3)), dict(kernel_size=2, output_size=(7, 7))),
      Case("output-size-4d", ((2, 1, 3, 3), (2, 1, 3, 3)), dict(kernel_size=3, stride=2,
                                                                output_size=(2, 1, 8, 7))),
      Case("output-size-below-the-windows", ((1, 2, 3, 3), (1, 2, 3, 3)),
           dict(kernel_size=2, stride=3, output_size=(6, 7))),
      Case("stride-0", ((1, 2, 2, 3), (1, 2, 2, 3)), dict(kernel_size=3, stride=0)),
      Case("unbatched", ((3, 3, 4), (3, 3, 4)), dict(kernel_size=2)),
      Case("empty-batch", ((0, 3, 3, 4), (0, 3, 3, 4)), dict(kernel_size=2)))

cases("max_unpool3d",
      Case("k2", ((1, 2, 2, 3, 2), (1, 2, 2, 3, 2)), dict(kernel_size=2)),
      Case("output-size", ((2, 1, 2, 2, 3), (2, 1, 2, 2, 3)), dict(kernel_size=(1, 2, 2), stride=(1, 2, 3),
                                                                   output_size=(2, 5, 9))),
      Case("unbatched", ((2, 2, 2, 2), (2, 2, 2, 2)), dict(kernel_size=2, padding=1)),
      Case("empty-batch", ((0, 2, 2, 2, 2), (0, 2, 2, 2, 2)), dict(kernel_size=2)))


# Each bad call changes the op's first case (or the case it names).
LARGER = "larger than the padded"
BIG = 2**62          # issue 15's hang and crash reproducers: every size argument gets one
INT32 = 2**31        # one past torch's C int (kernel_size, stride, padding, dilation)

refuses("max_pool1d",   # x (2, 3, 11), kernel 3, stride 2
        Bad("window-in-the-padding", ValueError, "padding", shapes=dict(input=(1, 2, 2)),
            params=dict(kernel_size=2, stride=None, padding=1, dilation=3), match="entirely in the padding",
            torch=False),   # torch returns -inf there, and an index its backward writes out of bounds
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=12),
            match=LARGER, torch=True),
        Bad("kernel-2**31", ValueError, "kernel_size", params=dict(kernel_size=INT32), torch=True),
        # torch's forward without autograd (max_pool1d_impl) takes int64 sizes; its
        # differentiable path, like every other pool, refuses what exceeds a C int
        Bad("stride-2**62", ValueError, "stride", params=dict(stride=BIG), torch=False),
        Bad("dilation-2**62", ValueError, "dilation", params=dict(dilation=BIG), torch=True),
        Bad("unbatched-no-channels", ValueError, "input", shapes=dict(input=(0, 11)), torch=True),
        Bad("input-empty-length", ValueError, "input", shapes=dict(input=(2, 3, 0)), torch=True),
        Bad("kernel-empty-tuple", ValueError, "kernel_size", params=dict(kernel_size=()), torch=True))

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
        Bad("input-empty-plane", ValueError, "input", shapes=dict(input=(2, 4, 12, 0)), torch=True),
        Bad("ceil-mode-string", TypeError, "ceil_mode", params=dict(ceil_mode="yes"), torch=True),
        Bad("ceil-mode-int", TypeError, "ceil_mode", params=dict(ceil_mode=1), torch=True),
        Bad("ceil-mode-numpy-bool", TypeError, "ceil_mode", params=dict(ceil_mode=np.True_), torch=True),
        Bad("kernel-float", TypeError, "kernel_size", params=dict(kernel_size=2.5), torch=True),
        Bad("kernel-bool", TypeError, "kernel_size", params=dict(kernel_size=True), torch=True),
        Bad("kernel-2**62", ValueError, "kernel_size", params=dict(kernel_size=BIG), torch=True),
        Bad("padding-2**62", ValueError, "padding", params=dict(padding=BIG), torch=True),
        Bad("stride-2**31", ValueError, "stride", params=dict(stride=(2, INT32)), torch=True),
        Bad("stride-array", TypeError, "stride", params=dict(stride=np.array([2, 2])), torch=True))

refuses("max_pool3d",   # x (1, 2, 4, 6, 6), kernel 2
        Bad("kernel-0-in-one-axis", ValueError, "kernel_size", params=dict(kernel_size=(2, 0, 2)),
            torch=True),
        Bad("stride-2-values", ValueError, "stride", params=dict(stride=(1, 1)), torch=True),
        Bad("unbatched-no-channels", ValueError, "input", shapes=dict(input=(0, 4, 6, 6)), torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(1, 0, 4, 6, 6)), torch=True),
        Bad("dilation-2**62", ValueError, "dilation", params=dict(dilation=(1, BIG, 1)), torch=True))

refuses("avg_pool1d",   # x (2, 3, 11), kernel 3, stride 2
        Bad("divisor-override-not-an-argument", TypeError, "divisor_override",
            params=dict(divisor_override=2), torch=True),
        Bad("padding-over-half-kernel", ValueError, "padding", params=dict(padding=2), torch=True),
        Bad("kernel-2**62", ValueError, "kernel_size", params=dict(kernel_size=BIG), torch=True),
        Bad("count-include-pad-int", TypeError, "count_include_pad", params=dict(count_include_pad=1),
            torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 11)), torch=True))

refuses("avg_pool2d",   # x (2, 3, 6, 8), kernel 2
        Bad("divisor-override-0", ValueError, "divisor_override", params=dict(divisor_override=0),
            torch=True),
        Bad("divisor-override-float", TypeError, "divisor_override", params=dict(divisor_override=1.5),
            torch=True),
        Bad("divisor-override-bool", TypeError, "divisor_override", params=dict(divisor_override=True),
            torch=True),
        Bad("divisor-override-2**63", ValueError, "divisor_override", params=dict(divisor_override=2**63),
            torch=True),
        Bad("count-include-pad-None", TypeError, "count_include_pad", params=dict(count_include_pad=None),
            torch=True),
        Bad("padding-over-half-kernel", ValueError, "padding", params=dict(padding=2), torch=True),
        Bad("stride-2**62", ValueError, "stride", params=dict(stride=BIG), torch=True),
        Bad("unbatched-no-channels", ValueError, "input", shapes=dict(input=(0, 6, 8)), torch=True))

refuses("avg_pool3d",   # x (1, 2, 4, 6, 6), kernel 2
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=(5, 2, 2)),
            match="smaller", torch=True),
        Bad("ceil-mode-int", TypeError, "ceil_mode", params=dict(ceil_mode=1), torch=True),
        Bad("padding-2**62", ValueError, "padding", params=dict(padding=BIG), torch=True),
        Bad("input-empty-depth", ValueError, "input", shapes=dict(input=(1, 2, 0, 6, 6)), torch=True))

refuses("sum_pool2d",   # x (2, 3, 6, 8), kernel 2
        Bad("kernel-0", ValueError, "kernel_size", params=dict(kernel_size=0)),
        Bad("dilation-not-an-argument", TypeError, "dilation", params=dict(dilation=2)),
        Bad("kernel-2**62", ValueError, "kernel_size", params=dict(kernel_size=BIG)),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 6, 8))))

refuses("lp_pool1d",    # x (2, 3, 11), norm 2, kernel 3, stride 2
        Bad("kernel-larger-than-input", ValueError, "kernel_size", params=dict(kernel_size=12),
            match=LARGER, torch=True),
        Bad("padding-not-an-argument", TypeError, "padding", params=dict(padding=1), torch=True),
        Bad("kernel-tuple", TypeError, "kernel_size", params=dict(kernel_size=(3,)), torch=True),
        Bad("stride-2**62", ValueError, "stride", params=dict(stride=BIG), torch=True),
        Bad("norm-0", ValueError, "norm_type", params=dict(norm_type=0), torch=True))

refuses("lp_pool2d",    # x (2, 3, 6, 8), norm 2, kernel 2
        Bad("norm-0", ValueError, "norm_type", params=dict(norm_type=0), torch=True),
        Bad("norm-False", ValueError, "norm_type", params=dict(norm_type=False), torch=True),
        Bad("norm-string", TypeError, "norm_type", params=dict(norm_type="2"), torch=True),
        Bad("kernel-1-value", ValueError, "kernel_size", params=dict(kernel_size=(2,)), torch=True),
        Bad("kernel-2**62", ValueError, "kernel_size", params=dict(kernel_size=(2, BIG)), torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 6, 8)), torch=True))

refuses("lp_pool3d",    # x (1, 2, 4, 6, 6), norm 2, kernel 2
        Bad("norm-0", ValueError, "norm_type", params=dict(norm_type=0), torch=True),
        Bad("input-below-kernel", ValueError, "kernel_size", params=dict(kernel_size=(5, 2, 2), stride=1,
                                                                        ceil_mode=True),
            match="smaller", torch=True),
        Bad("kernel-2-values", ValueError, "kernel_size", params=dict(kernel_size=(2, 2)), torch=True),
        Bad("stride-2**31", ValueError, "stride", params=dict(stride=INT32), torch=True),
        Bad("ceil-mode-int", TypeError, "ceil_mode", params=dict(ceil_mode=1), torch=True),
        Bad("unbatched-no-channels", ValueError, "input", shapes=dict(input=(0, 4, 6, 6)), torch=True))

refuses("adaptive_avg_pool1d",   # x (2, 3, 10), output 4
        Bad("output-size-None", TypeError, "output_size", params=dict(output_size=None), torch=True),
        Bad("output-size-2-values", ValueError, "output_size", params=dict(output_size=(2, 2)), torch=True),
        Bad("output-size-negative", ValueError, "output_size", params=dict(output_size=-1), torch=True),
        Bad("output-size-2**62", ValueError, "output_size", params=dict(output_size=BIG), torch=True),
        Bad("output-size-float", TypeError, "output_size", params=dict(output_size=2.0), torch=True),
        Bad("input-empty-length", ValueError, "input", shapes=dict(input=(2, 3, 0)), torch=True))

refuses("adaptive_avg_pool2d",   # x (2, 3, 7, 7), output 3
        Bad("output-size-3-values", ValueError, "output_size", params=dict(output_size=(1, 2, 3)),
            torch=True),
        Bad("output-size-1-value", ValueError, "output_size", params=dict(output_size=(3,)), torch=True),
        Bad("output-size-negative", ValueError, "output_size", params=dict(output_size=(2, -1)), torch=True),
        Bad("output-size-2**62", ValueError, "output_size", params=dict(output_size=BIG), torch=True),
        Bad("output-size-2**31", ValueError, "output_size", params=dict(output_size=INT32), torch=True),
        Bad("output-size-numpy-scalar", TypeError, "output_size", params=dict(output_size=np.int64(2)),
            torch=True),   # torch takes a Python int or a sequence here
        Bad("output-size-bool", TypeError, "output_size", params=dict(output_size=True), torch=True),
        Bad("input-empty-plane", ValueError, "input", shapes=dict(input=(2, 3, 7, 0)), torch=True))

refuses("adaptive_avg_pool3d",   # x (1, 2, 5, 7, 6), output (2, 3, 4)
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(1, 0, 5, 7, 6)), torch=True),
        Bad("output-size-2-values", ValueError, "output_size", params=dict(output_size=(2, 3)), torch=True),
        Bad("output-size-2**62", ValueError, "output_size", params=dict(output_size=(1, 1, BIG)),
            torch=True),
        Bad("output-size-string", TypeError, "output_size", params=dict(output_size="2"), torch=True))

refuses("adaptive_max_pool1d",   # x (2, 3, 10), output 4
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 10)), torch=True),
        Bad("output-size-None-entry", TypeError, "output_size", params=dict(output_size=(None,)),
            torch=True),
        Bad("output-size-2**62", ValueError, "output_size", params=dict(output_size=BIG), torch=True))

refuses("adaptive_max_pool2d",   # x (2, 3, 7, 7), output 3
        Bad("output-size-float", TypeError, "output_size", params=dict(output_size=2.5), torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 7, 7)), torch=True),
        Bad("output-size-negative", ValueError, "output_size", params=dict(output_size=-1), torch=True),
        Bad("output-size-2**62", ValueError, "output_size", params=dict(output_size=BIG), torch=True),
        Bad("return-indices-array", TypeError, "return_indices",
            params=dict(return_indices=np.array([True, False])), torch=True))

refuses("adaptive_max_pool3d",   # x (1, 2, 5, 7, 6), output (2, 3, 4)
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(1, 0, 5, 7, 6)), torch=True),
        Bad("output-size-2**62", ValueError, "output_size", params=dict(output_size=BIG), torch=True),
        Bad("output-size-4-values", ValueError, "output_size", params=dict(output_size=(2, 2, 2, 2)),
            torch=True))

refuses("global_avg_pool2d",     # x (2, 8, 7, 7)
        Bad("input-rank-5", ValueError, "input", shapes=dict(input=(1, 2, 8, 7, 7))),
        Bad("output-size-not-an-argument", TypeError, "output_size", params=dict(output_size=1)))

refuses("spatial_pyramid_pool2d",   # x (2, 3, 9, 11), levels (1, 2, 4), max
        Bad("levels-empty", TypeError, "levels", params=dict(levels=())),
        Bad("level-negative", ValueError, "levels", params=dict(levels=(1, -1))),
        Bad("level-2**62", ValueError, "levels", params=dict(levels=(1, BIG))),
        Bad("mode-min", ValueError, "mode", params=dict(mode="min")),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 9, 11))))

refuses("max_unpool1d",   # x and indices (2, 3, 4), kernel 2: output length 8
        Bad("indices-past-the-plane", ValueError, "indices", fill=dict(indices=8), torch=True),
        Bad("indices-shape", ValueError, "indices", shapes=dict(indices=(2, 3, 3)), torch=True),
        Bad("output-size-int", TypeError, "output_size", params=dict(output_size=8), torch=True),
        Bad("output-size-a-stride-away", ValueError, "output_size", params=dict(output_size=(10,)),
            torch=True),
        Bad("kernel-2-values", ValueError, "kernel_size", params=dict(kernel_size=(2, 2)), torch=True),
        Bad("kernel-2**62", ValueError, "kernel_size", params=dict(kernel_size=BIG), torch=True),
        Bad("kernel-numpy-int", TypeError, "kernel_size", params=dict(kernel_size=np.int64(2)),
            torch=True),   # torch's check of the NumPy output size it computes fails
        Bad("negative-output", ValueError, "output_size", params=dict(kernel_size=2, padding=5),
            torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(2, 0, 4), indices=(2, 0, 4)),
            torch=True))

refuses("max_unpool2d",   # x and indices (2, 3, 3, 4), kernel 2: output planes 6 x 8
        Bad("indices-shape", ValueError, "indices", shapes=dict(indices=(2, 3, 3, 3)), torch=True),
        Bad("indices-past-the-plane", ValueError, "indices", fill=dict(indices=48), torch=True),
        Bad("indices-negative", ValueError, "indices", fill=dict(indices=-1), torch=True),
        Bad("output-size-a-stride-away", ValueError, "output_size", params=dict(output_size=(8, 8)),
            torch=True),
        Bad("output-size-1-value", ValueError, "output_size", params=dict(output_size=(8,)), torch=True),
        Bad("output-size-None-entry", TypeError, "output_size", params=dict(output_size=(None, 8)),
            torch=True),
        Bad("kernel-1-value", ValueError, "kernel_size", params=dict(kernel_size=(2,)), torch=True),
        Bad("kernel-float", TypeError, "kernel_size", params=dict(kernel_size=2.0), torch=True),
        Bad("stride-2**62", ValueError, "stride", params=dict(stride=BIG), torch=True),
        Bad("output-too-large", ValueError, "kernel_size", params=dict(kernel_size=INT32), torch=True),
        Bad("input-empty-plane", ValueError, "input", shapes=dict(input=(2, 3, 0, 4), indices=(2, 3, 0, 4)),
            torch=True))

refuses("max_unpool3d",   # x and indices (1, 2, 2, 3, 2), kernel 2: output volumes 4 x 6 x 4
        Bad("indices-past-the-plane", ValueError, "indices", fill=dict(indices=96), torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0), torch=True),
        Bad("kernel-0", ValueError, "stride", params=dict(kernel_size=0), torch=True),
        Bad("stride-4-values", ValueError, "stride", params=dict(stride=(2, 2, 2, 2)), torch=True),
        Bad("padding-bool", TypeError, "padding", params=dict(padding=True), torch=True),
        Bad("output-size-2-values", ValueError, "output_size", params=dict(output_size=(4, 6)), torch=True),
        Bad("padding-2**62", ValueError, "padding", params=dict(padding=BIG), torch=True),
        Bad("input-no-channels", ValueError, "input", shapes=dict(input=(1, 0, 2, 3, 2),
                                                              indices=(1, 0, 2, 3, 2)), torch=True))

"""unfold / fold cases (kernel, dilation, padding and stride per axis, padding beyond the
kernel, batch-less input, empty batches, NaN and infinities) and the calls they refuse."""
import numpy as np

from tests.cases import Bad, Case, cases, ranks, refuses


def _specials(shape):
    def make(rng):
        x = rng.standard_normal(shape)
        flat = x.reshape(-1)
        flat[[1, flat.size // 2, flat.size - 2]] = (np.inf, np.nan, -np.inf)
        return [x]
    return make


cases("unfold",
      Case("k3", ((2, 3, 5, 6),), dict(kernel_size=3)),
      Case("rect-dil-pad-stride", ((1, 2, 7, 9),), dict(kernel_size=(2, 3), dilation=(2, 1),
                                                       padding=(1, 2), stride=(2, 3))),
      Case("overlap-s1-p1", ((2, 2, 4, 5),), dict(kernel_size=3, padding=1)),
      Case("padding-beyond-kernel", ((1, 2, 3, 3),), dict(kernel_size=1, padding=2, stride=2)),
      Case("whole-image", ((2, 3, 4, 3),), dict(kernel_size=(4, 3))),
      Case("unbatched", ((3, 6, 5),), dict(kernel_size=2, stride=(1, 2))),
      Case("N0", ((0, 3, 5, 6),), dict(kernel_size=3)),
      Case("nan-inf", ((1, 2, 5, 4),), dict(kernel_size=2, padding=1), make=_specials((1, 2, 5, 4))))

cases("fold",   # the same geometries, from their columns back onto the image
      Case("k3", ((2, 27, 12),), dict(output_size=(5, 6), kernel_size=3)),
      Case("rect-dil-pad-stride", ((1, 12, 12),), dict(output_size=(7, 9), kernel_size=(2, 3),
                                                      dilation=(2, 1), padding=(1, 2), stride=(2, 3))),
      Case("overlap-s1-p1", ((2, 18, 20),), dict(output_size=(4, 5), kernel_size=3, padding=1)),
      Case("padding-beyond-kernel", ((1, 2, 16),), dict(output_size=3, kernel_size=1, padding=2,
                                                        stride=2)),
      Case("unbatched", ((12, 15),), dict(output_size=(6, 5), kernel_size=2, stride=(1, 2))),
      Case("N0", ((0, 27, 12),), dict(output_size=(5, 6), kernel_size=3)),
      Case("nan-inf", ((1, 8, 30),), dict(output_size=(5, 4), kernel_size=2, padding=1),
           make=_specials((1, 8, 30))))
ranks("unfold", input=(3, 4))
ranks("fold", input=(2, 3))


refuses("unfold",   # x (2, 3, 5, 6), kernel 3
        Bad("kernel-0", ValueError, "kernel_size", params=dict(kernel_size=0), torch=True),
        Bad("kernel-one-value", ValueError, "kernel_size", params=dict(kernel_size=(3,)), torch=True),
        Bad("kernel-three-values", ValueError, "kernel_size", params=dict(kernel_size=(3, 3, 3)),
            torch=True),
        Bad("kernel-float", TypeError, "kernel_size", params=dict(kernel_size=3.0), torch=True),
        Bad("kernel-bool", TypeError, "kernel_size", params=dict(kernel_size=True), torch=True),
        Bad("kernel-too-large", ValueError, "kernel_size", params=dict(kernel_size=7), torch=True),
        # torch returns a tensor with a negative dimension here
        Bad("kernel-2**62", ValueError, "kernel_size", params=dict(kernel_size=2 ** 62), torch=False),
        Bad("dilation-0", ValueError, "dilation", params=dict(dilation=0), torch=True),
        Bad("padding-negative", ValueError, "padding", params=dict(padding=-1), torch=True),
        Bad("padding-2**62", ValueError, "padding", params=dict(padding=2 ** 62), torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=(1, 0)), torch=True),
        Bad("channels-0", ValueError, "input", shapes=dict(input=(2, 0, 5, 6)), torch=True),
        Bad("height-0", ValueError, "input", shapes=dict(input=(2, 3, 0, 6)), torch=True),
        Bad("unbatched-channels-0", ValueError, "input", case="unbatched", shapes=dict(input=(0, 6, 5)),
            torch=True))

refuses("fold",   # x (2, 27, 12) onto (5, 6), kernel 3
        Bad("blocks-mismatch", ValueError, "output_size", params=dict(output_size=(6, 6)), torch=True),
        Bad("output-size-0", ValueError, "output_size", params=dict(output_size=(0, 6)), torch=True),
        Bad("output-size-one-value", ValueError, "output_size", params=dict(output_size=(5,)),
            torch=True),
        Bad("output-size-float", TypeError, "output_size", params=dict(output_size=(5.0, 6)), torch=True),
        Bad("kernel-not-dividing-channels", ValueError, "kernel_size", params=dict(kernel_size=2),
            torch=True),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0), torch=True),
        Bad("padding-negative", ValueError, "padding", params=dict(padding=(0, -1)), torch=True),
        Bad("length-0", ValueError, "input", shapes=dict(input=(2, 27, 0)), torch=True),
        Bad("channels-0", ValueError, "input", shapes=dict(input=(2, 0, 12)), torch=True),
        Bad("output-cannot-exist", ValueError, "output_size", case="padding-beyond-kernel",
            shapes=dict(input=(1, 2, 1)), params=dict(output_size=(2 ** 62, 2 ** 62), padding=0,
                                                      stride=2 ** 62), torch=True))

"""deform_conv2d cases: tiny (naive loops), offsets from DeformConvOp.make_inputs (fractional
parts kept in [0.1, 0.9], away from the kinks of bilinear sampling), and the calls it refuses."""
import numpy as np

from tests.cases import Bad, Case, cases, refuses


def _nonfinite(rng, shapes):
    """make_inputs' arrays with NaN, +Inf and -Inf pixels: a sample that reads one is NaN or
    infinite, one whose corner outside the image lies over one is not."""
    import kernels
    arrays = kernels.deform_conv2d.make_inputs(shapes, {}, rng)
    x = arrays[0].reshape(-1)
    x[[1, 11]] = np.nan
    x[[4, 30]] = np.inf
    x[[25]] = -np.inf
    return arrays


def shapes(N, C, H, W, K, Cg, R, S, P, Q, G_off=1, bias=True, mask=False):
    return ((N, C, H, W), (N, 2 * G_off * R * S, P, Q), (K, Cg, R, S),
            (K,) if bias else None, (N, G_off * R * S, P, Q) if mask else None)


cases("deform_conv2d",
      Case("3x3-pad1", shapes(2, 2, 4, 5, 3, 2, 3, 3, 4, 5), dict(padding=1)),
      Case("padding-one-dim-only", shapes(2, 2, 4, 5, 3, 2, 3, 3, 4, 3), dict(padding=(1, 0))),
      Case("mask-no-bias", shapes(1, 2, 5, 4, 2, 2, 3, 3, 3, 2, bias=False, mask=True)),
      Case("offset-groups2-mask", shapes(1, 4, 4, 4, 2, 4, 3, 2, 4, 5, G_off=2, mask=True),
           dict(padding=(1, 1))),
      Case("groups2", shapes(2, 4, 5, 5, 4, 2, 2, 2, 4, 4, G_off=2), dict(padding=0)),
      Case("stride-dil", shapes(1, 2, 7, 6, 2, 2, 2, 3, 3, 2, mask=True), dict(stride=2, dilation=(2, 1))),
      Case("same", shapes(1, 1, 4, 4, 2, 1, 2, 2, 4, 4), dict(padding="same")),
      Case("groups2-offset-groups4", shapes(1, 4, 4, 4, 2, 2, 2, 2, 3, 3, G_off=4, bias=False, mask=True)),
      Case("1x1", shapes(2, 3, 3, 3, 2, 3, 1, 1, 3, 3, mask=True)),
      # what torchvision accepts beyond the plain case
      Case("batch0", shapes(0, 2, 4, 5, 3, 2, 3, 3, 4, 5, mask=True), dict(padding=1)),
      Case("no-filters", shapes(2, 2, 4, 5, 0, 2, 3, 3, 4, 5), dict(padding=1)),
      Case("no-pixels", shapes(2, 2, 0, 5, 3, 2, 2, 3, 1, 5, mask=True), dict(padding=1)),
      Case("nan-inf", shapes(2, 2, 4, 5, 3, 2, 3, 3, 4, 5, mask=True), dict(padding=1),
           make=lambda rng: _nonfinite(rng, shapes(2, 2, 4, 5, 3, 2, 3, 3, 4, 5, mask=True))))


# Each bad call changes the first case: x (2, 2, 4, 5), offset (2, 18, 4, 5), w (3, 2, 3, 3),
# b (3,), no mask, padding 1 (or "groups2": x (2, 4, 5, 5), offset (2, 16, 4, 4),
# w (4, 2, 2, 2), two offset groups).
refuses("deform_conv2d",
        Bad("offset-odd-channels", ValueError, "offset", shapes=dict(offset=(2, 17, 4, 5))),
        Bad("offset-no-channels", ValueError, "offset", shapes=dict(offset=(2, 0, 4, 5))),
        Bad("offset-size", ValueError, "offset", shapes=dict(offset=(2, 18, 5, 5))),
        Bad("offset-batch", ValueError, "offset", shapes=dict(offset=(1, 18, 4, 5))),
        Bad("offset-groups-not-dividing-C", ValueError, "offset", shapes=dict(offset=(2, 54, 4, 5))),
        Bad("mask-channels", ValueError, "mask", shapes=dict(mask=(2, 18, 4, 5))),
        Bad("mask-size", ValueError, "mask", shapes=dict(mask=(2, 9, 3, 5))),
        Bad("mask-batch", ValueError, "mask", shapes=dict(mask=(1, 9, 4, 5))),
        Bad("weight-channels", ValueError, "weight", shapes=dict(weight=(3, 3, 3, 3))),
        Bad("weight-filters-not-dividing-groups", ValueError, "weight", shapes=dict(weight=(5, 2, 2, 2)),
            case="groups2"),
        Bad("weight-larger-than-input", ValueError, "weight", shapes=dict(weight=(3, 2, 9, 9))),
        Bad("bias-length", ValueError, "bias", shapes=dict(bias=(4,))),
        Bad("stride-0", ValueError, "stride", params=dict(stride=0)),
        Bad("no-channels", ValueError, "input", shapes=dict(input=(2, 0, 4, 5), weight=(3, 0, 3, 3))),
        Bad("weight-no-input-channel", ValueError, "weight", shapes=dict(weight=(3, 0, 3, 3))),
        Bad("stride-2-31", ValueError, "stride", params=dict(stride=2 ** 31)),
        Bad("dilation-2-31", ValueError, "dilation", params=dict(dilation=(1, 2 ** 31))),
        Bad("padding-2-62", ValueError, "padding", params=dict(padding=2 ** 62)),
        Bad("stride-one-element", ValueError, "stride", params=dict(stride=(1,))),
        Bad("padding-one-element", ValueError, "padding", params=dict(padding=[1])))
